"""presented number (issue 16): whether the employee may choose it on the user portal

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # not a batch: on SQLite a batch copies ``lines`` and drops it, and dropping it deletes
    # every line's forwardings, lists and memberships (ON DELETE CASCADE)
    op.add_column(
        "lines",
        sa.Column("presented_user_choice", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    op.execute("ALTER TABLE lines DROP COLUMN presented_user_choice")
