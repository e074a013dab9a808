"""The diversion history of a B-leg INVITE (DESIGN §8: forwarding is done inside FleetPBX, on
a new B-leg, not by 3xx): History-Info (RFC 7044) and Diversion (RFC 5806), which trunks and
the core read to know whom the call was for and why it went on.

History-Info: the original target (``index=1``), then each diverted-to target as a child of
the one before (``1.1``, ``1.1.1`` …, ``mp`` naming its parent) with the RFC 4458 ``cause`` of
its diversion in its URI (302 unconditional, 486 busy, 408 no reply or a group nobody
answered, 503 not reachable); when the leg rings a number other than the last target (a
group's member, an incoming list's entry), that number last. Diversion: one value per hop,
the latest first, each naming the diverting number with its reason and ``counter`` the
diversions so far (the latest says how many in all)."""

from __future__ import annotations

from collections.abc import Sequence

from fleet.core.calls.diversion import Diversion, DiversionReason
from fleet.core.numbering import E164

HISTORY_INFO = "History-Info"
DIVERSION = "Diversion"

HISTORY_CAUSE = {
    DiversionReason.UNCONDITIONAL: 302,
    DiversionReason.BUSY: 486,
    DiversionReason.NO_REPLY: 408,
    DiversionReason.NOT_REACHABLE: 503,
    DiversionReason.GROUP_NO_ANSWER: 408,
}

DIVERSION_REASON = {
    DiversionReason.UNCONDITIONAL: "unconditional",
    DiversionReason.BUSY: "user-busy",
    DiversionReason.NO_REPLY: "no-answer",
    DiversionReason.NOT_REACHABLE: "unavailable",
    DiversionReason.GROUP_NO_ANSWER: "no-answer",
}


def tel(number: E164) -> str:
    return f"tel:{number.value}"


def history_info(diversions: Sequence[Diversion], target: E164) -> list[str]:
    """The History-Info values (one entry each) of a leg to ``target``; none without a
    diversion."""
    if not diversions:
        return []
    entries: list[str] = []
    index = ""
    first = diversions[0].by
    if first is not None:
        index = "1"
        entries.append(f"<{tel(first)}>;index={index}")
    for diversion in diversions:
        uri = f"{tel(diversion.to)};cause={HISTORY_CAUSE[diversion.reason]}"
        index, parent = _child(index)
        entries.append(f"<{uri}>;index={index}" + (f";mp={parent}" if parent else ""))
    if target != diversions[-1].to:
        index, parent = _child(index)
        entries.append(f"<{tel(target)}>;index={index};mp={parent}")
    return entries


def diversion(diversions: Sequence[Diversion]) -> list[str]:
    """The Diversion values, the latest diversion first."""
    values = [
        f"<{tel(d.by)}>;reason={DIVERSION_REASON[d.reason]};counter={count}"
        for count, d in enumerate(diversions, start=1)
        if d.by is not None
    ]
    return values[::-1]


def diversion_headers(diversions: Sequence[Diversion], target: E164) -> list[tuple[str, str]]:
    """History-Info and Diversion header fields of a B-leg INVITE to ``target``."""
    return [(HISTORY_INFO, value) for value in history_info(diversions, target)] + [
        (DIVERSION, value) for value in diversion(diversions)
    ]


def _child(index: str) -> tuple[str, str]:
    """The index of the next entry under ``index`` and its parent ("" for the first)."""
    return (f"{index}.1" if index else "1"), index
