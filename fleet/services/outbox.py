"""The SMS outbox: notifications wait here until the SMSC accepted them.

The notices a change sends are staged in the change's own transaction (``stager``): they
commit with it or not at all, so a crash right after the commit loses none."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core.changes import ChangeEvent
from fleet.core.numbering import E164
from fleet.core.values import Language
from fleet.db.tables import LineRow, OutboxRow
from fleet.services.base import Service
from fleet.services.changes import Stager


class Notice(Protocol):
    """An SMS to a line, written in the line's language when it is staged."""

    @property
    def line_id(self) -> int: ...

    def text(self, language: Language) -> str: ...


Composer = Callable[[Sequence[ChangeEvent]], Sequence[Notice]]
"""The notices a batch of changes sends (``featurecodes.notices.notices``)."""


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

    def stager(self, compose: Composer) -> Stager:
        """A stager for the ``ChangeHub``: inside each change's transaction, the notices
        ``compose`` finds in the changes go to the outbox, to the lines' numbers in their
        languages (a line the transaction has already loaded costs no statement)."""

        async def stage(session: AsyncSession, events: Sequence[ChangeEvent]) -> None:
            wanted = compose(events)
            if not wanted:
                return
            lines: dict[int, LineRow | None] = {}
            for line_id in {notice.line_id for notice in wanted}:
                lines[line_id] = await session.get(LineRow, line_id)
            messages = [
                (E164(line.msisdn), notice.text(line.language))
                for notice in wanted
                if (line := lines[notice.line_id]) is not None
            ]
            await self.stage(session, messages)

        return stage

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
