"""What every service shares: sessions, clock, number policy, transactions, audit."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fleet.core.clock import Clock
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.values import Actor, AuditAction
from fleet.db.tables import AuditRow
from fleet.services.changes import ChangeHub, ChangeRef

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServiceContext:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    policy: NumberPolicy
    changes: ChangeHub = dataclasses.field(default_factory=ChangeHub)


class Service:
    """Base of the use-case services: one transaction per call, one audit entry per change."""

    def __init__(self, *, context: ServiceContext) -> None:
        self._ctx = context

    @property
    def policy(self) -> NumberPolicy:
        return self._ctx.policy

    def now(self) -> datetime:
        return self._ctx.clock.now()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A read-write transaction; database faults become domain errors."""
        changes: list[ChangeRef] = []
        journal: list[dict[str, Any]] = []
        try:
            async with self._ctx.sessions.begin() as session:
                session.info["changes"] = changes
                session.info["audit"] = journal
                yield session
                await self._ctx.changes.stage(session, changes)
                if journal:  # one plain INSERT, outside the ORM's unit of work
                    await session.execute(insert(AuditRow), journal)
        except IntegrityError as exc:
            raise DomainError(ErrorCode.CONFLICT) from exc
        except (OperationalError, InterfaceError, OSError) as exc:
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
        except (OperationalError, InterfaceError, OSError) as exc:
            raise DomainError(ErrorCode.DATABASE_UNAVAILABLE) from exc

    def audit(
        self,
        session: AsyncSession,
        actor: Actor,
        *,
        fleet_id: int | None,
        entity: str,
        entity_id: object,
        action: AuditAction,
        before: Any = None,
        after: Any = None,
    ) -> None:
        """Journal a change; written with the transaction of ``write()`` that ``session``
        belongs to, and published to the ``ChangeHub`` once it is committed."""
        before_json, after_json = snapshot(before), snapshot(after)
        session.info["changes"].append(
            ChangeRef(
                fleet_id=fleet_id,
                entity=entity,
                entity_id=str(entity_id),
                actor=actor,
                before=before_json,
                after=after_json,
                view=after,
            )
        )
        session.info["audit"].append(
            {
                "at": self.now(),
                "actor": actor.name,
                "account_id": actor.account_id,
                "channel": actor.channel,
                "fleet_id": fleet_id,
                "entity": entity,
                "entity_id": str(entity_id),
                "action": action,
                "before": before_json,
                "after": after_json,
            }
        )


def snapshot(value: Any) -> Any:
    """A JSON-safe copy of a view (dataclass), for the audit journal."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, E164):
        return value.value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: snapshot(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): snapshot(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [snapshot(v) for v in value]
    raise TypeError(f"cannot snapshot {type(value).__name__}")
