"""The routing table: every fleet's lines with their services, fixed numbers and call groups
in memory, indexed as calls and feature codes read them (pure, synchronous).

It is the engine's ``Directory`` port and feature codes' ``ConfigView``. Fill it with
``put_fleet`` (from the database, or a small fleet built in a test) and keep it current with
``apply``: each typed change the services publish (``fleet.core.changes``) carries the views
after it, so it is applied here without reading anything. What is derived is derived here:
a line's memberships (``LineServices.groups``) from the groups, and a group's members'
numbers and names from their lines, so both views always agree with a fresh load.
``fleet.services.directory.CachedDirectory`` fills it from the services. The maps it keeps
and the lookups in them are ``fleet.core.directory_index.RoutingIndex``'s; filling and
applying changes are here."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import assert_never

from fleet.core import model
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
from fleet.core.directory_index import RoutingIndex
from fleet.core.directory_keys import (
    FleetKeys,
    FleetSnapshot,
    bare_line,
    drop_contact,
    put_contact,
    refresh_memberships,
    swap_ids,
    swap_keys,
)
from fleet.core.schedules import Schedule
from fleet.core.trunks import Trunk

FILL_STEP = 500  # lines, groups... built between two yields of ``fill_fleet``


class RoutingTable(RoutingIndex):
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


def _minus(keys: FleetKeys, table: RoutingTable) -> FleetKeys:
    """These keys but those ``table`` holds."""
    return FleetKeys(
        lines=keys.lines - table._lines.keys(),
        fixed=keys.fixed - table._fixed.keys(),
        groups=keys.groups - table._groups.keys(),
        line_ids=keys.line_ids - table._line_ids.keys(),
        group_ids=keys.group_ids - table._group_ids.keys(),
    )
