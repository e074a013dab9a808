"""Virtual time for the transaction tests: a scheduler whose clock moves only when told."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from enum import Enum
from itertools import count

from fleet.sip.transaction_base import TransactionBase


class VirtualHandle:
    def __init__(self, when: float, callback: Callable[[], object]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class VirtualClock:
    """``call_later`` / ``now`` of the scheduler port; :meth:`advance` runs what falls due, in
    time order (ties in the order they were scheduled), moving the clock to each one."""

    def __init__(self) -> None:
        self._now = 0.0
        self._queue: list[tuple[float, int, VirtualHandle]] = []
        self._seq = count()

    def now(self) -> float:
        return self._now

    def call_later(self, delay: float, callback: Callable[[], object]) -> VirtualHandle:
        handle = VirtualHandle(self._now + max(delay, 0.0), callback)
        heapq.heappush(self._queue, (handle.when, next(self._seq), handle))
        return handle

    def advance(self, seconds: float) -> None:
        self.run_until(self._now + seconds)

    def run_until(self, when: float) -> None:
        while self._queue and self._queue[0][0] <= when + 1e-9:
            due, _, handle = heapq.heappop(self._queue)
            self._now = max(self._now, due)
            if not handle.cancelled:
                handle.callback()
        self._now = max(self._now, when)

    @property
    def pending(self) -> int:
        """Callbacks scheduled and not cancelled."""
        return sum(1 for _, _, handle in self._queue if not handle.cancelled)


def state(transaction: TransactionBase) -> Enum:
    """The state, read through a call so that mypy does not narrow it across clock steps."""
    return transaction.state  # type: ignore[attr-defined, no-any-return]
