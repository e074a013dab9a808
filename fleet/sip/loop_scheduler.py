"""The transaction layer's scheduler port on the running event loop.

Short timers (retransmissions, 100 Trying) go on the loop's ``call_later``. Long ones (from
:data:`WHEEL_FROM` seconds: timers B, D, F, H, J, L, M, the 2xx deadline, the ACK memory), which
are many, nearly all cancelled or only ending a transaction, go on a coarse timer wheel: buckets
of :data:`TICK` seconds, ticked by one loop timer while any is pending. A wheel timer fires at
the first tick at or after its due time (never early, at most one tick late); cancelling it is
O(1). The scheduler remembers every timer it started, so :meth:`LoopScheduler.cancel_all` stops
them all."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable

log = logging.getLogger(__name__)

WHEEL_FROM = 1.0
TICK = 0.1


class _LoopTimer:
    __slots__ = ("_callback", "_handle", "_owner")

    def __init__(self, owner: LoopScheduler, callback: Callable[[], object]) -> None:
        self._owner = owner
        self._callback = callback
        self._handle: asyncio.TimerHandle | None = None

    def _fire(self) -> None:
        self._owner._timers.discard(self)
        self._callback()

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._owner._timers.discard(self)


class _WheelTimer:
    __slots__ = ("_callback", "_owner", "_tick")

    def __init__(self, owner: LoopScheduler, tick: int, callback: Callable[[], object]) -> None:
        self._owner = owner
        self._tick = tick
        self._callback = callback

    def cancel(self) -> None:
        """O(1); a timer whose bucket is running already is skipped (``_tick`` negative)."""
        owner = self._owner
        bucket = owner._buckets.get(self._tick)
        if bucket is not None and bucket.pop(self, False) is None:
            owner._wheeled -= 1
            if not bucket:
                del owner._buckets[self._tick]
        self._tick = -1


class LoopScheduler:
    """The scheduler port on the running event loop. ``resolution``: how late a long timer may
    fire (one wheel tick), which :class:`fleet.sip.linger.Linger` batches its expiries by."""

    resolution = TICK

    def __init__(self) -> None:
        self._timers: set[_LoopTimer] = set()
        self._buckets: dict[int, dict[_WheelTimer, None]] = {}
        self._wheeled = 0
        self._done = 0  # the last tick whose bucket ran
        self._ticker: asyncio.TimerHandle | None = None

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def call_later(self, delay: float, callback: Callable[[], object]) -> _LoopTimer | _WheelTimer:
        loop = asyncio.get_running_loop()
        if delay < WHEEL_FROM:
            timer = _LoopTimer(self, callback)
            timer._handle = loop.call_later(delay, timer._fire)
            self._timers.add(timer)
            return timer
        now = loop.time()
        tick = math.ceil((now + delay) / TICK)
        wheel_timer = _WheelTimer(self, tick, callback)
        bucket = self._buckets.get(tick)
        if bucket is None:
            self._buckets[tick] = {wheel_timer: None}
        else:
            bucket[wheel_timer] = None
        self._wheeled += 1
        if self._ticker is None:
            self._done = math.floor(now / TICK)
            self._ticker = loop.call_at((self._done + 1) * TICK, self._tick)
        return wheel_timer

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        current = math.floor(loop.time() / TICK)
        buckets = self._buckets
        for tick in range(self._done + 1, current + 1):
            bucket = buckets.pop(tick, None)
            if bucket is None:
                continue
            self._wheeled -= len(bucket)
            for timer in bucket:
                if timer._tick < 0:
                    continue  # cancelled by an earlier callback of this bucket
                timer._tick = -1
                try:
                    timer._callback()
                except Exception:  # one failing timer must not stop the others
                    log.exception("SIP timer callback failed")
        self._done = max(self._done, current)
        if self._wheeled > 0:
            self._ticker = loop.call_at((self._done + 1) * TICK, self._tick)
        else:
            self._ticker = None

    def forget(self, timer: _LoopTimer) -> None:
        self._timers.discard(timer)

    @property
    def pending(self) -> int:
        """Timers started and neither fired nor cancelled."""
        return len(self._timers) + self._wheeled

    def cancel_all(self) -> None:
        for timer in list(self._timers):
            timer.cancel()
        self._buckets.clear()
        self._wheeled = 0
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
