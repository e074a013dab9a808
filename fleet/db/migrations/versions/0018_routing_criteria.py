"""routing criteria (issue 16 item 2): when a line's list, forwarding or DND, or a group's
routing applies — a schedule and a caller filter

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_criteria",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "fleet_id", sa.Integer(), sa.ForeignKey("fleets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "line_id", sa.Integer(), sa.ForeignKey("lines.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column(
            "group_id",
            sa.Integer(),
            sa.ForeignKey("call_groups.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column(
            "schedule_id",
            sa.Integer(),
            sa.ForeignKey("schedules.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("callers", sa.String(32), nullable=False),
        sa.Column("numbers", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("line_id", "target"),
        sa.UniqueConstraint("group_id", "target"),
    )
    for column in ("fleet_id", "line_id", "group_id", "schedule_id"):
        op.create_index(f"ix_routing_criteria_{column}", "routing_criteria", [column])


def downgrade() -> None:
    op.drop_table("routing_criteria")
