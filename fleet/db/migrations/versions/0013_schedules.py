"""schedules: a fleet's weekly schedules, their ranges and holidays (issue 16)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "fleet_id", sa.Integer(), sa.ForeignKey("fleets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column(
            "opposite_of",
            sa.Integer(),
            sa.ForeignKey("schedules.id", ondelete="CASCADE"),
            nullable=True,
            unique=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("fleet_id", "name"),
    )
    op.create_index("ix_schedules_fleet_id", "schedules", ["fleet_id"])
    op.create_table(
        "schedule_ranges",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "schedule_id",
            sa.Integer(),
            sa.ForeignKey("schedules.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.SmallInteger(), nullable=False),
        sa.Column("start_minute", sa.SmallInteger(), nullable=False),
        sa.Column("end_minute", sa.SmallInteger(), nullable=False),
    )
    op.create_index("ix_schedule_ranges_schedule_id", "schedule_ranges", ["schedule_id"])
    op.create_table(
        "schedule_holidays",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "schedule_id",
            sa.Integer(),
            sa.ForeignKey("schedules.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("yearly", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_schedule_holidays_schedule_id", "schedule_holidays", ["schedule_id"])


def downgrade() -> None:
    op.drop_table("schedule_holidays")
    op.drop_table("schedule_ranges")
    op.drop_table("schedules")
