"""The routing criteria in the fleet's JSON (issue 16 item 2): one entry per line rule or
group that has criteria — ``{"line": "0611000001", "rule": "incoming_list", "schedule":
"Bureau", "callers": "numbers", "numbers": [...]}`` or ``{"group": "Accueil", "rule":
"group", ...}``, the schedule by name. Imported after the schedules, lines and groups (the
file may create them all); an entry sets that rule's criteria (``"callers": "any"`` without a
schedule: none), a rule the file does not name is left as it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import criteria as crit
from fleet.core.changes import CriteriaChange
from fleet.core.criteria import CallerFilter, Criteria, CriteriaTarget
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import E164, NumberClass, NumberPolicy
from fleet.db.tables import GroupRow, LineRow
from fleet.db.tables_criteria import CriteriaRow
from fleet.db.tables_schedules import ScheduleRow
from fleet.services.fleetio_schedules import invalid, json_get, json_object
from fleet.services.fleetio_spec import Fault, Where

KEYS = ("line", "group", "rule", "schedule", "callers", "numbers")
CALLER_CLASSES = (NumberClass.NATIONAL, NumberClass.INTERNATIONAL, NumberClass.SPECIAL)
# a rule's criteria as the file states them: schedule name (lower case), callers, numbers
Stated = tuple[str | None, CallerFilter, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class CriteriaSpec:
    where: Where
    line: str | None
    group: str | None
    rule: str
    schedule: str | None
    callers: str
    numbers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Existing:
    """A rule's criteria in the fleet, its owner and schedule by name."""

    row: CriteriaRow
    line: str | None  # E.164
    group: str | None  # lower-case name
    schedule: str | None  # lower-case name


def decode(value: object, path: str) -> CriteriaSpec:
    item = json_object(value, path, KEYS)
    numbers = json_get(item, path, "numbers", list, required=False) or []
    if not all(isinstance(n, str) for n in numbers):
        raise invalid(path, "numbers", numbers, "array of strings")
    line = json_get(item, path, "line", str, required=False)
    group = json_get(item, path, "group", str, required=False)
    if (line is None) == (group is None):
        raise invalid(path, "line", item.get("line"), "line or group")
    return CriteriaSpec(
        where=Where(path=path),
        line=line,
        group=group,
        rule=json_get(item, path, "rule", str, required=True),
        schedule=json_get(item, path, "schedule", str, required=False),
        callers=json_get(item, path, "callers", str, required=False) or CallerFilter.ANY.value,
        numbers=tuple(numbers),
    )


async def load(session: AsyncSession, fleet_id: int) -> list[Existing]:
    rows = await session.execute(
        select(CriteriaRow, LineRow.msisdn, GroupRow.name, ScheduleRow.name)
        .outerjoin(LineRow, LineRow.id == CriteriaRow.line_id)
        .outerjoin(GroupRow, GroupRow.id == CriteriaRow.group_id)
        .outerjoin(ScheduleRow, ScheduleRow.id == CriteriaRow.schedule_id)
        .where(CriteriaRow.fleet_id == fleet_id)
    )
    return [
        Existing(row, msisdn, group.lower() if group else None, name.lower() if name else None)
        for row, msisdn, group, name in rows.all()
    ]


def encode(existing: Sequence[Existing], names: dict[str, str]) -> list[dict[str, Any]]:
    """``names``: the groups' and schedules' names by lower-case name."""
    found = []
    for e in existing:
        owner = (
            {"line": E164(e.line).national_digits()} if e.line else {"group": names[e.group or ""]}
        )
        found.append(
            {
                **owner,
                "rule": e.row.target.value,
                "schedule": names.get(e.schedule) if e.schedule else None,
                "callers": e.row.callers.value,
                "numbers": [E164(n).national_digits() for n in e.row.numbers.split(",") if n],
            }
        )
    return sorted(found, key=lambda c: (c.get("line") or "", c.get("group") or "", c["rule"]))


@dataclass(slots=True)
class CriteriaPlan:
    where: Where
    line: str | None  # E.164
    group: str | None  # lower-case name
    target: CriteriaTarget
    wanted: Stated | None  # None: always (no criteria)
    row: CriteriaRow | None
    key: str = ""  # as the report names it: "06 11 00 00 01 dnd", "Accueil group"


