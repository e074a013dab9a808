"""engine: call handling on the simulated network, in virtual time.

Seeds one fleet (10,000 lines and 200 call groups by default) on a fresh PostgreSQL
database, loads the routing cache, then drives the call engine on the simulated network:
a traffic run (CPU cost per call attempt, routing-decision latency, outcomes) and a
memory run (bytes per concurrent call). Prints figures; it is a benchmark, not a test.

    .venv/bin/python bench/engine.py [--lines N] [--groups N] [--calls N]
                                     [--concurrent N] [--pg-url URL] [--seed N]
                                     [--criteria SHARE]

``--criteria 0.3``: schedules (office hours and their opposite) and routing criteria on
every rule of 30 % of the lines (issue 16 item 2); the traffic runs on a Monday at 10:00 in
the fleet's zone, so both schedules' ranges are met.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/portal.py would
# shadow the project's ``portal`` package (which fleet.app imports): the root goes first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import gc
import os
import random
import resource
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from functools import partial

from _anchor import measure
from _criteria import seed_criteria
from _pg import DEFAULT_PG_URL, PG_URL_ENV, scratch_database, seed_fleet
from _report import out, percentile

from fleet import heap
from fleet.app import build_services
from fleet.config import load_settings
from fleet.core.calls.engine import Engine
from fleet.core.clock import SystemClock
from fleet.core.model import CallRecord, LineServices
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.values import ForwardingKind
from fleet.db import migrate
from fleet.db.engine import create_engine
from fleet.exchange import build_exchange
from fleet.services.directory import CachedDirectory
from simulators.clock import VirtualTime
from simulators.handsets import Behaviour, HandsetState
from simulators.network import SimulatedNetwork

MIX = {"plain": 0.40, "forwarding": 0.25, "list": 0.15, "group": 0.20}
RATE = 50  # new calls per virtual second
STEP = 0.1  # virtual seconds per time step
HOLD = (5.0, 180.0)  # seconds from dialling until the caller hangs up
SETTLE = 900  # virtual seconds to let calls end by themselves before forcing hang-ups
TARGET_RATE = 2_000.0  # call attempts per CPU second
TARGET_P99_US = 2_000.0
TARGET_MB = 200.0  # for 10,000 concurrent calls (MB = 10**6 bytes)
Handsets = list[tuple[E164, str, bool, Behaviour, HandsetState]]


@dataclass
class Tally:
    """The engine's recorder: counts records by outcome."""

    outcomes: Counter[str] = field(default_factory=Counter)
    causes: Counter[str] = field(default_factory=Counter)  # of the calls not answered
    count: int = 0

    def record(self, record: CallRecord) -> None:
        self.count += 1
        self.outcomes[record.outcome.value if record.outcome else "none"] += 1
        if record.answered_at is None:
            self.causes[record.cause or "none"] += 1


@dataclass
class Exchange:
    time: VirtualTime
    network: SimulatedNetwork
    engine: Engine
    tally: Tally


@dataclass
class GcClock:
    """A ``gc.callbacks`` hook: wall time spent in the cyclic garbage collector."""

    seconds: float = 0.0
    runs: int = 0
    full: int = 0  # generation-2 collections
    worst: float = 0.0
    started: float = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
            return
        spent = time.perf_counter() - self.started
        self.seconds += spent
        self.worst = max(self.worst, spent)
        self.runs += 1
        self.full += info["generation"] == 2


def category(services: LineServices) -> str:
    """plain, forwarding or list: which services a direct call to this line meets."""
    if not services.line.pabx_option:
        return "plain"
    plan = services.incoming_list
    unconditional = services.forwarding(ForwardingKind.UNCONDITIONAL)
    direct = unconditional and unconditional.active and unconditional.destination
    if plan and plan.active and plan.entries and not direct:
        return "list"
    if any(f.active and f.destination for f in services.forwardings):
        return "forwarding"
    return "plain"


def behaviour(rng: random.Random) -> tuple[Behaviour, HandsetState]:
    """78 % answer after 2-15 s, 12 % never answer, 5 % switched off, 5 % already busy."""
    draw = rng.random()
    if draw < 0.78:
        return Behaviour(answer_after=rng.uniform(2.0, 15.0)), HandsetState.ON
    if draw < 0.90:
        return Behaviour(answer_after=None), HandsetState.ON
    if draw < 0.95:
        return Behaviour(), HandsetState.OFF
    return Behaviour(already_busy=True), HandsetState.ON


def build(directory: CachedDirectory, handsets: Handsets) -> Exchange:
    """The exchange the service builds (``fleet.exchange``), in virtual time."""
    clock = VirtualTime()
    tally = Tally()
    built = build_exchange(time=clock, directory=directory, recorder=tally, policy=NumberPolicy())
    network, engine = built.network, built.engine
    for number, name, fixed, how, state in handsets:
        network.add(number, name, fixed=fixed, behaviour=how, state=state)
    return Exchange(time=clock, network=network, engine=engine, tally=tally)


