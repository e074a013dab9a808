"""do-not-disturb per line (issue 16): the switch and its exemption of the fleet's colleagues

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = ("dnd", "dnd_vpn_exempt")


def upgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.add_column(
                sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.false())
            )


def downgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
