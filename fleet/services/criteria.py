"""Routing criteria (issue 16 item 2): when a line's incoming-call list, each of its
forwardings and its do-not-disturb, and a group's routing apply — during a schedule of the
fleet, for some callers (``fleet.core.criteria``). A rule holds up to ``MAX_CRITERIA``
criteria in order (seed 001's "Liste de critères"), each named and switched on or off; the
rule applies when one of its active criteria matches. Set by the fleet's manager (the
employee for their own line): the whole list at once (``replace``), or one criterion added,
changed or removed (``add``, ``edit``, ``remove``: the later ones move up). Each change is
journalled as a ``CriteriaChange`` (the list before and after) that the routing cache
applies. A rule without criteria always applies."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, select
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


@dataclass(frozen=True, slots=True)
class RuleRef:
    """A rule criteria attach to: ``target`` of line ``line_id``, or group ``group_id``'s."""

    target: CriteriaTarget
    line_id: int | None = None
    group_id: int | None = None

    @classmethod
    def of_line(cls, line_id: int, target: str | CriteriaTarget) -> RuleRef:
        rule = crit.target(target)
        if not rule.of_line:
            raise DomainError(ErrorCode.CRITERIA_TARGET_INVALID, field="target", value=rule.value)
        return cls(rule, line_id=line_id)

    @classmethod
    def of_group(cls, group_id: int) -> RuleRef:
        return cls(CriteriaTarget.GROUP, group_id=group_id)


Edit = Callable[[tuple[Criteria, ...]], Sequence[Criteria]]


class CriteriaService(Service):
    async def of_line(self, line_id: int) -> tuple[RuleCriteria, ...]:
        """The criteria of the line's rules, by rule (a rule without any: not there)."""
        async with self.read() as session:
            await _line(session, line_id)
            rows = await session.scalars(
                select(CriteriaRow)
                .where(CriteriaRow.line_id == line_id)
                .order_by(CriteriaRow.target, CriteriaRow.position)
            )
            return _rules(rows.all())

    async def of_group(self, group_id: int) -> tuple[Criteria, ...]:
        async with self.read() as session:
            await _group(session, group_id)
            return await _held(session, RuleRef.of_group(group_id))

    async def of_rule(self, rule: RuleRef) -> tuple[Criteria, ...]:
        """A rule's criteria in order (its line or group must exist)."""
        async with self.read() as session:
            await _owner(session, rule)
            return await _held(session, rule)

    async def in_fleet(
        self, fleet_id: int
    ) -> tuple[dict[int, tuple[RuleCriteria, ...]], list[tuple[int, tuple[Criteria, ...]]]]:
        """Every criteria of a fleet: its lines' (by line id) and its groups' (to fill the
        routing cache)."""
        async with self.read() as session:
            rows = (
                await session.scalars(
                    select(CriteriaRow)
                    .where(CriteriaRow.fleet_id == fleet_id)
                    .order_by(CriteriaRow.target, CriteriaRow.position)
                )
            ).all()
        lines: dict[int, list[CriteriaRow]] = {}
        groups: dict[int, list[Criteria]] = {}
        for row in rows:
            if row.line_id is not None:
                lines.setdefault(row.line_id, []).append(row)
            elif row.group_id is not None:
                groups.setdefault(row.group_id, []).append(view(row))
        return (
            {line_id: _rules(found) for line_id, found in lines.items()},
            [(group_id, tuple(found)) for group_id, found in groups.items()],
        )

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
        """The line's rule ``target`` gets this one criterion in place of its list.
        Criteria that always match (no schedule, any caller) are the same as none: the
        rule's criteria are removed."""
        wanted = self.check(schedule_id, callers, numbers)
        await self.replace(actor, RuleRef.of_line(line_id, target), _alone(wanted))
        return wanted

    async def clear_line(self, actor: Actor, line_id: int, target: str | CriteriaTarget) -> None:
        """The line's rule ``target`` applies always again."""
        await self.replace(actor, RuleRef.of_line(line_id, target), ())

    async def set_group(
        self,
        actor: Actor,
        group_id: int,
        *,
        schedule_id: int | None = None,
        callers: str | CallerFilter = CallerFilter.ANY,
        numbers: Sequence[str] = (),
    ) -> Criteria:
        """A group's routing gets this one criterion (outside it, its no-answer rule at
        once); criteria that always match are none."""
        wanted = self.check(schedule_id, callers, numbers)
        await self.replace(actor, RuleRef.of_group(group_id), _alone(wanted))
        return wanted

    async def clear_group(self, actor: Actor, group_id: int) -> None:
        await self.replace(actor, RuleRef.of_group(group_id), ())

    async def replace(
        self, actor: Actor, rule: RuleRef, criteria: Sequence[Criteria]
    ) -> tuple[Criteria, ...]:
        """The rule's whole list of criteria, in order (empty: the rule always applies)."""
        wanted = crit.fitting(criteria)
        return await self._change(actor, rule, lambda _: wanted)

    async def add(self, actor: Actor, rule: RuleRef, criterion: Criteria) -> tuple[Criteria, ...]:
        """``criterion`` after the rule's others ("Ajouter un critère"); the new list."""
        return await self._change(actor, rule, lambda held: (*held, criterion))

    async def edit(
        self, actor: Actor, rule: RuleRef, number: int, criterion: Criteria
    ) -> tuple[Criteria, ...]:
        """Criterion #``number`` (from 1) of the rule becomes ``criterion``."""

        def change(held: tuple[Criteria, ...]) -> Sequence[Criteria]:
            _at(held, number)
            return (*held[: number - 1], criterion, *held[number:])

        return await self._change(actor, rule, change)

    async def remove(self, actor: Actor, rule: RuleRef, number: int) -> tuple[Criteria, ...]:
        """Criterion #``number`` of the rule removed ("Retirer le critère"): the later ones
        move up."""

        def change(held: tuple[Criteria, ...]) -> Sequence[Criteria]:
            _at(held, number)
            return (*held[: number - 1], *held[number:])

        return await self._change(actor, rule, change)

    def check(
        self,
        schedule_id: int | None,
        callers: str | CallerFilter,
        numbers: Sequence[str],
        *,
        name: str = "",
        active: bool = True,
    ) -> Criteria:
        """A criterion from what was typed, checked (not the schedule's fleet: saving does)."""
        parsed: list[E164] = []
        for index, raw in enumerate(n for n in numbers if n and n.strip()):
            kind, number = self.policy.classify(raw)
            if kind not in _CALLER_CLASSES or number is None:
                raise DomainError(
                    ErrorCode.NUMBER_INVALID, field=f"numbers.{index}", number=raw.strip()
                )
            parsed.append(number)
        return crit.checked(
            schedule_id=schedule_id,
            callers_=crit.callers(callers),
            numbers=parsed,
            name=name,
            active=active,
        )

    async def _change(self, actor: Actor, rule: RuleRef, edit: Edit) -> tuple[Criteria, ...]:
        async with self.write() as session:
            fleet_id = await _owner(session, rule)
            before = await _held(session, rule)
            wanted = crit.fitting(edit(before))
            for criterion in wanted:
                await _check_schedule(session, fleet_id, criterion)
            if wanted == before:
                return wanted  # unchanged: no journal entry
            await session.execute(delete(CriteriaRow).where(_of(rule)))
            await session.flush()
            now = self.now()
            for position, criterion in enumerate(wanted, start=1):
                session.add(
                    CriteriaRow(
                        fleet_id=fleet_id,
                        line_id=rule.line_id,
                        group_id=rule.group_id,
                        target=rule.target,
                        position=position,
                        name=criterion.name,
                        active=criterion.active,
                        schedule_id=criterion.schedule_id,
                        callers=criterion.callers,
                        numbers=",".join(n.value for n in criterion.numbers),
                        updated_at=now,
                    )
                )
            await session.flush()
            self.record(
                session,
                actor,
                CriteriaChange(
                    fleet_id=fleet_id,
                    target=rule.target,
                    line_id=rule.line_id,
                    group_id=rule.group_id,
                    before=before,
                    after=wanted,
                ),
            )
        return wanted


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
    return list(dict.fromkeys(users))  # a rule with the schedule in several criteria: once


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


