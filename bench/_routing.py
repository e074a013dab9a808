"""The measurements of ``routing_cache.py``: the cache's load and memory, committed changes
reaching it, and the reads of a routing decision."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from random import Random
from typing import TypeVar

from _anchor import Anchor
from _report import out, percentile

from fleet.core import model
from fleet.core.numbering import E164
from fleet.core.values import Actor, Channel, ForwardingKind
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory

T = TypeVar("T")
ACTOR = Actor(name="bench", channel=Channel.CLI)
DESTINATIONS = [f"01456789{i:02d}" for i in range(100)]  # forwarding targets outside the fleet
PER_LINES = 10_000  # the load and memory targets are per this many lines


@dataclass(frozen=True, slots=True)
class Targets:
    load_s: float  # load_all(), PostgreSQL, wall, per 10,000 lines (with a group per 10)
    cache_mb: float  # what the loaded cache keeps, per 10,000 lines (MB = 10**6 bytes)
    apply_p99_ms: float  # the cache's part of a committed change
    change_p99_ms: float  # a change through the services, one at a time, PostgreSQL
    read_p99_us: float  # each read of a routing decision
    call_p99_us: float  # all the reads of one call


def quantiles(samples: Sequence[float]) -> tuple[float, float, float, float]:
    """p50, p95, p99 (nearest rank) and max."""
    ordered = sorted(samples)
    return (
        percentile(ordered, 0.50),
        percentile(ordered, 0.95),
        percentile(ordered, 0.99),
        ordered[-1],
    )


@dataclass
class Figures:
    backend: str
    pg: bool
    load_wall: list[float] = field(default_factory=list)  # s
    load_cpu: list[float] = field(default_factory=list)  # s
    lines: int = 0
    retained: int = 0  # bytes the loaded cache keeps
    peak: int = 0  # bytes at the peak of the load
    objects: int = 0  # objects tracked by the garbage collector, added by the load
    call_ms: dict[str, list[float]] = field(default_factory=dict)  # per kind of change
    apply_ms: dict[str, list[float]] = field(default_factory=dict)
    unseen: int = 0  # changes the cache did not show once the service call returned
    reads_us: dict[str, list[float]] = field(default_factory=dict)
    lookup_us: list[float] = field(default_factory=list)  # the reads' own anchor
    wrong: int = 0  # reads that found the wrong kind of target
    anchor: Anchor | None = None

    def report(self, targets: Targets) -> None:
        a = self.anchor
        if a is None:
            raise RuntimeError("no anchor measured")
        wall, cpu = statistics.median(self.load_wall), statistics.median(self.load_cpu)
        out(
            f"-- {self.backend}: summary (anchor: A {a.ms:.2f} ms wall, Ac {a.cpu_ms:.2f} ms CPU, "
            "means of before and after)"
        )
        out(
            f"load_all(): median {wall:.3f} s wall = {a.ratio(wall * 1e3)}, {cpu:.3f} s CPU = "
            f"{a.cpu_ratio(cpu * 1e3)}; keeps {self.retained / 1e6:.1f} MB "
            f"({self.retained / self.lines:,.0f} B per line), peak {self.peak / 1e6:.1f} MB"
        )
        for kind, samples in self.call_ms.items():
            p50, _, p99, _ = quantiles(samples)
            q50, _, q99, _ = quantiles(self.apply_ms[kind])
            out(
                f"change {kind}: service call p50 {p50:.2f} ms, p99 {p99:.2f} ms = "
                f"{a.ratio(p99)}; in the cache p50 {q50:.3f} ms, p99 {q99:.3f} ms = {a.ratio(q99)}"
            )
        base = statistics.median(self.lookup_us)
        for kind, samples in self.reads_us.items():
            p50, _, p99, _ = quantiles(samples)
            out(f"read {kind}: p50 {p50:.2f} µs, p99 {p99:.2f} µs = {p99 / base:.1f} L")
        out(f"  (L: the median of a bare dict lookup timed the same way, {base:.2f} µs)")
        self._targets(targets)
        out()

    def _targets(self, targets: Targets) -> None:
        scale = self.lines / PER_LINES
        wall = statistics.median(self.load_wall)
        mb = self.retained / 1e6
        apply = max(quantiles(s)[2] for s in self.apply_ms.values())
        change = max(quantiles(s)[2] for s in self.call_ms.values())
        reads = {kind: quantiles(s)[2] for kind, s in self.reads_us.items()}
        call = reads.pop("one call")
        worst = max(reads.values())
        seen, right = not self.unseen, not self.wrong
        t = targets
        checks = [  # goal, figure, met, judged on this backend
            (f"load < {t.load_s * scale:g} s", f"{wall:.2f} s", wall < t.load_s * scale, self.pg),
            (f"cache < {t.cache_mb * scale:g} MB", f"{mb:.1f} MB", mb < t.cache_mb * scale, True),
            (
                f"applying a change p99 < {t.apply_p99_ms:g} ms",
                f"{apply:.3f} ms",
                apply < t.apply_p99_ms and seen,
                True,
            ),
            (
                f"a change, one at a time, p99 < {t.change_p99_ms:g} ms",
                f"{change:.2f} ms",
                change < t.change_p99_ms and seen,
                self.pg,
            ),
            (
                f"each read p99 < {t.read_p99_us:g} µs",
                f"worst {worst:.2f} µs",
                worst < t.read_p99_us and right,
                True,
            ),
            (
                f"one call's reads p99 < {t.call_p99_us:g} µs",
                f"{call:.2f} µs",
                call < t.call_p99_us and right,
                True,
            ),
        ]
        for goal, figure, met, judged in checks:
            verdict = ("met" if met else "NOT met") if judged else "not judged on this backend"
            out(f"target: {goal}: {verdict} ({figure})")


# -- the load ---------------------------------------------------------------------------------


async def load(services: Services, times: int, figures: Figures) -> None:
    """``load_all()`` into a new cache, ``times`` times: wall and CPU time of each."""
    for i in range(times):
        directory = CachedDirectory(services=services)
        gc.collect()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        await directory.load_all()
        figures.load_wall.append(time.perf_counter() - wall0)
        figures.load_cpu.append(time.process_time() - cpu0)
        figures.lines = len(directory.all_lines())
        out(
            f"load {i + 1}: {figures.lines:,} lines in {figures.load_wall[-1]:.3f} s wall, "
            f"{figures.load_cpu[-1]:.3f} s CPU"
        )
        del directory


async def memory(services: Services, figures: Figures) -> None:
    """One more load under tracemalloc (slower: not timed): the bytes the loaded cache
    keeps, the peak during the load, and the objects it adds to the collector's scans."""
    gc.collect()
    objects0 = len(gc.get_objects())
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        directory = CachedDirectory(services=services)
        await directory.load_all()
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    figures.retained, figures.peak = after - before, peak - before
    figures.objects = len(gc.get_objects()) - objects0
    out(
        f"memory (tracemalloc, one more load): the cache keeps {figures.retained / 1e6:.1f} MB "
        f"({figures.retained / figures.lines:,.0f} B per line), peak {figures.peak / 1e6:.1f} MB "
        f"during the load; {figures.objects:,} objects more for the garbage collector"
    )
    del directory


