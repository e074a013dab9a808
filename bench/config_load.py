"""config_load: how long loading one line with all its services takes.

Seeds one fleet (10,000 lines and 1,000 call groups by default) on a fresh SQLite file
and on a fresh PostgreSQL database, then times ``services.lines.services(msisdn)`` on
randomly chosen MSISDNs. Prints figures; it is a benchmark, not a test.

    .venv/bin/python bench/config_load.py [--lines N] [--groups N] [--lookups N]
                                          [--pg-url URL | --skip-pg]
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
import random
import tempfile
import time
from dataclasses import dataclass

from _pg import DEFAULT_PG_URL, PG_URL_ENV, scratch_database, seed_fleet
from _report import out, percentile
from sqlalchemy.engine import make_url

from fleet.app import build_services
from fleet.config import load_settings
from fleet.core.clock import SystemClock
from fleet.core.numbering import E164
from fleet.db import migrate
from fleet.db.engine import create_engine

TARGET_P99_MS = 5.0
TARGET = f"target: p99 < {TARGET_P99_MS:g} ms on PostgreSQL on loopback"
WARMUP = 200
PAGE = 500
RNG_SEED = 42


@dataclass(frozen=True, slots=True)
class Result:
    backend: str
    lookups: int
    p50: float
    p95: float
    p99: float
    worst: float
    per_second: float


async def run_backend(backend: str, url: str, args: argparse.Namespace) -> Result:
    shown = make_url(url).render_as_string(hide_password=True)
    out(f"== {backend}  {shown}")
    started = time.perf_counter()
    await migrate.upgrade(url)
    out(f"migrate: {time.perf_counter() - started:.1f} s")
    engine = create_engine(url)
    try:
        settings = load_settings(cli={"database_url": url}, env={})
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        report = await seed_fleet(services, lines=args.lines, groups=args.groups, seed=42)
        fleet_id = report.fleet_ids[0]
        numbers: list[E164] = []
        while True:
            page = await services.lines.search(fleet_id, offset=len(numbers), limit=PAGE)
            numbers.extend(line.msisdn for line in page.items)
            if not page.items or len(numbers) >= page.total:
                break
        if len(numbers) != report.lines:
            raise RuntimeError(f"collected {len(numbers)} MSISDNs, seeded {report.lines} lines")
        rng = random.Random(RNG_SEED)
        for number in rng.choices(numbers, k=WARMUP):
            await services.lines.services(number)
        samples: list[float] = []
        picks = rng.choices(numbers, k=args.lookups)
        loop_start = time.perf_counter_ns()
        for number in picks:
            t0 = time.perf_counter_ns()
            await services.lines.services(number)
            samples.append((time.perf_counter_ns() - t0) / 1e6)
        elapsed_s = (time.perf_counter_ns() - loop_start) / 1e9
    finally:
        await engine.dispose()
    samples.sort()
    return Result(
        backend=backend,
        lookups=len(samples),
        p50=percentile(samples, 0.50),
        p95=percentile(samples, 0.95),
        p99=percentile(samples, 0.99),
        worst=samples[-1],
        per_second=len(samples) / elapsed_s,
    )


def print_table(result: Result) -> None:
    out(f"{'lookups':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'lookups/s':>10}")
    out(
        f"{result.lookups:>8} {result.p50:>8.2f} {result.p95:>8.2f} {result.p99:>8.2f} "
        f"{result.worst:>8.2f} {result.per_second:>10.0f}"
    )
    met = "met" if result.p99 < TARGET_P99_MS else "NOT met"
    if result.backend.startswith("PostgreSQL"):
        out(f"{TARGET}: {met} (p99 {result.p99:.2f} ms)")
    else:
        out(f"{TARGET}: not applicable to {result.backend} (p99 {result.p99:.2f} ms)")
    out()


async def run_sqlite(args: argparse.Namespace) -> Result:
    with tempfile.TemporaryDirectory(prefix="fleetpbx-bench-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        return await run_backend("SQLite", url, args)


async def run_postgres(args: argparse.Namespace) -> Result:
    async with scratch_database(args.pg_url) as db:
        return await run_backend(f"PostgreSQL {db.version}", db.url, args)


async def main(args: argparse.Namespace) -> int:
    out(
        f"config_load: 1 fleet, {args.lines} lines, {args.groups} groups; "
        f"{args.lookups} timed lookups after {WARMUP} warm-up"
    )
    out()
    print_table(await run_sqlite(args))
    if args.skip_pg:
        out(f"PostgreSQL skipped (--skip-pg), so not checked: {TARGET}")
    else:
        print_table(await run_postgres(args))
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=10_000, help="lines in the fleet")
    parser.add_argument("--groups", type=int, default=1_000, help="call groups in the fleet")
    parser.add_argument("--lookups", type=int, default=2_000, help="timed lookups")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(PG_URL_ENV, DEFAULT_PG_URL),
        help=f"PostgreSQL server URL (env {PG_URL_ENV}; default {DEFAULT_PG_URL})",
    )
    parser.add_argument("--skip-pg", action="store_true", help="run on SQLite only")
    args = parser.parse_args(argv)
    if args.lines < 1 or args.groups < 0 or args.lookups < 1:
        parser.error("--lines and --lookups must be 1 or more, --groups 0 or more")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
