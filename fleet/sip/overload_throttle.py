"""Overload control below the hard limits: admit a **share** of new INVITEs, steered by the
load, before the event loop is saturated.

The hard limits of :class:`fleet.sip.overload.OverloadGuard` are all or nothing: past one, every
new INVITE is refused until the load falls below the low mark. At twice the rate a node can
carry that oscillates — everything refused, the load drops, everything admitted, the queues
fill again — and what is admitted meanwhile waits in the queues long enough to be
retransmitted, so most calls fail although half of them could have been carried. The
:class:`Throttle` instead admits a share of the new calls and adjusts it on each sample of the
load (the :class:`fleet.sip.loadwatch.LagMonitor`'s tick, every 100 ms): it multiplies the share
by ``target / pressure`` (at least by ``cut``) when the pressure is above its target, and adds
``step`` back when it is at or below ``resume_ratio`` of it — additive increase, multiplicative
decrease, like a congestion window. The pressure is the largest of the loop's smoothed lag over
``target_lag`` and the UDP receive queue's fill over ``target_backlog`` (both signals that rise
while there is still room: the queue before datagrams are dropped, the lag before INVITEs wait
their retransmission timer), so it acts where the hard limits would be far off.

Which INVITEs are admitted is deterministic, not random: a credit grows by the share at each new
INVITE and one is admitted whenever it reaches 1 (a share of 0.5 admits every second one). Only
new INVITEs are judged, as by the guard; every other request, and every response, passes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ThrottleConfig:
    """``target_lag`` seconds of smoothed event-loop lag and ``target_backlog`` share of the UDP
    receive buffer above which the admitted share shrinks; ``floor`` the least share admitted;
    ``cut`` the most one sample divides it by; ``step`` what a quiet sample adds back."""

    target_lag: float = 0.05
    target_backlog: float = 0.05
    resume_ratio: float = 0.8
    floor: float = 0.02
    cut: float = 0.5
    step: float = 0.05

    def __post_init__(self) -> None:
        if not self.target_lag > 0:
            raise ValueError("target_lag must be more than 0 seconds")
        if not 0 < self.target_backlog <= 1:
            raise ValueError("target_backlog must be more than 0 and at most 1")
        if not 0 <= self.resume_ratio < 1:
            raise ValueError("resume_ratio must be at least 0 and less than 1")
        if not 0 < self.floor <= 1 or not 0 < self.cut < 1 or not 0 < self.step <= 1:
            raise ValueError("floor, cut and step must be shares (floor, step <= 1, cut < 1)")


class Throttle:
    """The admitted share of new INVITEs; ``lag`` and ``backlog`` read the current smoothed lag
    (seconds) and UDP queue fill (0–1, None unknown). :meth:`sample` (a
    :class:`fleet.sip.loadwatch.Probe`, after the monitor's own update) adjusts the share;
    :meth:`take` says whether the next new INVITE is admitted. ``throttled`` counts those it
    refused."""

    __slots__ = ("_backlog", "_credit", "_lag", "config", "pressure", "share", "throttled")

    def __init__(
        self,
        config: ThrottleConfig,
        lag: Callable[[], float],
        backlog: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.config = config
        self._lag = lag
        self._backlog = backlog
        self.share = 1.0
        self.pressure = 0.0
        self._credit = 0.0
        self.throttled = 0

    def read_backlog(self, backlog: Callable[[], float | None]) -> None:
        """Read the UDP queue's fill from ``backlog`` from now on."""
        self._backlog = backlog

    @property
    def active(self) -> bool:
        """Whether some new INVITEs are refused now."""
        return self.share < 1.0

    @property
    def refusing(self) -> bool:
        return self.active

    def sample(self) -> None:
        config = self.config
        fill = self._backlog() or 0.0
        pressure = max(self._lag() / config.target_lag, fill / config.target_backlog)
        self.pressure = pressure
        if pressure > 1.0:
            self.share = max(config.floor, self.share * max(config.cut, 1.0 / pressure))
        elif pressure <= config.resume_ratio and self.share < 1.0:
            self.share = min(1.0, self.share + config.step)
            if self.share >= 1.0:
                self._credit = 0.0

    def take(self) -> bool:
        """One new INVITE: True to admit it (always while the share is whole)."""
        if self.share >= 1.0:
            return True
        self._credit += self.share
        if self._credit >= 1.0:
            self._credit -= 1.0
            return True
        self.throttled += 1
        return False