def settle(ex: Exchange) -> tuple[int, int]:
    """Returns (calls still up after SETTLE virtual s, handsets hung up by force)."""
    waited = 0
    while ex.engine.active_calls and waited < SETTLE:
        ex.time.advance(1.0)
        waited += 1
    left = ex.engine.active_calls
    forced = [h.number for h in ex.network.handsets.values() if h.legs]
    for number in forced:
        ex.network.hang_up(number)
    ex.time.run()
    return left, len(forced)


def check(ex: Exchange, placed: int) -> None:
    ok = ex.engine.active_calls == 0 and ex.time.pending == 0 and ex.tally.count == placed
    out(
        f"end state: active_calls={ex.engine.active_calls}, pending timers={ex.time.pending}, "
        f"records={ex.tally.count}/{placed}, engine.busy={len(ex.engine.busy)}, "
        f"faults={ex.engine.faults} -> {'clean' if ok else 'NOT clean'}"
    )


def traffic(
    ex: Exchange, targets: dict[str, list[str]], callers: list[E164], args: argparse.Namespace
) -> tuple[float, float]:
    """The traffic run; returns (call attempts per CPU second, decision p99 in µs)."""
    rng = random.Random(args.seed + 1)
    weights = [share if targets[kind] else 0.0 for kind, share in MIX.items()]
    kinds = rng.choices(list(MIX), weights=weights, k=args.calls)
    dialled = [rng.choice(targets[kind]) for kind in kinds]
    holds = [rng.uniform(*HOLD) for _ in kinds]
    per_step = max(1, round(RATE * STEP))
    samples: list[float] = []
    gc.collect()
    collector = GcClock()
    gc.callbacks.append(collector)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for index in range(args.calls):
        if index and index % per_step == 0:
            ex.time.advance(STEP)
        caller = callers[index]
        t0 = time.perf_counter_ns()
        ex.network.dial(caller, dialled[index])
        samples.append((time.perf_counter_ns() - t0) / 1e3)
        ex.time.start(holds[index], partial(ex.network.hang_up, caller))
    placed_at = ex.time.elapsed
    left, forced = settle(ex)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    gc.callbacks.remove(collector)
    samples.sort()
    rate = args.calls / cpu
    out(
        f"traffic: {args.calls} attempts at {RATE}/virtual s ({placed_at:.0f} virtual s, "
        f"{ex.time.elapsed:.0f} s with settling), mix {dict(Counter(kinds))}"
    )
    out(f"CPU {cpu:.2f} s (wall {wall:.2f} s): {rate:,.0f} call attempts per CPU second")
    out(
        f"of which cyclic GC: {collector.seconds:.2f} s wall in {collector.runs} collections "
        f"({collector.full} full, longest {collector.worst * 1e3:.0f} ms)"
    )
    out(
        f"decision (network.dial) µs: p50 {percentile(samples, 0.50):.0f}  "
        f"p95 {percentile(samples, 0.95):.0f}  p99 {percentile(samples, 0.99):.0f}  "
        f"max {samples[-1]:.0f}  (sum {sum(samples) / 1e6:.2f} s wall)"
    )
    shown = ", ".join(f"{k} {v}" for k, v in ex.tally.outcomes.most_common())
    out(f"outcomes: {shown}")
    out(f"causes of the calls not answered: {dict(ex.tally.causes.most_common())}")
    out(f"calls still up after {SETTLE} virtual s: {left}; handsets hung up by force: {forced}")
    check(ex, args.calls)
    return rate, percentile(samples, 0.99)


