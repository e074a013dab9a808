"""voicemail as a destination (issue 16 item 7): a forwarding's target, a number or voicemail

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("forwardings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("target", sa.String(length=32), nullable=False, server_default="number")
        )


def downgrade() -> None:
    # a forwarding to voicemail has no number to fall back on: it is forgotten
    op.execute("DELETE FROM forwardings WHERE target = 'voicemail'")
    with op.batch_alter_table("forwardings", schema=None) as batch_op:
        batch_op.drop_column("target")
