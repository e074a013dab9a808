"""The anchor: a fixed pure-Python workload timed in the same run as a benchmark's figures.

The machine is shared, so an absolute figure says as much about the other processes as
about the code. A figure divided by the anchor measured in the same run (the ratio printed
beside it) compares better from run to run: both slow down together when the machine is
busy. The workload does what the services do most (format strings, fill and read a dict,
build small tuples, call a function); the garbage collector is off while it runs, so a
collection of the bench's own heap does not land in it.

Each pass is timed twice: wall time (``A``), which grows when other processes take the
cores, as latencies and rates do; and the process's CPU time (``Ac``), which does not count
the waits, as the CPU figures do not. The passes run for about half a second in all, long
enough for the scheduler to give the process its share of a busy machine rather than the
head start of a process that has just woken up."""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass

from _report import out

ITERATIONS = 20_000
PASSES = 25


@dataclass(frozen=True, slots=True)
class Anchor:
    ms: float  # wall time, median of the passes
    low: float
    high: float
    cpu_ms: float  # CPU time, median of the passes

    def ratio(self, ms: float) -> str:
        """A wall time (a latency, a load) in anchors, e.g. "12.3 A"."""
        return f"{ms / self.ms:.3g} A"

    def cpu_ratio(self, ms: float) -> str:
        """A CPU time in CPU anchors, e.g. "0.05 Ac"."""
        return f"{ms / self.cpu_ms:.3g} Ac"


def _key(i: int) -> str:
    return f"+336{i:08d}"


def _workload() -> int:
    table: dict[str, tuple[int, str]] = {}
    for i in range(ITERATIONS):
        key = _key(i)
        table[key] = (i, key[-4:])
    total = 0
    for i in range(0, ITERATIONS, 3):
        found = table.get(_key(i))
        if found is not None:
            total += found[0] + len(found[1])
    return total


def measure(label: str = "") -> Anchor:
    """Times ``PASSES`` passes of the workload; prints and returns the median."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        samples, cpu = [], []
        for _ in range(PASSES):
            t0, c0 = time.perf_counter_ns(), time.process_time_ns()
            _workload()
            samples.append((time.perf_counter_ns() - t0) / 1e6)
            cpu.append((time.process_time_ns() - c0) / 1e6)
    finally:
        if enabled:
            gc.enable()
    anchor = Anchor(statistics.median(samples), min(samples), max(samples), statistics.median(cpu))
    out(
        f"anchor{f' ({label})' if label else ''}: A {anchor.ms:.2f} ms wall "
        f"({anchor.low:.2f}–{anchor.high:.2f}), Ac {anchor.cpu_ms:.2f} ms CPU: medians of "
        f"{PASSES} passes of a fixed pure-Python loop of {ITERATIONS:,} iterations"
    )
    return anchor


def mean(first: Anchor, second: Anchor) -> Anchor:
    """The anchor of a run measured before and after it: the mean of the two medians."""
    return Anchor(
        (first.ms + second.ms) / 2,
        min(first.low, second.low),
        max(first.high, second.high),
        (first.cpu_ms + second.cpu_ms) / 2,
    )
