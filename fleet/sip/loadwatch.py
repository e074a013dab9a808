"""How late the event loop runs: :class:`LagMonitor` asks its scheduler for a wake-up every
``interval`` seconds and measures how much later than asked each one came. A loop busy with
other callbacks (parsing a burst, a slow handler) wakes it late; ``lag`` is the lateness of the
latest wake-up, what :class:`fleet.sip.overload.OverloadGuard` reads.

The scheduler is the transaction layer's port (``call_later`` and ``now``): the stack's
:class:`fleet.sip.stack.LoopScheduler` on the running loop, a virtual clock in tests. It keeps one
timer and no task: :meth:`stop` cancels it and nothing is left behind."""

from __future__ import annotations

from fleet.sip.transaction_ports import Scheduler, TimerHandle

DEFAULT_INTERVAL = 0.1


class LagMonitor:
    def __init__(self, scheduler: Scheduler, interval: float = DEFAULT_INTERVAL) -> None:
        if not interval > 0:
            raise ValueError("interval must be more than 0 seconds")
        self._scheduler = scheduler
        self.interval = interval
        self._timer: TimerHandle | None = None
        self._due = 0.0
        self.lag = 0.0
        self.worst = 0.0

    @property
    def running(self) -> bool:
        return self._timer is not None

    def start(self) -> None:
        if self._timer is None:
            self.lag = 0.0
            self._arm()

    def stop(self) -> None:
        """Cancel the pending wake-up; ``lag`` reads 0 from now on."""
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self.lag = 0.0

    def _arm(self) -> None:
        self._due = self._scheduler.now() + self.interval
        self._timer = self._scheduler.call_later(self.interval, self._wake)

    def _wake(self) -> None:
        if self._timer is None:
            return
        self.lag = max(0.0, self._scheduler.now() - self._due)
        self.worst = max(self.worst, self.lag)
        self._arm()
