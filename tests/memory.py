"""Fleets configured in memory, for the engine's tests: no database.

``MemoryFleets`` makes the read models (``fleet.core.model``) a service would return and
applies the same typed changes the services publish (``fleet.core.changes``) to a
``RoutingTable`` — the very table the routing cache is — so the engine reads exactly what
it would read in service. It checks only what a test could get wrong by mistake (unknown
ids, unparseable numbers); the domain rules are the services' and are tested there."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from callgroups import rules as group_rules
from fleet.core import model
from fleet.core.changes import (
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
from fleet.core.criteria import Criteria, CriteriaTarget
from fleet.core.directory import RoutingTable
from fleet.core.linesettings import PABX_OPTION, LineSetting, defaults
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.schedules import Holiday, Schedule, TimeRange
from fleet.core.trunks import Trunk, TrunkMode, TrunkState, TrunkTransport
from fleet.core.values import (
    DistributionMode,
    ForwardingKind,
    ForwardingTarget,
    Language,
    NoAnswerAction,
    RingMode,
)
from tests import world


class MemoryFleets:
    def __init__(self, *, policy: NumberPolicy | None = None) -> None:
        self.policy = policy or NumberPolicy()
        self.table = RoutingTable(policy=self.policy)
        self._ids = itertools.count(1)
        self._fleets: dict[int, model.Fleet] = {}
        self._lines: dict[int, model.Line] = {}
        self._groups: dict[int, model.CallGroup] = {}
        self._forwardings: dict[tuple[int, ForwardingKind], model.Forwarding] = {}
        self._lists: dict[int, model.IncomingList] = {}
        self.changes: list[Change] = []

    # -- reading back ---------------------------------------------------------------------

    def number(self, raw: str) -> E164:
        number = self.policy.classify(raw)[1]
        if number is None:
            raise ValueError(f"not a number: {raw!r}")
        return number

    def line(self, line_id: int) -> model.Line:
        return self._lines[line_id]

    def group(self, group_id: int) -> model.CallGroup:
        return self._groups[group_id]

    # -- fleets, lines, fixed numbers -------------------------------------------------------

    def add_fleet(self, name: str, *, short_number_length: int = 4) -> model.Fleet:
        fleet = model.Fleet(
            id=next(self._ids),
            name=name,
            short_number_length=short_number_length,
            language=Language.FR,
            timezone="Europe/Paris",
        )
        self._fleets[fleet.id] = fleet
        self._apply(FleetChange(fleet_id=fleet.id, before=None, after=fleet))
        return fleet

    def set_main_number(self, fleet_id: int, number: str | None) -> model.Fleet:
        """The fleet's main number (the presented number "main"), as the service sets it."""
        before = self._fleets[fleet_id]
        after = replace(before, main_number=self.number(number) if number else None)
        self._fleets[fleet_id] = after
        self._apply(FleetChange(fleet_id=fleet_id, before=before, after=after))
        return after

    def add_line(
        self,
        fleet_id: int,
        msisdn: str,
        name: str,
        *,
        short_number: str | None = None,
        settings: Mapping[LineSetting[bool], bool] | None = None,
    ) -> model.Line:
        """A line; its settings are their descriptions' defaults unless given."""
        values: dict[str, Any] = {s.name: v for s, v in (defaults() | dict(settings or {})).items()}
        line = model.Line(
            id=next(self._ids),
            fleet_id=self._fleets[fleet_id].id,
            msisdn=self.number(msisdn),
            short_number=short_number,
            employee_name=name,
            email=None,
            language=Language.FR,
            **values,
        )
        self._lines[line.id] = line
        self._apply(LineChange(fleet_id=fleet_id, line_id=line.id, before=None, after=line))
        return line

    def update_line(self, line_id: int, **fields: object) -> model.Line:
        """Change a line's details or settings (``pabx_option=False``, ``clir=True``…)."""
        before = self._lines[line_id]
        after = replace(before, **fields)  # type: ignore[arg-type]
        self._lines[line_id] = after
        self._apply(
            LineChange(fleet_id=after.fleet_id, line_id=line_id, before=before, after=after)
        )
        return after

    def add_fixed(
        self, fleet_id: int, number: str, label: str, *, trunk: str, short_number: str | None = None
    ) -> model.FixedNumber:
        fixed = model.FixedNumber(
            id=next(self._ids),
            fleet_id=fleet_id,
            number=self.number(number),
            label=label,
            trunk=trunk,
            short_number=short_number,
        )
        self._apply(
            FixedNumberChange(fleet_id=fleet_id, fixed_id=fixed.id, before=None, after=fixed)
        )
        return fixed

    def add_contact(
        self, fleet_id: int, number: str, name: str, *, abbreviated: str | None = None
    ) -> Contact:
        """An external contact of the fleet's directory."""
        contact = Contact(
            id=next(self._ids),
            fleet_id=fleet_id,
            name=name,
            company="",
            number=self.number(number),
            abbreviated=abbreviated,
            notes="",
        )
        self._apply(
            ContactChange(fleet_id=fleet_id, contact_id=contact.id, before=None, after=contact)
        )
        return contact

    def remove_contact(self, contact: Contact) -> None:
        self._apply(
            ContactChange(
                fleet_id=contact.fleet_id, contact_id=contact.id, before=contact, after=None
            )
        )

    def trunk(self, fleet_id: int, name: str, *, state: TrunkState = TrunkState.UNKNOWN) -> Trunk:
        """Add a static trunk of the fleet, or set the state of the one with that name."""
        held = self.table.trunks.trunk(fleet_id, name)
        if held is not None:
            after = replace(held, state=state)
        else:
            after = Trunk(
                id=next(self._ids),
                fleet_id=fleet_id,
                name=name,
                mode=TrunkMode.STATIC,
                host="pbx.example.com",
                port=5060,
                transport=TrunkTransport.UDP,
                username=None,
                realm=None,
                state=state,
            )
        before = model.TrunkView(held, has_secret=False, state_since=None) if held else None
        view = model.TrunkView(after, has_secret=False, state_since=None)
        self._apply(TrunkChange(fleet_id=fleet_id, trunk_id=after.id, before=before, after=view))
        return after

    # -- a line's services ------------------------------------------------------------------

    def forward(
        self,
        line_id: int,
        kind: ForwardingKind,
        destination: str,
        *,
        active: bool = True,
        no_reply_timer: int | None = None,
    ) -> model.Forwarding:
        """Register (and by default switch on) a forwarding of the line."""
        if kind is ForwardingKind.NO_REPLY and no_reply_timer is None:
            no_reply_timer = 20
        return self._forwarding(
            line_id,
            model.Forwarding(
                line_id=line_id,
                kind=kind,
                destination=self.number(destination),
                active=active,
                no_reply_timer=no_reply_timer if kind is ForwardingKind.NO_REPLY else None,
            ),
        )

    def forward_to_voicemail(
        self,
        line_id: int,
        kind: ForwardingKind,
        *,
        active: bool = True,
        no_reply_timer: int | None = None,
    ) -> model.Forwarding:
        """Register (and by default switch on) a forwarding of the line to its voicemail."""
        if kind is ForwardingKind.NO_REPLY and no_reply_timer is None:
            no_reply_timer = 20
        return self._forwarding(
            line_id,
            model.Forwarding(
                line_id=line_id,
                kind=kind,
                destination=None,
                active=active,
                no_reply_timer=no_reply_timer if kind is ForwardingKind.NO_REPLY else None,
                target=ForwardingTarget.VOICEMAIL,
            ),
        )

    def switch_forwarding(self, line_id: int, kind: ForwardingKind, active: bool) -> None:
        rule = self._forwardings[(line_id, kind)]
        self._forwarding(line_id, replace(rule, active=active))

    def _forwarding(self, line_id: int, rule: model.Forwarding) -> model.Forwarding:
        line = self._lines[line_id]
        before = self._forwardings.get((line_id, rule.kind))
        self._forwardings[(line_id, rule.kind)] = rule
        self._apply(
            ForwardingChange(
                fleet_id=line.fleet_id, line_id=line_id, kind=rule.kind, before=before, after=rule
            )
        )
        return rule

    def incoming_list(
        self,
        line_id: int,
        entries: Sequence[str],
        *,
        mode: RingMode = RingMode.SIMULTANEOUS,
        ring_time: int = 15,
        active: bool = True,
    ) -> model.IncomingList:
        line = self._lines[line_id]
        plan = model.IncomingList(
            line_id=line_id,
            active=active,
            mode=mode,
            ring_time=ring_time,
            entries=tuple(self.number(e) for e in entries),
        )
        before = self._lists.get(line_id)
        self._lists[line_id] = plan
        self._apply(
            IncomingListChange(fleet_id=line.fleet_id, line_id=line_id, before=before, after=plan)
        )
        return plan

    # -- call groups ---------------------------------------------------------------------

    def add_group(
        self,
        fleet_id: int,
        *,
        number: str,
        name: str,
        members: Iterable[int] = (),
        connected: Iterable[int] = (),
        short_number: str | None = None,
        user_code: str = "1703",
        admin_code: str = "2202",
        queue_size: int = group_rules.QUEUE_MIN,
        switchover_delay: int = group_rules.SWITCHOVER_DEFAULT,
        intercall_delay: int = group_rules.INTERCALL_DEFAULT,
        distribution: str | DistributionMode = DistributionMode.LINEAR,
        max_queue_wait: int = group_rules.MAX_WAIT_DEFAULT,
        no_answer_action: str | NoAnswerAction = NoAnswerAction.END_WITH_ANNOUNCEMENT,
        no_answer_number: str | None = None,
        no_answer_group_id: int | None = None,
    ) -> model.CallGroup:
        """A call group; numbered like one of the fleet's lines, that line is its first
        member (as the service does). ``connected``: members connected from the start."""
        e164 = self.number(number)
        line_ids = list(dict.fromkeys(members))
        numbering = [i for i, line in self._lines.items() if line.msisdn == e164]
        if numbering and numbering[0] not in line_ids:
            line_ids.insert(0, numbering[0])
        on = set(connected)
        group = model.CallGroup(
            id=next(self._ids),
            fleet_id=fleet_id,
            number=e164,
            name=name,
            short_number=short_number,
            user_code=user_code,
            admin_code=admin_code,
            queue_size=queue_size,
            switchover_delay=switchover_delay,
            intercall_delay=intercall_delay,
            distribution=DistributionMode(distribution),
            max_queue_wait=max_queue_wait,
            no_answer_action=NoAnswerAction(no_answer_action),
            no_answer_number=self.number(no_answer_number) if no_answer_number else None,
            no_answer_group_id=no_answer_group_id,
            members=tuple(
                self._member(line_id, position, line_id in on)
                for position, line_id in enumerate(line_ids, start=1)
            ),
        )
        self._groups[group.id] = group
        self._apply(GroupChange(fleet_id=fleet_id, group_id=group.id, before=None, after=group))
        return group

    def update_group(self, group_id: int, **fields: object) -> model.CallGroup:
        """Change a group's settings (not its members)."""
        before = self._groups[group_id]
        after = replace(before, **fields)  # type: ignore[arg-type]
        self._groups[group_id] = after
        self._apply(
            GroupChange(fleet_id=after.fleet_id, group_id=group_id, before=before, after=after)
        )
        return after

    def connect(self, group_id: int, line_id: int, connected: bool = True) -> model.CallGroup:
        """Connect (or disconnect) a member, as with its user code."""
        before = self._groups[group_id]
        if line_id not in {m.line_id for m in before.members}:
            raise KeyError(f"line {line_id} is not a member of group {group_id}")
        members = tuple(
            replace(m, connected=connected) if m.line_id == line_id else m for m in before.members
        )
        after = replace(before, members=members)
        self._groups[group_id] = after
        self._apply(
            MemberChange(fleet_id=after.fleet_id, group_id=group_id, before=before, after=after)
        )
        return after

    # -- schedules and routing criteria (issue 16) -------------------------------------------

    def schedule(
        self,
        fleet_id: int,
        name: str,
        ranges: Sequence[TimeRange] = (),
        *,
        holidays: Sequence[Holiday] = (),
        opposite_of: Schedule | None = None,
    ) -> Schedule:
        """A schedule of the fleet; with ``opposite_of``, that schedule's opposite."""
        source = opposite_of
        schedule = Schedule(
            id=next(self._ids),
            fleet_id=fleet_id,
            name=name,
            ranges=source.ranges if source else tuple(ranges),
            holidays=source.holidays if source else tuple(holidays),
            opposite_of=source.id if source else None,
        )
        self._apply(
            ScheduleChange(fleet_id=fleet_id, schedule_id=schedule.id, before=None, after=schedule)
        )
        return schedule

    def criteria(
        self,
        line_id: int,
        target: CriteriaTarget,
        criteria: Criteria | Sequence[Criteria] | None,
    ) -> tuple[Criteria, ...]:
        """Set when a rule of the line applies: one criterion or several in order (None or
        none: remove)."""
        line = self._lines[line_id]
        after = _listed(criteria)
        self._apply(
            CriteriaChange(
                fleet_id=line.fleet_id, target=target, line_id=line_id, before=(), after=after
            )
        )
        return after

    def group_criteria(
        self, group_id: int, criteria: Criteria | Sequence[Criteria] | None
    ) -> tuple[Criteria, ...]:
        group = self._groups[group_id]
        after = _listed(criteria)
        self._apply(
            CriteriaChange(
                fleet_id=group.fleet_id,
                target=CriteriaTarget.GROUP,
                group_id=group_id,
                before=(),
                after=after,
            )
        )
        return after

    def _member(self, line_id: int, position: int, connected: bool) -> model.Member:
        line = self._lines[line_id]
        return model.Member(
            line_id=line_id,
            msisdn=line.msisdn,
            employee_name=line.employee_name,
            position=position,
            connected=connected,
        )

    def _apply(self, change: Change) -> None:
        self.changes.append(change)
        if not self.table.apply(change):
            raise AssertionError(f"the routing table could not apply {change!r}")


