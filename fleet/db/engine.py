"""Building the async engine and session factory for SQLite or PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


# A pooled PostgreSQL connection idle for longer than this is pinged before it is handed
# out; one in steady use is not (a ping costs three round trips: BEGIN, ``;``, ROLLBACK).
IDLE_PING_AFTER = 10.0
_IDLE_SINCE = "fleetpbx_idle_since"


def create_engine(
    url: str, *, echo: bool = False, pool_size: int = 20, idle_ping_after: float = IDLE_PING_AFTER
) -> AsyncEngine:
    """An engine for ``sqlite+aiosqlite://`` or ``postgresql+asyncpg://`` URLs.

    On PostgreSQL a connection that sat idle in the pool for ``idle_ping_after`` seconds is
    pinged at checkout and replaced when dead (a server restart, a dropped TCP session), as
    ``pool_pre_ping`` would do, without paying the ping on every checkout. A connection that
    dies while in use fails that one transaction (the service answers "database
    unavailable"); SQLAlchemy then invalidates the pool, so the next checkout reconnects."""
    if is_sqlite(url):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size)
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < idle_ping_after:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure of the ping means "reconnect"
            raise exc.DisconnectionError("idle connection failed its ping") from error
        if not alive:
            raise exc.DisconnectionError("idle connection did not answer the ping")

    event.listen(pool, "checkin", checkin)
    event.listen(pool, "checkout", checkout)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # switching to WAL needs the database to itself and fails at once (no busy wait) while
    # another connection uses it: switch only a file not in WAL yet, and when another
    # connection is first, go on (the mode belongs to the file: the next connection switches)
    cursor.execute("PRAGMA journal_mode")
    if str(cursor.fetchone()[0]).lower() != "wal":
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except Exception as error:  # the adapted driver's OperationalError
            if "locked" not in str(error):
                raise
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """Raise when the database does not answer a trivial query."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
