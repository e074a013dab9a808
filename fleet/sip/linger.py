"""What waits out one fixed delay, first in first out: the transactions lingering for timers D,
I, J, K, L and M, the UA core's ACKs of 2xx responses kept for timer M.

Thousands of these wait at a time (every call leaves several for 32 s), and nearly all of them
only end when their time is up. A timer each would keep a handle, a callback object and a wheel
slot alive per item for the garbage collector to traverse; with one fixed delay the deadlines
come in the order the items were added, so one :class:`Linger` keeps the items and their
deadlines in two deques and a single scheduler timer, armed for the oldest. An item never
expires early; on a scheduler with a ``resolution`` (the event loop's wheel tick,
:data:`fleet.sip.loop_scheduler.TICK`) expiries falling within one resolution of each other are
handled by the same wake-up, at most that late."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from fleet.sip.transaction_ports import Scheduler, TimerHandle

T = TypeVar("T")

_EPSILON = 1e-9


class Linger(Generic[T]):
    """Items expiring ``delay`` seconds after :meth:`add`: ``expire`` is called with each, in
    the order added. An item whose owner ended before (a transaction terminated early) is
    still passed to ``expire``, which must then do nothing."""

    __slots__ = ("_due", "_expire", "_gap", "_handle", "_items", "_scheduler", "delay")

    def __init__(self, scheduler: Scheduler, delay: float, expire: Callable[[T], object]) -> None:
        self._scheduler = scheduler
        self.delay = delay
        self._expire = expire
        self._items: deque[T] = deque()
        self._due: deque[float] = deque()  # floats: nothing more for the collector
        gap = getattr(scheduler, "resolution", 0.0)
        self._gap = gap if isinstance(gap, float) else 0.0
        self._handle: TimerHandle | None = None

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item: T) -> None:
        self._items.append(item)
        self._due.append(self._scheduler.now() + self.delay)
        if self._handle is None:
            self._handle = self._scheduler.call_later(self.delay, self._fire)

    def _fire(self) -> None:
        self._handle = None
        now = self._scheduler.now()
        items, due, expire = self._items, self._due, self._expire
        try:
            while due and due[0] <= now + _EPSILON:
                due.popleft()
                expire(items.popleft())
        finally:  # one failing expiry must not strand the others
            if due and self._handle is None:
                wait = max(due[0] - now, self._gap)
                self._handle = self._scheduler.call_later(wait, self._fire)

    def clear(self) -> None:
        """Forget every item without expiring it (the owner shuts down)."""
        self._items.clear()
        self._due.clear()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
