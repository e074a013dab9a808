"""A fleet's schedules (issue 16 item 1): created, changed, deleted by its manager and
journalled like every change (``ScheduleChange`` on the change hub). An opposite schedule is
created with its source ("Associer l'horaire opposé", seed 001), named "non-…"; it has the
source's ranges and holidays and goes with it. ``verdict`` says whether a schedule is open
at an instant on the fleet's wall clock (``fleet.core.schedules.evaluate``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import schedules as sch
from fleet.core.changes import ScheduleChange
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.schedules import Holiday, Schedule, TimeRange, Verdict, Weekday
from fleet.core.values import UNSET, Actor, Unset
from fleet.db.tables import FleetRow
from fleet.db.tables_schedules import ScheduleHolidayRow, ScheduleRangeRow, ScheduleRow
from fleet.services.base import Service
from fleet.services.criteria import schedule_users
from fleet.services.lookups import load_fleet


class ScheduleService(Service):
    async def create(
        self,
        actor: Actor,
        fleet_id: int,
        *,
        name: str,
        ranges: Sequence[TimeRange] = (),
        holidays: Sequence[Holiday] = (),
        with_opposite: bool = False,
    ) -> Schedule:
        """A new schedule (and its opposite when asked); the schedule is answered."""
        checked_name = sch.name(name)
        checked_ranges = sch.ranges(list(ranges))
        checked_holidays = sch.holidays(list(holidays))
        opposite = sch.opposite_name(checked_name) if with_opposite else None
        now = self.now()
        async with self.write() as session:
            await load_fleet(session, fleet_id)
            count = await session.scalar(
                select(func.count())
                .select_from(ScheduleRow)
                .where(ScheduleRow.fleet_id == fleet_id)
            )
            sch.room_for_one_more(count or 0, adding=2 if with_opposite else 1)
            for wanted in (checked_name, opposite):
                if wanted is not None:
                    await _ensure_free(session, fleet_id, wanted, None)
            row = ScheduleRow(fleet_id=fleet_id, name=checked_name, created_at=now, updated_at=now)
            session.add(row)
            await session.flush()
            write_content(session, row.id, checked_ranges, checked_holidays)
            created = schedule_view(row, checked_ranges, checked_holidays)
            self.record(
                session,
                actor,
                ScheduleChange(fleet_id=fleet_id, schedule_id=row.id, before=None, after=created),
            )
            if opposite is not None:
                twin = ScheduleRow(
                    fleet_id=fleet_id,
                    name=opposite,
                    opposite_of=row.id,
                    created_at=now,
                    updated_at=now,
                )
                session.add(twin)
                await session.flush()
                view = schedule_view(twin, checked_ranges, checked_holidays)
                self.record(
                    session,
                    actor,
                    ScheduleChange(fleet_id=fleet_id, schedule_id=twin.id, before=None, after=view),
                )
        return created

    async def update(
        self,
        actor: Actor,
        schedule_id: int,
        *,
        name: str | Unset = UNSET,
        ranges: Sequence[TimeRange] | Unset = UNSET,
        holidays: Sequence[Holiday] | Unset = UNSET,
    ) -> Schedule:
        """Change what is given. An opposite schedule may only be renamed; changing a
        schedule's ranges or holidays changes its opposite's too (announced as well)."""
        new_name = UNSET if isinstance(name, Unset) else sch.name(name)
        new_ranges = UNSET if isinstance(ranges, Unset) else sch.ranges(list(ranges))
        new_holidays = UNSET if isinstance(holidays, Unset) else sch.holidays(list(holidays))
        async with self.write() as session:
            row = await _load(session, schedule_id)
            before = await _read(session, row)
            if row.opposite_of is not None and not (
                isinstance(new_ranges, Unset) and isinstance(new_holidays, Unset)
            ):
                source = await _load(session, row.opposite_of)
                raise DomainError(
                    ErrorCode.SCHEDULE_OPPOSITE_FIXED,
                    field="ranges" if not isinstance(new_ranges, Unset) else "holidays",
                    name=row.name,
                    source=source.name,
                )
            if not isinstance(new_name, Unset) and new_name != row.name:
                await _ensure_free(session, row.fleet_id, new_name, row.id)
                row.name = new_name
            content_changed = False
            if not isinstance(new_ranges, Unset) and new_ranges != before.ranges:
                await session.execute(
                    delete(ScheduleRangeRow).where(ScheduleRangeRow.schedule_id == row.id)
                )
                write_content(session, row.id, new_ranges, ())
                content_changed = True
            if not isinstance(new_holidays, Unset) and new_holidays != before.holidays:
                await session.execute(
                    delete(ScheduleHolidayRow).where(ScheduleHolidayRow.schedule_id == row.id)
                )
                write_content(session, row.id, (), new_holidays)
                content_changed = True
            after = schedule_view(
                row,
                before.ranges if isinstance(new_ranges, Unset) else new_ranges,
                before.holidays if isinstance(new_holidays, Unset) else new_holidays,
            )
            if after == before:
                return before
            row.updated_at = self.now()
            self.record(
                session,
                actor,
                ScheduleChange(
                    fleet_id=row.fleet_id, schedule_id=row.id, before=before, after=after
                ),
            )
            twin = await _opposite_of(session, row.id)
            if content_changed and twin is not None:
                twin.updated_at = row.updated_at
                was = schedule_view(twin, before.ranges, before.holidays)
                now = schedule_view(twin, after.ranges, after.holidays)
                self.record(
                    session,
                    actor,
                    ScheduleChange(
                        fleet_id=row.fleet_id, schedule_id=twin.id, before=was, after=now
                    ),
                )
        return after

    async def delete(self, actor: Actor, schedule_id: int) -> None:
        """Delete a schedule, and its opposite with it. A schedule that routing criteria
        use (issue 16 item 2), or whose opposite they use, is not deleted: the refusal names
        its users."""
        async with self.write() as session:
            row = await _load(session, schedule_id)
            gone = [row]
            twin = await _opposite_of(session, row.id)
            if twin is not None:
                gone.insert(0, twin)
            users = await schedule_users(session, [each.id for each in gone])
            if users:
                raise DomainError(
                    ErrorCode.SCHEDULE_IN_USE, field="id", name=row.name, users=", ".join(users)
                )
            for each in gone:
                before = await _read(session, each)
                await session.delete(each)
                await session.flush()
                self.record(
                    session,
                    actor,
                    ScheduleChange(
                        fleet_id=each.fleet_id, schedule_id=each.id, before=before, after=None
                    ),
                )

    async def get(self, schedule_id: int) -> Schedule:
        async with self.read() as session:
            return await _read(session, await _load(session, schedule_id))

    async def in_fleet(self, fleet_id: int) -> list[Schedule]:
        async with self.read() as session:
            await load_fleet(session, fleet_id)
            rows = await session.scalars(
                select(ScheduleRow)
                .where(ScheduleRow.fleet_id == fleet_id)
                .order_by(ScheduleRow.name)
            )
            return [await _read(session, r) for r in rows.all()]

    async def verdict(self, schedule_id: int, at: datetime | None = None) -> Verdict:
        """Whether the schedule is open at ``at`` (now by default), in its fleet's zone."""
        async with self.read() as session:
            row = await _load(session, schedule_id)
            schedule = await _read(session, row)
            fleet = await session.get(FleetRow, row.fleet_id)
            assert fleet is not None  # the schedule goes with its fleet
            zone = ZoneInfo(fleet.timezone)
        return sch.evaluate(schedule, at or self.now(), zone)