@dataclass
class World(world.World):
    """The small fleet of ``tests.world`` (the same cast), built in memory."""

    fleets: MemoryFleets


def memory_world(fleets: MemoryFleets | None = None) -> World:
    fleets = fleets or MemoryFleets()
    fleet = fleets.add_fleet("Taxis Express")
    other = fleets.add_fleet("Autre Société")
    lines = [
        fleets.add_line(fleet.id, f"06110000{i:02d}", f"Salarié {i}", short_number=f"{2000 + i}")
        for i in range(1, 13)
    ]
    plain = fleets.add_line(fleet.id, "0611000050", "Sans option", settings={PABX_OPTION: False})
    foreign = fleets.add_line(other.id, "0622000001", "Ailleurs", short_number="2001")
    fixed = fleets.add_fixed(fleet.id, "01 45 67 89 10", "Accueil", trunk="trunk-siege")
    fleets.trunk(fleet.id, "trunk-siege")
    return World(
        fleets=fleets,
        fleet=fleet,
        other_fleet=other,
        lines=lines,
        plain=plain,
        foreign=foreign,
        fixed=fixed,
    )


def demo_fleets(fleets: MemoryFleets | None = None) -> MemoryFleets:
    """The demo fleet of ``fleet.demo`` (the cast of seed 004's examples), in memory."""
    from fleet import demo

    fleets = fleets or MemoryFleets()
    fleet = fleets.add_fleet(demo.DEMO_FLEET)
    by_name = {
        name: fleets.add_line(fleet.id, msisdn, name, short_number=short)
        for msisdn, short, name in demo.LINES
    }
    for number, short, label in demo.FIXED:
        fleets.add_fixed(fleet.id, number, label, trunk=demo.TRUNK, short_number=short)
    for rule in demo.FORWARDINGS:
        fleets.forward(
            by_name[rule.line].id,
            rule.kind,
            rule.destination,
            active=rule.active,
            no_reply_timer=rule.no_reply_timer,
        )
    for plan in demo.LISTS:
        fleets.incoming_list(
            by_name[plan.line].id, plan.entries, mode=plan.mode, ring_time=plan.ring_time
        )
    for spec in demo.GROUPS:
        fleets.add_group(
            fleet.id,
            members=[by_name[name].id for name in spec.members],
            connected=[by_name[name].id for name in spec.connected],
            **spec.fields(),
        )
    fleets.trunk(fleet.id, demo.TRUNK)
    return fleets


def _listed(criteria: Criteria | Sequence[Criteria] | None) -> tuple[Criteria, ...]:
    if criteria is None:
        return ()
    return (criteria,) if isinstance(criteria, Criteria) else tuple(criteria)
