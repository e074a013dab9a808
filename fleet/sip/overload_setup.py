"""Overload control by **work in progress**: a new INVITE is admitted only while the calls
already admitted and still **in setup** are fewer than what completes within a target time (half
of timer T1 by default); beyond that it gets the stateless 503.

A call is in setup from its INVITE's admission until FleetPBX has done its part: the first
response above 100 Trying sent back on its INVITE server transaction (180, 181, 183: the
B-leg was routed and answered; or a final response). Ringing is not counted: a call ringing
for 20 s costs nothing meanwhile. :class:`InSetup` keeps those transactions.

Why this and not the lag or the UDP queue: every message of an admitted call goes through the
same kernel queue as the new INVITEs, so when the loop falls behind, the callee's 180 of an
admitted call waits behind them and the call stays in setup longer. By Little's law the calls
in setup are the completion rate times the time a call spends in setup; bounding them to
``target ×`` the completion rate bounds that time, queue included, to ``target`` (T1 / 2 by
default) — so an admitted call is answered before the caller retransmits its INVITE (T1), a
refused one gets its 503 before too, and the calls admitted are those the loop completes.
Nothing is measured against the machine's speed: the window follows the rate at which calls
leave setup (smoothed on the load monitor's tick, :meth:`SetupWindow.sample`), with ``floor``
calls at least, so a quiet node admits bursts.

Only new INVITEs are judged (the guard's rule, :func:`fleet.sip.overload.is_new_call`):
ACK, BYE, responses and in-dialog requests of admitted calls always pass — shedding them would
cost retransmissions and leave the calls admitted unfinished. The clock is injected."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from fleet.sip.transaction_server import InviteServerState, InviteServerTransaction

_TRYING = 100
_EXACT_BELOW = 64
_SWEEP_SHARE = 8


@dataclass(frozen=True, slots=True)
class SetupConfig:
    """``target`` seconds a new call may spend in setup (half of RFC 3261's T1 by default:
    the caller's first INVITE retransmission comes at T1); ``stale_after`` seconds in setup
    after which a call is no longer counted (it waits for the far end — a callee's network
    slow to answer, timer B — not for this node: counting it would refuse every new call while
    a dead peer's calls wait out 32 s); ``floor`` calls in setup always admitted; ``weight`` of
    a tick's completion rate in the smoothed one."""

    target: float = 0.25
    stale_after: float = 1.0
    floor: int = 50
    weight: float = 0.25
    # samples in a row (the load monitor's 100 ms ticks) the window is found full before it
    # refuses: a stall of the loop (a preemption, a collection) is waited out, not shed
    confirm: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.target <= 60:
            raise ValueError("target must be more than 0 seconds and at most 60")
        if not self.stale_after >= self.target:
            raise ValueError("stale_after must be at least the target")
        if self.floor < 1:
            raise ValueError("floor must be at least 1")
        if not 0 < self.weight <= 1:
            raise ValueError("weight must be more than 0 and at most 1")
        if self.confirm < 1:
            raise ValueError("confirm must be at least 1")

    @classmethod
    def of_t1(cls, t1: float, target: float = 0.0, confirm: int = 1) -> SetupConfig:
        """``target`` seconds, or half of ``t1`` when 0; stale after 2 × T1 (at least the
        target)."""
        target = target or t1 / 2
        return cls(target=target, stale_after=max(target, 2 * t1), confirm=confirm)


def window(config: SetupConfig, completion_rate: float) -> int:
    """The calls in setup admitted at most when ``completion_rate`` calls/s leave setup."""
    return max(config.floor, int(completion_rate * config.target))


def in_setup(transaction: InviteServerTransaction) -> bool:
    """Still proceeding with nothing above 100 Trying sent."""
    if transaction.state is not InviteServerState.PROCEEDING:
        return False
    last = transaction.last_response
    return last is None or last.status == _TRYING


class InSetup:
    """The INVITE server transactions of admitted new calls still in setup (:func:`in_setup`)
    and admitted less than ``stale_after`` seconds ago (``now``: the clock). They are kept in
    the order admitted, so the stale ones and those done are dropped from the front at each
    read; behind one still waiting the rest are swept: at each read while fewer than 64 are kept
    (the count exact), else once the reads since the last sweep reach an eighth of them
    (amortised constant time per read, the count at most about an eighth above the real one,
    never below: a window judged on it refuses a little early, never late). ``entered`` counts
    every one added."""

    __slots__ = ("_now", "_queue", "_reads", "entered", "stale_after")

    def __init__(self, now: Callable[[], float], stale_after: float = 1.0) -> None:
        self._now = now
        self.stale_after = stale_after
        self._queue: deque[tuple[float, InviteServerTransaction]] = deque()
        self._reads = 0
        self.entered = 0

    def add(self, transaction: InviteServerTransaction) -> None:
        self._queue.append((self._now(), transaction))
        self.entered += 1

    def __len__(self) -> int:
        queue = self._queue
        oldest = self._now() - self.stale_after
        while queue and (queue[0][0] < oldest or not in_setup(queue[0][1])):
            queue.popleft()
        self._reads += 1
        if len(queue) < _EXACT_BELOW or self._reads * _SWEEP_SHARE >= len(queue):
            queue = self._queue = deque(entry for entry in queue if in_setup(entry[1]))
            self._reads = 0
        return len(queue)


class SetupWindow:
    """The admission below the guard's hard limits (its ``Admission``): :meth:`take` admits a
    new INVITE while ``calls`` (the calls in setup now) are fewer than :attr:`window`;
    :meth:`sample` (on the load monitor's tick) reads how many left setup since the last tick
    (``entered`` — those admitted ever — less those still in setup) and sets the window from the
    smoothed rate. ``refusing``: the last judgement (or sample) found the window full;
    ``refused`` counts the INVITEs it refused."""

    def __init__(
        self,
        config: SetupConfig,
        *,
        calls: Callable[[], int],
        entered: Callable[[], int],
        now: Callable[[], float],
    ) -> None:
        self.config = config
        self._calls = calls
        self._entered = entered
        self._now = now
        self._last: tuple[float, int] | None = None  # clock, calls done at the last sample
        self.rate = 0.0  # calls/s leaving setup, smoothed
        self.window = config.floor
        self._full = 0  # samples in a row that found the window full
        self.engaged = config.confirm == 1  # refusing once full (after ``confirm`` samples)
        self.refusing = False
        self.refused = 0

    @property
    def active(self) -> bool:
        """Always: every new INVITE is judged against the window, from its bytes where it can
        be (:mod:`fleet.sip.overload_raw`), so a refusal is always the stateless 503 — were it
        active only while refusing, the INVITE after each admitted one would reach the layer
        and be refused through a transaction, at half the cost of a call."""
        return True

    def read_backlog(self, backlog: Callable[[], float | None]) -> None:
        """The window needs no reading of the UDP queue (the guard's hard limit watches it)."""

    def take(self) -> bool:
        """One new INVITE: True to admit it."""
        self.refusing = self.engaged and self._calls() >= self.window
        if self.refusing:
            self.refused += 1
        return not self.refusing

    def sample(self) -> None:
        now = self._now()
        calls = self._calls()
        done = self._entered() - calls
        last, self._last = self._last, (now, done)
        if last is not None and now > last[0]:
            tick_rate = max(0, done - last[1]) / (now - last[0])
            self.rate += self.config.weight * (tick_rate - self.rate)
            self.window = window(self.config, self.rate)
        full = calls >= self.window
        self._full = self._full + 1 if full else 0
        self.engaged = self._full >= self.config.confirm or self.config.confirm == 1
        self.refusing = self.engaged and full