def memory(ex: Exchange, plain: list[str], callers: list[E164], count: int) -> float:
    """``count`` calls to lines that never answer, at one virtual instant; bytes per call."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for index in range(count):
        ex.network.dial(callers[index], plain[index % len(plain)])
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    per_call = (after - before) / count
    out(
        f"memory: {count} calls placed, {ex.engine.active_calls} up, {ex.time.pending} timers: "
        f"{per_call:,.0f} bytes per call, {per_call * 10_000 / 1e6:.1f} MB per 10,000 calls"
    )
    root = os.getcwd() + os.sep
    for stat in snapshot.statistics("lineno")[:6]:
        where = stat.traceback[0]
        out(
            f"  {stat.size / count:7.0f} B/call  {where.filename.removeprefix(root)}:{where.lineno}"
        )
    for caller in callers[:count]:
        ex.network.hang_up(caller)
    ex.time.run()
    check(ex, count)
    return per_call


async def prepare(url: str, args: argparse.Namespace) -> tuple[CachedDirectory, list[E164]]:
    """Migrate, seed, load the routing cache; returns it with the group numbers."""
    started = time.perf_counter()
    await migrate.upgrade(url)
    out(f"migrate: {time.perf_counter() - started:.1f} s")
    engine = create_engine(url)
    try:
        settings = load_settings(cli={"database_url": url}, env={})
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        report = await seed_fleet(services, lines=args.lines, groups=args.groups, seed=args.seed)
        if args.criteria:
            await seed_criteria(
                services, engine, report.fleet_ids[0], share=args.criteria, seed=args.seed
            )
        directory = CachedDirectory(services=services)
        started = time.perf_counter()
        await directory.load_all()
        out(
            f"routing cache warm from PostgreSQL (load_all): "
            f"{time.perf_counter() - started:.2f} s for {len(directory.all_lines())} lines"
        )
        groups = await services.groups.in_fleet(report.fleet_ids[0])
    finally:
        await engine.dispose()
    return directory, [group.number for group in groups]


def run_engine(directory: CachedDirectory, groups: list[E164], args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    targets: dict[str, list[str]] = {kind: [] for kind in MIX}
    plain: set[str] = set()
    handsets: Handsets = []
    for services in directory.all_lines():
        kind, msisdn = category(services), services.line.msisdn
        targets[kind].append(msisdn.national_digits())
        if kind == "plain":
            plain.add(msisdn.value)
        how, state = behaviour(rng)
        handsets.append((msisdn, services.line.employee_name, False, how, state))
    for fixed in directory.all_fixed():
        how, state = behaviour(rng)
        handsets.append((fixed.number, fixed.label, True, how, state))
    targets["group"] = [number.national_digits() for number in groups]
    sizes = ", ".join(f"{kind} {len(numbers)}" for kind, numbers in targets.items())
    out(f"targets: {sizes}; handsets: {len(handsets)} fleet numbers")
    callers = [E164(f"+33{699_000_000 + i}") for i in range(max(args.calls, args.concurrent))]
    silent = [
        (c, f"caller {i}", False, Behaviour(answer_after=None), HandsetState.ON)
        for i, c in enumerate(callers)
    ]
    out()
    anchor = measure("before the traffic")
    rate, p99 = traffic(build(directory, handsets + silent[: args.calls]), targets, callers, args)
    out()
    quiet: Handsets = [
        (number, name, fixed, Behaviour(answer_after=None), HandsetState.ON)
        if number.value in plain
        else (number, name, fixed, how, state)
        for number, name, fixed, how, state in handsets
    ]
    ex = build(directory, quiet + silent[: args.concurrent])
    per_call = memory(ex, targets["plain"], callers, args.concurrent)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    out(f"process max RSS: {rss_mb:.0f} MB")
    after = measure("after the runs")
    out(
        f"against the anchor (before the traffic): CPU per attempt "
        f"{anchor.cpu_ratio(1e3 / rate)}, decision p99 {anchor.ratio(p99 / 1e3)}; "
        f"the anchor moved {after.ms / anchor.ms:.2f}x during the run"
    )
    out()
    mb = per_call * 10_000 / 1e6
    for goal, value, met in (
        (f">= {TARGET_RATE:,.0f} attempts/s on one core", f"{rate:,.0f}/s", rate >= TARGET_RATE),
        (f"decision p99 < {TARGET_P99_US / 1000:g} ms", f"{p99:.0f} µs", p99 < TARGET_P99_US),
        (f"10,000 concurrent calls < {TARGET_MB:g} MB", f"{mb:.1f} MB", mb < TARGET_MB),
    ):
        out(f"target: {goal}: {'met' if met else 'NOT met'} ({value})")


async def main(args: argparse.Namespace) -> int:
    out(
        f"engine: 1 fleet, {args.lines} lines, {args.groups} groups; {args.calls} call "
        f"attempts; {args.concurrent} concurrent calls; seed {args.seed}; "
        f"criteria on {args.criteria:.0%} of the lines"
    )
    async with scratch_database(args.pg_url) as db:
        out(f"PostgreSQL {db.version}  {db.shown}")
        directory, groups = await prepare(db.url, args)
        # as the service does once its routing cache is loaded (fleet.app, fleet.heap)
        out(f"heap settled after the cache load: {heap.settle():,} objects frozen")
        run_engine(directory, groups, args)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=10_000, help="lines in the fleet")
    parser.add_argument("--groups", type=int, default=200, help="call groups in the fleet")
    parser.add_argument("--calls", type=int, default=20_000, help="call attempts in the run")
    parser.add_argument("--concurrent", type=int, default=10_000, help="calls for memory")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(PG_URL_ENV, DEFAULT_PG_URL),
        help=f"PostgreSQL server URL (env {PG_URL_ENV}; default {DEFAULT_PG_URL})",
    )
    parser.add_argument("--seed", type=int, default=42, help="seed of the fleet and traffic")
    parser.add_argument(
        "--criteria",
        type=float,
        default=0.0,
        help="share of the lines with schedules and criteria on every rule (0 to 1)",
    )
    args = parser.parse_args(argv)
    if args.lines < 50 or args.groups < 1 or args.calls < 1 or args.concurrent < 1:
        parser.error("--lines must be 50 or more, --groups, --calls, --concurrent 1 or more")
    if not 0.0 <= args.criteria <= 1.0:
        parser.error("--criteria is a share from 0 to 1")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
