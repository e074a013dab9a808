"""the handset's call-barring password (issue 16 item 5): its hash, wrong attempts, lock

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("barring_password_hash", sa.String(255), nullable=True))
        batch_op.add_column(
            sa.Column(
                "barring_password_failures",
                sa.Integer(),
                nullable=False,
                server_default=sa.text("0"),
            )
        )
        batch_op.add_column(sa.Column("barring_locked_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_column("barring_locked_until")
        batch_op.drop_column("barring_password_failures")
        batch_op.drop_column("barring_password_hash")
