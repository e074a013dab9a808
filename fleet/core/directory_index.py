"""The routing table's indexes (``fleet.core.directory.RoutingTable`` fills them and keeps
them current): every fleet held, its lines, fixed numbers and groups by number and by id,
and the lookups calls (the engine's ``Directory`` port) and feature codes (``ConfigView``)
make in them (pure, synchronous)."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from fleet.core import model
from fleet.core.calls.ports import ExternalTarget, FixedTarget, GroupTarget, LineTarget, Target
from fleet.core.criteria import Criteria
from fleet.core.directory_keys import FleetSnapshot, drop_short, refresh_memberships
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.schedules import Schedule
from fleet.core.trunkstates import TrunkStates


class RoutingIndex:
    """The maps a routing table keeps, how an item enters and leaves them, and the reads."""

    def __init__(self, *, policy: NumberPolicy) -> None:
        self._policy = policy
        self._fleets: dict[int, FleetSnapshot] = {}
        self._lines: dict[str, tuple[int, int]] = {}  # E.164 -> (fleet id, line id)
        self._fixed: dict[str, tuple[int, int]] = {}  # E.164 -> (fleet id, fixed id)
        self._groups: dict[str, tuple[int, int]] = {}  # E.164 -> (fleet id, group id)
        self._group_ids: dict[int, int] = {}  # group id -> fleet id
        self._line_ids: dict[int, int] = {}  # line id -> fleet id
        self.trunks = TrunkStates()  # each fleet's trunks, with their state
        self.loaded = True  # every fleet is in (a table filled from a database says when)

    # -- keeping the indexes ----------------------------------------------------------

    def _put_line(self, snapshot: FleetSnapshot, services: model.LineServices) -> None:
        line = services.line
        if line.id in snapshot.lines:
            self._unindex_line(snapshot, line.id)
        snapshot.lines[line.id] = services
        self._lines[line.msisdn.value] = (snapshot.fleet.id, line.id)
        self._line_ids[line.id] = snapshot.fleet.id
        if line.short_number:
            snapshot.shorts[line.short_number] = line.msisdn

    def _unindex_line(self, snapshot: FleetSnapshot, line_id: int) -> None:
        old = snapshot.lines.pop(line_id).line
        if self._lines.get(old.msisdn.value) == (snapshot.fleet.id, line_id):
            del self._lines[old.msisdn.value]
        if self._line_ids.get(line_id) == snapshot.fleet.id:
            del self._line_ids[line_id]
        drop_short(snapshot, old.short_number, old.msisdn)

    def _remove_line(self, snapshot: FleetSnapshot, line_id: int) -> None:
        """A deleted line: its services go with it and it leaves its groups (the others
        keep their positions)."""
        if line_id in snapshot.lines:
            self._unindex_line(snapshot, line_id)
        for group_id in snapshot.member_of.pop(line_id, set()):
            group = snapshot.groups[group_id]
            members = tuple(m for m in group.members if m.line_id != line_id)
            snapshot.groups[group_id] = replace(group, members=members)

    def _put_fixed(self, snapshot: FleetSnapshot, number: model.FixedNumber) -> None:
        if number.id in snapshot.fixed:
            self._remove_fixed(snapshot, number.id)
        snapshot.fixed[number.id] = number
        self._fixed[number.number.value] = (snapshot.fleet.id, number.id)
        if number.short_number:
            snapshot.shorts[number.short_number] = number.number

    def _remove_fixed(self, snapshot: FleetSnapshot, fixed_id: int) -> None:
        old = snapshot.fixed.pop(fixed_id, None)
        if old is None:
            return
        if self._fixed.get(old.number.value) == (snapshot.fleet.id, fixed_id):
            del self._fixed[old.number.value]
        drop_short(snapshot, old.short_number, old.number)

    def _put_group(self, snapshot: FleetSnapshot, group: model.CallGroup) -> None:
        old = snapshot.groups.get(group.id)
        affected = {m.line_id for m in group.members}
        if old is not None:
            affected |= {m.line_id for m in old.members}
            self._unindex_group(snapshot, old)
        snapshot.groups[group.id] = group
        self._index_group(snapshot, group)
        for line_id in affected:
            refresh_memberships(snapshot, line_id)

    def _remove_group(self, snapshot: FleetSnapshot, group_id: int) -> None:
        snapshot.group_criteria.pop(group_id, None)
        old = snapshot.groups.pop(group_id, None)
        if old is None:
            return
        self._unindex_group(snapshot, old)
        for member in old.members:
            refresh_memberships(snapshot, member.line_id)

    def _index_group(self, snapshot: FleetSnapshot, group: model.CallGroup) -> None:
        self._groups[group.number.value] = (group.fleet_id, group.id)
        self._group_ids[group.id] = group.fleet_id
        if group.short_number:
            snapshot.shorts[group.short_number] = group.number
        for member in group.members:
            snapshot.member_of.setdefault(member.line_id, set()).add(group.id)

    def _unindex_group(self, snapshot: FleetSnapshot, group: model.CallGroup) -> None:
        if self._groups.get(group.number.value) == (group.fleet_id, group.id):
            del self._groups[group.number.value]
        if self._group_ids.get(group.id) == group.fleet_id:
            del self._group_ids[group.id]
        drop_short(snapshot, group.short_number, group.number)
        for member in group.members:
            groups = snapshot.member_of.get(member.line_id)
            if groups is not None:
                groups.discard(group.id)
                if not groups:
                    del snapshot.member_of[member.line_id]

    # -- the engine's Directory port --------------------------------------------------

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
            fixed = self._fleets[fleet_id].fixed[fixed_id]
            return FixedTarget(fixed, trunk_state=self.trunks.state(fleet_id, fixed.trunk))
        return ExternalTarget(number)

    def short_number(self, fleet_id: int, digits: str) -> E164 | None:
        snapshot = self._fleets.get(fleet_id)
        return snapshot.shorts.get(digits) if snapshot else None

    def abbreviated(self, fleet_id: int, digits: str) -> E164 | None:
        """The number of the fleet's contact with this abbreviated number."""
        snapshot = self._fleets.get(fleet_id)
        return snapshot.abbreviated.get(digits) if snapshot else None

    def fleet_of(self, number: E164) -> int | None:
        for index in (self._lines, self._fixed, self._groups):
            if number.value in index:
                return index[number.value][0]
        return None

    def main_number(self, fleet_id: int) -> E164 | None:
        snapshot = self._fleets.get(fleet_id)
        return snapshot.fleet.main_number if snapshot is not None else None

    def schedule(self, fleet_id: int, schedule_id: int) -> tuple[Schedule, ZoneInfo] | None:
        """A fleet's schedule with the fleet's time zone (routing criteria evaluate it)."""
        snapshot = self._fleets.get(fleet_id)
        found = snapshot.schedules.get(schedule_id) if snapshot is not None else None
        if snapshot is None or found is None:
            return None
        return found, ZoneInfo(snapshot.fleet.timezone)

    def group_criteria(self, group_id: int) -> tuple[Criteria, ...]:
        """When a group's routing applies, its criteria in order (none: always)."""
        fleet_id = self._group_ids.get(group_id)
        if fleet_id is None:
            return ()
        return self._fleets[fleet_id].group_criteria.get(group_id, ())

    def group(self, group_id: int) -> model.CallGroup | None:
        fleet_id = self._group_ids.get(group_id)
        if fleet_id is None:
            return None
        return self._fleets[fleet_id].groups.get(group_id)

    def line(self, line_id: int) -> model.LineServices | None:
        fleet_id = self._line_ids.get(line_id)
        if fleet_id is None:
            return None
        return self._fleets[fleet_id].lines.get(line_id)

    # -- what feature codes read (featurecodes.ports.ConfigView) --------------------------

    def by_msisdn(self, number: E164) -> model.LineServices | None:
        """A fleet's line by its MSISDN, with its services (also when it numbers a group)."""
        found = self._lines.get(number.value)
        if found is None:
            return None
        fleet_id, line_id = found
        return self._fleets[fleet_id].lines.get(line_id)

    def groups_of_line(self, fleet_id: int, line_id: int) -> list[model.CallGroup]:
        """The groups the line is a member of, by name."""
        snapshot = self._fleets.get(fleet_id)
        if snapshot is None:
            return []
        ids = snapshot.member_of.get(line_id, ())
        return sorted((snapshot.groups[i] for i in ids), key=lambda g: (g.name, g.id))

    def group_in_fleet(self, fleet_id: int, dialled: str) -> model.CallGroup | None:
        """The fleet's group reached by a dialled string: its short number or its number."""
        snapshot = self._fleets.get(fleet_id)
        if snapshot is None:
            return None
        digits = self._policy.clean(dialled)
        number = snapshot.shorts.get(digits) or self._policy.classify(digits)[1]
        found = self._groups.get(number.value) if number is not None else None
        if found is None or found[0] != fleet_id:
            return None
        return snapshot.groups.get(found[1])

    def all_lines(self) -> list[model.LineServices]:
        return [line for snap in self._fleets.values() for line in snap.lines.values()]

    def all_fixed(self) -> list[model.FixedNumber]:
        return [fixed for snap in self._fleets.values() for fixed in snap.fixed.values()]

    @property
    def fleet_count(self) -> int:
        """The fleets the table holds."""
        return len(self._fleets)

    def all_groups(self) -> list[model.CallGroup]:
        return [group for snap in self._fleets.values() for group in snap.groups.values()]

    def groups_in_fleet(self, fleet_id: int) -> list[model.CallGroup]:
        """The fleet's groups, by name (none for a fleet the table does not hold)."""
        snapshot = self._fleets.get(fleet_id)
        if snapshot is None:
            return []
        return sorted(snapshot.groups.values(), key=lambda g: (g.name, g.id))
