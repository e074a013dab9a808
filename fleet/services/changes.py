"""The change hub: every configuration change a service commits, as a typed value
(``fleet.core.changes``) with who made it (``ChangeEvent``).

- Stagers run inside the change's transaction, before it commits: what they write commits
  with the change or not at all (the SMS outbox; later, a PostgreSQL NOTIFY to the other
  processes).
- Listeners run once it has committed, before the service call that made it returns: the
  routing cache, the account cache, the SMS notifier (which sends what was staged).

Journal-only notes (``fleet.core.changes.Note``) never reach the hub."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from fleet.core.changes import ChangeEvent

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

Listener = Callable[[Sequence[ChangeEvent]], Awaitable[None]]
# called inside the transaction, before it commits: what a stager writes commits with it
Stager = Callable[["AsyncSession", Sequence[ChangeEvent]], Awaitable[None]]


class ChangeHub:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._stagers: list[Stager] = []

    def stage_with(self, stager: Stager) -> None:
        self._stagers.append(stager)

    def unstage(self, stager: Stager) -> None:
        if stager in self._stagers:
            self._stagers.remove(stager)

    async def stage(self, session: AsyncSession, changes: Sequence[ChangeEvent]) -> None:
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

    async def publish(self, changes: Sequence[ChangeEvent]) -> None:
        """After commit: tell every listener, in the order the changes were made."""
        if not changes:
            return
        for listener in list(self._listeners):
            await listener(changes)
