"""What removing a line or a fleet takes with it: said to whoever removes it (API, portal,
command line) before it is done, and asked for confirmation."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SAMPLE_MAX = 10  # names shown per kind; the count says the rest


class ImpactKind(StrEnum):
    """One kind of consequence of a removal."""

    LINES = "lines"  # the fleet's mobile lines, removed with their services
    FIXED_NUMBERS = "fixed_numbers"  # the fleet's fixed numbers, removed
    GROUPS = "groups"  # the fleet's call groups, removed with their members
    TRUNKS = "trunks"  # the fleet's SIP trunks, removed
    FORWARDINGS = "forwardings"  # the line's own forwardings, removed
    INCOMING_LIST = "incoming_list"  # the line's own incoming-call list, removed
    MEMBERSHIPS = "memberships"  # the groups the line leaves
    ACCOUNTS_REMOVED = "accounts_removed"  # employee accounts, removed with their lines
    MANAGERS_LOSING = "managers_losing"  # managers who lose the fleet (their account stays)
    FORWARDED_TO = "forwarded_to"  # other lines' forwardings to the number: kept, now external
    LISTED_IN = "listed_in"  # other lines' incoming lists holding the number: kept
    CALL_RECORDS_KEPT = "call_records_kept"  # call records stay (the journal too)


@dataclass(frozen=True, slots=True)
class ImpactItem:
    kind: ImpactKind
    count: int
    names: tuple[str, ...] = ()  # at most SAMPLE_MAX of them


@dataclass(frozen=True, slots=True)
class Impact:
    """The consequences of removing ``subject`` (``"line"`` or ``"fleet"``) named ``name``;
    only the kinds that apply (count > 0)."""

    subject: str
    name: str
    items: tuple[ImpactItem, ...]

    def count(self, kind: ImpactKind) -> int:
        return next((i.count for i in self.items if i.kind is kind), 0)


def item(kind: ImpactKind, names: list[str], count: int | None = None) -> ImpactItem | None:
    """The item of ``kind`` from the names found (``count`` when there are more than
    listed), or nothing when there are none."""
    total = len(names) if count is None else count
    if total == 0:
        return None
    return ImpactItem(kind=kind, count=total, names=tuple(names[:SAMPLE_MAX]))
