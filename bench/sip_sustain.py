"""sip_sustain: FleetPBX on SIP held at one call rate for a long run — what each call costs
as the run goes on, window by window: FleetPBX's CPU and PostgreSQL's (the processes serving
the bench's database) per answered call, the calls answered, shed and late, and INVITE→180.

The fleet, the injection file and ``fleetpbx serve`` are ``sip_calls``' (``prepare``,
``fleetpbx``); with ``--memory`` the run first places ``sip_calls``' memory phase (calls held
up together, growing the heap as a full ``sip_calls`` run does before its knee search).
``--gc-probe``: the service runs under ``_gc_probe.py``, which writes down the collector's
passes (their count and time by generation, the full ones and those of 5 ms or more, by
window). ``--profile DIR``: py-spy records FleetPBX during the first and the last window (collapsed
stacks, ``first.txt`` and ``last.txt``; the top functions by own samples are printed).

    .venv/bin/python bench/sip_sustain.py [--quick] [--rate 400] [--duration 60]
        [--window 10] [--memory] [--gc-probe [--linger-wait 40]] [--profile DIR] [--lines 10000]
        [--setting NAME=VALUE …] [--pg-url URL]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass

import _gc_probe
import _service
import sip_calls
from _pg import DEFAULT_PG_URL, PG_URL_ENV, scratch_database
from _pgcpu import DatabaseCpu
from _report import out, percentile
from _sip_load import HANDSET, INVITE_TO_180, INVITE_TO_200, Load, place, read_back, settle
from _sipp_run import SippCallee


@dataclass(frozen=True, slots=True)
class Mark:
    """The counters at the end of one window (seconds since the run began)."""

    at: float
    fleet_cpu: float
    pg_cpu: float
    wall: float  # time.time() then (the probe's clock)


def pg_total(pg: DatabaseCpu) -> float:
    """CPU seconds the database's server processes used since ``begin`` (0 when remote)."""
    return sum(pg._last[pid] - pg._start[pid] for pid in pg._start)


def sample_windows(pid: int, pg: DatabaseCpu, window: float, done: threading.Event) -> list[Mark]:
    """Counters every ``window`` seconds until ``done`` (the first at 0)."""
    marks: list[Mark] = []
    started = time.perf_counter()
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(pg.begin())
        base = _service.process_cpu(pid)
        marks.append(Mark(0.0, 0.0, 0.0, time.time()))
        while not done.wait(max(0.0, started + window * len(marks) - time.perf_counter())):
            loop.run_until_complete(pg._sample(first=False))
            at, wall = time.perf_counter() - started, time.time()
            marks.append(Mark(at, _service.process_cpu(pid) - base, pg_total(pg), wall))
        loop.run_until_complete(pg.end())
    finally:
        loop.run_until_complete(pg.close())
        loop.close()
    return marks


