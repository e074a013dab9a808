"""restriction profiles and call barring per line (issue 16): the profile of the line's
outgoing calls and forwardings, unrestricted for the lines there are; the five 3GPP barring
programs, off

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


BARRINGS = (
    "barring_all_outgoing",
    "barring_outgoing_international",
    "barring_outgoing_international_ex_home",
    "barring_all_incoming",
    "barring_incoming_roaming",
)


def upgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        for column in BARRINGS:
            batch_op.add_column(
                sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.false())
            )
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
        for column in reversed(BARRINGS):
            batch_op.drop_column(column)
