"""What the change listener (``fleet.services.change_listen``) counts, as plain values a
``/metrics`` endpoint reads: notifications received, cache reloads by reason, and the lag
of each notification from its commit (staged, in the sender's wall time) to its changes
applied here."""

from __future__ import annotations

import bisect
import enum
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

# seconds: from well under a millisecond (same machine) to a stuck process
LAG_BUCKETS: tuple[float, ...] = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)


class ReloadReason(enum.StrEnum):
    """Why a process read its caches again from the database."""

    RECONNECTED = "listener reconnected"  # notifications may have been missed meanwhile
    REQUESTED = "reload requested"  # ``fleetpbx cache reload``
    TOO_LARGE = "change too large to send"  # a reference in place of the change
    UNDECODABLE = "undecodable notification"  # another version, or not ours
    NOT_APPLIED = "notification not applied"  # applying it failed (the database away)


@dataclass(slots=True)
class LagHistogram:
    """Notification lags in seconds: counts per bucket (``le`` bounds, Prometheus-style;
    the last count is above every bound), their sum and count. A negative lag (clocks of
    two machines apart) counts as zero."""

    bounds: tuple[float, ...] = LAG_BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * (len(LAG_BUCKETS) + 1))
    total: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        seconds = max(seconds, 0.0)
        self.counts[bisect.bisect_left(self.bounds, seconds)] += 1
        self.total += seconds
        self.count += 1

    def cumulative(self) -> list[tuple[float, int]]:
        """``(le, count of lags ≤ le)`` per bound, then ``(inf, count)``."""
        running, out = 0, []
        for bound, n in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += n
            out.append((bound, running))
        return out


@dataclass(slots=True)
class ChangeFeedStats:
    """The change listener's counters (one object per process, on the application)."""

    connects: int = 0  # LISTEN established (the first time and after each drop)
    disconnects: int = 0
    received: int = 0  # notifications from other processes
    own: int = 0  # this process's own, skipped
    undecodable: int = 0
    changes_applied: int = 0
    reloads: Counter[ReloadReason] = field(default_factory=Counter)
    lag: LagHistogram = field(default_factory=LagHistogram)
    listening: bool = False
    # told as well (``/metrics``: fleet.app wires them to its cache metrics)
    on_reload: Callable[[ReloadReason], None] | None = None
    on_lag: Callable[[float], None] | None = None

    def reloaded(self, reason: ReloadReason) -> None:
        self.reloads[reason] += 1
        if self.on_reload is not None:
            self.on_reload(reason)

    def lagged(self, seconds: float) -> None:
        self.lag.observe(seconds)
        if self.on_lag is not None:
            self.on_lag(max(seconds, 0.0))
