"""contacts: the company directory's external contacts and their abbreviated numbers
(issue 16)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "fleet_id", sa.Integer(), sa.ForeignKey("fleets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("company", sa.String(80), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("abbreviated", sa.String(8), nullable=True),
        sa.Column("notes", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("fleet_id", "number"),
        sa.UniqueConstraint("fleet_id", "abbreviated"),
    )
    op.create_index("ix_contacts_fleet_id", "contacts", ["fleet_id"])


def downgrade() -> None:
    op.drop_table("contacts")
