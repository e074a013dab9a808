"""reload: reading a large fleet again into the routing cache, with calls and feature codes
going on — how long the event loop stalls, and whether any lookup fails meanwhile.

Creates a scratch PostgreSQL database, writes one fleet of 50,000 lines in bulk (the
services would take minutes) with call groups, opens the routing cache, then reads the
fleet again (``CachedDirectory.load_fleet``, what a change the cache cannot apply in memory
does) a few times while two tasks run on the same event loop: a ticker waking every
millisecond, whose late wake-ups are the loop's stalls, and a prober resolving numbers of
the fleet, which counts the lookups that miss. Prints figures; it is a benchmark, not a test.

    .venv/bin/python bench/reload.py [--lines N] [--reloads N] [--pg-url URL]
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
import time

from _anchor import measure
from _pg import DEFAULT_PG_URL, PG_URL_ENV, scratch_database
from _report import out, percentile
from sqlalchemy import insert

from fleet import heap
from fleet.app import build_services
from fleet.config import load_settings
from fleet.core.calls.ports import GroupTarget, LineTarget
from fleet.core.clock import SystemClock
from fleet.core.numbering import E164
from fleet.core.values import Actor, Channel, Language
from fleet.db import migrate
from fleet.db.engine import create_engine
from fleet.db.tables import LineRow
from fleet.heap import HeapGuard
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory

TICK = 0.001  # the ticker's period, seconds
ACTOR = Actor(name="bench", channel=Channel.SEED)


async def big_fleet(services: Services, url: str, lines: int, groups: int) -> list[E164]:
    """One fleet of ``lines`` lines written in bulk, ``groups`` groups of 10 members through
    the services; returns the group numbers and a sample of line numbers to probe."""
    fleet = await services.fleets.create(ACTOR, name="Grande flotte", short_number_length=6)
    now = services.lines.now()
    numbers = [E164(f"+3362{i:07d}") for i in range(lines)]
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for start in range(0, lines, 5_000):
                await conn.execute(
                    insert(LineRow),
                    [
                        {
                            "fleet_id": fleet.id,
                            "msisdn": n.value,
                            "short_number": f"{100000 + start + i}",
                            "employee_name": f"Salarié {start + i:05d}",
                            "email": None,
                            "language": Language.FR,
                            "pabx_option": True,
                            "call_waiting": True,
                            "clir": False,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for i, n in enumerate(numbers[start : start + 5_000])
                    ],
                )
    finally:
        await engine.dispose()
    page = await services.lines.search(fleet.id, limit=500)
    for g in range(groups):
        members = [line.id for line in page.items[g * 10 : g * 10 + 10]]
        await services.groups.create(
            ACTOR,
            fleet.id,
            number=f"0970{g:06d}",
            name=f"Groupe {g}",
            user_code="1703",
            admin_code="2202",
            members=members,
        )
    probes = random.Random(7).sample(numbers, 50)
    return probes + [E164(f"+33970{g:06d}") for g in range(groups)]


async def reload_once(directory: CachedDirectory, fleet_id: int, probes: list[E164]) -> None:
    stalls: list[float] = []
    missed = lookups = 0
    running = True

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while running:
            await asyncio.sleep(TICK)
            now = loop.time()
            stalls.append(max(0.0, now - last - TICK) * 1e3)
            last = now

    async def prober() -> None:
        nonlocal missed, lookups
        while running:
            for number in probes:
                target = directory.resolve(number)
                lookups += 1
                if not isinstance(target, LineTarget | GroupTarget):
                    missed += 1
            await asyncio.sleep(TICK)

    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(ticker()), loop.create_task(prober())]
    await asyncio.sleep(10 * TICK)
    started = time.perf_counter()
    await directory.load_fleet(fleet_id)
    took = time.perf_counter() - started
    running = False
    await asyncio.gather(*tasks)
    stalls.sort()
    out(
        f"reload: {took:.2f} s; loop stalls ms: p50 {percentile(stalls, 0.5):.1f}  "
        f"p99 {percentile(stalls, 0.99):.1f}  max {stalls[-1]:.1f}; "
        f"lookups {lookups:,}, missed {missed}"
    )


async def main(args: argparse.Namespace) -> int:
    out(
        f"reload: 1 fleet of {args.lines} lines, {args.groups} groups, {args.reloads} reloads, "
        f"{'with' if args.guard else 'without'} the heap guard"
    )
    anchor = measure("before")
    async with scratch_database(args.pg_url) as db:
        out(f"PostgreSQL {db.version}  {db.shown}")
        await migrate.upgrade(db.url)
        engine = create_engine(db.url)
        try:
            settings = load_settings(cli={"database_url": db.url}, env={})
            services = build_services(engine=engine, settings=settings, clock=SystemClock())
            started = time.perf_counter()
            probes = await big_fleet(services, db.url, args.lines, args.groups)
            out(f"written in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            guard = HeapGuard() if args.guard else None
            directory = CachedDirectory(services=services, heap=guard)
            await directory.load_all()
            if guard is not None:  # as the service does once the cache is loaded
                out(f"heap settled: {heap.settle():,} objects frozen")
            out(f"routing cache opened in {time.perf_counter() - started:.2f} s")
            fleet_id = (await services.fleets.all())[0].id
            for _ in range(args.reloads):
                await reload_once(directory, fleet_id, probes)
        finally:
            await engine.dispose()
    after = measure("after")
    out(f"the anchor moved {after.ms / anchor.ms:.2f}x during the run")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=50_000, help="lines in the fleet")
    parser.add_argument("--groups", type=int, default=50, help="call groups (10 members, <= 50)")
    parser.add_argument("--reloads", type=int, default=3, help="reloads measured")
    parser.add_argument(
        "--no-guard",
        dest="guard",
        action="store_false",
        help="read without the service's heap guard (the collector runs during reloads)",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(PG_URL_ENV, DEFAULT_PG_URL),
        help=f"PostgreSQL server URL (env {PG_URL_ENV}; default {DEFAULT_PG_URL})",
    )
    args = parser.parse_args(argv)
    if args.lines < 1_000 or not 0 <= args.groups <= 50 or args.reloads < 1:
        parser.error("--lines 1000 or more, --groups 0 to 50, --reloads 1 or more")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
