"""The real service (``fleetpbx demo`` as a subprocess, on a scratch PostgreSQL database)
keeps the call record of every call that ended: through ``kill -9`` and a restart, and
through a database outage, each record is stored exactly once (issue 10, defect 1). Calls
are placed and hung up over the simulator's HTTP control ``/sim``; the rows are counted in
the database.

The old writer kept the records in an in-memory queue and wrote them one transaction at a
time, never again after a failure: both tests fail on it (the records the database had not
taken at the kill, and those of the outage, never arrive; its /healthz showed no backlog)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from fleet.db.engine import is_sqlite
from fleet.db.tables import CallEventRow, CallRecordRow
from tests.polling import eventually
from tests.service_process import ServiceProcess, scratch_database
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow

# lines of the demo fleet; each caller rings its own, one call after the other
CALLED = (
    "0611000001",
    "0611000003",
    "0611000004",
    "0611000005",
    "0611000006",
    "0611000007",
    "0611000011",
    "0611000012",
)
WRITTEN_WITHIN = 60.0  # seconds for the records to reach the database (a busy machine)


@pytest.fixture
def postgres_server(database_url: str) -> str:
    if is_sqlite(database_url):
        pytest.skip(
            "runs the service on PostgreSQL: set FLEETPBX_TEST_DATABASE_URL="
            "postgresql+asyncpg://… (CI runs the suite on PostgreSQL too)"
        )
    return database_url


@asynccontextmanager
async def database(url: str) -> AsyncIterator[AsyncEngine]:
    """The test's own connections to the service's database (not through any proxy)."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        await engine.dispose()


def e164(national: str) -> str:
    return "+33" + national[1:]


async def complete_calls(
    service: ServiceProcess, count: int, *, first: int = 0
) -> dict[str, tuple[str, str]]:
    """``count`` calls from outside numbers to lines of the demo fleet, each hung up by its
    caller once placed (as many at a time as there are lines); return call id -> (caller,
    called), once no call is up any more."""
    placed: dict[str, tuple[str, str]] = {}

    async def caller(lane: int) -> None:
        called = CALLED[lane]
        for n in range(first + lane, first + count, len(CALLED)):
            number = f"0698{n:06d}"
            answer = await service.post("/sim/dial", {"from": number, "to": called})
            placed[answer["call_id"]] = (e164(number), e164(called))
            hung_up = await service.post("/sim/hang_up", {"number": number})
            assert hung_up["ok"], hung_up

    await asyncio.gather(*(caller(lane) for lane in range(len(CALLED))))
    assert len(placed) == count

    async def all_ended() -> bool:
        overview = await service.get("/sim")
        return bool(overview["active_calls"] == 0)

    await eventually(all_ended, every=0.01, what="every call ended")
    return placed


async def record_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(CallRecordRow)) or 0)


async def stored_calls(engine: AsyncEngine) -> dict[str, tuple[str, str]]:
    """Call id -> (caller, called) of every stored record; each has its events once."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(CallRecordRow.call_id, CallRecordRow.caller, CallRecordRow.called)
            )
        ).all()
        without_events = await conn.scalar(
            select(func.count())
            .select_from(CallRecordRow)
            .where(
                ~select(CallEventRow.id)
                .where(CallEventRow.call_record_id == CallRecordRow.id)
                .exists()
            )
        )
    assert without_events == 0
    stored = {call_id: (caller, called) for call_id, caller, called in rows}
    assert len(stored) == len(rows)
    return stored


@asynccontextmanager
async def record_inserts_blocked(engine: AsyncEngine) -> AsyncIterator[None]:
    """Another session holds the call records' table (reads go on, writes wait)."""
    async with engine.connect() as conn:
        await conn.execute(text("LOCK TABLE call_records IN SHARE MODE"))
        try:
            yield
        finally:
            await conn.rollback()


def journal_segments(journal: Path) -> list[str]:
    return sorted(p.name for p in journal.glob("*.records"))


