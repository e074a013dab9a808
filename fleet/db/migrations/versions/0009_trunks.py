"""SIP trunks as data (issue 12): each fleet's trunks to its PBX, by the name its fixed
numbers carry (unique per fleet), with their mode, address, Digest credentials (the secret
stored encrypted), history style and the state the keepalive last found.

Fixed numbers already stored keep their trunk name; until a trunk of that name is created,
calls to them are tried as before (a trunk never probed).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fleet_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("transport", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("realm", sa.String(length=64), nullable=True),
        sa.Column("secret", sa.String(length=512), nullable=True),
        sa.Column("history", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("state_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["fleet_id"], ["fleets.id"], name=op.f("fk_trunks_fleet_id_fleets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trunks")),
        sa.UniqueConstraint("fleet_id", "name", name=op.f("uq_trunks_fleet_id_name")),
        sa.UniqueConstraint("username", name=op.f("uq_trunks_username")),
    )
    with op.batch_alter_table("trunks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trunks_fleet_id"), ["fleet_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("trunks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trunks_fleet_id"))
    op.drop_table("trunks")
