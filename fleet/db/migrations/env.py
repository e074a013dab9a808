"""Alembic environment. Migrations always run on a connection handed in by
``fleet.db.migrate`` (the async engine's sync facade), or, when Alembic's own
command line is used, on a fresh async engine built from the configured URL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import context
from sqlalchemy import Connection

from fleet.db.engine import create_engine
from fleet.db.tables import Base

config = context.config
target_metadata = Base.metadata


@contextmanager
def _foreign_keys_off(connection: Connection) -> Iterator[None]:
    """On SQLite, the migrations run with foreign keys off, as SQLite's own recipe for
    rebuilding a table asks: a batch operation copies a table, drops the old one and renames
    the copy, and dropping the old ``lines`` with foreign keys on deletes every forwarding,
    member, list, account... of every line (ON DELETE CASCADE), then the copy comes back
    alone. Before the commit, ``PRAGMA foreign_key_check`` must find no row left without
    its parent.

    The pragma does nothing inside a transaction: it is set before the first statement
    (the SQLite driver begins its transaction at the first write) and read back. The
    connection is not reused: both callers dispose of their engine when done."""
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if connection.exec_driver_sql("PRAGMA foreign_keys").scalar() != 0:
        raise RuntimeError(
            "SQLite kept its foreign keys on for the migrations (a transaction was already"
            " open): a table rebuilt by a batch operation would lose its children"
        )
    yield
    orphans = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if orphans:
        found = ", ".join(f"{table} row {rowid} -> {parent}" for table, rowid, parent, _ in orphans)
        raise RuntimeError(f"the migrations left rows without their parent: {found}")


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with _foreign_keys_off(connection), context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    async with engine.begin() as conn:
        await conn.run_sync(_configure)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        render_as_batch=True,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
    else:
        asyncio.run(_run_async())
