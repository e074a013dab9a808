"""The schedules in the fleet's JSON (issue 16 item 1): each source schedule with its
periods, holidays and the name of its opposite. On import a schedule is known by its name
(case aside): created, or brought to the file's periods and holidays; the opposite the file
names is created with it (or renamed). A schedule of the fleet the file does not name is left
alone, and so is an opposite when the file gives none (``"opposite": null``). The rules are
``fleet.core.schedules``'s; every fault is reported with the schedule's place
(``schedules[2]``) and then nothing is written (``fleetio``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import schedules as sch
from fleet.core.changes import ScheduleChange
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.schedules import Holiday, Schedule, TimeRange, Weekday
from fleet.db.tables_schedules import ScheduleHolidayRow, ScheduleRangeRow, ScheduleRow
from fleet.services.fleetio_spec import Fault, Where
from fleet.services.schedules import schedule_view, write_content

KEYS = ("name", "opposite", "periods", "holidays")
PERIOD_KEYS = ("day", "start", "end")
HOLIDAY_KEYS = ("label", "first", "last", "yearly")
DAYS = {day.name.lower(): day for day in Weekday}


# -- the JSON ------------------------------------------------------------------------


def encode(schedules: Sequence[Schedule]) -> list[dict[str, Any]]:
    """The source schedules, by name; an opposite is written as its source's ``opposite``."""
    opposites = {s.opposite_of: s.name for s in schedules if s.opposite_of is not None}
    return [
        {
            "name": s.name,
            "opposite": opposites.get(s.id),
            "periods": [
                {"day": r.day.name.lower(), "start": sch.clock(r.start), "end": sch.clock(r.end)}
                for r in s.ranges
            ],
            "holidays": [
                {
                    "label": h.label,
                    "first": h.first.isoformat(),
                    "last": h.last.isoformat(),
                    "yearly": h.yearly,
                }
                for h in s.holidays
            ],
        }
        for s in sorted(schedules, key=lambda s: s.name.lower())
        if s.opposite_of is None
    ]


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    where: Where
    name: str
    opposite: str | None  # None: the opposite (if any) left as it is
    ranges: tuple[TimeRange, ...] | None  # None: absent from the file, left as it is
    holidays: tuple[Holiday, ...] | None


