"""sip_calls: FleetPBX on SIP (``fleetpbx serve --network sip``) under SIPp playing the mobile
core, on a fleet of 10,000 lines in PostgreSQL — the highest call rate with no failed call (the
knee), INVITE→180 at half of it, calls completed at twice it (503 shedding), the process's
memory with 10,000 calls in progress; and in the same run the anchor, Kamailio relaying the
same load as a stateful proxy, and SIPp calling the handsets' SIPp directly (the ceiling).

- The fleet (``_sip_fleet.py``): a scratch database ``fleetpbx_bench_<pid>`` (``_pg.py``),
  seeded through the services, plus the bench's call groups; the injection file mixes direct
  calls, calls to lines forwarding unconditionally, on busy (the handset answers 486) and on no
  reply (armed, answered before the timer), and group calls.
- SIPp as the S-CSCF (``sipp/core_call.xml``) calls those numbers; SIPp as the core's side of
  the handsets (``sipp/handset.xml``) answers FleetPBX's legs at once (486 for busy lines);
  each call holds ``--hold`` ms, then the caller's BYE ends it.
- **Knee**: rates double from ``--start``, then are bisected (``_knee.py``, as ``sip_stack``),
  ``--step`` seconds a step, then confirmed over ``--duration`` (10 % less while it fails).
  A call counts only when answered: a 503 is a failed call here.
- **INVITE→180** p50 / p99 over ``--duration`` at half the knee (SIPp's rtd 1, every sample).
- **2× the knee** over ``--duration``: calls answered per second as a share of the knee, 503s.
- **Memory**, first (Python keeps the heap it grew for the other runs): ``--in-progress`` calls
  (10,000) placed at ``--held-rate`` and held until all are up (direct and forwarded calls only:
  a group's members are all busy long before), FleetPBX's RSS then, against its RSS idle.
- **Anchors**: Kamailio (``kamailio/relay.cfg``, tm + sl, record-routing) and the handsets'
  SIPp called directly, each searched the same way with the direct calls (a relay cannot
  forward); the pure-Python loop of ``_anchor.py`` before and after.

    .venv/bin/python bench/sip_calls.py [--quick] [--duration 60] [--lines 10000]
        [--pg-url URL] [--skip-anchors]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/portal.py would
# shadow the project's ``portal`` package (which fleet.app imports): the root goes first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import _anchor
import _service
from _knee import Step, confirm, search
from _pg import DEFAULT_PG_URL, PG_URL_ENV, scratch_database, seed_fleet
from _report import out
from _service import process_cpu
from _sip_fleet import Callees, Kind, add_groups, callees, injection_rows, write_injection
from _sip_load import (
    HANDSET,
    Kamailio,
    Load,
    Placed,
    place,
    read_back,
    rss_mb,
    run_calls,
    serving,
    settle,
    trial,
)
from _sipp_run import SippCallee, free_port

from fleet.app import build_services
from fleet.config import load_settings
from fleet.core.clock import SystemClock
from fleet.db import migrate
from fleet.db.engine import create_engine

TARGET_RATE = 1000.0  # calls/s with 0 failed
TARGET_P99_MS, TARGET_P99_AT = 20.0, 500.0  # INVITE→180 p99 at 500 calls/s
TARGET_SHARE = 0.9  # of the knee, completed at 2×
TARGET_RSS_MB = 200.0  # with 10,000 calls in progress
QUICK = {
    "lines": 1000,
    "groups": 10,
    "rows": 2000,
    "duration": 5.0,
    "step": 2.0,
    "resolution": 1.5,
    "tries": 2,
    "in_progress": 1000,
    "held_rate": 250.0,
}


async def prepare(url: str, args: argparse.Namespace, workdir: Path) -> tuple[Load, Load, Load]:
    """Seeds the fleet and writes three injection files: the mix; the mix without the group
    calls (the held calls); the direct calls (the anchors')."""
    await migrate.upgrade(url)
    engine = create_engine(url)
    try:
        settings = load_settings(cli={"database_url": url}, env={})
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        report = await seed_fleet(services, lines=args.lines, groups=0, seed=args.seed)
        groups = await add_groups(services, report.fleet_ids[0], args.groups, args.group_size)
        found = await callees(services, groups)
    finally:
        await engine.dispose()
    out(f"callees: {found.summary()}")
    mix = workdir / "mix.csv"
    write_injection(mix, injection_rows(found, args.rows, args.seed))
    held = workdir / "held.csv"
    write_injection(held, injection_rows(without_groups(found), args.rows, args.seed))
    direct = workdir / "direct.csv"
    write_injection(direct, found.by_kind[Kind.DIRECT])
    return Load(mix, args.hold), Load(held, args.hold), Load(direct, args.hold)


def without_groups(found: Callees) -> Callees:
    return Callees({k: [] if k is Kind.GROUP else v for k, v in found.by_kind.items()})


@contextmanager
def fleetpbx(
    url: str,
    core: int,
    workdir: Path,
    extra: dict[str, str] | None = None,
    entry: Path | None = None,
) -> Iterator[tuple[int, int]]:
    """``fleetpbx serve --network sip`` on a free SIP port, its legs to the handsets' SIPp on
    ``core``, ``extra`` settings over the bench's (``FLEETPBX_*`` variables); yields its SIP port
    and pid once healthy and idle. ``entry``: a script run instead of the ``fleetpbx`` command
    (a probe, ``sip_sustain``)."""
    sip_port, http_port = free_port(), _service.free_port()
    settings = {
        "FLEETPBX_DATABASE_URL": url,
        "FLEETPBX_LOG_LEVEL": "warning",
        "FLEETPBX_RECORDS_JOURNAL_DIR": str(workdir / "records"),
        "FLEETPBX_NETWORK": "sip",  # as --network sip --sip-port … --sip-core …
        "FLEETPBX_SIP_PORT": str(sip_port),
        "FLEETPBX_SIP_CORE": f"127.0.0.1:{core}",
    } | (extra or {})
    command = _service.serve_command(http_port, entry)
    with serving(command, settings, http_port=http_port, workdir=workdir) as pid:
        yield sip_port, pid


@dataclass(frozen=True, slots=True)
class Knee:
    rate: float  # 0: none found
    held: Step | None  # the run of --duration that confirmed it; None: the search's rate

    def shown(self, duration: float) -> str:
        if self.held is not None:
            return f"{self.rate:.0f} calls/s (0 failed over {duration:g} s)"
        if self.rate:
            return f"{self.rate:.0f} calls/s (search steps only: not held over {duration:g} s)"
        return "none (even the first rate failed)"


def knee(port: int, load: Load, pid: int | None, label: str, args: argparse.Namespace) -> Knee:
    """The knee of the target at ``port``; when no rate holds over ``--duration``, the search's
    rate (over ``--step`` runs) stands in, said so."""
    run = trial(port, load, pid)
    out(f"{label}: {args.step:g} s steps from {args.start:g} calls/s")
    found = search(run, label, args, args.start)
    held = confirm(run, found, label, args.duration, args.tries) if found else None
    result = Knee(held.rate if held else found, held)
    out(f"{label} knee: {result.shown(args.duration)}")
    return result


def half_knee(port: int, load: Load, rate: float, seconds: float) -> None:
    placed = run_calls(port, load, rate, seconds)
    latency = placed.latency()
    shown = f"p50 {latency[0]:.1f} ms, p99 {latency[1]:.1f} ms" if latency else "no sample"
    verdict = "met" if latency and latency[1] <= TARGET_P99_MS else "not met"
    note = "" if rate >= TARGET_P99_AT else f" (below the target's {TARGET_P99_AT:.0f}/s)"
    out(
        f"INVITE→180 at {rate:.0f} calls/s (half the knee){note} over {seconds:g} s: {shown} "
        f"({len(placed.rtd.get(1, []))} samples, {placed.run.failed} failed); target p99 ≤ "
        f"{TARGET_P99_MS:.0f} ms at {TARGET_P99_AT:.0f}/s: {verdict}"
    )


def twice_knee(port: int, load: Load, rate: float, seconds: float) -> None:
    offered = 2 * rate
    placed = run_calls(port, load, offered, seconds)
    report_overload(placed, rate, offered, seconds)


def report_overload(placed: Placed, rate: float, offered: float, seconds: float) -> None:
    within = placed.answered_within(seconds)
    per_second = within / seconds
    share = per_second / rate
    verdict = "met" if share >= TARGET_SHARE else "not met"
    out(
        f"2× knee: {offered:.0f} calls/s offered for {seconds:g} s: {within} answered within "
        f"them = {per_second:.0f}/s = {share:.0%} of the knee (target ≥ {TARGET_SHARE:.0%}: "
        f"{verdict}); {placed.answered} answered in all, {placed.shed} shed 503, "
        f"{placed.run.failed - placed.shed} failed otherwise, {placed.run.retransmissions} "
        f"SIPp retransmissions, {placed.run.seconds:.1f} s"
    )


def in_progress(port: int, load: Load, pid: int, calls: int, rate: float) -> None:
    """``calls`` calls placed at ``rate`` and held until the last is up, FleetPBX's RSS then,
    against its RSS idle just before (cold: no call placed yet, no warm-up); then its RSS once
    they have ended and it is idle again (what the calls left behind). The target is met only
    with every call of 10,000 answered: calls shed or failed hold no memory."""
    idle = rss_mb(pid)
    placing = calls / rate
    held = Load(load.injection, int((placing + 5) * 1000))
    caller = place(port, held, rate, calls, limit=calls + 100)
    time.sleep(placing + 2)  # every call placed and answered, none ended yet
    up = rss_mb(pid)
    run = read_back(caller.wait(), caller.rtt)
    settle(pid)
    after = rss_mb(pid)
    verdict = "met" if up < TARGET_RSS_MB else "not met"
    if calls < 10_000:
        verdict = f"not measured with {calls}"
    elif run.run.failed:
        verdict = f"not measured: {run.run.failed} of {calls} calls failed"
    out(
        f"memory: {calls} calls placed at {rate:.0f}/s, held {held.hold_ms / 1000:.0f} s: "
        f"FleetPBX RSS {up:.0f} MB with them in progress, {idle:.0f} MB idle before (cold) "
        f"(+{(up - idle) * 1024 / max(1, calls):.1f} kB a call), {after:.0f} MB idle once "
        f"they ended; {run.answered} answered, {run.run.failed} failed; target < "
        f"{TARGET_RSS_MB:.0f} MB with 10,000: {verdict}"
    )


def anchors(handsets: int, direct: Load, args: argparse.Namespace) -> dict[str, Knee]:
    kamailio = Kamailio(handsets)
    try:
        relay = knee(kamailio.port, direct, None, "kamailio", args)
    finally:
        kamailio.stop()
    return {"Kamailio": relay, "SIPp→SIPp": knee(handsets, direct, None, "sipp→sipp", args)}


def overload_only(url: str, mix: Load, args: argparse.Namespace, workdir: Path) -> None:
    """``--overload-at RATE``: only the 2× phase, ``RATE`` offered (the knee taken as half of
    it), once per ``--variant`` (a fresh ``fleetpbx serve`` each), the variants in turn
    ``--rounds`` times: before and after compared in one session, alternating."""
    variants = args.variant or [""]
    handsets = SippCallee(HANDSET)
    try:
        for round_ in range(1, args.rounds + 1):
            for variant in variants:
                settings = variant_env(args.setting, variant)
                shown = variant or "the defaults"
                out(f"round {round_}, {shown}: load average {_service.load_average()}")
                for attempt in (1, 2):  # a free port taken meanwhile: once more
                    try:
                        overload_run(url, handsets.port, mix, settings, shown, args, workdir)
                        break
                    except RuntimeError as exc:
                        out(f"  {shown}: FleetPBX did not start ({exc}); attempt {attempt} of 2")
    finally:
        handsets.stop()


def overload_run(
    url: str,
    handsets: int,
    mix: Load,
    settings: dict[str, str],
    shown: str,
    args: argparse.Namespace,
    workdir: Path,
) -> None:
    rate = args.overload_at
    with fleetpbx(url, handsets, workdir, settings) as (port, pid):
        cpu = process_cpu(pid)
        placed = run_calls(port, mix, rate, args.duration)
        used = process_cpu(pid) - cpu
        report_overload(placed, rate / 2, rate, args.duration)
        out(
            f"  {shown}: FleetPBX CPU {used:.1f} s "
            f"({used * 1e3 / max(1, placed.answered):.2f} ms a call answered)"
        )


def bench(url: str, args: argparse.Namespace, workdir: Path) -> None:
    mix, held, direct = asyncio.run(prepare(url, args, workdir))
    if args.overload_at:
        overload_only(url, mix, args, workdir)
        return
    handsets = SippCallee(HANDSET)
    try:
        with fleetpbx(url, handsets.port, workdir, setting_env(args.setting)) as (port, pid):
            in_progress(port, held, pid, args.in_progress, args.held_rate)  # first: the heap
            settle(pid)  # has not grown for any other load yet
            found = knee(port, mix, pid, "fleetpbx", args)
            if found.held is not None:
                out(f"  {found.held.cpu_us:.0f} µs of FleetPBX CPU per call at the knee")
            if found.rate:
                half_knee(port, mix, found.rate / 2, args.duration)
                settle(pid)
                twice_knee(port, mix, found.rate, args.duration)
        others = {} if args.skip_anchors else anchors(handsets.port, direct, args)
    finally:
        handsets.stop()
    verdict = "met" if found.held and found.rate >= TARGET_RATE else "not met"
    out(f"FleetPBX knee: {found.shown(args.duration)}; target ≥ {TARGET_RATE:.0f}: {verdict}")
    for name, other in others.items():
        ratio = f"{found.rate / other.rate:.3f}" if other.rate else "-"
        out(f"  FleetPBX / {name} = {ratio} ({name}: {other.shown(args.duration)})")


def setting_env(given: list[str]) -> dict[str, str]:
    """``--setting name=value`` (a setting of README's table, e.g. ``sip_target_lag_ms=50``) as
    the ``FLEETPBX_*`` variables of ``fleetpbx serve``."""
    found: dict[str, str] = {}
    for item in given:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            raise SystemExit(f"--setting wants name=value, not {item!r}")
        found["FLEETPBX_" + name.strip().upper()] = value.strip()
    return found


def variant_env(given: list[str], variant: str) -> dict[str, str]:
    """``--setting``'s variables with a ``--variant``'s (``name=value,name=value``) over them."""
    return setting_env(given + [item for item in variant.split(",") if item.strip()])


async def scratch(args: argparse.Namespace) -> None:
    async with scratch_database(args.pg_url) as db:
        out(f"PostgreSQL {db.version}: {db.shown}")
        with tempfile.TemporaryDirectory(prefix="sip_calls_") as workdir:
            await asyncio.to_thread(bench, db.url, args, Path(workdir))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: small fleet, short runs")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of each run")
    parser.add_argument("--step", type=float, default=10.0, help="seconds of each search step")
    parser.add_argument("--start", type=float, default=250.0, help="first rate of each search")
    parser.add_argument("--ceiling", type=float, default=64000.0)
    parser.add_argument("--resolution", type=float, default=1.1)
    parser.add_argument("--tries", type=int, default=3, help="confirmations, 10 %% apart")
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=100, help="the bench's call groups")
    parser.add_argument("--group-size", type=int, default=5)
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the injection file")
    parser.add_argument("--hold", type=int, default=500, help="ms a call holds")
    parser.add_argument("--in-progress", type=int, default=10_000)
    parser.add_argument("--held-rate", type=float, default=500.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-anchors", action="store_true")
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a FleetPBX setting for its run (repeatable), e.g. sip_target_lag_ms=50",
    )
    parser.add_argument(
        "--overload-at",
        type=float,
        default=0.0,
        metavar="RATE",
        help="only the 2× phase, RATE calls/s offered (the knee taken as RATE / 2)",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=VALUE,…",
        help="with --overload-at: settings of one run (repeatable; the variants alternate)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="with --overload-at: rounds")
    parser.add_argument("--pg-url", default=os.environ.get(PG_URL_ENV, DEFAULT_PG_URL))
    if parser.parse_known_args(argv)[0].quick:  # its values, under those given explicitly
        parser.set_defaults(**QUICK)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    out(
        f"sip_calls: {args.lines} lines, {args.groups} groups of {args.group_size}, hold "
        f"{args.hold} ms, runs of {args.duration:g} s, steps of {args.step:g} s; machine: "
        f"{os.cpu_count()} CPUs, load average {_service.load_average()}"
        + (f"; FleetPBX settings {', '.join(args.setting)}" if args.setting else "")
    )
    before = _anchor.measure("before")
    asyncio.run(scratch(args))
    _anchor.mean(before, _anchor.measure("after"))


if __name__ == "__main__":
    main()
