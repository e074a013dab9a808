"""call records of SIP visits (issue 12, ISC profile): session case, correlation, legs' ids

A call between two fleet lines through the mobile core visits the service twice
(originating, then terminating) and leaves a record per visit: each record says which visit
it is (``session_case``; records written before are terminating), the id shared by the
visits of one call (``correlation_id``: the ICID of P-Charging-Vector, indexed) and the
network's ids of the caller's leg and of the answered, else last, callee leg
(``caller_network_id``, ``callee_network_id``: the SIP Call-IDs).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "session_case", sa.String(length=32), nullable=False, server_default="terminating"
            )
        )
        batch_op.add_column(sa.Column("correlation_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("caller_network_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("callee_network_id", sa.String(length=255), nullable=True))
        batch_op.create_index("ix_call_records_correlation", ["correlation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.drop_index("ix_call_records_correlation")
        batch_op.drop_column("callee_network_id")
        batch_op.drop_column("caller_network_id")
        batch_op.drop_column("correlation_id")
        batch_op.drop_column("session_case")