class Malformed(Exception):
    """A schedule whose JSON shape is wrong (the codec reports its fault)."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(str(fault.error))
        self.fault = fault


def invalid(path: str, key: str, value: object, expected: str) -> Malformed:
    error = DomainError(
        ErrorCode.IMPORT_VALUE_INVALID,
        field=key or None,
        name=key or path,
        value=json.dumps(value, ensure_ascii=False)[:40],
        expected=expected,
    )
    return Malformed(Fault(Where(path=path), error))


def json_object(value: object, path: str, keys: Sequence[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(path, "", value, "object")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        error = DomainError(
            ErrorCode.IMPORT_COLUMN_UNKNOWN, column=unknown[0], allowed=", ".join(keys)
        )
        raise Malformed(Fault(Where(path=path), error))
    return value


def json_get(item: dict[str, Any], path: str, key: str, kind: type, *, required: bool) -> Any:
    found = item.get(key)
    if found is None:
        if required:
            error = DomainError(ErrorCode.IMPORT_COLUMN_MISSING, column=key)
            raise Malformed(Fault(Where(path=path), error))
        return None
    if not isinstance(found, kind) or (kind is not bool and isinstance(found, bool)):
        raise invalid(path, key, found, kind.__name__)
    return found


def decode(value: object, path: str) -> ScheduleSpec:
    item = json_object(value, path, KEYS)
    periods = []
    stated = {key: item.get(key) is not None for key in ("periods", "holidays")}
    for index, raw in enumerate(json_get(item, path, "periods", list, required=False) or []):
        where = f"{path}.periods[{index}]"
        period = json_object(raw, where, PERIOD_KEYS)
        day = json_get(period, where, "day", str, required=True)
        if day.lower() not in DAYS:
            raise invalid(where, "day", day, " | ".join(DAYS))
        times = []
        for key in ("start", "end"):
            text = json_get(period, where, key, str, required=True)
            try:
                times.append(sch.parse_clock(text, field=key))
            except DomainError:
                raise invalid(where, key, text, "HH:MM") from None
        periods.append(TimeRange(day=DAYS[day.lower()], start=times[0], end=times[1]))
    holidays = []
    for index, raw in enumerate(json_get(item, path, "holidays", list, required=False) or []):
        where = f"{path}.holidays[{index}]"
        holiday = json_object(raw, where, HOLIDAY_KEYS)
        days = []
        for key in ("first", "last"):
            text = json_get(holiday, where, key, str, required=True)
            try:
                days.append(date.fromisoformat(text))
            except ValueError:
                raise invalid(where, key, text, "YYYY-MM-DD") from None
        holidays.append(
            Holiday(
                label=json_get(holiday, where, "label", str, required=True),
                first=days[0],
                last=days[1],
                yearly=json_get(holiday, where, "yearly", bool, required=False) is True,
            )
        )
    return ScheduleSpec(
        where=Where(path=path),
        name=json_get(item, path, "name", str, required=True),
        opposite=json_get(item, path, "opposite", str, required=False),
        ranges=tuple(periods) if stated["periods"] else None,
        holidays=tuple(holidays) if stated["holidays"] else None,
    )


# -- the fleet's schedules -----------------------------------------------------------


async def load(session: AsyncSession, fleet_id: int) -> list[Schedule]:
    """The fleet's schedules as they evaluate (an opposite with its source's content)."""
    rows = (
        await session.scalars(select(ScheduleRow).where(ScheduleRow.fleet_id == fleet_id))
    ).all()
    ids = [r.id for r in rows]
    ranges: dict[int, list[TimeRange]] = {i: [] for i in ids}
    holidays: dict[int, list[Holiday]] = {i: [] for i in ids}
    for r in await session.scalars(
        select(ScheduleRangeRow).where(ScheduleRangeRow.schedule_id.in_(ids))
    ):
        ranges[r.schedule_id].append(
            TimeRange(day=Weekday(r.day), start=r.start_minute, end=r.end_minute)
        )
    for h in await session.scalars(
        select(ScheduleHolidayRow).where(ScheduleHolidayRow.schedule_id.in_(ids))
    ):
        holidays[h.schedule_id].append(
            Holiday(label=h.label, first=h.first_day, last=h.last_day, yearly=h.yearly)
        )
    found = []
    for row in rows:
        source = row.opposite_of if row.opposite_of is not None else row.id
        found.append(schedule_view(row, sch.ranges(ranges[source]), sch.holidays(holidays[source])))
    return sorted(found, key=lambda s: s.name.lower())


# -- checking and writing ------------------------------------------------------------


@dataclass(slots=True)
class SchedulePlan:
    where: Where
    name: str
    row: Schedule | None  # the fleet's schedule of that name
    ranges: tuple[TimeRange, ...]
    holidays: tuple[Holiday, ...]
    changed: tuple[str, ...]  # name, ranges, holidays
    opposite: str | None = None  # the opposite's name to create or rename to
    twin: Schedule | None = None  # the existing opposite

    @property
    def twin_changed(self) -> bool:
        return self.opposite is not None and (self.twin is None or self.twin.name != self.opposite)


def check(
    faults: list[Fault], specs: Sequence[ScheduleSpec], existing: Sequence[Schedule]
) -> list[SchedulePlan]:
    """Every schedule of the file checked against the fleet's ``existing`` ones; the faults
    are added to ``faults``."""
    by_name = {s.name.lower(): s for s in existing}
    by_id = {s.id: s for s in existing}
    twins = {s.opposite_of: s for s in existing if s.opposite_of is not None}
    seen: dict[str, Where] = {}
    plans: list[SchedulePlan] = []
    added = 0

    def fail(where: Where, error: DomainError) -> None:
        faults.append(Fault(where, error))

    for spec in specs:
        where, before = spec.where, len(faults)
        row = by_name.get(spec.name.strip().lower())
        given_ranges = spec.ranges if spec.ranges is not None else row.ranges if row else ()
        given_holidays = spec.holidays if spec.holidays is not None else row.holidays if row else ()
        try:
            name = sch.name(spec.name)
            ranges = sch.ranges(list(given_ranges))
            holidays = sch.holidays(list(given_holidays))
            opposite = sch.name(spec.opposite) if spec.opposite is not None else None
        except DomainError as exc:
            fail(where, exc)
            continue
        for wanted in (name, opposite):
            if wanted is None:
                continue
            first = seen.setdefault(wanted.lower(), where)
            if first is not where or (wanted is opposite and opposite.lower() == name.lower()):
                fail(where, DomainError(ErrorCode.IMPORT_DUPLICATE, value=wanted, first=first))
        if row is not None and row.opposite_of is not None:
            source = by_id[row.opposite_of].name
            code = ErrorCode.SCHEDULE_OPPOSITE_FIXED
            fail(where, DomainError(code, field="ranges", name=row.name, source=source))
        twin = twins.get(row.id) if row is not None else None
        if opposite is not None:
            holder = by_name.get(opposite.lower())
            if holder is not None and holder is not twin:
                code = ErrorCode.SCHEDULE_NAME_IN_USE
                fail(where, DomainError(code, field="opposite", name=opposite))
        if len(faults) > before:
            continue
        changed: tuple[str, ...] = ("name", "ranges", "holidays")
        if row is not None:
            now = {"name": row.name, "ranges": row.ranges, "holidays": row.holidays}
            goal = {"name": name, "ranges": ranges, "holidays": holidays}
            changed = tuple(k for k in now if now[k] != goal[k])
        plan = SchedulePlan(where, name, row, ranges, holidays, changed, opposite, twin)
        added += (row is None) + (opposite is not None and twin is None)
        plans.append(plan)
    if added:
        try:
            sch.room_for_one_more(len(existing), adding=added)
        except DomainError as exc:
            fail(Where(path="schedules"), exc)
    return plans


async def apply(
    session: AsyncSession, fleet_id: int, plans: Sequence[SchedulePlan], now: datetime
) -> list[ScheduleChange]:
    """Write the checked schedules; the changes to journal and announce."""
    done: list[ScheduleChange] = []
    for plan in plans:
        before = plan.row
        if before is None:
            row = ScheduleRow(fleet_id=fleet_id, name=plan.name, created_at=now, updated_at=now)
            session.add(row)
            await session.flush()
        elif plan.changed:
            found = await session.get(ScheduleRow, before.id)
            assert found is not None
            row = found
            row.name, row.updated_at = plan.name, now
        else:
            row = None
        content = row is not None and (
            before is None or bool({"ranges", "holidays"} & set(plan.changed))
        )
        if row is not None and content:
            if before is not None:
                for table in (ScheduleRangeRow, ScheduleHolidayRow):
                    for old in await session.scalars(
                        select(table).where(table.schedule_id == row.id)
                    ):
                        await session.delete(old)
                await session.flush()
            write_content(session, row.id, plan.ranges, plan.holidays)
        if row is not None:
            after = schedule_view(row, plan.ranges, plan.holidays)
            done.append(
                ScheduleChange(fleet_id=fleet_id, schedule_id=row.id, before=before, after=after)
            )
        source_id = before.id if before is not None else row.id if row is not None else 0
        done.extend(await _twin(session, fleet_id, plan, source_id, content, now))
    await session.flush()
    return done


async def _twin(
    session: AsyncSession,
    fleet_id: int,
    plan: SchedulePlan,
    source_id: int,
    content: bool,
    now: datetime,
) -> list[ScheduleChange]:
    twin = plan.twin
    if twin is None and plan.opposite is not None:
        row = ScheduleRow(
            fleet_id=fleet_id,
            name=plan.opposite,
            opposite_of=source_id,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        await session.flush()
        after = schedule_view(row, plan.ranges, plan.holidays)
        return [ScheduleChange(fleet_id=fleet_id, schedule_id=row.id, before=None, after=after)]
    if twin is None or not (plan.twin_changed or content):
        return []
    found = await session.get(ScheduleRow, twin.id)
    assert found is not None
    if plan.twin_changed and plan.opposite is not None:
        found.name = plan.opposite
    found.updated_at = now
    after = schedule_view(found, plan.ranges, plan.holidays)
    return [ScheduleChange(fleet_id=fleet_id, schedule_id=twin.id, before=twin, after=after)]
