"""netsim's event hub: what changed, for whoever watches live (the web console's streams).

Publishers (netsim's handsets, its calls and legs, the timeline of FleetPBX's records) say
*what* changed — a :class:`Change`, a topic and a key — never the new value: a subscriber
reads the current state when it gets to it, so a burst of changes to one handset costs one
rendering. Publishing never blocks and never waits for a subscriber: each subscriber has a
bounded queue, and one that falls behind is dropped (told by :class:`Overflowed`; it starts
again from a fresh snapshot) rather than holding memory for ever."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType

import structlog

log = structlog.get_logger("simulators.netsim.hub")

QUEUE_SIZE = 1000  # changes a subscriber may lag behind before it is dropped


class Topic(StrEnum):
    HANDSET = "handset"  # key: the handset's E.164 number (its state, behaviour, screen…)
    CALL = "call"  # key: netsim's call id (a call or one of its legs changed)
    RECORD = "record"  # key: a timeline entry's id (a FleetPBX call record was read)
    FLEETS = "fleets"  # key: "" (the fleets were read again: handsets came or left)
    SMSC = "smsc"  # key: "" (the SMSC's bind or its misbehaviours changed)
    CLOSED = "closed"  # key: "" (netsim stops: watchers end their streams)


@dataclass(frozen=True, slots=True)
class Change:
    topic: Topic
    key: str = ""


class Overflowed(Exception):
    """The subscriber fell more than its queue's size behind and was dropped."""


class Subscription:
    """One watcher's queue of changes; use as a context manager (it unsubscribes)."""

    def __init__(self, hub: Hub, size: int) -> None:
        self._hub = hub
        self._queue: asyncio.Queue[Change] = asyncio.Queue(maxsize=size)
        self.overflowed = False

    def offer(self, change: Change) -> bool:
        """Queue ``change``; False (and the subscription dropped) when the queue is full."""
        try:
            self._queue.put_nowait(change)
        except asyncio.QueueFull:
            self.overflowed = True
            return False
        return True

    async def batch(self) -> set[Change]:
        """The next changes: waits for one, then takes every other one already queued (the
        same change queued twice comes once). Raises :class:`Overflowed` once dropped."""
        if self.overflowed and self._queue.empty():
            raise Overflowed
        changes = {await self._queue.get()}
        while not self._queue.empty():
            changes.add(self._queue.get_nowait())
        return changes

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._hub.unsubscribe(self)


class Hub:
    def __init__(self, *, queue_size: int = QUEUE_SIZE) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self._queue_size = queue_size
        self._subscribers: list[Subscription] = []

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def subscribe(self) -> Subscription:
        subscription = Subscription(self, self._queue_size)
        self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscribers:
            self._subscribers.remove(subscription)

    def publish(self, change: Change) -> None:
        if not self._subscribers:
            return
        for subscription in list(self._subscribers):
            if not subscription.offer(change):
                self.unsubscribe(subscription)
                log.warning("netsim_watcher_dropped", queue_size=self._queue_size)

    def close(self) -> None:
        """netsim stops: every subscriber is told (:attr:`Topic.CLOSED`) and dropped."""
        for subscription in list(self._subscribers):
            subscription.offer(Change(Topic.CLOSED))
            self.unsubscribe(subscription)

    def handset(self, e164: str) -> None:
        self.publish(Change(Topic.HANDSET, e164))

    def call(self, call_id: str) -> None:
        self.publish(Change(Topic.CALL, call_id))
