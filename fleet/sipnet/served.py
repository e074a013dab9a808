"""Which line an INVITE of the S-CSCF serves, and on which side (ISC, 3GPP TS 24.229 §5.7).

- ``P-Served-User`` (RFC 5502, RFC 8498), e.g.
  ``<sip:+33612345678@ims.example.net>;sescase=orig;regstate=reg``, names the served user and
  the session case: ``sescase=orig`` originating, ``sescase=term`` terminating. Without it, the
  topmost Route — the URI the S-CSCF reached us by, ours — carrying the ``orig`` parameter
  says originating, the served user being then the P-Asserted-Identity. Anything else is the
  terminating case (the served user is the Request-URI's). ``orig-cdiv`` (the originating
  case after a diversion by the core, RFC 8498) is read but not served as originating: the
  call is taken as terminating, as before this module.
- ``P-Charging-Vector``'s ``icid-value`` (RFC 7315) is the same on every visit of one call:
  it correlates the records of the originating and terminating visits. Without it the
  correlation is this INVITE's Call-ID, and an originating visit's B-leg carries a
  P-Charging-Vector with that value as its ICID so that the next visit correlates with it.
- Route values after ours (the S-CSCF's own, with its original-dialog identifier) go on the
  originating B-leg, so that the S-CSCF continues its filter criteria after us instead of
  starting over (and routing the call back to us)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fleet.core.numbering import E164, NumberPolicy
from fleet.core.values import SessionCase
from fleet.sip.errors import SipParseError
from fleet.sip.message import Request
from fleet.sip.uri import Uri
from fleet.sip.values import parse_name_addr
from fleet.sipnet.parties import caller_of, uri_number

SERVED_USER = "P-Served-User"
CHARGING_VECTOR = "P-Charging-Vector"


class ServedUserError(ValueError):
    """A P-Served-User the service cannot read (the INVITE is answered 400)."""


class RegistrationState(StrEnum):
    REGISTERED = "reg"
    UNREGISTERED = "unreg"


_CASES = {"orig": SessionCase.ORIGINATING, "term": SessionCase.TERMINATING}


@dataclass(frozen=True, slots=True)
class ServedUser:
    """A P-Served-User value: who is served, for which session case, registered or not,
    and whether the core asks for the originating services after its own diversion."""

    uri: Uri
    case: SessionCase
    registration: RegistrationState | None = None
    after_diversion: bool = False  # ``orig-cdiv``


def parse_served_user(value: str) -> ServedUser:
    """Parse one P-Served-User value; no ``sescase`` is the terminating case."""
    try:
        addr = parse_name_addr(value.strip(), SERVED_USER)
    except (SipParseError, ValueError) as exc:
        raise ServedUserError(f"unreadable P-Served-User {value!r}: {exc}") from None
    sescase = addr.param("sescase")
    if sescase is not None and sescase.lower() not in _CASES:
        raise ServedUserError(f"P-Served-User sescase must be orig or term, not {sescase!r}")
    regstate = addr.param("regstate")
    if regstate is not None and regstate.lower() not in ("reg", "unreg"):
        raise ServedUserError(f"P-Served-User regstate must be reg or unreg, not {regstate!r}")
    return ServedUser(
        uri=addr.uri,
        case=_CASES[sescase.lower()] if sescase else SessionCase.TERMINATING,
        registration=RegistrationState(regstate.lower()) if regstate else None,
        after_diversion=addr.param("orig-cdiv") is not None,
    )


def icid_of(invite: Request) -> str | None:
    """The ``icid-value`` of the P-Charging-Vector, unquoted; None without one."""
    value = invite.headers.get(CHARGING_VECTOR)
    if not value:
        return None
    for part in value.split(";"):
        name, _, text = part.partition("=")
        if name.strip().lower() == "icid-value":
            icid = text.strip().strip('"')
            return icid or None
    return None


@dataclass(frozen=True, slots=True)
class Visit:
    """What an INVITE of the S-CSCF says of this visit. ``served``: the served line's
    number (originating case; None when no header names a number)."""

    case: SessionCase
    served: E164 | None
    correlation: str
    served_header: str | None = None  # P-Served-User as received
    charging: str | None = None  # P-Charging-Vector as received
    onward_routes: tuple[str, ...] = ()  # Route values after ours

    @property
    def originating(self) -> bool:
        return self.case is SessionCase.ORIGINATING

    def onward_headers(self) -> list[tuple[str, str]]:
        """The headers a B-leg of this visit carries back to the core: the charging vector
        as received; for the originating case one made from the correlation when none
        came, the S-CSCF's remaining routes and the P-Served-User."""
        if not self.originating:
            return [(CHARGING_VECTOR, self.charging)] if self.charging else []
        charging = self.charging or f'icid-value="{_quoted(self.correlation)}"'
        headers = [(CHARGING_VECTOR, charging)]
        headers += [("Route", route) for route in self.onward_routes]
        served = self.served_header
        if served is None and self.served is not None:
            served = f"<tel:{self.served.value}>;sescase=orig"
        if served is not None:
            headers.append((SERVED_USER, served))
        return headers


def visit_of(invite: Request, policy: NumberPolicy) -> Visit:
    """Read the session case, the served user and the correlation of an INVITE."""
    correlation = icid_of(invite) or invite.call_id or ""
    charging = invite.headers.get(CHARGING_VECTOR)
    header = invite.headers.get(SERVED_USER)
    routes = invite.headers.values("Route")
    if header is not None:
        served_user = parse_served_user(header)
        if served_user.case is SessionCase.ORIGINATING and not served_user.after_diversion:
            return Visit(
                case=SessionCase.ORIGINATING,
                served=_number(served_user.uri, policy),
                correlation=correlation,
                served_header=header,
                charging=charging,
                onward_routes=tuple(routes[1:]),
            )
    elif routes and _orig_route(routes[0]):
        return Visit(
            case=SessionCase.ORIGINATING,
            served=caller_of(invite, policy),
            correlation=correlation,
            charging=charging,
            onward_routes=tuple(routes[1:]),
        )
    return Visit(
        case=SessionCase.TERMINATING, served=None, correlation=correlation, charging=charging
    )


def _orig_route(value: str) -> bool:
    try:
        uri = parse_name_addr(value, "Route").uri
    except (SipParseError, ValueError):
        return False
    return uri.param("orig") is not None


def _number(uri: Uri, policy: NumberPolicy) -> E164 | None:
    text = uri_number(uri)
    return policy.classify(policy.clean(text))[1] if text else None


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
