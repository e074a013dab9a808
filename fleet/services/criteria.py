"""Routing criteria (issue 16 item 2): when a line's incoming-call list, each of its
forwardings and its do-not-disturb, and a group's routing apply — during a schedule of the
fleet, for some callers (``fleet.core.criteria``). Set and removed by the fleet's manager
(the employee for their own line), journalled as a ``CriteriaChange`` that the routing cache
applies. A rule without criteria always applies."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import criteria as crit
from fleet.core.changes import CriteriaChange
from fleet.core.criteria import CallerFilter, Criteria, CriteriaTarget, RuleCriteria
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.numbering import E164, NumberClass
from fleet.core.values import Actor
from fleet.db.tables import GroupRow, LineRow
from fleet.db.tables_criteria import CriteriaRow
from fleet.db.tables_schedules import ScheduleRow
from fleet.services.base import Service

_CALLER_CLASSES = (NumberClass.NATIONAL, NumberClass.INTERNATIONAL, NumberClass.SPECIAL)


class CriteriaService(Service):
    async def of_line(self, line_id: int) -> tuple[RuleCriteria, ...]:
        """The criteria of the line's rules, by rule."""
        async with self.read() as session:
            await _line(session, line_id)
            rows = await session.scalars(select(CriteriaRow).where(CriteriaRow.line_id == line_id))
            return _rules(rows.all())

    async def of_group(self, group_id: int) -> Criteria | None:
        async with self.read() as session:
            await _group(session, group_id)
            row = await _row(session, None, group_id, CriteriaTarget.GROUP)
            return _view(row) if row else None

    async def in_fleet(
        self, fleet_id: int
    ) -> tuple[dict[int, tuple[RuleCriteria, ...]], list[tuple[int, Criteria]]]:
        """Every criteria of a fleet: its lines' (by line id) and its groups' (to fill the
        routing cache)."""
        async with self.read() as session:
            rows = (
                await session.scalars(select(CriteriaRow).where(CriteriaRow.fleet_id == fleet_id))
            ).all()
        lines: dict[int, list[CriteriaRow]] = {}
        groups: list[tuple[int, Criteria]] = []
        for row in rows:
            if row.line_id is not None:
                lines.setdefault(row.line_id, []).append(row)
            elif row.group_id is not None:
                groups.append((row.group_id, _view(row)))
        return {line_id: _rules(found) for line_id, found in lines.items()}, groups

    async def set_line(
        self,
        actor: Actor,
        line_id: int,
        target: str | CriteriaTarget,
        *,
        schedule_id: int | None = None,
        callers: str | CallerFilter = CallerFilter.ANY,
        numbers: Sequence[str] = (),
    ) -> Criteria:
        """Set when the line's rule ``target`` applies. Criteria that always match (no
        schedule, any caller) are the same as none: they are removed."""
        rule = crit.target(target)
        if not rule.of_line:
            raise DomainError(ErrorCode.CRITERIA_TARGET_INVALID, field="target", value=rule.value)
        wanted = self.check(schedule_id, callers, numbers)
        async with self.write() as session:
            line = await _line(session, line_id)
            await self._save(session, actor, line.fleet_id, line_id, None, rule, wanted)
        return wanted

    async def clear_line(self, actor: Actor, line_id: int, target: str | CriteriaTarget) -> None:
        """The line's rule ``target`` applies always again."""
        rule = crit.target(target)
        async with self.write() as session:
            line = await _line(session, line_id)
            await self._save(session, actor, line.fleet_id, line_id, None, rule, None)

    async def set_group(
        self,
        actor: Actor,
        group_id: int,
        *,
        schedule_id: int | None = None,
        callers: str | CallerFilter = CallerFilter.ANY,
        numbers: Sequence[str] = (),
    ) -> Criteria:
        """Set when a group's routing applies (otherwise its no-answer rule at once)."""
        wanted = self.check(schedule_id, callers, numbers)
        async with self.write() as session:
            group = await _group(session, group_id)
            await self._save(
                session, actor, group.fleet_id, None, group_id, CriteriaTarget.GROUP, wanted
            )
        return wanted

    async def clear_group(self, actor: Actor, group_id: int) -> None:
        async with self.write() as session:
            group = await _group(session, group_id)
            await self._save(
                session, actor, group.fleet_id, None, group_id, CriteriaTarget.GROUP, None
            )

    def check(
        self, schedule_id: int | None, callers: str | CallerFilter, numbers: Sequence[str]
    ) -> Criteria:
        """Criteria from what was typed, checked (not the schedule's fleet: saving does)."""
        parsed: list[E164] = []
        for index, raw in enumerate(n for n in numbers if n and n.strip()):
            kind, number = self.policy.classify(raw)
            if kind not in _CALLER_CLASSES or number is None:
                raise DomainError(
                    ErrorCode.NUMBER_INVALID, field=f"numbers.{index}", number=raw.strip()
                )
            parsed.append(number)
        return crit.checked(schedule_id=schedule_id, callers_=crit.callers(callers), numbers=parsed)

    async def _save(
        self,
        session: AsyncSession,
        actor: Actor,
        fleet_id: int,
        line_id: int | None,
        group_id: int | None,
        target: CriteriaTarget,
        wanted: Criteria | None,
    ) -> None:
        if wanted is not None and wanted.schedule_id is not None:
            schedule = await session.get(ScheduleRow, wanted.schedule_id)
            if schedule is None or schedule.fleet_id != fleet_id:
                raise DomainError(
                    ErrorCode.CRITERIA_SCHEDULE_UNKNOWN,
                    field="schedule_id",
                    schedule=wanted.schedule_id,
                )
        if wanted is not None and wanted.always:
            wanted = None
        row = await _row(session, line_id, group_id, target)
        before = _view(row) if row else None
        if before == wanted:
            return  # unchanged: no journal entry
        if wanted is None:
            assert row is not None
            await session.delete(row)
        else:
            if row is None:
                row = CriteriaRow(
                    fleet_id=fleet_id, line_id=line_id, group_id=group_id, target=target
                )
                session.add(row)
            row.schedule_id = wanted.schedule_id
            row.callers = wanted.callers
            row.numbers = ",".join(n.value for n in wanted.numbers)
            row.updated_at = self.now()
        await session.flush()
        self.record(
            session,
            actor,
            CriteriaChange(
                fleet_id=fleet_id,
                target=target,
                line_id=line_id,
                group_id=group_id,
                before=before,
                after=wanted,
            ),
        )


