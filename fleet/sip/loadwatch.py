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
timer and no task: :meth:`stop` cancels it and nothing is left behind.

What waits in the kernel is invisible to the lag: datagrams not read yet sit in the UDP socket's
receive buffer, and past its size the kernel drops them. :class:`UdpBacklog` reads that queue
(Linux: the ``rx_queue`` and ``drops`` columns of ``/proc/net/udp`` and ``/proc/net/udp6`` for
the socket's inode; ``fill`` is None, unknown, elsewhere), sampled on the monitor's tick by
:meth:`LagMonitor.watch`: ``fill`` is the share of the buffer in use at the last sample,
``dropped`` the datagrams the kernel dropped between the last two samples."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from fleet.sip.transaction_ports import Scheduler, TimerHandle

DEFAULT_INTERVAL = 0.1
DEFAULT_WEIGHT = 0.25


UDP_TABLES = ("/proc/net/udp", "/proc/net/udp6")


@dataclass(frozen=True, slots=True)
class SocketQueue:
    """One UDP socket's receive queue: ``queued`` bytes (the kernel's accounting, against the
    buffer size ``SO_RCVBUF`` reports) and ``drops`` datagrams dropped since it opened."""

    queued: int
    drops: int


def find_socket(table: str, inode: int) -> SocketQueue | None:
    """The row of socket ``inode`` in the text of a ``/proc/net/udp`` table, or None."""
    wanted = str(inode)
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 12 and fields[9] == wanted:
            return SocketQueue(int(fields[4].partition(":")[2], 16), int(fields[12]))
    return None


def read_udp_queue(inode: int) -> SocketQueue | None:
    """Socket ``inode``'s queue from ``/proc/net/udp{,6}``; None when not on Linux or not found."""
    if not sys.platform.startswith("linux"):
        return None
    for path in UDP_TABLES:
        try:
            with open(path, encoding="ascii") as table:
                found = find_socket(table.read(), inode)
        except OSError:
            continue
        if found is not None:
            return found
    return None


class Probe(Protocol):
    def sample(self) -> None: ...


class UdpBacklog:
    """The receive queue of the UDP socket ``inode`` whose buffer holds ``capacity`` bytes,
    read by ``read`` (:func:`read_udp_queue`, a fake in tests) at each :meth:`sample`."""

    def __init__(
        self,
        inode: int,
        capacity: int,
        read: Callable[[int], SocketQueue | None] = read_udp_queue,
    ) -> None:
        self.inode = inode
        self.capacity = max(1, capacity)
        self._read = read
        self._drops: int | None = None
        self.fill: float | None = None  # share of the buffer queued; None: unknown
        self.dropped = 0  # datagrams dropped between the last two samples

    def sample(self) -> None:
        queue = self._read(self.inode)
        if queue is None:
            self.fill, self.dropped, self._drops = None, 0, None
            return
        self.fill = queue.queued / self.capacity
        self.dropped = 0 if self._drops is None else max(0, queue.drops - self._drops)
        self._drops = queue.drops


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
        self._probes: list[Probe] = []
        self._due = 0.0
        self.lag = 0.0
        self.latest = 0.0
        self.worst = 0.0

    @property
    def running(self) -> bool:
        return self._timer is not None

    def watch(self, probe: Probe) -> None:
        """Sample ``probe`` (a :class:`UdpBacklog`) at each wake-up from now on (once)."""
        if probe not in self._probes:
            self._probes.append(probe)

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
        for probe in self._probes:
            probe.sample()
        self._arm()
