"""The routing criteria in the fleet's JSON (issue 16 item 2): one entry per line rule or
group that has criteria, its criteria in order — ``{"line": "0611000001", "rule":
"incoming_list", "criteria": [{"name": "Soir", "active": true, "schedule": "Bureau",
"callers": "numbers", "numbers": [...]}, ...]}`` or ``{"group": "Accueil", "rule": "group",
"criteria": [...]}``, the schedule by name. A file of before several criteria per rule
(``"schedule"``, ``"callers"``, ``"numbers"`` on the entry itself) still reads: that one
criterion (``"callers": "any"`` without a schedule: none). Imported after the schedules,
lines and groups (the file may create them all); an entry sets that rule's whole list
(``"criteria": []``: none), a rule the file does not name is left as it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import criteria as crit
from fleet.core.changes import CriteriaChange
from fleet.core.criteria import CallerFilter, CriteriaTarget
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import E164, NumberClass, NumberPolicy
from fleet.db.tables import GroupRow, LineRow
from fleet.db.tables_criteria import CriteriaRow
from fleet.db.tables_schedules import ScheduleRow
from fleet.services.criteria import view
from fleet.services.fleetio_schedules import invalid, json_get, json_object
from fleet.services.fleetio_spec import Fault, Where

ONE = ("schedule", "callers", "numbers")
ITEM = ("name", "active", *ONE)
KEYS = ("line", "group", "rule", "criteria", *ONE)
CALLER_CLASSES = (NumberClass.NATIONAL, NumberClass.INTERNATIONAL, NumberClass.SPECIAL)
# a criterion as the file states it: name, active, schedule name (lower case), callers, numbers
Stated = tuple[str, bool, str | None, CallerFilter, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class ItemSpec:
    name: str
    active: bool
    schedule: str | None
    callers: str
    numbers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CriteriaSpec:
    where: Where
    line: str | None
    group: str | None
    rule: str
    items: tuple[ItemSpec, ...]
    flat: bool = False  # the older form: the entry is its rule's one criterion


@dataclass(frozen=True, slots=True)
class Existing:
    """A criterion in the fleet, its owner and schedule by name."""

    row: CriteriaRow
    line: str | None  # E.164
    group: str | None  # lower-case name
    schedule: str | None  # lower-case name


def decode(value: object, path: str) -> CriteriaSpec:
    item = json_object(value, path, KEYS)
    line = json_get(item, path, "line", str, required=False)
    group = json_get(item, path, "group", str, required=False)
    if (line is None) == (group is None):
        raise invalid(path, "line", item.get("line"), "line or group")
    listed = json_get(item, path, "criteria", list, required=False)
    if listed is not None:
        flat = sorted(k for k in ONE if k in item)
        if flat:
            raise invalid(path, flat[0], item[flat[0]], "inside criteria")
        items = tuple(
            _item(json_object(one, f"{path}.criteria[{i}]", ITEM), f"{path}.criteria[{i}]")
            for i, one in enumerate(listed)
        )
    else:  # the older form: the entry is its rule's one criterion
        items = (_item(item, path),)
    return CriteriaSpec(
        where=Where(path=path),
        line=line,
        group=group,
        rule=json_get(item, path, "rule", str, required=True),
        items=items,
        flat=listed is None,
    )


def _item(item: dict[str, Any], path: str) -> ItemSpec:
    numbers = json_get(item, path, "numbers", list, required=False) or []
    if not all(isinstance(n, str) for n in numbers):
        raise invalid(path, "numbers", numbers, "array of strings")
    active = json_get(item, path, "active", bool, required=False)
    return ItemSpec(
        name=json_get(item, path, "name", str, required=False) or "",
        active=True if active is None else active,
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
        .order_by(CriteriaRow.target, CriteriaRow.position)
    )
    return [
        Existing(row, msisdn, group.lower() if group else None, name.lower() if name else None)
        for row, msisdn, group, name in rows.all()
    ]


def encode(existing: Sequence[Existing], names: dict[str, str]) -> list[dict[str, Any]]:
    """``names``: the groups' and schedules' names by lower-case name. One entry per rule,
    its criteria in order."""
    found: dict[tuple[str | None, str | None, CriteriaTarget], dict[str, Any]] = {}
    for e in sorted(existing, key=lambda e: e.row.position):
        owner = (
            {"line": E164(e.line).national_digits()} if e.line else {"group": names[e.group or ""]}
        )
        entry = found.setdefault(
            (e.line, e.group, e.row.target), {**owner, "rule": e.row.target.value, "criteria": []}
        )
        entry["criteria"].append(
            {
                "name": e.row.name,
                "active": e.row.active,
                "schedule": names.get(e.schedule) if e.schedule else None,
                "callers": e.row.callers.value,
                "numbers": [E164(n).national_digits() for n in e.row.numbers.split(",") if n],
            }
        )
    return sorted(
        found.values(), key=lambda c: (c.get("line") or "", c.get("group") or "", c["rule"])
    )


@dataclass(slots=True)
class CriteriaPlan:
    where: Where
    line: str | None  # E.164
    group: str | None  # lower-case name
    target: CriteriaTarget
    wanted: tuple[Stated, ...]  # empty: always (no criteria)
    rows: tuple[CriteriaRow, ...]  # the rule's criteria now, in order
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
    now: dict[tuple[str | None, str | None, CriteriaTarget], list[Existing]] = {}
    for e in sorted(existing, key=lambda e: e.row.position):
        now.setdefault((e.line, e.group, e.row.target), []).append(e)
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
            stated = tuple(_stated(policy, item, schedules) for item in spec.items)
            if spec.flat and _always(stated[0]):
                stated = ()  # the older form's "any caller, no schedule": none
            if len(stated) > crit.MAX_CRITERIA:
                code = ErrorCode.CRITERIA_TOO_MANY
                raise DomainError(code, field="criteria", max=crit.MAX_CRITERIA)
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
        found = now.get(key, [])
        current = tuple(
            (
                e.row.name,
                e.row.active,
                e.schedule,
                e.row.callers,
                tuple(n for n in e.row.numbers.split(",") if n),
            )
            for e in found
        )
        if stated != current:
            owner = E164(line).national() if line else spec.group
            rows = tuple(e.row for e in found)
            plans.append(
                CriteriaPlan(where, line, group, target, stated, rows, f"{owner} {target.value}")
            )
    return plans


def _stated(policy: NumberPolicy, item: ItemSpec, schedules: set[str]) -> Stated:
    schedule = item.schedule.lower() if item.schedule else None
    if schedule is not None and schedule not in schedules:
        code = ErrorCode.CRITERIA_SCHEDULE_UNKNOWN
        raise DomainError(code, field="schedule", schedule=item.schedule)
    parsed = []
    for index, raw in enumerate(item.numbers):
        kind, number = policy.classify(raw)
        if kind not in CALLER_CLASSES or number is None:
            code = ErrorCode.NUMBER_INVALID
            raise DomainError(code, field=f"numbers.{index}", number=raw.strip())
        parsed.append(number)
    checked = crit.checked(
        schedule_id=None,
        callers_=crit.callers(item.callers),
        numbers=parsed,
        name=item.name,
        active=item.active,
    )
    numbers = tuple(n.value for n in checked.numbers)
    return (checked.name, checked.active, schedule, checked.callers, numbers)


def _always(stated: Stated) -> bool:
    name, active, schedule, callers, _ = stated
    return not name and active and schedule is None and callers is CallerFilter.ANY


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
        before = tuple(view(row) for row in plan.rows)
        for row in plan.rows:
            await session.delete(row)
        await session.flush()
        added = []
        for position, (name, active, schedule, callers, numbers) in enumerate(plan.wanted, 1):
            row = CriteriaRow(
                fleet_id=fleet_id,
                line_id=line_id,
                group_id=group_id,
                target=plan.target,
                position=position,
                name=name,
                active=active,
                schedule_id=schedules[schedule] if schedule is not None else None,
                callers=callers,
                numbers=",".join(numbers),
                updated_at=now,
            )
            session.add(row)
            added.append(row)
        await session.flush()
        done.append(
            CriteriaChange(
                fleet_id=fleet_id,
                target=plan.target,
                line_id=line_id,
                group_id=group_id,
                before=before,
                after=tuple(view(row) for row in added),
            )
        )
    return done


async def _ids(
    session: AsyncSession, query: Select[str, int], column: Any, fleet_id: int
) -> dict[str, int]:
    rows = await session.execute(query.where(column == fleet_id))
    return {key: ident for key, ident in rows.all()}
