"""One owner process per fleet for calls (DESIGN §10, issue 15): the pure part.

Each process holds a PostgreSQL advisory lock for every fleet it owns (``fleet.db.owners``);
every few seconds it looks at the fleets, the processes alive and who holds what, and
:func:`plan` says which fleets to take and which to give up:

- a process owns at most ``ceil(fleets / processes alive)`` fleets (its *share*);
- it takes fleets nobody holds, lowest id first, up to its share;
- past its share (another process came up) it gives up its highest ids, one per round,
  so that the newcomer takes them over a few rounds without a burst of unowned fleets;
- a fleet that no longer exists is given up at once.

:class:`OwnerMap` is what the SIP side reads for each call: this process owns the fleet,
another one does (its SIP address), or nobody does right now."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum


@dataclass(frozen=True, slots=True)
class Plan:
    """Fleets to try to lock, and fleets to unlock, this round."""

    take: tuple[int, ...] = ()
    release: tuple[int, ...] = ()


def share(fleets: int, processes: int) -> int:
    """The most fleets one process owns: ``ceil(fleets / processes)`` (every fleet when
    the count of processes is not known yet)."""
    return fleets if processes <= 1 else math.ceil(fleets / processes)


def plan(
    *,
    fleets: frozenset[int],
    mine: frozenset[int],
    held_elsewhere: frozenset[int],
    processes: int,
) -> Plan:
    """This round's decision for one process. ``fleets``: every fleet; ``mine``: those it
    holds; ``held_elsewhere``: those other processes hold; ``processes``: processes alive,
    this one included (at least one)."""
    gone = sorted(mine - fleets)
    owned = sorted(mine & fleets)
    limit = share(len(fleets), max(processes, 1))
    if len(owned) > limit:
        return Plan(release=(*gone, owned[-1]))
    free = sorted(fleets - mine - held_elsewhere)
    return Plan(take=tuple(free[: limit - len(owned)]), release=tuple(gone))


class Ownership(Enum):
    MINE = "mine"
    ELSEWHERE = "elsewhere"
    NOBODY = "nobody"


@dataclass(frozen=True, slots=True)
class Owner:
    """Who owns a fleet: a process and the SIP address calls to it are redirected to."""

    process: str
    sip_uri: str


@dataclass(frozen=True, slots=True)
class OwnerMap:
    """Ownership as last seen: the fleets this process holds, the owners of the others.
    ``enforced`` False (SQLite, one process): this process owns every fleet."""

    mine: frozenset[int] = frozenset()
    others: Mapping[int, Owner] = field(default_factory=dict)
    enforced: bool = True
    seen_at: float = 0.0  # when the database was read (the keeper's monotonic clock)

    def of(self, fleet_id: int) -> tuple[Ownership, Owner | None]:
        if not self.enforced or fleet_id in self.mine:
            return Ownership.MINE, None
        owner = self.others.get(fleet_id)
        return (Ownership.ELSEWHERE, owner) if owner else (Ownership.NOBODY, None)


EVERYTHING_MINE = OwnerMap(enforced=False)