async def schedule_users(session: AsyncSession, schedule_ids: Sequence[int]) -> list[str]:
    """Who uses these schedules in their criteria, as the refusal to delete them names
    them: "Salarié 1 (0611000002): forwarding_busy", "Accueil (group)"."""
    rows = (
        await session.execute(
            select(CriteriaRow.target, LineRow.employee_name, LineRow.msisdn, GroupRow.name)
            .outerjoin(LineRow, LineRow.id == CriteriaRow.line_id)
            .outerjoin(GroupRow, GroupRow.id == CriteriaRow.group_id)
            .where(CriteriaRow.schedule_id.in_(schedule_ids))
            .order_by(CriteriaRow.id)
        )
    ).all()
    users: list[str] = []
    for target, employee, msisdn, group in rows:
        name: str | None = employee
        if name is not None:
            users.append(f"{name} ({E164(msisdn).national()}): {target.value}")
        else:
            users.append(f"{group} ({target.value})")
    return users


async def _line(session: AsyncSession, line_id: int) -> LineRow:
    row = await session.get(LineRow, line_id)
    if row is None:
        raise not_found("line", line_id)
    return row


async def _group(session: AsyncSession, group_id: int) -> GroupRow:
    row = await session.get(GroupRow, group_id)
    if row is None:
        raise not_found("call_group", group_id)
    return row


async def _row(
    session: AsyncSession, line_id: int | None, group_id: int | None, target: CriteriaTarget
) -> CriteriaRow | None:
    owner = CriteriaRow.line_id == line_id if line_id is not None else None
    if owner is None:
        owner = CriteriaRow.group_id == group_id
    found: CriteriaRow | None = await session.scalar(
        select(CriteriaRow).where(owner, CriteriaRow.target == target)
    )
    return found


def _view(row: CriteriaRow) -> Criteria:
    return Criteria(
        schedule_id=row.schedule_id,
        callers=row.callers,
        numbers=tuple(E164(n) for n in row.numbers.split(",") if n),
    )


def _rules(rows: Sequence[CriteriaRow]) -> tuple[RuleCriteria, ...]:
    return tuple(
        sorted(
            (RuleCriteria(target=r.target, criteria=_view(r)) for r in rows),
            key=lambda c: c.target.value,
        )
    )
