"""The routing cache: the engine's ``Directory`` port, filled from the services.

Per fleet, it keeps every line with its services, the fixed numbers and the call groups
in memory, so the engine reads them synchronously. A committed change is applied before
the service call that made it returns (via the ``ChangeHub``): the next call sees it.
Line, forwarding and list changes reload one line; group changes one group; anything else
(lines removed, fixed numbers, fleet settings) reloads the fleet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from fleet.core import model
from fleet.core.calls.ports import ExternalTarget, FixedTarget, GroupTarget, LineTarget, Target
from fleet.core.errors import DomainError
from fleet.core.numbering import E164
from fleet.services.changes import ChangeRef
from fleet.services.container import Services


@dataclass
class FleetSnapshot:
    fleet: model.Fleet
    lines: dict[int, model.LineServices] = field(default_factory=dict)
    fixed: dict[int, model.FixedNumber] = field(default_factory=dict)
    groups: dict[int, model.CallGroup] = field(default_factory=dict)
    shorts: dict[str, E164] = field(default_factory=dict)  # short number -> E.164


class CachedDirectory:
    def __init__(self, *, services: Services) -> None:
        self._services = services
        self._fleets: dict[int, FleetSnapshot] = {}
        self._lines: dict[str, tuple[int, int]] = {}  # E.164 -> (fleet id, line id)
        self._fixed: dict[str, tuple[int, int]] = {}
        self._groups: dict[str, tuple[int, int]] = {}
        self._group_ids: dict[int, int] = {}  # group id -> fleet id
        self.reloads = 0
        self.fleet_loads = 0

    # -- loading ------------------------------------------------------------------------

    async def load_all(self) -> None:
        for fleet in await self._services.fleets.all():
            await self.load_fleet(fleet.id)

    async def load_fleet(self, fleet_id: int) -> None:
        self.reloads += 1
        self.fleet_loads += 1
        self._drop_fleet(fleet_id)
        try:
            fleet = await self._services.fleets.get(fleet_id)
        except DomainError:
            return  # deleted
        snapshot = FleetSnapshot(fleet=fleet)
        for services in await self._services.lines.services_in_fleet(fleet_id):
            snapshot.lines[services.line.id] = services
        for fixed in await self._services.fleets.fixed_numbers(fleet_id):
            snapshot.fixed[fixed.id] = fixed
        for group in await self._services.groups.in_fleet(fleet_id):
            snapshot.groups[group.id] = group
        self._fleets[fleet_id] = snapshot
        for line in snapshot.lines.values():
            self._lines[line.line.msisdn.value] = (fleet_id, line.line.id)
            if line.line.short_number:
                snapshot.shorts[line.line.short_number] = line.line.msisdn
        for fixed in snapshot.fixed.values():
            self._fixed[fixed.number.value] = (fleet_id, fixed.id)
            if fixed.short_number:
                snapshot.shorts[fixed.short_number] = fixed.number
        for group in snapshot.groups.values():
            self._index_group(group)

    def _index_group(self, group: model.CallGroup) -> None:
        self._groups[group.number.value] = (group.fleet_id, group.id)
        self._group_ids[group.id] = group.fleet_id
        if group.short_number:
            self._fleets[group.fleet_id].shorts[group.short_number] = group.number

    def _drop_fleet(self, fleet_id: int) -> None:
        snapshot = self._fleets.pop(fleet_id, None)
        if snapshot is None:
            return
        for index in (self._lines, self._fixed, self._groups):
            for number in [n for n, (f, _) in index.items() if f == fleet_id]:
                del index[number]
        for group_id in snapshot.groups:
            self._group_ids.pop(group_id, None)

    async def changed(self, changes: Sequence[ChangeRef]) -> None:
        """Apply committed changes (subscribed to the services' ``ChangeHub``)."""
        fleets: set[int] = set()
        lines: set[tuple[int, int]] = set()
        groups: set[tuple[int, int]] = set()
        for change in changes:
            if change.fleet_id is None or change.entity == "account":
                continue
            if change.entity in ("forwarding", "incoming_list"):
                lines.add((change.fleet_id, int(change.entity_id.split(":")[0])))
            elif change.entity == "line" and change.after is not None:
                # a line created or changed: that line only (a deletion also changes groups)
                if isinstance(change.after, dict) and "msisdn" in change.after:
                    lines.add((change.fleet_id, int(change.entity_id)))
            elif change.entity == "call_group":
                groups.add((change.fleet_id, int(change.entity_id)))
            else:
                fleets.add(change.fleet_id)
        for fleet_id in fleets:
            await self.load_fleet(fleet_id)
        for fleet_id, line_id in lines:
            if fleet_id not in fleets:
                await self._reload_line(fleet_id, line_id)
        for fleet_id, group_id in groups:
            if fleet_id not in fleets:
                await self._reload_group(fleet_id, group_id)

    async def _reload_line(self, fleet_id: int, line_id: int) -> None:
        snapshot = self._fleets.get(fleet_id)
        if snapshot is None:
            return
        self.reloads += 1
        old = snapshot.lines.pop(line_id, None)
        if old is not None:
            self._lines.pop(old.line.msisdn.value, None)
            if old.line.short_number:
                snapshot.shorts.pop(old.line.short_number, None)
        try:
            services = await self._services.lines.services_by_id(line_id)
        except DomainError:
            return
        snapshot.lines[line_id] = services
        self._lines[services.line.msisdn.value] = (fleet_id, line_id)
        if services.line.short_number:
            snapshot.shorts[services.line.short_number] = services.line.msisdn

    async def _reload_group(self, fleet_id: int, group_id: int) -> None:
        snapshot = self._fleets.get(fleet_id)
        if snapshot is None:
            return
        self.reloads += 1
        old = snapshot.groups.pop(group_id, None)
        if old is not None:
            self._groups.pop(old.number.value, None)
            self._group_ids.pop(group_id, None)
            if old.short_number:
                snapshot.shorts.pop(old.short_number, None)
        try:
            group = await self._services.groups.get(group_id)
        except DomainError:
            return
        snapshot.groups[group_id] = group
        self._index_group(group)

    # -- the Directory port (synchronous) -------------------------------------------------

    def resolve(self, number: E164) -> Target:
        key = number.value
        if key in self._groups:  # a member's number that is the group's number reaches the group
            fleet_id, group_id = self._groups[key]
            return GroupTarget(self._fleets[fleet_id].groups[group_id])
        if key in self._lines:
            fleet_id, line_id = self._lines[key]
            services = self._fleets[fleet_id].lines.get(line_id)
            if services is not None:
                return LineTarget(services)
        if key in self._fixed:
            fleet_id, fixed_id = self._fixed[key]
            return FixedTarget(self._fleets[fleet_id].fixed[fixed_id])
        return ExternalTarget(number)

    def short_number(self, fleet_id: int, digits: str) -> E164 | None:
        snapshot = self._fleets.get(fleet_id)
        return snapshot.shorts.get(digits) if snapshot else None

    def fleet_of(self, number: E164) -> int | None:
        for index in (self._lines, self._fixed, self._groups):
            if number.value in index:
                return index[number.value][0]
        return None

    def group(self, group_id: int) -> model.CallGroup | None:
        fleet_id = self._group_ids.get(group_id)
        if fleet_id is None:
            return None
        return self._fleets[fleet_id].groups.get(group_id)

    def line(self, line_id: int) -> model.LineServices | None:
        for snapshot in self._fleets.values():
            if line_id in snapshot.lines:
                return snapshot.lines[line_id]
        return None

    def all_lines(self) -> list[model.LineServices]:
        return [line for snap in self._fleets.values() for line in snap.lines.values()]

    def all_fixed(self) -> list[model.FixedNumber]:
        return [fixed for snap in self._fleets.values() for fixed in snap.fixed.values()]
