"""The routing table: every fleet's lines with their services, fixed numbers and call groups
in memory, indexed as calls and feature codes read them (pure, synchronous).

It is the engine's ``Directory`` port and feature codes' ``ConfigView``. Fill it with
``put_fleet`` (from the database, or a small fleet built in a test) and keep it current with
``apply``: each typed change the services publish (``fleet.core.changes``) carries the views
after it, so it is applied here without reading anything. What is derived is derived here:
a line's memberships (``LineServices.groups``) from the groups, and a group's members'
numbers and names from their lines, so both views always agree with a fresh load.
``fleet.services.directory.CachedDirectory`` fills it from the services."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import assert_never
from zoneinfo import ZoneInfo

from fleet.core import model
from fleet.core.calls.ports import ExternalTarget, FixedTarget, GroupTarget, LineTarget, Target
from fleet.core.changes import (
    AccountChange,
    Change,
    ContactChange,
    CriteriaChange,
    FixedNumberChange,
    FleetChange,
    ForwardingChange,
    GroupChange,
    IncomingListChange,
    LineChange,
    MemberChange,
    ScheduleChange,
    TrunkChange,
)
from fleet.core.contacts import Contact
from fleet.core.criteria import Criteria, RuleCriteria
from fleet.core.directory_keys import (
    FleetKeys,
    FleetSnapshot,
    bare_line,
    drop_contact,
    drop_short,
    put_contact,
    refresh_memberships,
    swap_ids,
    swap_keys,
)
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.schedules import Schedule
from fleet.core.trunks import Trunk
from fleet.core.trunkstates import TrunkStates

FILL_STEP = 500  # lines, groups... built between two yields of ``fill_fleet``


class RoutingTable:
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

    # -- filling ----------------------------------------------------------------------

    def put_fleet(
        self,
        fleet: model.Fleet,
        *,
        lines: Iterable[model.LineServices | model.Line] = (),
        fixed: Iterable[model.FixedNumber] = (),
        groups: Iterable[model.CallGroup] = (),
        trunks: Iterable[Trunk] = (),
        contacts: Iterable[Contact] = (),
        schedules: Iterable[Schedule] = (),
        group_criteria: Iterable[tuple[int, tuple[Criteria, ...]]] = (),
    ) -> None:
        """Hold ``fleet`` with exactly these lines (a bare ``Line`` has no services yet),
        fixed numbers, groups, trunks, directory contacts, schedules and groups' criteria, in
        place of what was held of it. The lines' memberships are taken from the groups."""
        filling = self.fill_fleet(
            fleet,
            lines=lines,
            fixed=fixed,
            groups=groups,
            trunks=trunks,
            contacts=contacts,
            schedules=schedules,
            group_criteria=group_criteria,
        )
        for _ in filling:
            pass

    def fill_fleet(
        self,
        fleet: model.Fleet,
        *,
        lines: Iterable[model.LineServices | model.Line] = (),
        fixed: Iterable[model.FixedNumber] = (),
        groups: Iterable[model.CallGroup] = (),
        trunks: Iterable[Trunk] = (),
        contacts: Iterable[Contact] = (),
        schedules: Iterable[Schedule] = (),
        group_criteria: Iterable[tuple[int, tuple[Criteria, ...]]] = (),
        step: int = FILL_STEP,
    ) -> Iterator[None]:
        """``put_fleet`` a step at a time: the new view of the fleet is built aside (the
        generator yields after every ``step`` items, so a caller on an event loop lets other
        work run between steps), then put in place of the old one at once. Until then the
        old view answers every lookup; no lookup ever finds the fleet missing."""
        staging = RoutingTable(policy=self._policy)
        snapshot = staging._fleets[fleet.id] = FleetSnapshot(fleet=fleet)
        for count, line in enumerate(lines, start=1):
            staging._put_line(
                snapshot, line if isinstance(line, model.LineServices) else bare_line(line)
            )
            if count % step == 0:
                yield
        for number in fixed:
            staging._put_fixed(snapshot, number)
        for group in groups:
            snapshot.groups[group.id] = group
            staging._index_group(snapshot, group)
        for contact in contacts:
            put_contact(snapshot, contact)
        snapshot.schedules.update((schedule.id, schedule) for schedule in schedules)
        snapshot.group_criteria.update(group_criteria)
        members = snapshot.member_of.keys() | {i for i, s in snapshot.lines.items() if s.groups}
        for count, line_id in enumerate(members, start=1):
            refresh_memberships(snapshot, line_id)
            if count % step == 0:
                yield
        held = self._fleets.get(fleet.id)
        stale = FleetKeys.EMPTY
        if held is not None:
            old = yield from FleetKeys.of(held, step=step)
            stale = _minus(old, staging)  # the keys the new view no longer has
            yield
        self._adopt(staging, fleet.id, stale)
        self.trunks.put_fleet(fleet.id, trunks)

    def _adopt(self, staging: RoutingTable, fleet_id: int, stale: FleetKeys) -> None:
        """Put the fleet built in ``staging`` in place of the one held (``stale``: its keys
        the new view has not): the stale keys go, the new ones come, in one step."""
        swap_keys(self._lines, staging._lines, stale.lines, fleet_id)
        swap_keys(self._fixed, staging._fixed, stale.fixed, fleet_id)
        swap_keys(self._groups, staging._groups, stale.groups, fleet_id)
        swap_ids(self._line_ids, staging._line_ids, stale.line_ids, fleet_id)
        swap_ids(self._group_ids, staging._group_ids, stale.group_ids, fleet_id)
        self._fleets[fleet_id] = staging._fleets[fleet_id]

    def drop_fleet(self, fleet_id: int) -> None:
        """Forget a fleet and everything in it."""
        self.trunks.drop_fleet(fleet_id)
        snapshot = self._fleets.pop(fleet_id, None)
        if snapshot is None:
            return
        for line_id in list(snapshot.lines):
            self._unindex_line(snapshot, line_id)
        for fixed_id in list(snapshot.fixed):
            self._remove_fixed(snapshot, fixed_id)
        for group in snapshot.groups.values():
            self._unindex_group(snapshot, group)

    def apply(self, change: Change) -> bool:
        """Apply a committed change from the views it carries. False when this table cannot:
        it does not hold that fleet, or not the line changed (read the fleet again)."""
        if isinstance(change, AccountChange):
            return True  # routes nothing
        if isinstance(change, FleetChange):
            return self._apply_fleet(change)
        snapshot = self._fleets.get(change.fleet_id)
        if snapshot is None:
            return False
        match change:
            case LineChange():
                return self._apply_line(snapshot, change)
            case ForwardingChange(line_id=line_id, kind=kind, after=after):
                current = snapshot.lines.get(line_id)
                if current is None:
                    return False
                rules = [f for f in current.forwardings if f.kind is not kind]
                rules += [after] if after is not None else []
                rules.sort(key=lambda f: f.kind.value)
                self._put_line(snapshot, replace(current, forwardings=tuple(rules)))
                return True
            case IncomingListChange(line_id=line_id, after=after):
                current = snapshot.lines.get(line_id)
                if current is None:
                    return False
                self._put_line(snapshot, replace(current, incoming_list=after))
                return True
            case GroupChange() | MemberChange():
                if change.after is None:
                    self._remove_group(snapshot, change.group_id)
                else:
                    self._put_group(snapshot, change.after)
                return True
            case FixedNumberChange():
                if change.after is None:
                    self._remove_fixed(snapshot, change.fixed_id)
                else:
                    self._put_fixed(snapshot, change.after)
                return True
            case TrunkChange():
                self.trunks.apply(change)
                return True
            case ScheduleChange(schedule_id=schedule_id, after=after):
                if after is None:
                    snapshot.schedules.pop(schedule_id, None)
                else:
                    snapshot.schedules[schedule_id] = after
                return True
            case ContactChange():
                if change.after is None:
                    drop_contact(snapshot, change.contact_id)
                else:
                    put_contact(snapshot, change.after)
                return True
            case CriteriaChange():
                return self._apply_criteria(snapshot, change)
            case _:
                assert_never(change)

    def _apply_fleet(self, change: FleetChange) -> bool:
        snapshot = self._fleets.get(change.fleet_id)
        if change.after is None:
            self.drop_fleet(change.fleet_id)
        elif snapshot is not None:
            snapshot.fleet = change.after
        elif change.before is None:
            self.put_fleet(change.after)  # a new fleet: nothing in it yet
        else:
            return False
        return True

    def _apply_criteria(self, snapshot: FleetSnapshot, change: CriteriaChange) -> bool:
        if change.group_id is not None:
            if not change.after:
                snapshot.group_criteria.pop(change.group_id, None)
            else:
                snapshot.group_criteria[change.group_id] = change.after
            return True
        current = snapshot.lines.get(change.line_id) if change.line_id is not None else None
        if current is None:
            return False
        rules = [c for c in current.criteria if c.target is not change.target]
        if change.after:
            rules.append(RuleCriteria(target=change.target, criteria=change.after))
        rules.sort(key=lambda c: c.target.value)
        self._put_line(snapshot, replace(current, criteria=tuple(rules)))
        return True

    def _apply_line(self, snapshot: FleetSnapshot, change: LineChange) -> bool:
        line = change.after
        if line is None:
            self._remove_line(snapshot, change.line_id)
            return True
        current = snapshot.lines.get(line.id)
        if current is None:
            if change.before is not None:
                return False
            current = bare_line(line)
        self._put_line(snapshot, replace(current, line=line))
        for group_id in snapshot.member_of.get(line.id, ()):  # members show name and number
            group = snapshot.groups[group_id]
            members = tuple(
                replace(m, msisdn=line.msisdn, employee_name=line.employee_name)
                if m.line_id == line.id
                else m
                for m in group.members
            )
            snapshot.groups[group_id] = replace(group, members=members)
        return True

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


def _minus(keys: FleetKeys, table: RoutingTable) -> FleetKeys:
    """These keys but those ``table`` holds."""
    return FleetKeys(
        lines=keys.lines - table._lines.keys(),
        fixed=keys.fixed - table._fixed.keys(),
        groups=keys.groups - table._groups.keys(),
        line_ids=keys.line_ids - table._line_ids.keys(),
        group_ids=keys.group_ids - table._group_ids.keys(),
    )
