"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_journal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("fleet_id", sa.Integer(), nullable=True),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_journal")),
    )
    with op.batch_alter_table("audit_journal", schema=None) as batch_op:
        batch_op.create_index("ix_audit_journal_fleet_at", ["fleet_id", "at"], unique=False)

    op.create_table(
        "call_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("fleet_id", sa.Integer(), nullable=True),
        sa.Column("caller", sa.String(length=32), nullable=False),
        sa.Column("called", sa.String(length=32), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("cause", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_records")),
        sa.UniqueConstraint("call_id", name=op.f("uq_call_records_call_id")),
    )
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_call_records_fleet_offered", ["fleet_id", "offered_at"], unique=False
        )

    op.create_table(
        "fleets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("short_number_length", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleets")),
    )
    op.create_table(
        "call_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fleet_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("short_number", sa.String(length=8), nullable=True),
        sa.Column("user_code", sa.String(length=4), nullable=False),
        sa.Column("admin_code", sa.String(length=4), nullable=False),
        sa.Column("queue_size", sa.Integer(), nullable=False),
        sa.Column("switchover_delay", sa.Integer(), nullable=False),
        sa.Column("intercall_delay", sa.Integer(), nullable=False),
        sa.Column("distribution", sa.String(length=32), nullable=False),
        sa.Column("max_queue_wait", sa.Integer(), nullable=False),
        sa.Column("no_answer_action", sa.String(length=32), nullable=False),
        sa.Column("no_answer_number", sa.String(length=16), nullable=True),
        sa.Column("no_answer_group_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["fleet_id"],
            ["fleets.id"],
            name=op.f("fk_call_groups_fleet_id_fleets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["no_answer_group_id"],
            ["call_groups.id"],
            name=op.f("fk_call_groups_no_answer_group_id_call_groups"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_groups")),
        sa.UniqueConstraint("fleet_id", "name", name=op.f("uq_call_groups_fleet_id_name")),
        sa.UniqueConstraint(
            "fleet_id", "short_number", name=op.f("uq_call_groups_fleet_id_short_number")
        ),
        sa.UniqueConstraint("number", name=op.f("uq_call_groups_number")),
    )
    with op.batch_alter_table("call_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_groups_fleet_id"), ["fleet_id"], unique=False)

    op.create_table(
        "call_record_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_record_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("forwarding_kind", sa.String(length=32), nullable=True),
        sa.Column("from_number", sa.String(length=32), nullable=True),
        sa.Column("to_number", sa.String(length=32), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("member_line_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_record_id"],
            ["call_records.id"],
            name=op.f("fk_call_record_events_call_record_id_call_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_record_events")),
        sa.UniqueConstraint(
            "call_record_id", "seq", name=op.f("uq_call_record_events_call_record_id_seq")
        ),
    )
    op.create_table(
        "fixed_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fleet_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("trunk", sa.String(length=64), nullable=False),
        sa.Column("short_number", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["fleet_id"],
            ["fleets.id"],
            name=op.f("fk_fixed_numbers_fleet_id_fleets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fixed_numbers")),
        sa.UniqueConstraint(
            "fleet_id", "short_number", name=op.f("uq_fixed_numbers_fleet_id_short_number")
        ),
        sa.UniqueConstraint("number", name=op.f("uq_fixed_numbers_number")),
    )
    with op.batch_alter_table("fixed_numbers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fixed_numbers_fleet_id"), ["fleet_id"], unique=False)

    op.create_table(
        "lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fleet_id", sa.Integer(), nullable=False),
        sa.Column("msisdn", sa.String(length=16), nullable=False),
        sa.Column("short_number", sa.String(length=8), nullable=True),
        sa.Column("employee_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("pabx_option", sa.Boolean(), nullable=False),
        sa.Column("call_waiting", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["fleet_id"], ["fleets.id"], name=op.f("fk_lines_fleet_id_fleets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lines")),
        sa.UniqueConstraint(
            "fleet_id", "short_number", name=op.f("uq_lines_fleet_id_short_number")
        ),
        sa.UniqueConstraint("msisdn", name=op.f("uq_lines_msisdn")),
    )
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lines_fleet_id"), ["fleet_id"], unique=False)

    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_accounts_line_id_lines"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("login", name=op.f("uq_accounts_login")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_line_id"), ["line_id"], unique=False)

    op.create_table(
        "forwardings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("destination", sa.String(length=16), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("no_reply_timer", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_forwardings_line_id_lines"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forwardings")),
        sa.UniqueConstraint("line_id", "kind", name=op.f("uq_forwardings_line_id_kind")),
    )
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["call_groups.id"],
            name=op.f("fk_group_members_group_id_call_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["lines.id"],
            name=op.f("fk_group_members_line_id_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "line_id", name=op.f("pk_group_members")),
        sa.UniqueConstraint("group_id", "position", name=op.f("uq_group_members_group_id_position")),
    )
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.create_index("ix_group_members_line_id", ["line_id"], unique=False)

    op.create_table(
        "incoming_lists",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column("ring_time", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["lines.id"],
            name=op.f("fk_incoming_lists_line_id_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("line_id", name=op.f("pk_incoming_lists")),
    )
    op.create_table(
        "account_fleets",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("fleet_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_fleets_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fleet_id"],
            ["fleets.id"],
            name=op.f("fk_account_fleets_fleet_id_fleets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "fleet_id", name=op.f("pk_account_fleets")),
    )
    op.create_table(
        "incoming_list_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["incoming_lists.line_id"],
            name=op.f("fk_incoming_list_entries_line_id_incoming_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incoming_list_entries")),
        sa.UniqueConstraint(
            "line_id", "number", name=op.f("uq_incoming_list_entries_line_id_number")
        ),
        sa.UniqueConstraint(
            "line_id", "position", name=op.f("uq_incoming_list_entries_line_id_position")
        ),
    )


def downgrade() -> None:

    op.drop_table("incoming_list_entries")
    op.drop_table("account_fleets")
    op.drop_table("incoming_lists")
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.drop_index("ix_group_members_line_id")

    op.drop_table("group_members")
    op.drop_table("forwardings")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_line_id"))

    op.drop_table("accounts")
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lines_fleet_id"))

    op.drop_table("lines")
    with op.batch_alter_table("fixed_numbers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fixed_numbers_fleet_id"))

    op.drop_table("fixed_numbers")
    op.drop_table("call_record_events")
    with op.batch_alter_table("call_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_groups_fleet_id"))

    op.drop_table("call_groups")
    op.drop_table("fleets")
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.drop_index("ix_call_records_fleet_offered")

    op.drop_table("call_records")
    with op.batch_alter_table("audit_journal", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_journal_fleet_at")

    op.drop_table("audit_journal")