# -- the numbers a call dials -----------------------------------------------------------------


@dataclass(frozen=True)
class Numbers:
    fleet_id: int
    lines: list[model.LineServices]  # every line of the fleet
    pabx: list[model.LineServices]  # those with the PABX option (they have forwardings)
    groups: list[model.CallGroup]
    shorts: list[str]  # the short numbers of lines, groups and fixed numbers
    outside: list[E164]  # numbers outside the fleet

    @classmethod
    async def collect(
        cls, services: Services, directory: CachedDirectory, fleet_id: int
    ) -> Numbers:
        lines = directory.all_lines()
        groups = await services.groups.in_fleet(fleet_id)
        fixed = await services.fleets.fixed_numbers(fleet_id)
        shorts = [s.line.short_number for s in lines if s.line.short_number]
        shorts += [g.short_number for g in groups if g.short_number]
        shorts += [f.short_number for f in fixed if f.short_number]
        policy = services.lines.policy
        outside = [policy.destination(f"01{i:08d}") for i in range(10_000_000, 20_000_000, 997)]
        numbers = cls(
            fleet_id=fleet_id,
            lines=lines,
            pabx=[s for s in lines if s.line.pabx_option],
            groups=[g for g in groups if g.members],
            shorts=shorts,
            outside=outside,
        )
        out(
            f"numbers: {len(lines):,} lines ({len(numbers.pabx):,} with the PABX option), "
            f"{len(groups):,} groups ({len(numbers.groups):,} with members), "
            f"{len(shorts):,} short numbers"
        )
        return numbers


