"""The SMS outbox: notifications wait here until the SMSC accepted them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core.numbering import E164
from fleet.db.tables import OutboxRow
from fleet.services.base import Service


@dataclass(frozen=True, slots=True)
class PendingSms:
    id: int
    msisdn: E164
    text: str
    created_at: datetime
    attempts: int


class OutboxService(Service):
    async def enqueue(self, msisdn: E164, text: str) -> int:
        async with self.write() as session:
            row = OutboxRow(msisdn=msisdn.value, text=text[:500], created_at=self.now(), attempts=0)
            session.add(row)
            await session.flush()
            return row.id

    async def stage(self, session: AsyncSession, messages: list[tuple[E164, str]]) -> None:
        """Add messages to the outbox inside ``session``'s transaction (they commit, or not,
        with the change they tell of)."""
        if messages:
            now = self.now()
            rows = [
                {"msisdn": m.value, "text": t[:500], "created_at": now, "attempts": 0}
                for m, t in messages
            ]
            await session.execute(insert(OutboxRow), rows)

    async def pending(self, limit: int = 100) -> list[PendingSms]:
        async with self.read() as session:
            rows = await session.scalars(
                select(OutboxRow)
                .where(OutboxRow.sent_at.is_(None))
                .order_by(OutboxRow.id)
                .limit(limit)
            )
            return [
                PendingSms(
                    id=r.id,
                    msisdn=E164(r.msisdn),
                    text=r.text,
                    created_at=r.created_at,
                    attempts=r.attempts,
                )
                for r in rows.all()
            ]

    async def count_pending(self) -> int:
        async with self.read() as session:
            count = await session.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.sent_at.is_(None))
            )
            return int(count or 0)

    async def mark_sent(self, sms_id: int) -> None:
        async with self.write() as session:
            row = await session.get(OutboxRow, sms_id)
            if row is not None:
                row.sent_at = self.now()
                row.attempts += 1

    async def mark_failed(self, sms_id: int, error: str) -> None:
        async with self.write() as session:
            row = await session.get(OutboxRow, sms_id)
            if row is not None:
                row.attempts += 1
                row.last_error = error[:200]
