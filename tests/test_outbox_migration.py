"""Migration 0007 keeps the SMS waiting in the outbox: due at once, for the line they were
addressed to (so a dead letter can be journalled for it)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.values import Actor
from fleet.db import migrate
from fleet.db.types import UTCDateTime
from fleet.services.container import Services
from tests.world import build_world

BEFORE = "0006"
WRITTEN = datetime(2025, 12, 30, 8, 15, tzinfo=UTC)  # before the test clock's "now"
OLD_OUTBOX = sa.table(
    "sms_outbox",
    sa.column("msisdn", sa.String()),
    sa.column("text", sa.String()),
    sa.column("created_at", UTCDateTime()),
    sa.column("attempts", sa.Integer()),
)


async def test_messages_waiting_at_the_upgrade_are_due_at_once_for_their_lines(
    engine: AsyncEngine, database_url: str, services: Services, actor: Actor
) -> None:
    world = await build_world(services, actor)
    await migrate.downgrade(database_url, BEFORE)
    try:
        async with engine.begin() as conn:
            waiting = [("+33611000002", "pour B", 3), ("+33699999999", "ligne partie", 0)]
            await conn.execute(
                sa.insert(OLD_OUTBOX),
                [
                    {"msisdn": m, "text": t, "created_at": WRITTEN, "attempts": a}
                    for m, t, a in waiting
                ],
            )
    finally:
        await migrate.upgrade(database_url)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.text(
                    "SELECT msisdn, fleet_id, line_id, attempts, claimed_until, dead_at"
                    " FROM sms_outbox ORDER BY id"
                )
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("+33611000002", world.fleet.id, world.line(1).id, 3, None, None),
        ("+33699999999", None, None, 0, None, None),
    ]
    [b, gone] = await services.outbox.pending()
    assert (b.text, gone.text) == ("pour B", "ligne partie")
    claimed = await services.outbox.claim(10)  # due at once
    assert [sms.text for sms in claimed] == ["pour B", "ligne partie"]
