"""lines of a fleet in name order: the index the lines page and the API walk

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_lines_fleet_name", "lines", ["fleet_id", "employee_name", "id"])


def downgrade() -> None:
    op.drop_index("ix_lines_fleet_name", table_name="lines")
