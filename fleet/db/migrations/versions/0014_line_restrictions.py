"""restriction profiles per line (issue 16): the profile of the line's outgoing calls and
forwardings, unrestricted for the lines there are

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "restriction_profile",
                sa.String(length=32),
                nullable=False,
                server_default="unrestricted",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_column("restriction_profile")
