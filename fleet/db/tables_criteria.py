"""Routing criteria (issue 16 item 2, ``fleet.core.criteria``): when a line's rule — its
incoming-call list, a forwarding, its do-not-disturb — or a group's routing applies. One
row per criterion of a rule, at its ``position`` from 1 (seed 001's "Critère #n"); a rule
without a row always applies. It goes with its line,
group or fleet; a schedule in use is not deleted (the service refuses)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fleet.core.criteria import MAX_NAME, CallerFilter, CriteriaTarget
from fleet.db.tables_base import Base
from fleet.db.types import UTCDateTime, enum_type

NUMBERS = 200  # characters: up to 10 E.164 numbers, comma-separated


class CriteriaRow(Base):
    __tablename__ = "routing_criteria"
    __table_args__ = (
        UniqueConstraint("line_id", "target", "position"),
        UniqueConstraint("group_id", "target", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fleet_id: Mapped[int] = mapped_column(ForeignKey("fleets.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[int | None] = mapped_column(
        ForeignKey("lines.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_groups.id", ondelete="CASCADE"), index=True
    )
    target: Mapped[CriteriaTarget] = mapped_column(enum_type(CriteriaTarget))
    position: Mapped[int] = mapped_column(Integer, default=1)  # 1 for "Critère #1"
    name: Mapped[str] = mapped_column(String(MAX_NAME), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # seed 001's "Actif"
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    callers: Mapped[CallerFilter] = mapped_column(enum_type(CallerFilter))
    numbers: Mapped[str] = mapped_column(String(NUMBERS))  # comma-separated E.164 values
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