async def _owner(session: AsyncSession, rule: RuleRef) -> int:
    """The fleet of the rule's line or group (not found: ``DomainError``)."""
    if rule.line_id is not None:
        return (await _line(session, rule.line_id)).fleet_id
    assert rule.group_id is not None
    return (await _group(session, rule.group_id)).fleet_id


def _of(rule: RuleRef) -> ColumnElement[bool]:
    owner = (
        CriteriaRow.line_id == rule.line_id
        if rule.line_id is not None
        else CriteriaRow.group_id == rule.group_id
    )
    return and_(owner, CriteriaRow.target == rule.target)


async def _held(session: AsyncSession, rule: RuleRef) -> tuple[Criteria, ...]:
    rows = await session.scalars(
        select(CriteriaRow).where(_of(rule)).order_by(CriteriaRow.position)
    )
    return tuple(view(row) for row in rows.all())


async def _check_schedule(session: AsyncSession, fleet_id: int, criterion: Criteria) -> None:
    if criterion.schedule_id is None:
        return
    schedule = await session.get(ScheduleRow, criterion.schedule_id)
    if schedule is None or schedule.fleet_id != fleet_id:
        raise DomainError(
            ErrorCode.CRITERIA_SCHEDULE_UNKNOWN,
            field="schedule_id",
            schedule=criterion.schedule_id,
        )


def _at(held: tuple[Criteria, ...], number: int) -> None:
    if not 1 <= number <= len(held):
        raise not_found("criterion", number)


def _alone(criterion: Criteria) -> tuple[Criteria, ...]:
    """A single criterion as a rule's list: one that always matches is none."""
    return () if criterion.always and criterion.active and not criterion.name else (criterion,)


def view(row: CriteriaRow) -> Criteria:
    """A stored criterion as the domain's."""
    return Criteria(
        name=row.name,
        active=row.active,
        schedule_id=row.schedule_id,
        callers=row.callers,
        numbers=tuple(E164(n) for n in row.numbers.split(",") if n),
    )


def _rules(rows: Sequence[CriteriaRow]) -> tuple[RuleCriteria, ...]:
    """Rows ordered by rule then position, grouped by rule (ordered by the rule's value)."""
    found: dict[CriteriaTarget, list[Criteria]] = {}
    for row in sorted(rows, key=lambda r: (r.target.value, r.position)):
        found.setdefault(row.target, []).append(view(row))
    return tuple(RuleCriteria(target=t, criteria=tuple(c)) for t, c in found.items())