def py_spy(pid: int, seconds: float, path: Path) -> subprocess.Popen[bytes] | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        out("py-spy not found: no profile")
        return None
    command = [
        spy,
        "record",
        "--pid",
        str(pid),
        "--duration",
        f"{int(seconds)}",
        "--rate",
        "200",
        "--gil",
    ]
    command += ["--format", "raw", "--output", str(path), "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def top(path: Path, n: int = 15) -> None:
    """The functions with the most own samples (the leaf frame) in a collapsed-stack file."""
    own: Counter[str] = Counter()
    total = 0
    for row in path.read_text().splitlines():
        stack, _, samples = row.rpartition(" ")
        if not stack:
            continue
        leaf = stack.rsplit(";", 1)[-1]
        own[leaf] += int(samples)
        total += int(samples)
    out(f"  {path.name}: {total} samples")
    for leaf, count in own.most_common(n):
        out(f"    {count / max(1, total):6.1%}  {leaf[:150]}")


@dataclass(frozen=True, slots=True)
class GcLog:
    """What ``_gc_probe`` wrote: cumulative totals and the long or full passes."""

    totals: list[tuple[float, list[int], list[float]]]  # time, passes by generation, ms
    pauses: list[tuple[float, int, float, float, int, int]]  # time, gen, ms, CPU ms, objects, freed

    @classmethod
    def read(cls, path: Path) -> GcLog:
        totals, pauses = [], []
        for row in path.read_text().splitlines() if path.exists() else []:
            fields = row.split()
            if row.startswith("#"):
                continue
            if len(fields) == 8 and fields[1] == "total":
                counts = [int(f) for f in fields[2:5]]
                totals.append((float(fields[0]), counts, [float(f) for f in fields[5:8]]))
            elif len(fields) == 6:
                when, generation, ms, cpu = (
                    float(fields[0]),
                    int(fields[1]),
                    *map(float, fields[2:5:2]),
                )
                pauses.append((when, generation, ms, cpu, int(fields[5]), int(fields[3])))
        return cls(totals, pauses)

    def at(self, wall: float) -> tuple[list[int], list[float]]:
        last: tuple[list[int], list[float]] = ([0, 0, 0], [0.0, 0.0, 0.0])
        for when, counts, ms in self.totals:
            if when > wall:
                break
            last = (counts, ms)
        return last

    def window(self, begin: float, end: float, calls: int) -> str:
        (c0, m0), (c1, m1) = self.at(begin), self.at(end)
        passes = "/".join(str(b - a) for a, b in zip(c0, c1, strict=True))
        spent = sum(m1) - sum(m0)
        inside = [p for p in self.pauses if begin < p[0] <= end]
        slow = [p[2] for p in inside]
        full = [(p[3], p[4], p[5]) for p in inside if p[1] == 2]
        longest = f"{max(slow):.0f}" if slow else "-"
        each = ", ".join(
            f"{cpu:.0f} ms CPU/{objects // 1000}k, {freed} freed" for cpu, objects, freed in full
        )
        return (
            f"passes {passes}, {spent * 1e3 / max(1, calls):.0f} µs/call, full: {each or '-'}; "
            f"≥{_gc_probe.SLOW_MS:g} ms: {len(slow)}, longest {longest} ms"
        )


def tracked(pid: int, log: Path) -> int:
    """The objects the service's collector tracks now (``_gc_probe``'s count on SIGUSR1)."""
    before = log.read_text().count(" objects ")
    os.kill(pid, signal.SIGUSR1)
    for _ in range(200):
        rows = [row for row in log.read_text().splitlines() if " objects " in row]
        if len(rows) > before:
            return int(rows[-1].split()[2])
        time.sleep(0.05)
    raise RuntimeError("the probe did not count the objects")


def lingering(pid: int, log: Path, wait: float, answered: int) -> None:
    """Tracked objects once the run has settled, and ``wait`` seconds later (the transactions'
    and the UA's 32 s timers over): what each call of the run left lingering."""
    settled = tracked(pid, log)
    time.sleep(wait)
    later = tracked(pid, log)
    out(
        f"tracked objects: {settled:,} settled, {later:,} {wait:g} s later: "
        f"{(settled - later) / max(1, answered):.2f} a call lingering"
    )


def sustain(
    port: int, pid: int, load: Load, args: argparse.Namespace, db: str, workdir: Path
) -> None:
    calls = int(args.rate * args.duration)
    pg = DatabaseCpu(args.pg_url, db)
    done = threading.Event()
    marks: list[Mark] = []
    sampler = threading.Thread(
        target=lambda: marks.extend(sample_windows(pid, pg, args.window, done))
    )
    caller = place(port, load, args.rate, calls)
    sampler.start()
    spies: list[subprocess.Popen[bytes]] = []
    if args.profile:
        if first := py_spy(pid, args.window, args.profile / "first.txt"):
            spies.append(first)
        time.sleep(max(0.0, args.duration - args.window))
        if last := py_spy(pid, args.window, args.profile / "last.txt"):
            spies.append(last)
    run = read_back(caller.wait(), caller.rtt)
    settle(pid)
    done.set()
    sampler.join()
    for spy in spies:
        spy.wait()
    answered_at = sorted(s.at_ms / 1e3 for s in run.rtd.get(INVITE_TO_200, []))
    ringing = run.rtd.get(INVITE_TO_180, [])
    out(
        f"{args.rate:g} calls/s offered for {args.duration:g} s: {run.answered} answered, "
        f"{run.shed} shed 503, {run.run.failed - run.shed} failed otherwise, "
        f"{run.run.retransmissions} SIPp retransmissions, {run.run.seconds:.1f} s"
    )
    probe = GcLog.read(workdir / "gc.log") if args.gc_probe else None
    out(
        "window (s) | answered/s | FleetPBX CPU ms/call | PostgreSQL CPU ms/call | "
        "INVITE→180 p50 / p99 ms" + (" | collector (passes gen0/1/2)" if probe else "")
    )
    for before, after in itertools.pairwise(marks):
        end = (
            after.at
            if after is not marks[-1]
            else max(after.at, answered_at[-1] if answered_at else 0)
        )
        n = sum(1 for t in answered_at if before.at < t <= end)
        rtd1 = sorted(s.ms for s in ringing if before.at < s.at_ms / 1e3 <= end)
        latency = f"{percentile(rtd1, 0.5):.0f} / {percentile(rtd1, 0.99):.0f}" if rtd1 else "-"
        fleet = (after.fleet_cpu - before.fleet_cpu) * 1e3 / max(1, n)
        database = (after.pg_cpu - before.pg_cpu) * 1e3 / max(1, n)
        collector = ""
        if probe is not None:
            collector = " | " + probe.window(before.wall, before.wall + end - before.at, n)
        out(
            f"{before.at:5.0f}–{end:<5.0f} | {n / max(1e-9, end - before.at):9.0f} | "
            f"{fleet:19.2f} | {database:21.2f} | {latency}{collector}"
        )
    if probe is not None:
        for row in (workdir / "gc.log").read_text().splitlines():
            if row.startswith("# "):  # SIP_SUSTAIN_GC_TYPES: before each full pass
                _, when, kinds = row.split(" ", 2)
                out(f"  oldest generation at {float(when) - marks[0].wall:5.1f} s: {kinds[:280]}")
    total = run.answered or 1
    out(
        f"whole run, settled: FleetPBX {marks[-1].fleet_cpu:.1f} s CPU = "
        f"{marks[-1].fleet_cpu * 1e3 / total:.2f} ms a call; PostgreSQL {marks[-1].pg_cpu:.1f} s = "
        f"{marks[-1].pg_cpu * 1e3 / total:.2f} ms a call"
    )
    if probe is not None and args.linger_wait:
        lingering(pid, workdir / "gc.log", args.linger_wait, run.answered)
    for spy_file in ("first.txt", "last.txt") if args.profile else ():
        if (args.profile / spy_file).exists():
            top(args.profile / spy_file)


def bench(url: str, db: str, args: argparse.Namespace, workdir: Path) -> None:
    mix, held, _ = asyncio.run(sip_calls.prepare(url, args, workdir))
    handsets = SippCallee(HANDSET)
    try:
        entry = None
        if args.gc_probe:
            os.environ["SIP_SUSTAIN_GC_LOG"] = str(workdir / "gc.log")
            entry = Path(_gc_probe.__file__)
        extra = sip_calls.setting_env(args.setting)
        with sip_calls.fleetpbx(url, handsets.port, workdir, extra, entry=entry) as (port, pid):
            if args.memory:
                sip_calls.in_progress(port, held, pid, args.in_progress, args.held_rate)
                settle(pid)
            out(f"load average {_service.load_average()}")
            sustain(port, pid, mix, args, db, workdir)
            out(f"load average {_service.load_average()}")
    finally:
        handsets.stop()


async def scratch(args: argparse.Namespace) -> None:
    async with scratch_database(args.pg_url) as db:
        out(f"PostgreSQL {db.version}: {db.shown}")
        with tempfile.TemporaryDirectory(prefix="sip_sustain_") as workdir:
            await asyncio.to_thread(bench, db.url, db.name, args, Path(workdir))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 lines, 10 groups")
    parser.add_argument("--rate", type=float, default=400.0, help="calls/s offered")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of the run")
    parser.add_argument("--window", type=float, default=10.0, help="seconds a row")
    parser.add_argument("--memory", action="store_true", help="sip_calls' memory phase first")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy's files there")
    parser.add_argument("--gc-probe", action="store_true", help="the collector's passes")
    parser.add_argument(
        "--linger-wait",
        type=float,
        default=0.0,
        help="with --gc-probe: tracked objects settled and this many s later (32 s timers)",
    )
    parser.add_argument(
        "--setting", action="append", default=[], help="name=value, a setting of README's table"
    )
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--group-size", type=int, default=5)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--hold", type=int, default=500, help="ms a call holds")
    parser.add_argument("--in-progress", type=int, default=10_000)
    parser.add_argument("--held-rate", type=float, default=500.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--pg-url", default=os.environ.get(PG_URL_ENV, DEFAULT_PG_URL))
    if parser.parse_known_args(argv)[0].quick:
        parser.set_defaults(lines=1000, groups=10, rows=2000, in_progress=1000, held_rate=250.0)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    out(
        f"sip_sustain: {args.lines} lines, {args.rate:g} calls/s for {args.duration:g} s, hold "
        f"{args.hold} ms; machine: {os.cpu_count()} CPUs, load average {_service.load_average()}"
    )
    asyncio.run(scratch(args))


if __name__ == "__main__":
    main()
