"""The routing cache: the routing table (``fleet.core.directory.RoutingTable``: the engine's
``Directory`` port, feature codes' ``ConfigView``) filled from the services and kept current
by them.

Subscribed to the services' ``ChangeHub``, it applies each committed change in memory before
the service call that made it returns: the next call sees it. A fleet is read again only when
the table cannot apply a change (it did not hold that fleet yet); a change committed while a
fleet is being read is applied again on top of what was read."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from fleet.core import model
from fleet.core.changes import Change, ChangeEvent
from fleet.core.contacts import Contact
from fleet.core.criteria import Criteria
from fleet.core.directory import RoutingTable
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.schedules import Schedule
from fleet.core.trunks import Trunk
from fleet.heap import HeapGuard
from fleet.services.container import Services


@dataclass(frozen=True, slots=True, kw_only=True)
class _FleetRead:
    """A fleet as read from the database for the table."""

    fleet: model.Fleet
    lines: list[model.LineServices]
    fixed: list[model.FixedNumber]
    groups: list[model.CallGroup]
    trunks: list[Trunk]
    contacts: list[Contact]
    schedules: list[Schedule]
    group_criteria: list[tuple[int, tuple[Criteria, ...]]]


class CachedDirectory(RoutingTable):
    def __init__(self, *, services: Services, heap: HeapGuard | None = None) -> None:
        """``heap``: keeps the garbage collector out of large reads (the service's; tests
        and tools go without)."""
        super().__init__(policy=services.lines.policy)
        self._services = services
        self._heap = heap
        self._reading: dict[int, list[list[Change]]] = {}  # fleet id -> changes seen per read
        self.reloads = 0
        self.fleet_loads = 0
        self.loaded = False  # every fleet has been loaded once

    @classmethod
    async def open(cls, *, services: Services) -> CachedDirectory:
        """A directory filled from the database and kept current by the services' changes."""
        directory = cls(services=services)
        await directory.load_all()
        services.changes.subscribe(directory.changed)
        return directory

    def close(self) -> None:
        self._services.changes.unsubscribe(self.changed)

    async def load_all(self) -> None:
        for fleet in await self._services.fleets.all():
            await self.load_fleet(fleet.id)
        self.loaded = True

    async def reload_all(self) -> None:
        """Read every fleet again, and forget those deleted meanwhile (another process's
        changes that were missed)."""
        fleets = {fleet.id for fleet in await self._services.fleets.all()}
        for fleet_id in set(self._fleets) - fleets:
            self.drop_fleet(fleet_id)
        for fleet_id in sorted(fleets):
            await self.load_fleet(fleet_id)
        self.loaded = True

    async def load_fleet(self, fleet_id: int) -> None:
        """Read a fleet from the database and put it in place of what the table holds of
        it. The new view is built aside a step at a time, letting calls and feature codes
        run between steps, and swapped in at once: they are routed with the old view
        meanwhile, never with none."""
        self.reloads += 1
        self.fleet_loads += 1
        seen: list[Change] = []
        self._reading.setdefault(fleet_id, []).append(seen)
        try:
            with self._heap.hold() if self._heap else contextlib.nullcontext():
                found = await self._read(fleet_id)
                if found is not None:
                    filling = self.fill_fleet(
                        found.fleet,
                        lines=found.lines,
                        fixed=found.fixed,
                        groups=found.groups,
                        trunks=found.trunks,
                        contacts=found.contacts,
                        schedules=found.schedules,
                        group_criteria=found.group_criteria,
                    )
                    for _ in filling:
                        await asyncio.sleep(0)
        finally:
            reads = self._reading[fleet_id]
            reads.remove(seen)
            if not reads:
                del self._reading[fleet_id]
        if found is None:
            self.drop_fleet(fleet_id)
            return
        # what was read may be older than the changes committed meanwhile: apply them again
        if not all([self.apply(change) for change in seen]):
            await self.load_fleet(fleet_id)

    async def _read(self, fleet_id: int) -> _FleetRead | None:
        try:
            fleet = await self._services.fleets.get(fleet_id)
            lines = await self._services.lines.services_in_fleet(fleet_id)
            fixed = await self._services.fleets.fixed_numbers(fleet_id)
            groups = await self._services.groups.in_fleet(fleet_id)
            trunks = [view.trunk for view in await self._services.trunks.in_fleet(fleet_id)]
            contacts = await self._services.contacts.in_fleet(fleet_id)
            schedules = await self._services.schedules.in_fleet(fleet_id)
            line_criteria, group_criteria = await self._services.criteria.in_fleet(fleet_id)
        except DomainError as exc:
            if exc.code is ErrorCode.NOT_FOUND:  # the fleet was deleted
                return None
            raise
        if line_criteria:  # the lines' criteria join their services (issue 16 item 2)
            lines = [
                replace(s, criteria=line_criteria[s.line.id]) if s.line.id in line_criteria else s
                for s in lines
            ]
        return _FleetRead(
            fleet=fleet,
            lines=lines,
            fixed=fixed,
            groups=groups,
            trunks=trunks,
            contacts=contacts,
            schedules=schedules,
            group_criteria=group_criteria,
        )

    async def changed(self, events: Sequence[ChangeEvent]) -> None:
        """Apply committed changes (subscribed to the services' ``ChangeHub``); read again
        a fleet the table cannot apply a change of."""
        again: list[int] = []
        for event in events:
            change = event.change
            fleet_id = change.fleet_id
            if fleet_id is None:
                continue  # an account without a fleet: routes nothing
            reads = self._reading.get(fleet_id, [])
            for seen in reads:
                seen.append(change)
            if not self.apply(change) and not reads and fleet_id not in again:
                again.append(fleet_id)
        for fleet_id in again:
            await self.load_fleet(fleet_id)