async def test_the_records_of_calls_ended_before_a_kill_9_are_stored_once_after_the_restart(
    postgres_server: str, tmp_path: Path
) -> None:
    journal = tmp_path / "journal"
    async with (
        scratch_database(postgres_server) as url,
        database(url) as engine,
        ServiceProcess(
            workdir=tmp_path, database_url=url, settings={"records_journal_dir": str(journal)}
        ) as service,
    ):
        await service.start()
        calls = await complete_calls(service, 100)  # the database keeps up
        async with record_inserts_blocked(engine):  # from here on it falls behind
            calls |= await complete_calls(service, 100, first=100)
            await service.kill()  # right after the last call ended
            stored_at_the_kill = await record_count(engine)
        assert stored_at_the_kill <= 100  # the last 100 records were not in the database
        assert len(calls) == 200

        await service.start()  # same database, same journal directory

        async def all_stored() -> bool:
            return await record_count(engine) >= len(calls)

        await eventually(all_stored, within=WRITTEN_WITHIN, every=0.1, what="200 records stored")

        async def nothing_left() -> bool:
            status, body = await service.health()
            return status == 200 and body["call_records"]["backlog"] == 0

        await eventually(nothing_left, within=WRITTEN_WITHIN, every=0.1, what="no backlog")
        assert await stored_calls(engine) == calls  # exactly the 200, each once
        assert journal_segments(journal) == []  # all shipped: the journal emptied
        assert await service.stop() == 0


async def test_the_records_of_calls_ended_during_a_database_outage_are_stored_once_after_it(
    postgres_server: str, tmp_path: Path
) -> None:
    server = make_url(postgres_server)
    proxy = TcpProxy(target_host=server.host or "127.0.0.1", target_port=server.port or 5432)
    await proxy.start()
    try:
        async with scratch_database(postgres_server) as url:
            through_proxy = make_url(url).set(host="127.0.0.1", port=proxy.port)
            async with (
                database(url) as engine,
                ServiceProcess(
                    workdir=tmp_path,
                    database_url=through_proxy.render_as_string(hide_password=False),
                    settings={
                        "records_journal_dir": str(tmp_path / "journal"),
                        "records_backlog_degraded": "10",
                    },
                ) as service,
            ):
                await service.start()
                assert (await service.health())[1]["status"] == "ok"

                await proxy.cut()  # the database is gone: connections ended, new ones refused
                calls = await complete_calls(service, 50)

                async def writes_failing() -> bool:
                    _, body = await service.health()
                    return bool(body["call_records"]["writer"] == "failing")

                await eventually(writes_failing, within=WRITTEN_WITHIN, every=0.1, what="failing")
                status, body = await service.health()
                assert status == 503 and body["database"] == "down"
                assert body["call_records"]["backlog"] == 50
                assert await record_count(engine) == 0

                async with record_inserts_blocked(engine):
                    await proxy.restore()  # the database is back, the records not written yet

                    async def degraded_with_the_backlog() -> bool:
                        status, body = await service.health()
                        if status != 200:  # a connection of before the outage, dropped
                            return False
                        assert body["database"] == "ok" and body["status"] == "degraded"
                        return bool(body["call_records"]["backlog"] == 50)

                    await eventually(
                        degraded_with_the_backlog, within=WRITTEN_WITHIN, every=0.1, what="degraded"
                    )
                    assert await record_count(engine) == 0

                async def healthy_and_written() -> bool:
                    status, body = await service.health()
                    ok = status == 200 and body["status"] == "ok"
                    return ok and body["call_records"]["backlog"] == 0

                await eventually(healthy_and_written, within=WRITTEN_WITHIN, every=0.1, what="ok")
                assert await stored_calls(engine) == calls  # exactly the 50, each once
                assert journal_segments(tmp_path / "journal") == []
                assert await service.stop() == 0
    finally:
        await proxy.close()
