"""Migration 0008 keeps the call records written before it: each reads as a terminating
visit without correlation or leg ids, and the downgrade drops the new columns again."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.values import CallOutcome, SessionCase
from fleet.db import migrate
from fleet.db.types import UTCDateTime
from fleet.services.container import Services

BEFORE = "0007"
OFFERED = datetime(2025, 12, 30, 8, 15, tzinfo=UTC)
OLD_RECORDS = sa.table(
    "call_records",
    sa.column("call_id", sa.String()),
    sa.column("fleet_id", sa.Integer()),
    sa.column("caller", sa.String()),
    sa.column("called", sa.String()),
    sa.column("offered_at", UTCDateTime()),
    sa.column("outcome", sa.String()),
)


async def _columns(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("call_records")}
        )


async def test_records_written_before_the_upgrade_read_as_terminating_visits(
    engine: AsyncEngine, database_url: str, services: Services
) -> None:
    visit_columns = {"session_case", "correlation_id", "caller_network_id", "callee_network_id"}
    await migrate.downgrade(database_url, BEFORE)
    try:
        assert not visit_columns & await _columns(engine)
        async with engine.begin() as conn:
            await conn.execute(
                sa.insert(OLD_RECORDS),
                [
                    {
                        "call_id": "before-0008",
                        "fleet_id": None,
                        "caller": "+33699000009",
                        "called": "+33611000001",
                        "offered_at": OFFERED,
                        "outcome": "answered",
                    }
                ],
            )
    finally:
        await migrate.upgrade(database_url)
    assert visit_columns <= await _columns(engine)
    record = await services.calls.get("before-0008")
    assert record.outcome is CallOutcome.ANSWERED
    assert record.session_case is SessionCase.TERMINATING
    assert (record.correlation_id, record.caller_network_id, record.callee_network_id) == (
        None,
        None,
        None,
    )
