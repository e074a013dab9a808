"""How late the event loop runs: :class:`LagMonitor` asks its scheduler for a wake-up every
``interval`` seconds and measures how much later than asked each one came. A loop busy with
other callbacks (parsing a burst, a slow handler) wakes it late.

``lag`` is smoothed, what :class:`fleet.sip.overload.OverloadGuard` reads: an exponentially
weighted mean of the wake-ups' lateness, each new one weighing ``weight``. One slow tick (a
garbage collection, a burst parsed in one go) moves it by ``weight`` of its lateness only, so it
does not flip the guard; a loop late wake-up after wake-up brings it to that lateness within a
few intervals, and it decays as fast once the wake-ups are on time again. ``latest`` is the
lateness of the last wake-up, ``worst`` the largest seen.

The scheduler is the transaction layer's port (``call_later`` and ``now``): the stack's
:class:`fleet.sip.stack.LoopScheduler` on the running loop, a virtual clock in tests. It keeps one
timer and no task: :meth:`stop` cancels it and nothing is left behind."""

from __future__ import annotations

from fleet.sip.transaction_ports import Scheduler, TimerHandle

DEFAULT_INTERVAL = 0.1
DEFAULT_WEIGHT = 0.25


class LagMonitor:
    def __init__(
        self,
        scheduler: Scheduler,
        interval: float = DEFAULT_INTERVAL,
        weight: float = DEFAULT_WEIGHT,
    ) -> None:
        if not interval > 0:
            raise ValueError("interval must be more than 0 seconds")
        if not 0 < weight <= 1:
            raise ValueError("weight must be more than 0 and at most 1")
        self._scheduler = scheduler
        self.interval = interval
        self.weight = weight
        self._timer: TimerHandle | None = None
        self._due = 0.0
        self.lag = 0.0
        self.latest = 0.0
        self.worst = 0.0

    @property
    def running(self) -> bool:
        return self._timer is not None

    def start(self) -> None:
        if self._timer is None:
            self.lag = self.latest = 0.0
            self._arm()

    def stop(self) -> None:
        """Cancel the pending wake-up; ``lag`` reads 0 from now on."""
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self.lag = self.latest = 0.0

    def _arm(self) -> None:
        self._due = self._scheduler.now() + self.interval
        self._timer = self._scheduler.call_later(self.interval, self._wake)

    def _wake(self) -> None:
        if self._timer is None:
            return
        late = max(0.0, self._scheduler.now() - self._due)
        self.latest = late
        self.lag += self.weight * (late - self.lag)
        self.worst = max(self.worst, late)
        self._arm()
