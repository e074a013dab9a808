"""Virtual time: a clock and timers that move only when told to (``advance``)."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class VirtualTimer:
    def __init__(self, due: datetime, callback: Callable[[], None]) -> None:
        self.due = due
        self.callback: Callable[[], None] | None = callback
        self.cancelled = False

    def cancel(self) -> None:
        # drop the callback: closures that hold their own timer form reference cycles,
        # which would otherwise keep a finished call alive until a full collection
        self.cancelled = True
        self.callback = None


class VirtualTime:
    """Implements the engine's ``Clock`` and ``Timers`` ports in virtual time."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._heap: list[tuple[datetime, int, VirtualTimer]] = []
        self._seq = itertools.count()
        self.start_at = self._now

    def now(self) -> datetime:
        return self._now

    @property
    def elapsed(self) -> float:
        return (self._now - self.start_at).total_seconds()

    def start(self, delay: float, callback: Callable[[], None]) -> VirtualTimer:
        timer = VirtualTimer(self._now + timedelta(seconds=max(0.0, delay)), callback)
        heapq.heappush(self._heap, (timer.due, next(self._seq), timer))
        return timer

    @property
    def pending(self) -> int:
        """Timers still armed (not fired, not cancelled)."""
        return sum(1 for _, _, t in self._heap if not t.cancelled)

    def advance(self, seconds: float) -> None:
        """Move time forward, firing every timer that falls due, in order."""
        end = self._now + timedelta(seconds=seconds)
        while self._heap and self._heap[0][0] <= end:
            due, _, timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            self._now = max(self._now, due)
            callback = timer.callback
            timer.cancel()
            if callback is not None:
                callback()
        self._now = end

    def run(self, *, limit: float = 3600.0) -> float:
        """Fire timers until none is left (at most ``limit`` virtual seconds); return the
        virtual seconds that passed."""
        start = self._now
        deadline = start + timedelta(seconds=limit)
        while True:
            live = [entry for entry in self._heap if not entry[2].cancelled]
            if not live:
                break
            due = min(entry[0] for entry in live)
            if due > deadline:
                break
            self.advance((due - self._now).total_seconds())
        return (self._now - start).total_seconds()
