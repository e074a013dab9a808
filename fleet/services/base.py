"""What every service shares: sessions, clock, number policy, transactions, and recording
the typed changes they make (audit journal and change hub)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fleet.core.changes import ChangeEvent, Journalled, Note
from fleet.core.clock import Clock
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import NumberPolicy
from fleet.core.values import Actor
from fleet.core.voicemail import NO_VOICEMAIL, VoicemailPlatform
from fleet.db.tables import AuditRow
from fleet.services import journal
from fleet.services.changes import ChangeHub

T = TypeVar("T")

# SQLSTATE classes that say the database cannot serve now, not that the request is wrong:
# connection exceptions, insufficient resources (too many connections, disk full),
# operator intervention (shutting down, starting up), and a database that does not exist
UNAVAILABLE_STATES = ("08", "53", "57P", "3D000")


def unavailable(exc: BaseException) -> bool:
    """Whether a database error means "the database is not there now" (retry later)."""
    if isinstance(exc, (OperationalError, InterfaceError, OSError)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return isinstance(state, str) and state.startswith(UNAVAILABLE_STATES)
    return False


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServiceContext:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    policy: NumberPolicy
    changes: ChangeHub = dataclasses.field(default_factory=ChangeHub)
    voicemail: VoicemailPlatform = NO_VOICEMAIL  # the deployment's voicemail platform


class Service:
    """Base of the use-case services: one transaction per call; each change is stated once,
    typed (``record``), and becomes its journal entry and its event on the hub."""

    def __init__(self, *, context: ServiceContext) -> None:
        self._ctx = context

    @property
    def policy(self) -> NumberPolicy:
        return self._ctx.policy

    @property
    def voicemail(self) -> VoicemailPlatform:
        return self._ctx.voicemail

    def now(self) -> datetime:
        return self._ctx.clock.now()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A read-write transaction; database faults become domain errors."""
        changes: list[ChangeEvent] = []
        entries: list[dict[str, Any]] = []
        try:
            async with self._ctx.sessions.begin() as session:
                session.info["changes"] = changes
                session.info["audit"] = entries
                yield session
                await self._ctx.changes.stage(session, changes)
                if entries:  # one plain INSERT, outside the ORM's unit of work
                    await session.execute(insert(AuditRow), entries)
        except IntegrityError as exc:
            raise DomainError(ErrorCode.CONFLICT) from exc
        except DBAPIError as exc:
            if unavailable(exc):
                raise DomainError(ErrorCode.DATABASE_UNAVAILABLE) from exc
            raise
        except OSError as exc:
            raise DomainError(ErrorCode.DATABASE_UNAVAILABLE) from exc
        await self._ctx.changes.publish(changes)

    async def again_on_conflict(self, change: Callable[[], Awaitable[T]]) -> T:
        """Run ``change`` (one write transaction); when it lost a race to a concurrent
        change of the same rows (a unique constraint: ``CONFLICT``), run it once more: it
        then sees the other's rows and updates them."""
        try:
            return await change()
        except DomainError as exc:
            if exc.code is not ErrorCode.CONFLICT:
                raise
            return await change()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        try:
            async with self._ctx.sessions() as session:
                yield session
        except DBAPIError as exc:
            if unavailable(exc):
                raise DomainError(ErrorCode.DATABASE_UNAVAILABLE) from exc
            raise
        except OSError as exc:
            raise DomainError(ErrorCode.DATABASE_UNAVAILABLE) from exc

    def record(self, session: AsyncSession, actor: Actor, change: Journalled) -> None:
        """Journal ``change``, made by ``actor``, with the transaction of ``write()`` that
        ``session`` belongs to. A change of configuration (not a ``Note``) is also given to
        the hub's stagers before the commit and published to its listeners after it."""
        if not isinstance(change, Note):
            session.info["changes"].append(ChangeEvent(change=change, actor=actor))
        row = journal.entry(change)
        session.info["audit"].append(
            {
                "at": self.now(),
                "actor": actor.name,
                "account_id": actor.account_id,
                "channel": actor.channel,
                "fleet_id": row.fleet_id,
                "entity": row.entity,
                "entity_id": row.entity_id,
                "action": row.action,
                "before": row.before,
                "after": row.after,
            }
        )
