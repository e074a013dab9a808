"""Change notifications: after a transaction commits, listeners (the routing cache)
hear which entities changed, so the next call sees the new configuration."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fleet.core.values import Actor

Listener = Callable[[Sequence["ChangeRef"]], Awaitable[None]]


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
