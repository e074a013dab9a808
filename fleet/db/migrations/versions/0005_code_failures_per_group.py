"""group-code failures per line, group and kind of code (issue 10, defect 2)

``code_guards``: one row per (line, group, kind of code), taken first by every check of
such a code (the serialisation point of the lock-out). ``code_failures`` now names the
group and the kind of code of each failure. Failures recorded before the upgrade name no
group: they are dropped (a lock in progress ends at the upgrade).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("code_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_code_failures_line_at")
    op.drop_table("code_failures")
    op.create_table(
        "code_guards",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["call_groups.id"],
            name=op.f("fk_code_guards_group_id_call_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["lines.id"],
            name=op.f("fk_code_guards_line_id_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("line_id", "group_id", "kind", name=op.f("pk_code_guards")),
    )
    with op.batch_alter_table("code_guards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_code_guards_group_id"), ["group_id"], unique=False)
    op.create_table(
        "code_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id", "group_id", "kind"],
            ["code_guards.line_id", "code_guards.group_id", "code_guards.kind"],
            name=op.f("fk_code_failures_line_id_code_guards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_failures")),
    )
    with op.batch_alter_table("code_failures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_code_failures_guard_at", ["line_id", "group_id", "kind", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("code_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_code_failures_guard_at")
    op.drop_table("code_failures")
    with op.batch_alter_table("code_guards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_code_guards_group_id"))
    op.drop_table("code_guards")
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
