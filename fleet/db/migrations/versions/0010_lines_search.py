"""lines searched anywhere in a name or a number: trigram indexes (PostgreSQL only)

The lines page finds "…term…" in a name (``ILIKE``) or a phone number and a short number by its
start; with 100,000 lines in a fleet a scan of them all costs hundreds of milliseconds. pg_trgm's
GIN indexes serve those ``LIKE``/``ILIKE``. SQLite (the embedded default, small fleets) keeps
scanning. ``pg_trgm`` is a trusted extension: the database's owner may create it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COLUMNS = ("employee_name", "msisdn", "short_number")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        op.create_index(
            f"ix_lines_{column}_trgm",
            "lines",
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )
    op.execute("ANALYZE lines")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.drop_index(f"ix_lines_{column}_trgm", table_name="lines")
