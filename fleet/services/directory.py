"""The routing cache: the engine's ``Directory`` port, filled from the services.

Per fleet, it keeps every line with its services, the fixed numbers and the call groups
in memory, so the engine reads them synchronously. A committed change is applied before
the service call that made it returns (via the ``ChangeHub``): the next call sees it.
Line, forwarding, list and group changes carry their typed view and are applied in memory
(a group change also updates its members' lines); anything else (lines removed, fixed
numbers, fleet settings) reloads the fleet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

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
    member_of: dict[int, set[int]] = field(default_factory=dict)  # line id -> group ids


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

    # -- loading ------------------------------------------------------------------------

    async def load_all(self) -> None:
        for fleet in await self._services.fleets.all():
            await self.load_fleet(fleet.id)
        self.loaded = True

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
        snapshot = self._fleets[group.fleet_id]
        self._groups[group.number.value] = (group.fleet_id, group.id)
        self._group_ids[group.id] = group.fleet_id
        if group.short_number:
            snapshot.shorts[group.short_number] = group.number
        for member in group.members:
            snapshot.member_of.setdefault(member.line_id, set()).add(group.id)

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
        """Apply committed changes (subscribed to the services' ``ChangeHub``).

        A change that carries its typed view (a line, a forwarding, an incoming list, a
        group) is applied in memory; anything else is read again from the database."""
        fleets: set[int] = set()
        lines: set[tuple[int, int]] = set()
        groups: set[tuple[int, int]] = set()
        for change in changes:
            if change.fleet_id is None or change.entity == "account":
                continue
            if self._patch(change):
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

    # -- applying a change from its view ------------------------------------------------

    def _patch(self, change: ChangeRef) -> bool:
        """Apply ``change`` from the view it carries; False when it must be reloaded."""
        snapshot = self._fleets.get(change.fleet_id or 0)
        if snapshot is None:
            return False
        view = change.view
        if change.entity == "forwarding":
            line_id, kind = change.entity_id.split(":")
            current = snapshot.lines.get(int(line_id))
            if current is None or not (view is None or isinstance(view, model.Forwarding)):
                return False
            rules = [f for f in current.forwardings if f.kind.value != kind]
            rules += [view] if view is not None else []
            rules.sort(key=lambda f: f.kind.value)
            self._put_line(snapshot, replace(current, forwardings=tuple(rules)))
            return True
        if change.entity == "incoming_list":
            current = snapshot.lines.get(int(change.entity_id))
            if current is None or not isinstance(view, model.IncomingList):
                return False
            self._put_line(snapshot, replace(current, incoming_list=view))
            return True
        if change.entity == "line":
            return isinstance(view, model.Line) and self._patch_line(snapshot, change, view)
        if change.entity == "call_group":
            if view is None and change.before is not None:
                self._remove_group(snapshot, int(change.entity_id))
                return True
            if not isinstance(view, model.CallGroup):
                return False
            self._put_group(snapshot, view)
            return True
        return False

    def _patch_line(self, snapshot: FleetSnapshot, change: ChangeRef, line: model.Line) -> bool:
        current = snapshot.lines.get(line.id)
        if current is None:
            if change.before is not None:
                return False
            current = model.LineServices(line=line, forwardings=(), incoming_list=None, groups=())
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

    def _put_line(self, snapshot: FleetSnapshot, services: model.LineServices) -> None:
        line = services.line
        old = snapshot.lines.get(line.id)
        if old is not None:
            self._lines.pop(old.line.msisdn.value, None)
            if old.line.short_number and snapshot.shorts.get(old.line.short_number) == (
                old.line.msisdn
            ):
                del snapshot.shorts[old.line.short_number]
        snapshot.lines[line.id] = services
        self._lines[line.msisdn.value] = (snapshot.fleet.id, line.id)
        if line.short_number:
            snapshot.shorts[line.short_number] = line.msisdn

    def _put_group(self, snapshot: FleetSnapshot, group: model.CallGroup) -> None:
        old = snapshot.groups.get(group.id)
        affected = {m.line_id for m in group.members}
        if old is not None:
            affected |= {m.line_id for m in old.members}
            self._unindex_group(snapshot, old)
        snapshot.groups[group.id] = group
        self._index_group(group)
        for line_id in affected:
            self._memberships(snapshot, line_id)

    def _remove_group(self, snapshot: FleetSnapshot, group_id: int) -> None:
        old = snapshot.groups.pop(group_id, None)
        if old is None:
            return
        self._unindex_group(snapshot, old)
        for member in old.members:
            self._memberships(snapshot, member.line_id)

    def _unindex_group(self, snapshot: FleetSnapshot, group: model.CallGroup) -> None:
        if self._groups.get(group.number.value) == (group.fleet_id, group.id):
            del self._groups[group.number.value]
        self._group_ids.pop(group.id, None)
        if group.short_number and snapshot.shorts.get(group.short_number) == group.number:
            del snapshot.shorts[group.short_number]
        for member in group.members:
            snapshot.member_of.get(member.line_id, set()).discard(group.id)

    def _memberships(self, snapshot: FleetSnapshot, line_id: int) -> None:
        """A line's groups as seen from the line, from the groups in the snapshot."""
        current = snapshot.lines.get(line_id)
        if current is None:
            return
        found = []
        for group_id in snapshot.member_of.get(line_id, ()):
            group = snapshot.groups[group_id]
            for member in group.members:
                if member.line_id == line_id:
                    found.append(
                        model.GroupMembership(
                            group_id=group.id,
                            group_number=group.number,
                            group_name=group.name,
                            position=member.position,
                            connected=member.connected,
                        )
                    )
        found.sort(key=lambda g: g.group_name)
        snapshot.lines[line_id] = replace(current, groups=tuple(found))

    async def _reload_line(self, fleet_id: int, line_id: int) -> None:
        snapshot = self._fleets.get(fleet_id)
        if snapshot is None:
            return
        self.reloads += 1
        try:
            services = await self._services.lines.services_by_id(line_id)
        except DomainError:
            old = snapshot.lines.pop(line_id, None)
            if old is not None:
                self._lines.pop(old.line.msisdn.value, None)
                if old.line.short_number:
                    snapshot.shorts.pop(old.line.short_number, None)
            return
        self._put_line(snapshot, services)

    async def _reload_group(self, fleet_id: int, group_id: int) -> None:
        snapshot = self._fleets.get(fleet_id)
        if snapshot is None:
            return
        self.reloads += 1
        try:
            group = await self._services.groups.get(group_id)
        except DomainError:
            self._remove_group(snapshot, group_id)
            return
        self._put_group(snapshot, group)

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

    # -- what feature codes read (the same state routing uses) ----------------------------

    def by_msisdn(self, number: E164) -> model.LineServices | None:
        """A fleet's line by its MSISDN, with its services."""
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
        policy = self._services.lines.policy
        digits = policy.clean(dialled)
        number = snapshot.shorts.get(digits) or policy.classify(digits)[1]
        found = self._groups.get(number.value) if number is not None else None
        if found is None or found[0] != fleet_id:
            return None
        return snapshot.groups.get(found[1])

    def all_lines(self) -> list[model.LineServices]:
        return [line for snap in self._fleets.values() for line in snap.lines.values()]

    def all_fixed(self) -> list[model.FixedNumber]:
        return [fixed for snap in self._fleets.values() for fixed in snap.fixed.values()]