async def _load(session: AsyncSession, schedule_id: int) -> ScheduleRow:
    row = await session.get(ScheduleRow, schedule_id)
    if row is None:
        raise not_found("schedule", schedule_id)
    return row


async def _opposite_of(session: AsyncSession, schedule_id: int) -> ScheduleRow | None:
    found: ScheduleRow | None = await session.scalar(
        select(ScheduleRow).where(ScheduleRow.opposite_of == schedule_id)
    )
    return found


async def _ensure_free(
    session: AsyncSession, fleet_id: int, name: str, schedule_id: int | None
) -> None:
    query = select(ScheduleRow.id).where(
        ScheduleRow.fleet_id == fleet_id, func.lower(ScheduleRow.name) == name.lower()
    )
    if schedule_id is not None:
        query = query.where(ScheduleRow.id != schedule_id)
    if await session.scalar(query) is not None:
        raise DomainError(ErrorCode.SCHEDULE_NAME_IN_USE, field="name", name=name)


def write_content(
    session: AsyncSession,
    schedule_id: int,
    ranges: Sequence[TimeRange],
    holidays: Sequence[Holiday],
) -> None:
    session.add_all(
        ScheduleRangeRow(
            schedule_id=schedule_id, day=int(r.day), start_minute=r.start, end_minute=r.end
        )
        for r in ranges
    )
    session.add_all(
        ScheduleHolidayRow(
            schedule_id=schedule_id,
            label=h.label,
            first_day=h.first,
            last_day=h.last,
            yearly=h.yearly,
        )
        for h in holidays
    )


async def _read(session: AsyncSession, row: ScheduleRow) -> Schedule:
    """The schedule as it evaluates: an opposite with its source's ranges and holidays."""
    source = row.opposite_of if row.opposite_of is not None else row.id
    ranges = await session.scalars(
        select(ScheduleRangeRow).where(ScheduleRangeRow.schedule_id == source)
    )
    holidays = await session.scalars(
        select(ScheduleHolidayRow).where(ScheduleHolidayRow.schedule_id == source)
    )
    return schedule_view(
        row,
        tuple(
            sorted(
                TimeRange(day=Weekday(r.day), start=r.start_minute, end=r.end_minute)
                for r in ranges.all()
            )
        ),
        tuple(
            sorted(
                (
                    Holiday(label=h.label, first=h.first_day, last=h.last_day, yearly=h.yearly)
                    for h in holidays.all()
                ),
                key=lambda h: (h.first, h.last, h.label),
            )
        ),
    )


def schedule_view(
    row: ScheduleRow, ranges: Sequence[TimeRange], holidays: Sequence[Holiday]
) -> Schedule:
    return Schedule(
        id=row.id,
        fleet_id=row.fleet_id,
        name=row.name,
        ranges=tuple(ranges),
        holidays=tuple(holidays),
        opposite_of=row.opposite_of,
    )
