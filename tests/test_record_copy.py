"""Call records stored in batches (issue 12): on PostgreSQL with ``COPY``
(``fleet.services.record_copy``), on SQLite with multi-row INSERTs — the same rows either way:
one per call with both SIP Call-IDs, the events in order, a record delivered again left out."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.errors import DomainError, ErrorCode
from fleet.core.model import CallRecord
from fleet.core.values import SessionCase
from fleet.db.engine import is_sqlite
from fleet.db.tables import CallEventRow, CallRecordRow
from fleet.services.container import Services
from tests.test_record_journal import a_record


def a_visit(call_id: str, *, events: int = 3) -> CallRecord:
    """An originating visit of a SIP call: the caller's and the callee's Call-IDs, the ICID."""
    return replace(
        a_record(call_id, events=events),
        session_case=SessionCase.ORIGINATING,
        correlation_id=f"icid-{call_id}",
        caller_network_id=f"a-leg-{call_id}@scscf.example",
        callee_network_id=f"b-leg-{call_id}@fleetpbx.example",
    )


async def rows(engine: AsyncEngine, table: type[Any]) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_batch_stores_one_row_per_call_with_both_sip_call_ids_and_its_events(
    services: Services, engine: AsyncEngine
) -> None:
    batch = [a_visit(f"sip-{i}", events=1 + i % 4) for i in range(40)]
    assert await services.calls.save_many(batch) == 40
    for record in batch:
        assert await services.calls.get(record.call_id) == record
    assert await rows(engine, CallRecordRow) == 40
    assert await rows(engine, CallEventRow) == sum(len(r.events) for r in batch)


async def test_stored_records_are_left_out_of_a_later_batch_and_the_new_ones_keep_its_order(
    services: Services, engine: AsyncEngine
) -> None:
    stored = [a_visit(f"old-{i}") for i in range(3)]
    assert await services.calls.save_many(stored) == 3
    fresh = [a_visit(f"new-{i}", events=2) for i in range(5)]
    mixed = [fresh[0], stored[1], fresh[1], fresh[2], stored[0], fresh[3], fresh[4]]
    assert await services.calls.save_many(mixed) == 5
    assert await rows(engine, CallRecordRow) == 8
    assert await rows(engine, CallEventRow) == 3 * 3 + 5 * 2
    async with engine.connect() as conn:
        ordered = (
            await conn.scalars(select(CallRecordRow.call_id).order_by(CallRecordRow.id))
        ).all()
    assert ordered == [r.call_id for r in stored + fresh]


async def test_text_is_stored_without_nul_and_cut_to_its_column(services: Services) -> None:
    long = "x" * 300
    record = replace(a_visit("cut"), cause="busy\x00here" + long, callee_network_id="b\x00" + long)
    assert await services.calls.save_many([record]) == 1
    stored = await services.calls.get("cut")
    assert stored.cause == ("busyhere" + long)[:64]
    assert stored.callee_network_id == ("b" + long)[:255]
    assert stored.events == record.events  # the no-reply event's detail, JSON, read back


async def test_on_postgresql_a_batch_is_copied_without_one_insert_statement(
    services: Services, engine: AsyncEngine, database_url: str
) -> None:
    if is_sqlite(database_url):
        pytest.skip("COPY is PostgreSQL's")
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        assert await services.calls.save_many([a_visit(f"copy-{i}") for i in range(500)]) == 500
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert not [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(statements) == 1  # the ids; the two COPY go through the driver
    assert await rows(engine, CallEventRow) == 1500


async def test_on_postgresql_a_refused_copy_stores_nothing_of_its_batch(
    services: Services, engine: AsyncEngine, database_url: str
) -> None:
    if is_sqlite(database_url):
        pytest.skip("COPY is PostgreSQL's")
    good = a_visit("good")
    twice = a_visit("twice")
    twice = replace(twice, events=(twice.events[0], twice.events[0]))  # the same seq twice
    with pytest.raises(DomainError) as refused:
        await services.calls.save_many([good, twice])
    assert refused.value.code is ErrorCode.CONFLICT
    assert await rows(engine, CallRecordRow) == 0
    assert await rows(engine, CallEventRow) == 0
    assert await services.calls.save_many([good]) == 1  # the connection serves the next batch


async def test_on_postgresql_a_copy_cut_by_a_lost_connection_reports_the_database_away(
    services: Services, engine: AsyncEngine, database_url: str
) -> None:
    if is_sqlite(database_url):
        pytest.skip("COPY is PostgreSQL's")
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    victim: list[int] = []

    def note_pid(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "nextval" in statement and not victim:
            victim.append(conn.connection.driver_connection.get_server_pid())
            killer = conn.connection.driver_connection  # cut it under the COPY that follows
            killer.terminate()

    event.listen(engine.sync_engine, "after_cursor_execute", note_pid)
    try:
        with pytest.raises(DomainError) as away:
            await services.calls.save_many([a_visit("lost")])
    finally:
        event.remove(engine.sync_engine, "after_cursor_execute", note_pid)
    assert away.value.code is ErrorCode.DATABASE_UNAVAILABLE
    assert await services.calls.save_many([a_visit("lost")]) == 1  # a new connection
