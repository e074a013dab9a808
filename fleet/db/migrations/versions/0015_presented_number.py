"""presented number (issue 16 item 4): the fleet's main number, each line's choice

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fleets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("main_number", sa.String(length=16), nullable=True))
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "presented_kind", sa.String(length=32), nullable=False, server_default="line"
            )
        )
        batch_op.add_column(sa.Column("presented_group_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_lines_presented_group",
            "call_groups",
            ["presented_group_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_constraint("fk_lines_presented_group", type_="foreignkey")
        batch_op.drop_column("presented_group_id")
        batch_op.drop_column("presented_kind")
    # not a batch: on SQLite a batch copies ``fleets`` and drops it, and dropping it deletes
    # every line of every fleet (ON DELETE CASCADE) before the copy is renamed
    op.execute("ALTER TABLE fleets DROP COLUMN main_number")
