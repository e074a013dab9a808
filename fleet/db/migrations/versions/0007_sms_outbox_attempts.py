"""SMS outbox attempts, backoff, dead letters and claims (issue 10, defect 5)

Each message now has its own next attempt (``next_attempt_at``; messages waiting at the
upgrade are due at once), a claim (``claimed_until``: a sender's lease), the time it was
given up (``dead_at``), and the fleet and line it was for (filled from the lines' numbers for
messages waiting at the upgrade), so a dead letter is journalled for that line.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fleet_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("line_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_sms_outbox_waiting_by_number", ["msisdn", "sent_at", "dead_at", "id"], unique=False
        )
    op.execute("UPDATE sms_outbox SET next_attempt_at = created_at")
    op.execute(
        "UPDATE sms_outbox SET"
        " line_id = (SELECT lines.id FROM lines WHERE lines.msisdn = sms_outbox.msisdn),"
        " fleet_id = (SELECT lines.fleet_id FROM lines WHERE lines.msisdn = sms_outbox.msisdn)"
    )
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.alter_column(
            "next_attempt_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_outbox_waiting_by_number")
        batch_op.drop_column("dead_at")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("line_id")
        batch_op.drop_column("fleet_id")
