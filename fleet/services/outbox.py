"""The SMS outbox: notifications wait here until the SMSC accepted them, or are given up.

The notices a change sends are staged in the change's own transaction (``stager``): they
commit with it or not at all, so a crash right after the commit loses none.

Sending (``featurecodes.notify``) goes by claims: ``claim`` leases due messages to the caller
for ``Retry.lease`` (no other sender takes them meanwhile: ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so concurrent senders pick different rows without waiting; on SQLite the claim is
one ``UPDATE … RETURNING``, atomic under the database's write lock), then ``settle`` records
what became of each. A claim whose sender died lapses with its lease: the message is sent
again then (at least once; a duplicate only when a sender dies between the SMSC's answer and
``settle``). Messages to one number go in the order they were written: a message is due only
when no older message to the same number waits. Each message has its own attempts: one the
SMSC refused for now is tried again after a growing delay (``Retry``), one it refused for good
— or that failed ``Retry.attempts`` times — is dead-lettered and journalled for its line
(``SmsDeadLettered``), and the others flow past it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from fleet.core.changes import ChangeEvent, SmsDeadLettered
from fleet.core.numbering import E164
from fleet.core.values import Actor, Language
from fleet.db.tables import LineRow, OutboxRow
from fleet.services.base import Service, ServiceContext
from fleet.services.changes import Stager

MAX_TEXT = 500
OUTBOX_ACTOR = Actor.system("sms")  # who gives a message up, in the journal


class Notice(Protocol):
    """An SMS to a line, written in the line's language when it is staged."""

    @property
    def line_id(self) -> int: ...

    def text(self, language: Language) -> str: ...


Composer = Callable[[Sequence[ChangeEvent]], Sequence[Notice]]
"""The notices a batch of changes sends (``featurecodes.notices.notices``)."""


@dataclass(frozen=True, slots=True)
class Retry:
    """When a message is tried again: after its n-th failed attempt, ``first * factor**(n-1)``,
    at most ``longest``; after ``attempts`` failed attempts it is given up. A claim lasts
    ``lease`` (longer than one send may take: the window wait and the response timeout)."""

    first: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    longest: timedelta = timedelta(minutes=30)
    attempts: int = 10
    lease: timedelta = timedelta(minutes=2)

    def __post_init__(self) -> None:
        if self.first <= timedelta(0) or self.factor < 1 or self.attempts < 1:
            raise ValueError("a retry waits a positive time, growing, for at least one attempt")

    def delay(self, attempts: int) -> timedelta:
        """How long after its ``attempts``-th failed attempt a message is due again."""
        return min(self.longest, self.first * self.factor ** max(attempts - 1, 0))


class Result(Enum):
    """What became of a claimed message."""

    SENT = "sent"  # the SMSC took it
    NOT_TRIED = "not_tried"  # nothing reached the SMSC (no bind): back in the queue, as it was
    FAILED = "failed"  # refused or unanswered for now: tried again later, or given up
    REFUSED = "refused"  # refused for good: given up at once


@dataclass(frozen=True, slots=True)
class Attempt:
    sms_id: int
    result: Result
    error: str = ""


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    """A message to stage: to ``msisdn``, about line ``line_id`` of fleet ``fleet_id``."""

    fleet_id: int
    line_id: int
    msisdn: E164
    text: str


@dataclass(frozen=True, slots=True)
class PendingSms:
    id: int
    msisdn: E164
    text: str
    created_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class Settled:
    """What ``settle`` did: messages sent, to be tried again, given up, put back."""

    sent: int = 0
    retried: int = 0
    dead: tuple[int, ...] = ()
    not_tried: int = 0


def _waiting() -> ColumnElement[bool]:
    return and_(OutboxRow.sent_at.is_(None), OutboxRow.dead_at.is_(None))