# -- changes ----------------------------------------------------------------------------------


class ApplyTimer:
    """Two listeners of the change hub, one subscribed before the cache and one after: the
    time between them is the cache applying the change."""

    def __init__(self) -> None:
        self._t0 = 0
        self.samples: list[float] = []

    async def start(self, _changes: Sequence[object]) -> None:
        self._t0 = time.perf_counter_ns()

    async def stop(self, _changes: Sequence[object]) -> None:
        self.samples.append((time.perf_counter_ns() - self._t0) / 1e6)


async def open_timed(services: Services) -> tuple[CachedDirectory, ApplyTimer]:
    """The cache as the service wires it (loaded, subscribed to the changes), timed."""
    timer = ApplyTimer()
    services.changes.subscribe(timer.start)
    directory = await CachedDirectory.open(services=services)
    services.changes.subscribe(timer.stop)
    return directory, timer


async def changes(
    services: Services,
    directory: CachedDirectory,
    timer: ApplyTimer,
    numbers: Numbers,
    count: int,
    rng: Random,
    figures: Figures,
) -> None:
    """``count`` changes of each kind, one at a time, through the services; each checked in
    the cache as soon as the service call returns."""
    kinds = list(ForwardingKind)
    calls: list[float] = []
    timer.samples.clear()
    for i in range(count):
        line = rng.choice(numbers.pabx).line
        kind = kinds[i % len(kinds)]
        active = rng.random() < 0.5
        t0 = time.perf_counter_ns()
        rule = await services.forwarding.set(
            ACTOR, line.id, kind, destination=rng.choice(DESTINATIONS), active=active
        )
        calls.append((time.perf_counter_ns() - t0) / 1e6)
        shown = directory.by_msisdn(line.msisdn)
        figures.unseen += shown is None or shown.forwarding(kind) != rule
    figures.call_ms["forwarding set"] = calls
    figures.apply_ms["forwarding set"] = list(timer.samples)
    report_changes("forwarding set (services.forwarding.set)", calls, timer.samples)

    calls = []
    timer.samples.clear()
    for _ in range(count):
        group = rng.choice(numbers.groups)
        member = rng.choice(group.members)
        shown = directory.by_msisdn(member.msisdn)
        now = next(g.connected for g in shown.groups if g.group_id == group.id) if shown else False
        t0 = time.perf_counter_ns()
        await services.groups.set_connected(ACTOR, group.id, member.line_id, not now)
        calls.append((time.perf_counter_ns() - t0) / 1e6)
        shown = directory.by_msisdn(member.msisdn)
        seen = shown is not None and any(
            g.group_id == group.id and g.connected is not now for g in shown.groups
        )
        figures.unseen += not seen
    figures.call_ms["member connected"] = calls
    figures.apply_ms["member connected"] = list(timer.samples)
    report_changes("member (dis)connected (services.groups.set_connected)", calls, timer.samples)
    out(f"changes not shown by the cache once the call returned: {figures.unseen}")


