"""cluster: FleetPBX as several processes on one PostgreSQL database (issue 15) — how fast a
change made through one process reaches another, and calls per second through Kamailio with
one process against two, and the calls lost when one of two is killed under load.

- The database: a scratch ``fleetpbx_bench_<pid>`` (``_pg.py``), two fleets of ``--lines`` lines
  seeded through the services (no call groups), a manager of the first fleet.
- **Notification latency**: with two processes up, ``--changes`` unconditional forwardings set
  one at a time through process A's REST API on ``--targets`` lines of the first fleet (never
  called), each followed on B's ``/metrics`` until B has applied it (``_cluster_notify.py``):
  B's measured lag (staged in A → applied in B), A's request, and A's request → seen on B.
  Anchor in the same run: a bare ``pg_notify`` → ``LISTEN`` round trip between two asyncpg
  connections, as many times. Target: B's lag p99 < 50 ms.
- **Calls/s through Kamailio** (``deploy/kamailio/kamailio.cfg``, its dispatcher list the
  processes up): SIPp as the S-CSCF (``sipp/core_call.xml``) calling the direct lines of both
  fleets in turn through Kamailio, SIPp as the handsets answering FleetPBX's legs; the knee
  (highest rate with no failed call: ``_knee.py``, ``--step`` seconds a step, confirmed over
  ``--duration``) with one process (it owns both fleets), then with two (one fleet each; a call
  reaching the other is redirected 302 and Kamailio follows): the ratio two / one.
- **Takeover**: two processes, ``--takeover-rate`` (default half the two-process knee) for
  ``--takeover-seconds``; ``kill -9`` of the process that does not hold the first fleet after
  ``--kill-after`` seconds; the calls that failed (SIPp's count) and the time until the
  survivor owns both fleets.

    .venv/bin/python bench/cluster.py [--quick] [--lines 1000] [--changes 200]
        [--step 10] [--duration 20] [--takeover-seconds 30] [--pg-url URL]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # as sip_calls.py

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass

import _anchor
import _cluster_notify as notify
import _service
import aiohttp
from _cluster_procs import Fleetpbx, Kamailio, balanced, split_failed, start_fleetpbx
from _knee import Step, Trial, confirm, search
from _pg import DEFAULT_PG_URL, PG_URL_ENV, scratch_database
from _report import out, percentile
from _sip_fleet import BENCH_ACTOR, Kind, classify, write_injection
from _sip_load import HANDSET, Load, place, read_back, run_calls, settle
from _sipp_run import SippCallee

from fleet import seed as fleet_seed
from fleet.app import build_services
from fleet.config import load_settings
from fleet.core.clock import SystemClock
from fleet.db import migrate
from fleet.db.engine import create_engine
from fleet.services.directory import CachedDirectory

TARGET_LAG_P99_MS = 50.0
MANAGER, PASSWORD = "bench.cluster", "un-mot-de-passe-du-banc"
QUICK = {"lines": 300, "changes": 40, "step": 4.0, "duration": 6.0, "tries": 1,
         "takeover_seconds": 10.0, "kill_after": 3.0, "resolution": 1.5}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Prepared:
    load: Load
    fleets: tuple[int, int]
    targets: list[notify.Target]


async def prepare(url: str, args: argparse.Namespace, workdir: Path) -> Prepared:
    """Two fleets seeded, a manager of the first; the injection file of the direct lines of
    both fleets in turn, but for the first ``--targets`` lines of the first (the changes')."""
    await migrate.upgrade(url)
    engine = create_engine(url)
    try:
        settings = load_settings(cli={"database_url": url}, env={})
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        started = time.perf_counter()
        report = await fleet_seed.seed(
            services, fleets=2, lines=args.lines, seed=args.seed, groups=0
        )
        out(f"seed: 2 fleets of {args.lines} lines in {time.perf_counter() - started:.1f} s")
        first, second = report.fleet_ids
        await services.accounts.create_manager(
            BENCH_ACTOR, login=MANAGER, password=PASSWORD, display_name="Bench", fleet_ids=[first]
        )
        table = CachedDirectory(services=services)
        await table.load_all()
        lines = {line.line.msisdn.value: line.line for line in table.all_lines()}
    finally:
        await engine.dispose()
    direct = classify(table.all_lines(), []).by_kind[Kind.DIRECT]
    chosen = [n for n in direct if lines[n].fleet_id == first and lines[n].pabx_option]
    reserved = chosen[: args.targets]
    targets = [notify.Target(first, lines[n].id) for n in reserved]
    by_fleet = [
        [n for n in direct if lines[n].fleet_id == f and n not in reserved] for f in (first, second)
    ]
    called = [n for pair in zip(*by_fleet, strict=False) for n in pair]
    out(f"callees: {len(called)} direct lines, both fleets in turn; {len(targets)} lines changed")
    injection = workdir / "direct.csv"
    write_injection(injection, called)
    return Prepared(Load(injection, args.hold), (first, second), targets)


def trial(port: int, load: Load, processes: Sequence[Fleetpbx]) -> Trial:
    """Steps against Kamailio; the FleetPBX processes' CPU per answered call."""

    def step(rate: float, seconds: float) -> Step:
        before = sum(_service.process_cpu(p.pid) for p in processes)
        placed = run_calls(port, load, rate, seconds)
        used = sum(_service.process_cpu(p.pid) for p in processes) - before
        result = Step(rate, placed.run, placed.answered, used, shed=placed.shed)
        if not result.ok:
            for process in processes:
                settle(process.pid)
        return result

    return step


def knee(port: int, load: Load, processes: Sequence[Fleetpbx], args: argparse.Namespace) -> float:
    label = f"{len(processes)} process{'es' if len(processes) > 1 else ''}"
    warm = run_calls(port, load, 10, 2)  # the first calls: 302s followed, caches warm
    out(f"{label}: warm-up 20 calls at 10/s: {warm.answered} answered, {warm.run.failed} failed")
    run = trial(port, load, processes)
    found = search(run, label, args, args.start)
    held = confirm(run, found, label, args.duration, args.tries) if found else None
    if held is not None:
        out(f"{label} knee: {held.rate:.0f} calls/s (0 failed over {args.duration:g} s), "
            f"{held.cpu_us:.0f} µs FleetPBX CPU/call")  # fmt: skip
        return held.rate
    out(f"{label} knee: {found:.0f} calls/s (the search's steps only: not held over "
        f"{args.duration:g} s)")  # fmt: skip
    return found


def spread(label: str, seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    p50, p99 = percentile(ordered, 0.5) * 1e3, percentile(ordered, 0.99) * 1e3
    out(f"  {label}: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {ordered[-1] * 1e3:.2f} ms")
    return p50, p99


async def latency(
    url: str, a: Fleetpbx, b: Fleetpbx, prepared: Prepared, args: argparse.Namespace
) -> None:
    async with aiohttp.ClientSession() as http:
        token = await notify.login(http, a.base, MANAGER, PASSWORD)
    poll = args.poll_ms / 1e3
    await notify.changes(a.base, b.base, token, prepared.targets, args.warm_up, poll=poll)
    lags = await notify.changes(
        a.base, b.base, token, prepared.targets, args.changes, poll=poll, first=args.warm_up
    )
    anchor = await notify.notify_round_trips(url, args.changes)
    out(f"notification latency: {args.changes} forwarding changes through {a.name}'s API, "
        f"applied by {b.name} after {args.warm_up} not counted ({lags.merged} polls saw more "
        "than one):")  # fmt: skip
    p50, p99 = spread(f"{b.name}'s measured lag (staged in A → applied in B)", lags.on_b)
    spread(f"{a.name}'s PUT", lags.request)
    spread(
        f"{a.name}'s PUT sent → seen on {b.name}'s /metrics (polled every {args.poll_ms:g} ms)",
        lags.seen,
    )
    a50, a99 = spread("anchor: pg_notify → LISTEN round trip, two asyncpg connections", anchor)
    verdict = "met" if p99 < TARGET_LAG_P99_MS else "NOT met"
    out(f"  lag / anchor: p50 {p50 / a50:.1f}×, p99 {p99 / a99:.1f}×; "
        f"target p99 < {TARGET_LAG_P99_MS:.0f} ms: {verdict}")  # fmt: skip


def takeover(
    port: int,
    load: Load,
    rate: float,
    pair: tuple[Fleetpbx, Fleetpbx],
    fleets: int,
    args: argparse.Namespace,
) -> None:
    survivor, victim = pair
    calls = max(1, int(rate * args.takeover_seconds))
    caller = place(port, load, rate, calls)
    time.sleep(args.kill_after)
    victim.kill()
    killed = time.perf_counter()
    asyncio.run(balanced([survivor], fleets))
    moved = time.perf_counter() - killed
    placed = read_back(caller.wait(), caller.rtt)
    never, cut = split_failed(calls, placed.answered, placed.run.failed)
    out(f"takeover: {calls} calls at {rate:.0f}/s over {args.takeover_seconds:g} s, kill -9 of "
        f"{victim.name} after {args.kill_after:g} s: {placed.run.failed} failed — {never} "
        f"never answered ({placed.shed} of them 503), {cut} answered then cut (in progress "
        f"on {victim.name}: their BYE unanswered); {placed.answered} answered, "
        f"{placed.run.retransmissions} SIPp retransmissions; {survivor.name} owned both "
        f"fleets {moved:.2f} s after the kill")  # fmt: skip


def bench(url: str, args: argparse.Namespace, workdir: Path) -> None:
    prepared = asyncio.run(prepare(url, args, workdir))
    handsets = SippCallee(HANDSET)
    started: list[Fleetpbx] = []
    try:

        def up(name: str) -> Fleetpbx:
            process = start_fleetpbx(
                name, url, handsets.port, workdir, owner_interval=args.owner_interval
            )
            started.append(process)
            return process

        first = up("fleetpbx-1")
        asyncio.run(balanced([first], 2))
        proxy = Kamailio(workdir, [first.sip], children=args.kamailio_children)
        try:
            one = knee(proxy.port, prepared.load, [first], args)
        finally:
            proxy.stop()
        second = up("fleetpbx-2")
        owners = asyncio.run(balanced([first, second], 2))
        out(f"owners: {', '.join(f'{n} {sorted(f)}' for n, f in owners.items())}")
        time.sleep(args.owner_interval + 1)  # each process's view of the other's fleets
        asyncio.run(latency(url, first, second, prepared, args))
        proxy = Kamailio(workdir, [first.sip, second.sip], children=args.kamailio_children)
        try:
            two = knee(proxy.port, prepared.load, [first, second], args)
            ratio = f"{two / one:.2f}" if one else "-"
            out(
                f"calls/s through Kamailio: one process {one:.0f}, two {two:.0f}: "
                f"two / one = {ratio}"
            )
            rate = args.takeover_rate or max(10.0, round(two / 2))
            owner = asyncio.run(balanced([first, second], 2))
            keeps = first if prepared.fleets[0] in owner[first.name] else second
            pair = (keeps, second if keeps is first else first)
            takeover(proxy.port, prepared.load, rate, pair, 2, args)
        finally:
            proxy.stop()
    finally:
        for process in started:
            process.stop()
        handsets.stop()


async def scratch(args: argparse.Namespace) -> None:
    async with scratch_database(args.pg_url) as db:
        out(f"PostgreSQL {db.version}: {db.shown}")
        with tempfile.TemporaryDirectory(prefix="cluster_") as workdir:
            await asyncio.to_thread(bench, db.url, args, Path(workdir))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    add = parser.add_argument
    add("--quick", action="store_true", help="smoke run: small fleets, short runs")
    add("--lines", type=int, default=1000, help="lines of each of the two fleets")
    add("--changes", type=int, default=200, help="forwarding changes through A")
    add("--warm-up", type=int, default=5, help="changes made first, not counted")
    add("--targets", type=int, default=20, help="lines the changes go to (never called)")
    add("--poll-ms", type=float, default=5.0, help="B's /metrics polled every … ms")
    add("--step", type=float, default=10.0, help="seconds of each knee-search step")
    add("--duration", type=float, default=20.0, help="seconds of the knee's confirmation")
    add("--start", type=float, default=100.0, help="first rate of each search")
    add("--ceiling", type=float, default=8000.0)
    add("--resolution", type=float, default=1.25)
    add("--tries", type=int, default=2, help="confirmations, 10 %% apart")
    add("--hold", type=int, default=500, help="ms a call holds")
    add("--takeover-rate", type=float, default=0.0, help="calls/s (0: half the two's knee)")
    add("--takeover-seconds", type=float, default=30.0)
    add("--kill-after", type=float, default=10.0, help="seconds into the takeover run")
    add("--owner-interval", type=float, default=2.0, help="FLEETPBX_OWNER_INTERVAL")
    add("--kamailio-children", type=int, default=1, help="Kamailio's UDP workers")
    add("--seed", type=int, default=42)
    add("--pg-url", default=os.environ.get(PG_URL_ENV, DEFAULT_PG_URL))
    if parser.parse_known_args(argv)[0].quick:
        parser.set_defaults(**QUICK)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    out(f"cluster: 2 fleets of {args.lines} lines, {args.changes} changes, steps of "
        f"{args.step:g} s, confirmation {args.duration:g} s, hold {args.hold} ms; machine: "
        f"{os.cpu_count()} CPUs, load average {_service.load_average()}")  # fmt: skip
    before = _anchor.measure("before")
    asyncio.run(scratch(args))
    _anchor.mean(before, _anchor.measure("after"))
    out(f"load average at the end: {_service.load_average()}")


if __name__ == "__main__":
    main()