class OutboxService(Service):
    def __init__(self, *, context: ServiceContext, retry: Retry | None = None) -> None:
        super().__init__(context=context)
        self.retry = retry or Retry()

    async def stage(self, session: AsyncSession, messages: Sequence[OutgoingSms]) -> None:
        """Add messages to the outbox inside ``session``'s transaction (they commit, or not,
        with the change they tell of)."""
        if messages:
            now = self.now()
            rows = [
                {
                    "fleet_id": m.fleet_id,
                    "line_id": m.line_id,
                    "msisdn": m.msisdn.value,
                    "text": m.text[:MAX_TEXT],
                    "created_at": now,
                    "next_attempt_at": now,
                    "attempts": 0,
                }
                for m in messages
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
                OutgoingSms(
                    fleet_id=line.fleet_id,
                    line_id=line.id,
                    msisdn=E164(line.msisdn),
                    text=notice.text(line.language),
                )
                for notice in wanted
                if (line := lines[notice.line_id]) is not None
            ]
            await self.stage(session, messages)

        return stage

    async def claim(self, limit: int) -> list[PendingSms]:
        """Lease up to ``limit`` due messages to the caller, oldest first, at most one per
        number (the oldest waiting to it); no other claim gets them until they are settled
        or the lease lapses."""
        now = self.now()
        earlier = aliased(OutboxRow)
        older_waits = exists().where(
            earlier.msisdn == OutboxRow.msisdn,
            earlier.id < OutboxRow.id,
            earlier.sent_at.is_(None),
            earlier.dead_at.is_(None),
        )
        due = (
            select(OutboxRow.id)
            .where(
                _waiting(),
                OutboxRow.next_attempt_at <= now,
                or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until <= now),
                ~older_waits,
            )
            .order_by(OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite writes one at a time
        )
        async with self.write() as session:
            rows = await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(due.scalar_subquery()))
                .values(claimed_until=now + self.retry.lease)
                .returning(
                    OutboxRow.id,
                    OutboxRow.msisdn,
                    OutboxRow.text,
                    OutboxRow.created_at,
                    OutboxRow.attempts,
                )
                .execution_options(synchronize_session=False)
            )
            claimed = [_pending(r) for r in rows]
        return sorted(claimed, key=lambda sms: sms.id)

    async def settle(self, attempts: Sequence[Attempt]) -> Settled:
        """Record what became of claimed messages, in one transaction: sent; put back
        untried; tried again after the ``Retry`` delay; or given up (refused for good, or
        failed too often) and journalled for its line."""
        if not attempts:
            return Settled()
        now = self.now()
        by_id = {attempt.sms_id: attempt for attempt in attempts}
        sent = retried = not_tried = 0
        dead: list[int] = []
        async with self.write() as session:
            rows = await session.scalars(
                select(OutboxRow).where(OutboxRow.id.in_(by_id)).order_by(OutboxRow.id)
            )
            for row in rows:
                attempt = by_id[row.id]
                row.claimed_until = None
                if attempt.result is Result.NOT_TRIED:
                    not_tried += 1
                    continue
                row.attempts += 1
                if attempt.result is Result.SENT:
                    row.sent_at = now
                    sent += 1
                    continue
                row.last_error = attempt.error[:200]
                given_up = attempt.result is Result.REFUSED
                if given_up or row.attempts >= self.retry.attempts:
                    row.dead_at = now
                    dead.append(row.id)
                    self._journal_dead_letter(session, row, permanent=given_up)
                else:
                    row.next_attempt_at = now + self.retry.delay(row.attempts)
                    retried += 1
        return Settled(sent=sent, retried=retried, dead=tuple(dead), not_tried=not_tried)

    def _journal_dead_letter(
        self, session: AsyncSession, row: OutboxRow, *, permanent: bool
    ) -> None:
        if row.fleet_id is None or row.line_id is None:
            return  # staged before lines were recorded and its line is gone: no fleet to tell
        note = SmsDeadLettered(
            fleet_id=row.fleet_id,
            line_id=row.line_id,
            msisdn=row.msisdn,
            text=row.text,
            attempts=row.attempts,
            error=row.last_error or "",
            permanent=permanent,
        )
        self.record(session, OUTBOX_ACTOR, note)

    async def pending(self, limit: int = 100) -> list[PendingSms]:
        """Messages still waiting (claimed or not, due or not), oldest first."""
        async with self.read() as session:
            rows = await session.scalars(
                select(OutboxRow).where(_waiting()).order_by(OutboxRow.id).limit(limit)
            )
            return [_pending(r) for r in rows.all()]

    async def count_pending(self) -> int:
        """Messages still waiting to be sent (not given up)."""
        return await self._count(_waiting())

    async def count_dead(self) -> int:
        """Messages given up (dead letters)."""
        return await self._count(OutboxRow.dead_at.is_not(None))

    async def _count(self, where: ColumnElement[bool]) -> int:
        async with self.read() as session:
            count = await session.scalar(select(func.count()).select_from(OutboxRow).where(where))
            return int(count or 0)


def _pending(row: Any) -> PendingSms:
    """A waiting message as the sender sees it (from a row or a RETURNING row)."""
    return PendingSms(
        id=row.id,
        msisdn=E164(row.msisdn),
        text=row.text,
        created_at=row.created_at,
        attempts=row.attempts,
    )
