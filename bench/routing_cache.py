"""routing_cache: the routing cache as calls and USSD use it — its load, a change reaching it,
and the reads of a routing decision.

Seeds one fleet (10,000 lines and 1,000 call groups by default) on a fresh SQLite file and
on a fresh PostgreSQL database, then measures ``CachedDirectory``: ``load_all()`` (wall
time, CPU, memory), committed changes made through the services (the service call, which
returns once the cache shows the change, and the cache's own part of it), and the
synchronous reads a call makes (``resolve``, ``short_number``, ``fleet_of``) in µs. Prints
figures; it is a benchmark, not a test.

    .venv/bin/python bench/routing_cache.py [--lines N] [--groups N] [--loads N]
                                            [--changes N] [--decisions N] [--seed N]
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

import _anchor
from _pg import DEFAULT_PG_URL, PG_URL_ENV, scratch_database, seed_fleet
from _report import out
from _routing import Figures, Numbers, Targets, changes, decisions, load, memory, open_timed
from _stop import stopped_by_signals
from sqlalchemy.engine import make_url

from fleet import heap
from fleet.app import build_services
from fleet.config import load_settings
from fleet.core.clock import SystemClock
from fleet.db import migrate
from fleet.db.engine import create_engine

# Targets for a carrier: bench/README.md says why.
TARGETS = Targets(
    load_s=2.0,
    cache_mb=30.0,
    apply_p99_ms=1.0,
    change_p99_ms=20.0,
    read_p99_us=10.0,
    call_p99_us=20.0,
)


async def run_backend(backend: str, url: str, args: argparse.Namespace) -> Figures:
    shown = make_url(url).render_as_string(hide_password=True)
    out(f"== {backend}  {shown}")
    started = time.perf_counter()
    await migrate.upgrade(url)
    out(f"migrate: {time.perf_counter() - started:.1f} s")
    engine = create_engine(url)
    figures = Figures(backend=backend, pg=backend.startswith("PostgreSQL"))
    try:
        settings = load_settings(cli={"database_url": url}, env={})
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        report = await seed_fleet(services, lines=args.lines, groups=args.groups, seed=args.seed)
        anchor = _anchor.measure("before")
        await load(services, args.loads, figures)
        await memory(services, figures)
        directory, timer = await open_timed(services)  # as the service wires it
        numbers = await Numbers.collect(services, directory, report.fleet_ids[0])
        out(f"heap settled as the service does once started: {heap.settle():,} objects frozen")
        rng = random.Random(args.seed)
        await changes(services, directory, timer, numbers, args.changes, rng, figures)
        decisions(directory, numbers, args.decisions, rng, figures)
        directory.close()
        figures.anchor = _anchor.mean(anchor, _anchor.measure("after"))
    finally:
        await engine.dispose()
    figures.report(TARGETS)
    return figures


async def run_sqlite(args: argparse.Namespace) -> Figures:
    async with stopped_by_signals("removing the temporary SQLite folder"):
        with tempfile.TemporaryDirectory(prefix="fleetpbx-bench-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            return await run_backend("SQLite", url, args)


async def run_postgres(args: argparse.Namespace) -> Figures:
    async with scratch_database(args.pg_url) as db:
        return await run_backend(f"PostgreSQL {db.version}", db.url, args)


async def main(args: argparse.Namespace) -> int:
    out(
        f"routing_cache: 1 fleet, {args.lines} lines, {args.groups} groups, seed {args.seed}; "
        f"{args.loads} timed loads, {args.changes} changes, {args.decisions} reads per kind"
    )
    out(f"machine: {os.cpu_count()} CPUs, load average {_load_average()}")
    out()
    await run_sqlite(args)
    if args.skip_pg:
        out("PostgreSQL skipped (--skip-pg): its targets are not checked")
    else:
        await run_postgres(args)
    return 0


def _load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=10_000, help="lines in the fleet")
    parser.add_argument("--groups", type=int, default=1_000, help="call groups in the fleet")
    parser.add_argument("--loads", type=int, default=3, help="timed loads of the cache")
    parser.add_argument("--changes", type=int, default=500, help="changes of each kind")
    parser.add_argument("--decisions", type=int, default=5_000, help="timed reads per kind")
    parser.add_argument("--seed", type=int, default=42, help="seed of the fleet and the draws")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(PG_URL_ENV, DEFAULT_PG_URL),
        help=f"PostgreSQL server URL (env {PG_URL_ENV}; default {DEFAULT_PG_URL})",
    )
    parser.add_argument("--skip-pg", action="store_true", help="run on SQLite only")
    args = parser.parse_args(argv)
    if args.lines < 50 or args.groups < 1:
        parser.error("--lines must be 50 or more, --groups 1 or more")
    if args.loads < 1 or args.changes < 1 or args.decisions < 1:
        parser.error("--loads, --changes and --decisions must be 1 or more")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
