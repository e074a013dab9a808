"""Who calls and who is called, read from an INVITE of the core (ISC terminating case), and the
identity headers of a B-leg INVITE (DESIGN §8).

Incoming: the dialled number is the Request-URI's (``tel:+33611000001`` or its user part,
``sip:+33611000001@host;user=phone``); the caller is the P-Asserted-Identity's number, else
From's user part. Outgoing: Request-URI ``tel:+E164``; From the caller's ``tel:`` URI, or
anonymous with ``Privacy: id`` and no P-Asserted-Identity when the caller is hidden; the
engine's call id in ``X-FleetPBX-Call``, so the legs of one call can be told from the core's
side."""

from __future__ import annotations

from collections.abc import Iterator

from fleet.core.dialling import Presentation
from fleet.core.numbering import E164, NumberPolicy
from fleet.sip.message import Request
from fleet.sip.uri import Uri, UriError, unescape
from fleet.sip.values import parse_name_addr

CORRELATION_HEADER = "X-FleetPBX-Call"
ANONYMOUS = '"Anonymous" <sip:anonymous@anonymous.invalid>'


def uri_number(uri: Uri) -> str | None:
    """The telephone number of a ``tel:`` URI or the user part of a SIP URI, without its
    parameters (``;phone-context``, ``;npdi``…), its escapes resolved (a per-call prefix
    dialled as ``#31#`` arrives as ``%2331%23``)."""
    text = uri.opaque if uri.scheme == "tel" else uri.user
    if not text:
        return None
    return unescape(text.split(";", 1)[0])  # ``%23`` of a ``#31#`` prefix is a ``#``


def dialled_of(invite: Request) -> str | None:
    try:
        return uri_number(invite.uri)
    except UriError:
        return None


def identity_withheld(invite: Request) -> bool:
    """The core asks that the caller's identity be withheld (RFC 3323 ``Privacy: id``, or
    ``header`` / ``user``, which withhold it too; ``none`` and ``session`` do not)."""
    for value in invite.headers.get_all("Privacy"):
        for token in value.replace(",", ";").split(";"):
            if token.strip().lower() in ("id", "header", "user"):
                return True
    return False


def caller_of(invite: Request, policy: NumberPolicy) -> E164 | None:
    """P-Asserted-Identity (its first number) first, then From; None when neither names a
    number the policy reads."""
    for number in numbers_in(invite, "P-Asserted-Identity", policy):
        return number
    from_ = invite.from_
    text = uri_number(from_.uri) if from_ is not None else None
    return policy.classify(policy.clean(text))[1] if text else None


def numbers_in(invite: Request, header: str, policy: NumberPolicy) -> Iterator[E164]:
    """The numbers the policy reads in the name-addr entries of ``header`` (every occurrence,
    comma-separated entries; entries that do not parse or name no number are skipped)."""
    for value in invite.headers.get_all(header):
        for part in value.split(","):
            try:
                uri = parse_name_addr(part.strip(), header).uri
            except ValueError:
                continue
            text = uri_number(uri)
            number = policy.classify(policy.clean(text))[1] if text else None
            if number is not None:
                yield number


def b_leg_identity(
    caller: E164 | None, presentation: Presentation, call_id: str
) -> tuple[str, list[tuple[str, str]]]:
    """The From value (without tag) and the extra headers of a B-leg INVITE."""
    headers = [(CORRELATION_HEADER, call_id)]
    if caller is None or presentation is not Presentation.ALLOWED:
        headers.append(("Privacy", "id"))
        return ANONYMOUS, headers
    headers.append(("P-Asserted-Identity", f"<tel:{caller.value}>"))
    return f"<tel:{caller.value}>", headers


def originating_identity(
    caller: E164, presentation: Presentation, call_id: str
) -> tuple[str, list[tuple[str, str]]]:
    """The From value and identity headers of an originating visit's B-leg: the served line
    is asserted (P-Asserted-Identity, the core is trusted), and when its number is hidden the
    From is anonymous and ``Privacy: id`` asks the core to withhold it from the callee."""
    headers = [(CORRELATION_HEADER, call_id), ("P-Asserted-Identity", f"<tel:{caller.value}>")]
    if presentation is not Presentation.ALLOWED:
        headers.append(("Privacy", "id"))
        return ANONYMOUS, headers
    return f"<tel:{caller.value}>", headers
