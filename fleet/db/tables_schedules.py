"""A fleet's schedules (issue 16, ``fleet.core.schedules``): the schedule, its ranges per
weekday and its holidays. An opposite schedule names its source (``opposite_of``) and has no
ranges or holidays of its own; it goes with its source."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fleet.db.tables_base import Base
from fleet.db.types import UTCDateTime


class ScheduleRow(Base):
    __tablename__ = "schedules"
    __table_args__ = (UniqueConstraint("fleet_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fleet_id: Mapped[int] = mapped_column(ForeignKey("fleets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    opposite_of: Mapped[int | None] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ScheduleRangeRow(Base):
    __tablename__ = "schedule_ranges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[int] = mapped_column(SmallInteger)  # 0 Monday … 6 Sunday
    start_minute: Mapped[int] = mapped_column(SmallInteger)
    end_minute: Mapped[int] = mapped_column(SmallInteger)  # 1440: midnight at the day's end


class ScheduleHolidayRow(Base):
    __tablename__ = "schedule_holidays"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(64))
    first_day: Mapped[date] = mapped_column(Date())
    last_day: Mapped[date] = mapped_column(Date())
    yearly: Mapped[bool] = mapped_column(Boolean)
