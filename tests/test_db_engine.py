"""The PostgreSQL pool: idle connections are checked before use, busy ones are not."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.clock import ManualClock
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import NumberPolicy
from fleet.db.engine import create_engine, is_sqlite, session_factory
from fleet.services.base import ServiceContext
from fleet.services.container import Services


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if is_sqlite(database_url):
        pytest.skip("this test needs the PostgreSQL database")
    return database_url


@pytest.fixture
async def admin(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_url, pool_size=1)
    yield engine
    await engine.dispose()


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT pg_backend_pid()")) or 0)


async def _kill(admin: AsyncEngine, pid: int) -> None:
    async with admin.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await conn.commit()


async def test_an_idle_connection_killed_by_the_server_is_replaced_before_use(
    postgres_url: str, admin: AsyncEngine
) -> None:
    engine = create_engine(postgres_url, pool_size=1, idle_ping_after=0.0)
    try:
        first = await _backend_pid(engine)
        await _kill(admin, first)
        second = await _backend_pid(engine)  # no error: the ping found it dead
        assert second != first
    finally:
        await engine.dispose()


async def test_a_connection_that_dies_in_use_fails_once_and_the_pool_reconnects(
    postgres_url: str, admin: AsyncEngine
) -> None:
    engine = create_engine(postgres_url, pool_size=1, idle_ping_after=3600.0)
    try:
        first = await _backend_pid(engine)
        await _kill(admin, first)
        with pytest.raises(DBAPIError) as caught:
            await _backend_pid(engine)  # recently used: not pinged, so this one fails
        assert caught.value.connection_invalidated
        assert await _backend_pid(engine) not in (0, first)
    finally:
        await engine.dispose()


async def test_a_database_that_cannot_serve_is_unavailable_not_a_fault(
    postgres_url: str, policy: NumberPolicy
) -> None:
    # a server that answers but cannot serve this database (SQLSTATE 3D000; "starting up",
    # "too many connections" come the same way): the services say "unavailable, try later"
    missing = make_url(postgres_url).set(database="fleetpbx_no_such_database")
    engine = create_engine(missing.render_as_string(hide_password=False), pool_size=1)
    try:
        context = ServiceContext(
            sessions=session_factory(engine), clock=ManualClock(), policy=policy
        )
        services = Services.build(context=context)
        with pytest.raises(DomainError) as caught:
            await services.fleets.all()
        assert caught.value.code is ErrorCode.DATABASE_UNAVAILABLE
    finally:
        await engine.dispose()
