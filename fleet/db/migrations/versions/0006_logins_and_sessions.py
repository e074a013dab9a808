"""login throttling and revocable sessions (issue 10, defects 3 and 4)

``accounts.session_epoch``: every portal session and API token carries it; a new value ends
them all. Existing accounts get a random one (sessions and tokens issued before the upgrade
carry none: they end at the upgrade). The account-wide ``failed_logins`` / ``locked_until``
give way to ``login_locks`` (per login, known or not, and source address) and ``login_sources`` (per
source address): a lock in progress ends at the upgrade.

The columns are added and dropped with plain ``ALTER TABLE`` (SQLite 3.35+ drops a column in
place): a batch copy of ``accounts`` would drop the table, and with foreign keys on, SQLite
deletes the rows that refer to it (``account_fleets``) first. SQLite keeps the empty default
``session_epoch`` needs to be added NOT NULL; every row is given a random value at once and
the service always writes one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column(
        "accounts",
        sa.Column("session_epoch", sa.String(length=32), nullable=False, server_default=""),
    )
    accounts = sa.table("accounts", sa.column("id", sa.Integer), sa.column("session_epoch"))
    for account_id in bind.execute(sa.select(accounts.c.id)).scalars().all():
        bind.execute(
            accounts.update()
            .where(accounts.c.id == account_id)
            .values(session_epoch=secrets.token_urlsafe(12))
        )
    if bind.dialect.name != "sqlite":
        op.alter_column("accounts", "session_epoch", server_default=None)
    op.execute("ALTER TABLE accounts DROP COLUMN failed_logins")
    op.execute("ALTER TABLE accounts DROP COLUMN locked_until")
    op.create_table(
        "login_sources",
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_login_sources")),
    )
    op.create_table(
        "login_locks",
        sa.Column("login_key", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("login_key", "address", name=op.f("pk_login_locks")),
    )


def downgrade() -> None:
    op.drop_table("login_locks")
    op.drop_table("login_sources")
    op.add_column(
        "accounts",
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("accounts", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.execute("ALTER TABLE accounts DROP COLUMN session_epoch")
