"""What a desk's screen shows of a call forwarded to it: whose call it was and why it was
forwarded, read from the INVITE FleetPBX sent over the trunk — RFC 5806 Diversion (its first
value is the latest diversion: the diverting number and ``reason``) or, for a trunk that
wants only RFC 7044 History-Info, the entry before the last one carrying an RFC 4458
``cause`` (the diverting number) and that cause."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import TYPE_CHECKING

from fleet.core.numbering import E164, NumberPolicy
from fleet.sip.message import Request
from fleet.sip.uri import Uri
from fleet.sip.values import NameAddr, parse_name_addr
from fleet.sipnet.parties import uri_number

if TYPE_CHECKING:
    from simulators.netsim.handset_leg import HandsetLeg


class ForwardReason(StrEnum):
    UNCONDITIONAL = "unconditional"
    BUSY = "busy"
    NO_REPLY = "no_reply"
    NOT_REACHABLE = "not_reachable"
    UNKNOWN = "unknown"


DIVERSION_REASONS = {
    "unconditional": ForwardReason.UNCONDITIONAL,
    "user-busy": ForwardReason.BUSY,
    "no-answer": ForwardReason.NO_REPLY,
    "unavailable": ForwardReason.NOT_REACHABLE,
}
HISTORY_CAUSES = {
    "302": ForwardReason.UNCONDITIONAL,
    "486": ForwardReason.BUSY,
    "408": ForwardReason.NO_REPLY,
    "503": ForwardReason.NOT_REACHABLE,
}


@dataclass(frozen=True, slots=True)
class Forwarded:
    by: E164  # the number that forwarded the call (the latest diversion)
    reason: ForwardReason


def forwarded_of(invite: Request, policy: NumberPolicy) -> Forwarded | None:
    """The latest diversion the INVITE tells of (Diversion first, then History-Info)."""
    return _from_diversion(invite, policy) or _from_history(invite, policy)


def _entries(invite: Request, header: str) -> list[NameAddr]:
    """Each name-addr of ``header`` (all occurrences, comma-separated)."""
    found: list[NameAddr] = []
    for value in invite.headers.get_all(header):
        for part in value.split(","):
            text = part.strip()
            if not text:
                continue
            try:
                found.append(parse_name_addr(text, header))
            except ValueError:
                continue
    return found


def _number(uri: Uri, policy: NumberPolicy) -> E164 | None:
    text = uri_number(uri)
    return policy.classify(policy.clean(text))[1] if text else None


def _from_diversion(invite: Request, policy: NumberPolicy) -> Forwarded | None:
    for entry in _entries(invite, "Diversion"):
        number = _number(entry.uri, policy)
        if number is not None:
            said = (entry.param("reason") or "").strip('"').lower()
            reason = DIVERSION_REASONS.get(said, ForwardReason.UNKNOWN)
            return Forwarded(number, reason)
    return None


def _from_history(invite: Request, policy: NumberPolicy) -> Forwarded | None:
    entries = _entries(invite, "History-Info")
    latest: Forwarded | None = None
    for before, entry in pairwise(entries):
        cause = _cause(entry.uri)
        number = _number(before.uri, policy)
        if cause is not None and number is not None:
            latest = Forwarded(number, HISTORY_CAUSES.get(cause, ForwardReason.UNKNOWN))
    return latest


def _cause(uri: Uri) -> str | None:
    """The RFC 4458 ``cause`` of a History-Info entry's URI (``tel:+33…;cause=486``)."""
    if uri.is_sip:
        return uri.param("cause")
    for part in uri.opaque.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "cause":
            return value.strip()
    return None


def forwarded_screen(legs: Sequence[HandsetLeg]) -> dict[str, str | None]:
    """What a handset's screen shows of the first of ``legs`` (ringing, then in call) that
    was forwarded to it: ``forwarded_from`` (national) and ``forwarded_why``."""
    found = next((leg.forwarded for leg in legs if leg.forwarded is not None), None)
    if found is None:
        return {"forwarded_from": None, "forwarded_why": None}
    return {"forwarded_from": found.by.national(), "forwarded_why": found.reason.value}