def check(
    faults: list[Fault],
    policy: NumberPolicy,
    specs: Sequence[CriteriaSpec],
    existing: Sequence[Existing],
    *,
    lines: set[str],
    groups: set[str],
    schedules: set[str],
) -> list[CriteriaPlan]:
    """``lines`` (E.164), ``groups`` and ``schedules`` (lower-case names): the fleet's once
    the file is imported."""
    now = {(e.line, e.group, e.row.target): e for e in existing}
    seen: dict[tuple[str | None, str | None, CriteriaTarget], Where] = {}
    plans = []
    for spec in specs:
        where, before = spec.where, len(faults)
        try:
            target = crit.target(spec.rule)
            line = group = None
            if spec.line is not None:
                line = policy.mobile(spec.line, field="line").value
                if not target.of_line:
                    raise DomainError(
                        ErrorCode.CRITERIA_TARGET_INVALID, field="rule", value=spec.rule
                    )
                if line not in lines:
                    national = E164(line).national()
                    raise DomainError(ErrorCode.IMPORT_LINE_UNKNOWN, number=national)
            else:
                group = (spec.group or "").lower()
                if target is not CriteriaTarget.GROUP:
                    raise DomainError(
                        ErrorCode.CRITERIA_TARGET_INVALID, field="rule", value=spec.rule
                    )
                if group not in groups:
                    raise DomainError(ErrorCode.IMPORT_GROUP_UNKNOWN, name=spec.group)
            schedule = spec.schedule.lower() if spec.schedule else None
            if schedule is not None and schedule not in schedules:
                code = ErrorCode.CRITERIA_SCHEDULE_UNKNOWN
                raise DomainError(code, field="schedule", schedule=spec.schedule)
            parsed = []
            for index, raw in enumerate(spec.numbers):
                kind, number = policy.classify(raw)
                if kind not in CALLER_CLASSES or number is None:
                    code = ErrorCode.NUMBER_INVALID
                    raise DomainError(code, field=f"numbers.{index}", number=raw.strip())
                parsed.append(number)
            checked = crit.checked(
                schedule_id=None, callers_=crit.callers(spec.callers), numbers=parsed
            )
        except DomainError as exc:
            faults.append(Fault(where, exc))
            continue
        key = (line, group, target)
        first = seen.setdefault(key, where)
        if first is not where:
            value = f"{spec.line or spec.group} {target.value}"
            faults.append(
                Fault(where, DomainError(ErrorCode.IMPORT_DUPLICATE, value=value, first=first))
            )
        if len(faults) > before:
            continue
        wanted: Stated | None = (schedule, checked.callers, tuple(n.value for n in checked.numbers))
        if schedule is None and checked.callers is CallerFilter.ANY:
            wanted = None
        found = now.get(key)
        current = (
            (found.schedule, found.row.callers, tuple(n for n in found.row.numbers.split(",") if n))
            if found
            else None
        )
        if wanted != current:
            owner = E164(line).national() if line else spec.group
            row = found.row if found else None
            key_text = f"{owner} {target.value}"
            plans.append(CriteriaPlan(where, line, group, target, wanted, row, key_text))
    return plans


async def apply(
    session: AsyncSession, fleet_id: int, plans: Sequence[CriteriaPlan], now: datetime
) -> list[CriteriaChange]:
    """Write the rules' criteria once the schedules, lines and groups are written."""
    if not plans:
        return []
    lines = await _ids(session, select(LineRow.msisdn, LineRow.id), LineRow.fleet_id, fleet_id)
    groups = await _ids(
        session, select(func.lower(GroupRow.name), GroupRow.id), GroupRow.fleet_id, fleet_id
    )
    schedules = await _ids(
        session,
        select(func.lower(ScheduleRow.name), ScheduleRow.id),
        ScheduleRow.fleet_id,
        fleet_id,
    )
    done = []
    for plan in plans:
        line_id = lines[plan.line] if plan.line is not None else None
        group_id = groups[plan.group] if plan.group is not None else None
        row = plan.row
        before = _view(row) if row is not None else None
        after = None
        if plan.wanted is None:
            if row is not None:
                await session.delete(row)
        else:
            schedule, callers, numbers = plan.wanted
            if row is None:
                row = CriteriaRow(
                    fleet_id=fleet_id, line_id=line_id, group_id=group_id, target=plan.target
                )
                session.add(row)
            row.schedule_id = schedules[schedule] if schedule is not None else None
            row.callers, row.numbers, row.updated_at = callers, ",".join(numbers), now
            after = _view(row)
        await session.flush()
        done.append(
            CriteriaChange(
                fleet_id=fleet_id,
                target=plan.target,
                line_id=line_id,
                group_id=group_id,
                before=before,
                after=after,
            )
        )
    return done


async def _ids(
    session: AsyncSession, query: Select[str, int], column: Any, fleet_id: int
) -> dict[str, int]:
    rows = await session.execute(query.where(column == fleet_id))
    return {key: ident for key, ident in rows.all()}


def _view(row: CriteriaRow) -> Criteria:
    return Criteria(
        schedule_id=row.schedule_id,
        callers=row.callers,
        numbers=tuple(E164(n) for n in row.numbers.split(",") if n),
    )
