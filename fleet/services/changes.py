"""Change notifications: after a transaction commits, listeners (the routing cache)
hear which entities changed, so the next call sees the new configuration."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core.values import Actor

Listener = Callable[[Sequence["ChangeRef"]], Awaitable[None]]
# called inside the transaction, before it commits: what a stager writes commits with it
Stager = Callable[["AsyncSession", Sequence["ChangeRef"]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ChangeRef:
    """One committed change, as written in the audit journal."""

    fleet_id: int | None
    entity: str
    entity_id: str
    actor: Actor | None = None
    before: Any = None  # JSON snapshots
    after: Any = None
    view: Any = None  # the typed view after the change (a model dataclass), None once deleted


class ChangeHub:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._stagers: list[Stager] = []

    def stage_with(self, stager: Stager) -> None:
        self._stagers.append(stager)

    def unstage(self, stager: Stager) -> None:
        if stager in self._stagers:
            self._stagers.remove(stager)

    async def stage(self, session: AsyncSession, changes: Sequence[ChangeRef]) -> None:
        """Before commit: let stagers write what must commit with the changes (an outbox)."""
        if not changes:
            return
        for stager in list(self._stagers):
            await stager(session, changes)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def publish(self, changes: Sequence[ChangeRef]) -> None:
        if not changes:
            return
        for listener in list(self._listeners):
            await listener(changes)
