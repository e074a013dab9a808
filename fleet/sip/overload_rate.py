"""Overload control by **rate**: new INVITEs admitted through a token bucket at the rate the
event loop carries, learnt from the CPU a call costs it and the CPU it gets.

The share throttle (:mod:`fleet.sip.overload_throttle`) cuts a share of the offered INVITEs by
the lag or the UDP queue alone, so what it admits still follows the offered load, and the share
it finds is lost as soon as the pressure falls. :class:`RateAdmission` keeps, on the load
monitor's tick (every 100 ms), two figures:

- the **CPU a call costs** the loop: its thread's CPU time over the new INVITEs admitted, over a
  sliding ``window`` of ticks, read while every new INVITE is admitted and the loop keeps up
  (everything it did meanwhile included: the calls' later messages, the timers, the call
  records; not while behind, where a flood's first INVITEs have not cost their later messages
  yet — unless there is no reading yet);
- the **capacity**: on each tick the loop is *behind* — the pressure, as the throttle's, above
  1: the smoothed lag over ``target_lag`` or the UDP queue's fill over ``target_backlog`` — it
  used all the CPU it got, so the share of a core it got that tick over the CPU of a call is
  the rate it carries (smoothed, ``learn`` a tick). On a machine shared with other work that
  share is well below a core, which the lag or the CPU per call alone cannot tell.

It **engages** after ``confirm`` ticks in a row behind (half a second: one slow tick, a
collection, a short preemption at the knee do not):
from then on a new INVITE is admitted only with a token of the bucket. While behind, the rate
is ``headroom`` × the capacity, divided by the pressure (at most by ``drain``) so the queue
drains; once no longer behind it is back to ``headroom`` × the capacity at once and then grows
by ``increase`` a tick, at most ``probe`` above the capacity (where the next time behind
measures it again), and never above what a whole core carries. It lets go once a whole window
passed with no INVITE refused and the load below its targets.

The bucket holds at most ``burst`` seconds of the rate (and one call), so a burst of offered
INVITEs does not pass as a burst of work. Only new INVITEs are judged, as by the guard: ACK,
BYE, responses and in-dialog requests are never counted or refused, so the calls admitted
complete. The clock (``now``) and the CPU clock (``cpu``, the loop thread's
``time.thread_time`` in the service) are injected."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateConfig:
    """``target_lag`` seconds of smoothed lag and ``target_backlog`` of the UDP buffer above
    which the loop is behind, ``confirm`` ticks in a row to engage; ``headroom`` of the capacity
    admitted, ``learn`` the weight of a tick behind in the capacity, ``drain`` the most the
    pressure divides the rate by; ``increase`` a tick once not behind, up to ``probe`` above the
    capacity; ``window`` ticks measured; ``burst`` seconds of the rate the bucket holds;
    ``min_calls`` admitted in the window to read a cost from."""

    target_lag: float = 0.1
    target_backlog: float = 0.05
    confirm: int = 5
    headroom: float = 0.95
    learn: float = 0.25
    drain: float = 1.25
    increase: float = 0.02
    probe: float = 0.1
    window: int = 20
    burst: float = 0.05
    min_calls: int = 10

    def __post_init__(self) -> None:
        if not self.target_lag > 0:
            raise ValueError("target_lag must be more than 0 seconds")
        if not 0 < self.target_backlog <= 1:
            raise ValueError("target_backlog must be more than 0 and at most 1")
        if not 0 < self.headroom <= 1 or not 0 < self.increase <= 1:
            raise ValueError("headroom and increase must be shares (more than 0, at most 1)")
        if not self.probe >= 0:
            raise ValueError("probe must not be negative")
        if not 0 < self.learn <= 1:
            raise ValueError("learn must be a share (more than 0, at most 1)")
        if not self.drain >= 1:
            raise ValueError("drain must be at least 1")
        if min(self.window, self.min_calls, self.confirm) < 1 or not self.burst > 0:
            raise ValueError("window, min_calls, confirm and burst must be more than 0")


@dataclass(frozen=True, slots=True)
class _Tick:
    wall: float
    cpu: float
    admitted: int
    throttled: int


class RateAdmission:
    """A token bucket for new INVITEs at :attr:`rate` calls/s (None: not limiting), the rate set
    by :meth:`sample` (a :class:`fleet.sip.loadwatch.Probe` on the monitor's tick). ``lag`` and
    ``backlog`` read the smoothed lag (s) and the UDP queue's fill (0–1, None unknown);
    ``now`` the clock (s), ``cpu`` the loop thread's CPU time (s). ``throttled`` counts the
    INVITEs it refused, ``admitted`` those it let through; ``cost`` is the CPU per call read
    last (s), ``busy`` the loop's share of a core, ``pressure`` the load over its targets."""

    def __init__(
        self,
        config: RateConfig,
        *,
        now: Callable[[], float],
        cpu: Callable[[], float],
        lag: Callable[[], float],
        backlog: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.config = config
        self._now = now
        self._cpu = cpu
        self._lag = lag
        self._backlog = backlog
        self._ticks: deque[_Tick] = deque(maxlen=config.window)
        self._last: _Tick | None = None  # the clocks and counts read at the last sample
        self._behind = 0  # samples in a row above the targets, while not limiting
        self._tokens = 0.0
        self._filled_at = 0.0
        self.rate: float | None = None
        self.capacity: float | None = None  # calls/s the loop carried while behind
        self.cost: float | None = None
        self.busy = 0.0
        self.pressure = 0.0
        self.admitted = 0
        self.throttled = 0

    def read_backlog(self, backlog: Callable[[], float | None]) -> None:
        """Read the UDP queue's fill from ``backlog`` from now on."""
        self._backlog = backlog

    @property
    def active(self) -> bool:
        """Whether new INVITEs are judged against the rate now."""
        return self.rate is not None

    @property
    def refusing(self) -> bool:
        """Judging against a rate is refusing what passes it."""
        return self.active

    def take(self) -> bool:
        """One new INVITE: True to admit it."""
        rate = self.rate
        if rate is not None:
            now = self._now()
            cap = max(1.0, rate * self.config.burst)
            self._tokens = min(cap, self._tokens + rate * (now - self._filled_at))
            self._filled_at = now
            if self._tokens < 1.0:
                self.throttled += 1
                return False
            self._tokens -= 1.0
        self.admitted += 1
        return True

    def _measure(self) -> _Tick | None:
        """The window's totals after this sample's tick, None at the first sample."""
        now = _Tick(self._now(), self._cpu(), self.admitted, self.throttled)
        last, self._last = self._last, now
        if last is None or now.wall <= last.wall:
            return None
        self._ticks.append(
            _Tick(
                now.wall - last.wall,
                max(0.0, now.cpu - last.cpu),
                now.admitted - last.admitted,
                now.throttled - last.throttled,
            )
        )
        ticks = self._ticks
        return _Tick(
            sum(t.wall for t in ticks),
            sum(t.cpu for t in ticks),
            sum(t.admitted for t in ticks),
            sum(t.throttled for t in ticks),
        )

    def _learn(self, tick: _Tick) -> None:
        """A tick the loop was behind in: it used all the CPU it got, so that share of a core
        over the CPU a call costs is the rate it carries (smoothed: ``learn`` a tick)."""
        if self.cost is None:
            return
        carried = tick.cpu / tick.wall / max(self.cost, 1e-6)
        known = self.capacity
        self.capacity = carried if known is None else known + self.config.learn * (carried - known)

    def sample(self) -> None:
        config = self.config
        window = self._measure()
        if window is None:
            return
        self.busy = window.cpu / window.wall
        fill = self._backlog() or 0.0
        self.pressure = max(self._lag() / config.target_lag, fill / config.target_backlog)
        behind = self.pressure > 1.0
        # every one admitted, and the loop keeping up (a flood's first INVITEs have not cost
        # their later messages yet): unless there is no other reading
        steady = not behind or self.cost is None
        if self.rate is None and steady and window.admitted >= config.min_calls:
            self.cost = window.cpu / window.admitted
        if behind:  # the loop is saturated: what it got of a core, over the CPU of a call
            self._learn(self._ticks[-1])
        capacity = self.capacity
        rate = self.rate
        if rate is None:
            self._behind = self._behind + 1 if behind else 0
            if self._behind < config.confirm or capacity is None:
                return
            self._behind = 0
            self._tokens, self._filled_at = 0.0, self._last.wall if self._last else 0.0
        elif not behind and not window.throttled:  # none refused over the window: unbound
            self.rate = None
            return
        if capacity is None:
            return
        if behind:  # below the capacity by the pressure: the queue drains
            rate = config.headroom * capacity / min(self.pressure, config.drain)
        else:  # back to the capacity at once, then probing above it, ``probe`` at most
            rate = max(config.headroom * capacity, (rate or 0.0) * (1.0 + config.increase))
            rate = min(rate, (1.0 + config.probe) * capacity)
        if self.cost is not None:  # never above what a whole core carries
            rate = min(rate, config.headroom / max(self.cost, 1e-6))
        self.rate = max(rate, 1.0)