def report_changes(what: str, calls: list[float], applies: list[float]) -> None:
    out(f"change: {what}, {len(calls)} one at a time")
    row = "p50 {:7.3f}  p95 {:7.3f}  p99 {:7.3f}  max {:8.3f}"
    out("  service call ms:  " + row.format(*quantiles(calls)))
    out("  in the cache ms:  " + row.format(*quantiles(applies)))


# -- reads ------------------------------------------------------------------------------------


def timed(read: Callable[[T], object], inputs: Sequence[T]) -> list[float]:
    """Each read timed alone (µs), as the engine makes them: one at a time."""
    clock = time.perf_counter_ns
    samples = []
    for value in inputs:
        t0 = clock()
        read(value)
        samples.append((clock() - t0) / 1e3)
    return samples


def decisions(
    directory: CachedDirectory, numbers: Numbers, count: int, rng: Random, figures: Figures
) -> None:
    """The cache's reads for routing, each ``count`` times on numbers drawn at random."""
    fleet_id = numbers.fleet_id
    msisdns = [s.line.msisdn for s in numbers.lines]
    table = {n.value: n for n in msisdns}

    def short(digits: str) -> object:
        number = directory.short_number(fleet_id, digits)
        return directory.resolve(number) if number is not None else None

    def one_call(pair: tuple[E164, str]) -> object:
        # what Engine.incoming_call and the router read for a caller dialling a short number
        caller, digits = pair
        caller_fleet = directory.fleet_of(caller)
        number = directory.short_number(caller_fleet or fleet_id, digits)
        if number is None:
            return None
        directory.fleet_of(number)
        return directory.resolve(number)

    def lookup(number: E164) -> object:
        return table.get(number.value)

    calls = list(
        zip(rng.choices(msisdns, k=count), rng.choices(numbers.shorts, k=count), strict=True)
    )
    plan: list[tuple[str, Callable[..., object], list[object], str]] = [
        ("resolve(line)", directory.resolve, list(rng.choices(msisdns, k=count)), "LineTarget"),
        (
            "resolve(group number)",
            directory.resolve,
            [g.number for g in rng.choices(numbers.groups, k=count)],
            "GroupTarget",
        ),
        ("short number + resolve", short, list(rng.choices(numbers.shorts, k=count)), ""),
        ("fleet_of(caller)", directory.fleet_of, list(rng.choices(msisdns, k=count)), "int"),
        (
            "resolve(outside)",
            directory.resolve,
            list(rng.choices(numbers.outside, k=count)),
            "ExternalTarget",
        ),
        ("one call", one_call, list(calls), ""),
    ]
    for _, read, inputs, _ in plan:  # warm-up
        timed(read, inputs[: count // 10 + 1])
    timed(lookup, msisdns[: count // 10 + 1])
    figures.lookup_us = timed(lookup, rng.choices(msisdns, k=count))
    out(f"reads, {count} each on numbers drawn at random, one at a time (µs):")
    for name, read, inputs, expected in plan:
        figures.reads_us[name] = samples = timed(read, inputs)
        found = Counter(type(read(value)).__name__ for value in inputs)
        if expected:
            figures.wrong += sum(n for kind, n in found.items() if kind != expected)
        else:
            figures.wrong += found.get("NoneType", 0) + found.get("ExternalTarget", 0)
        shown = ", ".join(f"{kind} {n}" for kind, n in found.most_common())
        out(
            "  {:<24} p50 {:6.2f}  p95 {:6.2f}  p99 {:6.2f}  max {:8.2f}   ".format(
                name, *quantiles(samples)
            )
            + shown
        )
    out(
        "  {:<24} p50 {:6.2f}  p95 {:6.2f}  p99 {:6.2f}  max {:8.2f}   (the reads' anchor)".format(
            "bare dict lookup", *quantiles(figures.lookup_us)
        )
    )
    out(f"reads that found the wrong kind of target: {figures.wrong}")
