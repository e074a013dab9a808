"""Writing a checked import (``fleetio``): schedules, trunks, fixed numbers, lines, their
forwardings, incoming-call lists and group memberships, then the call groups, the main number,
the lines' presented numbers, the routing criteria and the directory's contacts — in the
transaction that checked them, each change journalled and announced as its own service does."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fleet.core import model
from fleet.core.changes import (
    FixedNumberChange,
    ForwardingChange,
    GroupChange,
    IncomingListChange,
    LineChange,
    MemberChange,
    TrunkChange,
)
from fleet.core.trunks import TrunkState
from fleet.core.values import Actor, RingMode
from fleet.db.tables import (
    ForwardingRow,
    GroupRow,
    IncomingEntryRow,
    IncomingListRow,
    LineRow,
    MemberRow,
    TrunkRow,
)
from fleet.services import (
    fleetio_bulk,
    fleetio_contacts,
    fleetio_criteria,
    fleetio_presented,
    fleetio_schedules,
    views,
)
from fleet.services.base import Service
from fleet.services.fleetio_groups import GroupPlan
from fleet.services.fleetio_plan import FixedPlan, LinePlan, State


@dataclass(kw_only=True)
class Applier:
    service: Service
    session: AsyncSession
    actor: Actor
    state: State
    trunks: list[TrunkRow]
    fixed: list[FixedPlan]
    lines: list[LinePlan]
    groups: list[GroupPlan]
    schedules: list[fleetio_schedules.SchedulePlan] = field(default_factory=list)
    criteria: list[fleetio_criteria.CriteriaPlan] = field(default_factory=list)
    contacts: list[fleetio_contacts.ContactPlan] = field(default_factory=list)
    main_number: str | None = None  # to write (E.164)

    def _record(self, change: Any) -> None:
        self.service.record(self.session, self.actor, change)

    async def apply(self) -> None:
        now = self.service.now()
        fleet_id = self.state.fleet.id
        for timed in await fleetio_schedules.apply(self.session, fleet_id, self.schedules, now):
            self._record(timed)
        for trunk in self.trunks:
            trunk.fleet_id, trunk.state, trunk.state_since = fleet_id, TrunkState.UNKNOWN, None
            trunk.secret, trunk.created_at, trunk.updated_at = None, now, now
            self.session.add(trunk)
        await self.session.flush()
        for trunk in self.trunks:
            self._record(
                TrunkChange(
                    fleet_id=fleet_id, trunk_id=trunk.id, before=None, after=views.trunk(trunk)
                )
            )
        await self._fixed(now)
        by_number = await self._lines(now)
        # what new lines bring is written in bulk; changes to existing lines row by row
        fresh = [(plan, by_number[plan.msisdn]) for plan in self.lines if plan.row is None]
        for change in await fleetio_bulk.forwardings(self.session, fresh, now):
            self._record(change)
        for listed in await fleetio_bulk.incoming_lists(self.session, fresh, now):
            self._record(listed)
        for plan in self.lines:
            if plan.row is not None:
                row = by_number[plan.msisdn]
                await self._forwardings(plan, row, now)
                await self._incoming(plan, row, now)
        await self._memberships(by_number, now)
        await self._groups(by_number, now)
        if self.main_number is not None:
            self._record(
                fleetio_presented.write_main_number(self.state.fleet, self.main_number, now)
            )
        wanted = [(by_number[p.msisdn].id, p.presented) for p in self.lines if p.presented]
        for before, after in await fleetio_presented.apply(self.session, fleet_id, wanted, now):
            self._record(
                LineChange(fleet_id=fleet_id, line_id=after.id, before=before, after=after)
            )
        for rule in await fleetio_criteria.apply(self.session, fleet_id, self.criteria, now):
            self._record(rule)
        for contact in await fleetio_contacts.apply(self.session, fleet_id, self.contacts, now):
            self._record(contact)

    async def _fixed(self, now: Any) -> None:
        fleet_id = self.state.fleet.id
        fresh = [plan for plan in self.fixed if plan.row is None]
        for change in await fleetio_bulk.fixed_numbers(self.session, fleet_id, fresh, now):
            self._record(change)
        for plan in self.fixed:
            if plan.row is not None and plan.changed:
                before = views.fixed_number(plan.row)
                for name, value in plan.values.items():
                    setattr(plan.row, name, value)
                plan.row.updated_at = now
                after = views.fixed_number(plan.row)
                self._record(
                    FixedNumberChange(
                        fleet_id=fleet_id, fixed_id=plan.row.id, before=before, after=after
                    )
                )

    async def _lines(self, now: Any) -> dict[str, LineRow]:
        """Lines created with one multi-row INSERT (a file may hold 100,000 of them), lines
        changed through the ORM."""
        fleet_id = self.state.fleet.id
        fresh = [
            {
                "fleet_id": fleet_id,
                "msisdn": p.msisdn,
                "created_at": now,
                "updated_at": now,
                **p.values,
            }
            for p in self.lines
            if p.row is None
        ]
        created: list[LineRow] = []
        if fresh:
            ids = await self.session.scalars(
                insert(LineRow).returning(LineRow.id, sort_by_parameter_order=True), fresh
            )
            created = [LineRow(id=i, **values) for i, values in zip(ids.all(), fresh, strict=True)]
        for row in created:
            after = views.line(row)
            self._record(LineChange(fleet_id=fleet_id, line_id=row.id, before=None, after=after))
        for plan in self.lines:
            if plan.row is not None and plan.changed:
                before = views.line(plan.row)
                for name in plan.changed:
                    setattr(plan.row, name, plan.values[name])
                plan.row.updated_at = now
                after = views.line(plan.row)
                self._record(
                    LineChange(fleet_id=fleet_id, line_id=plan.row.id, before=before, after=after)
                )
        return {**self.state.lines, **{r.msisdn: r for r in created}}

    async def _forwardings(self, plan: LinePlan, line: LineRow, now: Any) -> None:
        if not plan.forwardings:
            return
        existing = {f.kind: f for f in plan.row.forwardings} if plan.row is not None else {}
        for kind, goal in plan.forwardings.items():
            rule = existing.get(kind)
            before = views.forwarding(rule) if rule else None
            if goal is None:
                if rule is not None:
                    await self.session.delete(rule)
                    self._record(
                        ForwardingChange(
                            fleet_id=line.fleet_id,
                            line_id=line.id,
                            kind=kind,
                            before=before,
                            after=None,
                        )
                    )
                continue
            if rule is None:
                rule = ForwardingRow(line_id=line.id, kind=kind)
                self.session.add(rule)
            rule.destination, rule.active, rule.no_reply_timer, rule.target = goal
            rule.updated_at = now
            await self.session.flush()
            self._record(
                ForwardingChange(
                    fleet_id=line.fleet_id,
                    line_id=line.id,
                    kind=kind,
                    before=before,
                    after=views.forwarding(rule),
                )
            )

    async def _incoming(self, plan: LinePlan, line: LineRow, now: Any) -> None:
        if plan.incoming is None:
            return
        active, mode, ring_time, entries = plan.incoming
        listed = plan.row.incoming_list if plan.row is not None else None
        before = views.incoming_list(listed) if listed else None
        if listed is None:
            listed = IncomingListRow(line_id=line.id, entries=[])
            self.session.add(listed)
        else:
            await self.session.execute(
                delete(IncomingEntryRow).where(IncomingEntryRow.line_id == line.id)
            )
            self.session.expire(listed, ["entries"])
        listed.active, listed.mode, listed.ring_time = active, RingMode(mode), ring_time
        listed.updated_at = now
        await self.session.flush()
        self.session.add_all(
            IncomingEntryRow(line_id=line.id, position=i + 1, number=n)
            for i, n in enumerate(entries)
        )
        await self.session.flush()
        fresh = await self.session.scalar(
            select(IncomingListRow)
            .where(IncomingListRow.line_id == line.id)
            .options(selectinload(IncomingListRow.entries))
            .execution_options(populate_existing=True)
        )
        assert fresh is not None
        self._record(
            IncomingListChange(
                fleet_id=line.fleet_id,
                line_id=line.id,
                before=before,
                after=views.incoming_list(fresh),
            )
        )

    async def _memberships(self, by_number: dict[str, LineRow], now: Any) -> None:
        """The CSV's ``groups`` column: members added last (disconnected) or removed."""
        touched: dict[int, tuple[GroupRow, model.CallGroup]] = {}
        last: dict[int, int] = {}
        for plan in self.lines:
            for group in (*plan.add_groups, *plan.drop_groups):
                if group.id not in touched:
                    touched[group.id] = (group, views.group(group))
                    last[group.id] = max((m.position for m in group.members), default=0)
        for plan in self.lines:
            line = by_number[plan.msisdn]
            for group in plan.drop_groups:
                await self.session.execute(
                    delete(MemberRow).where(
                        MemberRow.group_id == group.id, MemberRow.line_id == line.id
                    )
                )
            for group in plan.add_groups:
                last[group.id] += 1
                self.session.add(
                    MemberRow(
                        group_id=group.id,
                        line_id=line.id,
                        position=last[group.id],
                        connected=False,
                        changed_at=now,
                    )
                )
        await self.session.flush()
        for group, before in touched.values():
            await self._renumber(await self._group(group.id))
            after = views.group(await self._group(group.id))
            self._record(
                MemberChange(fleet_id=group.fleet_id, group_id=group.id, before=before, after=after)
            )

    async def _renumber(self, group: GroupRow) -> None:
        ordered = sorted(group.members, key=lambda m: m.position)
        for offset, member in enumerate(ordered, start=1):
            member.position = 1000 + offset
        await self.session.flush()
        for position, member in enumerate(ordered, start=1):
            member.position = position
        await self.session.flush()

    async def _group(self, group_id: int) -> GroupRow:
        row = await self.session.scalar(
            select(GroupRow)
            .where(GroupRow.id == group_id)
            .options(selectinload(GroupRow.members).selectinload(MemberRow.line))
            .execution_options(populate_existing=True)
        )
        assert row is not None
        return row

    async def _groups(self, by_number: dict[str, LineRow], now: Any) -> None:
        fleet_id = self.state.fleet.id
        rows: dict[str, GroupRow] = dict(self.state.groups)
        befores: dict[int, model.CallGroup] = {}
        created: list[GroupRow] = []
        for plan in self.groups:
            row = plan.row
            if row is None:
                row = GroupRow(fleet_id=fleet_id, created_at=now, updated_at=now, members=[])
                self.session.add(row)
                created.append(row)
            else:
                befores[row.id] = views.group(row)
            for name, value in plan.values.items():
                setattr(row, name, value)
            if plan.changed:
                row.updated_at = now
            rows[row.name.lower()] = row
            plan.row = row
        await self.session.flush()
        for plan in self.groups:
            row = plan.row
            assert row is not None
            target = rows.get(plan.overflow) if plan.overflow else None
            row.no_answer_group_id = target.id if target is not None else None
            if row in created or plan.members_changed:
                if row not in created:  # a new group has no member to remove
                    await self.session.execute(
                        delete(MemberRow).where(MemberRow.group_id == row.id)
                    )
                    self.session.expire(row, ["members"])
                self.session.add_all(
                    MemberRow(
                        group_id=row.id,
                        line_id=by_number[number].id,
                        position=position,
                        connected=connected,
                        changed_at=now,
                    )
                    for position, (number, connected) in enumerate(plan.members, start=1)
                )
        await self.session.flush()
        made = await fleetio_bulk.group_views(self.session, [row.id for row in created])
        for plan in self.groups:
            row = plan.row
            assert row is not None
            before = befores.get(row.id)
            if before is None:
                after = made[row.id]
                self._record(
                    GroupChange(fleet_id=fleet_id, group_id=row.id, before=None, after=after)
                )
                continue
            if plan.changed or plan.members_changed:
                after = views.group(await self._group(row.id))
                kind = GroupChange if plan.changed else MemberChange
                self._record(kind(fleet_id=fleet_id, group_id=row.id, before=before, after=after))
