"""fleet owners: the process owning each fleet's calls and its SIP address (issue 15)

Written by the process holding the fleet's PostgreSQL advisory lock (``fleet.db.owners``);
read by the others to redirect a call to the owner. Created on SQLite too (one process owns
everything there; the table stays empty).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fleet_owners",
        sa.Column(
            "fleet_id",
            sa.Integer(),
            sa.ForeignKey("fleets.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("process", sa.String(64), nullable=False),
        sa.Column("sip_uri", sa.String(255), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fleet_owners")
