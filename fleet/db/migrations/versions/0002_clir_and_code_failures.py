"""caller-id restriction per line; wrong-code attempts for the lock-out; SMS outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("clir", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "code_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["lines.id"],
            name=op.f("fk_code_failures_line_id_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_failures")),
    )
    with op.batch_alter_table("code_failures", schema=None) as batch_op:
        batch_op.create_index("ix_code_failures_line_at", ["line_id", "at"], unique=False)
    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("msisdn", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_outbox")),
    )
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_sms_outbox_pending", ["sent_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_outbox_pending")
    op.drop_table("sms_outbox")
    with op.batch_alter_table("code_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_code_failures_line_at")
    op.drop_table("code_failures")
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_column("clir")
