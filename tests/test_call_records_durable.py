"""Call records stored once, by a call id unique across restarts; /healthz shows the
records waiting; audit rows and SMS commit with their change (issue 10, defect 1). The
kill -9 and outage runs of the real service are in test_call_records_crash.py."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import Session

from featurecodes.notices import notices
from fleet.app import EXCHANGE, RECORDS, build_app
from fleet.config import load_settings
from fleet.core.clock import ManualClock
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.values import Actor, Channel, ForwardingKind
from fleet.db.engine import is_sqlite
from fleet.db.tables import AuditRow, CallEventRow, CallRecordRow, OutboxRow
from fleet.services.base import ServiceContext
from fleet.services.container import Services
from tests.polling import eventually
from tests.test_record_journal import a_record
from tests.world import build_world

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]
MANAGER = Actor(name="gestionnaire", channel=Channel.PORTAL, account_id=1)


async def count(engine: AsyncEngine, table: type[Any]) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


# -- stored once, by id ------------------------------------------------------------------------


async def test_a_record_delivered_twice_is_stored_once_with_its_events(
    services: Services, engine: AsyncEngine
) -> None:
    first, second = a_record("0vx3k2m7q4-1"), a_record("0vx3k2m7q4-2", events=5)
    assert await services.calls.save_many([first, second, first]) == 2
    assert await services.calls.save_many([second, first]) == 0  # delivered again: no change
    assert await services.calls.get(first.call_id) == first
    assert await services.calls.get(second.call_id) == second
    assert await count(engine, CallRecordRow) == 2
    assert await count(engine, CallEventRow) == 3 + 5


async def test_a_different_call_under_a_stored_id_does_not_replace_it(
    services: Services,
) -> None:
    stored = a_record("c1")
    await services.calls.save(stored)
    assert not await services.calls.save(a_record("c1", events=1))
    assert await services.calls.get("c1") == stored


async def test_a_batch_of_records_is_written_in_a_few_statements(
    services: Services, engine: AsyncEngine
) -> None:
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        assert await services.calls.save_many([a_record(f"batch-{i}") for i in range(300)]) == 300
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) <= 4  # records, then events (900 rows): multi-row INSERTs
    assert await count(engine, CallEventRow) == 900


# -- the service: ids across restarts, the backlog on /healthz ------------------------------


def _settings(database_url: str, journal: Path, **more: object) -> Any:
    return load_settings(
        cli={"database_url": database_url, "records_journal_dir": str(journal), **more}, env={}
    )


def _call(app: web.Application, caller: str) -> str:
    """A call from ``caller`` to a number nobody answers, hung up at once."""
    network = app[EXCHANGE].network
    number = E164(caller)
    network.add(number, "Client")
    call_id = network.dial(number, "0699000002")
    network.hang_up(number)
    return call_id


async def test_calls_after_a_restart_do_not_overwrite_the_records_of_earlier_ones(
    aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    ids = []
    for run in range(2):
        app = build_app(settings=_settings(database_url, tmp_path / "journal"))
        client = await aiohttp_client(app)
        ids.append(_call(app, f"+3369900000{run}"))
        assert await app[RECORDS].flush()
        await client.close()
    assert ids[0] != ids[1]
    async with engine.connect() as conn:
        stored = (await conn.scalars(select(CallRecordRow.call_id))).all()
    assert sorted(stored) == sorted(ids)


@asynccontextmanager
async def writes_held(database_url: str, engine: AsyncEngine) -> AsyncIterator[None]:
    """Another session holds the call records' table (SQLite: the database's write lock)."""
    if is_sqlite(database_url):
        path = make_url(database_url).database
        assert path
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    async with engine.connect() as conn:
        await conn.execute(text("LOCK TABLE call_records IN SHARE MODE"))
        try:
            yield
        finally:
            await conn.rollback()


async def test_healthz_is_degraded_with_the_backlog_while_records_wait_past_the_threshold(
    aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    settings = _settings(database_url, tmp_path / "journal", records_backlog_degraded=5)
    app = build_app(settings=settings)
    client = await aiohttp_client(app)
    assert (await (await client.get("/healthz")).json())["status"] == "ok"
    async with writes_held(database_url, engine):
        for i in range(8):
            _call(app, f"+336990000{i:02d}")
        response = await client.get("/healthz")
        assert response.status == 200
        body = await response.json()
        assert body["status"] == "degraded" and body["database"] == "ok"
        assert body["call_records"]["backlog"] == 8
        assert await count(engine, CallRecordRow) == 0
    await eventually(lambda: app[RECORDS].writer.backlog == 0, what="the backlog written")
    body = await (await client.get("/healthz")).json()
    assert body["status"] == "ok" and body["call_records"]["backlog"] == 0
    assert await count(engine, CallRecordRow) == 8


# -- audit rows and SMS: in the change's own transaction ----------------------------------------


class FailingCommit(Session):
    """A session whose commit fails after everything was written (see ``before_commit``)."""


async def test_audit_rows_and_sms_commit_with_their_change_or_not_at_all(
    services: Services, engine: AsyncEngine, actor: Actor, clock: ManualClock, policy: NumberPolicy
) -> None:
    world = await build_world(services, actor)
    context = ServiceContext(
        sessions=async_sessionmaker(
            engine, expire_on_commit=False, sync_session_class=FailingCommit
        ),
        clock=clock,
        policy=policy,
    )
    failing = Services.build(context=context)
    failing.changes.stage_with(failing.outbox.stager(notices))
    audit_before = await count(engine, AuditRow)
    inside: list[tuple[int, int]] = []

    def fail(session: Session) -> None:
        audit = session.execute(select(func.count()).select_from(AuditRow)).scalar_one()
        sms = session.execute(select(func.count()).select_from(OutboxRow)).scalar_one()
        inside.append((audit, sms))
        raise ConnectionResetError("the database went away at commit")

    event.listen(FailingCommit, "before_commit", fail)
    try:
        try:
            await failing.forwarding.set(
                MANAGER, world.line(0).id, ForwardingKind.BUSY, destination="0145678910"
            )
        except DomainError as exc:
            assert exc.code is ErrorCode.DATABASE_UNAVAILABLE
        else:  # pragma: no cover - the commit must fail
            raise AssertionError("the commit did not fail")
    finally:
        event.remove(FailingCommit, "before_commit", fail)
    [(audit_inside, sms_inside)] = inside
    assert audit_inside > audit_before and sms_inside == 1  # both written in the transaction
    assert await count(engine, AuditRow) == audit_before  # and both gone with it
    assert await count(engine, OutboxRow) == 0
    assert await services.forwarding.of_line(world.line(0).id) == ()
    await failing.forwarding.set(
        MANAGER, world.line(0).id, ForwardingKind.BUSY, destination="0145678910"
    )
    assert await count(engine, AuditRow) == audit_inside  # committed: both are there
    assert await count(engine, OutboxRow) == 1
