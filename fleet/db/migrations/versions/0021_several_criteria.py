"""several criteria per routing rule (issue 16 item 2, seed 001 "Liste de critères"): each
row is one criterion of its rule, at a position from 1, with a name and an "Actif" switch;
the rows already there become the first (active, unnamed) criterion of their rule

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04

The downgrade keeps each rule's first criterion only (the older schema holds one per rule)
and drops the names and switches.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("routing_criteria", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("name", sa.String(40), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.drop_constraint("uq_routing_criteria_line_id_target", type_="unique")
        batch_op.drop_constraint("uq_routing_criteria_group_id_target", type_="unique")
        batch_op.create_unique_constraint(
            "uq_routing_criteria_line_id_target_position", ["line_id", "target", "position"]
        )
        batch_op.create_unique_constraint(
            "uq_routing_criteria_group_id_target_position", ["group_id", "target", "position"]
        )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM routing_criteria WHERE position > 1"))
    with op.batch_alter_table("routing_criteria", schema=None) as batch_op:
        batch_op.drop_constraint("uq_routing_criteria_line_id_target_position", type_="unique")
        batch_op.drop_constraint("uq_routing_criteria_group_id_target_position", type_="unique")
        batch_op.create_unique_constraint(
            "uq_routing_criteria_line_id_target", ["line_id", "target"]
        )
        batch_op.create_unique_constraint(
            "uq_routing_criteria_group_id_target", ["group_id", "target"]
        )
        batch_op.drop_column("active")
        batch_op.drop_column("name")
        batch_op.drop_column("position")
