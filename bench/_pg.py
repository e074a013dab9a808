"""A scratch PostgreSQL database for one benchmark run: created empty, dropped at the end
(``WITH (FORCE)``) even when the run fails or is stopped by SIGTERM or SIGINT; the scratch
databases of runs that were killed outright (SIGKILL, a crash of the machine) are dropped by
the next run."""

from __future__ import annotations

import os
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from _report import out
from _stop import stopped_by_signals
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from fleet import seed as fleet_seed
from fleet.seed import SeedReport
from fleet.services.container import Services

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/"
PG_URL_ENV = "FLEETPBX_BENCH_PG_URL"
PREFIX = "fleetpbx_bench_"
SCRATCH = re.compile(rf"{PREFIX}(\d+)")
LOCAL_HOSTS = {None, "", "127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Scratch:
    name: str  # the database's
    url: str  # with the password, for the engine
    shown: str  # without it, for the output
    version: str  # the server's


def server_is_local(url: URL) -> bool:
    """True when the server runs on this machine (its pids are this machine's)."""
    return url.host in LOCAL_HOSTS or str(url.host).startswith("/")


def bench_running(pid: int) -> bool:
    """True when process ``pid`` exists and is a benchmark (a pid reused by another program
    does not keep a scratch database alive)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(b"bench" in arg for arg in argv)


async def drop_leftovers(conn: AsyncConnection, url: URL) -> None:
    """Drops the ``fleetpbx_bench_<pid>`` databases whose process no longer runs (a run
    killed with SIGKILL), saying so; leaves those of other runs in progress alone."""
    names = (
        await conn.scalars(
            text("SELECT datname FROM pg_database WHERE datname LIKE :prefix ORDER BY datname"),
            {"prefix": PREFIX.replace("_", r"\_") + "%"},
        )
    ).all()
    found = [(name, int(m.group(1))) for name in names if (m := SCRATCH.fullmatch(name))]
    if not found:
        return
    if not server_is_local(url):
        shown = ", ".join(name for name, _ in found)
        out(f"scratch databases of other runs left alone (server not on this machine): {shown}")
        return
    for name, pid in found:
        if pid != os.getpid() and bench_running(pid):
            out(f"scratch database {name} left alone: process {pid} is a running benchmark")
            continue
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        out(f"dropped leftover scratch database {name} (process {pid} no longer runs)")


@asynccontextmanager
async def scratch_database(pg_url: str, *, template: str | None = None) -> AsyncIterator[Scratch]:
    """A new database ``fleetpbx_bench_<pid>`` on the server of ``pg_url`` (the role needs
    the right to create databases) — a copy of ``template`` when given (a database seeded
    once, e.g. with a 100,000-line fleet: copied in seconds, where seeding takes minutes);
    leftovers of killed runs are dropped first."""
    base = make_url(pg_url)
    name = f"{PREFIX}{os.getpid()}"
    admin = create_async_engine(
        base.set(database=base.database or "postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        async with admin.connect() as conn:
            version = str(await conn.scalar(text("SHOW server_version")))
            await drop_leftovers(conn, base)
            copy = f' TEMPLATE "{template}"' if template else ""
            await conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        async with stopped_by_signals(f"dropping the scratch database {name}") as stop:
            try:
                target = base.set(database=name)
                yield Scratch(
                    name=name,
                    url=target.render_as_string(hide_password=False),
                    shown=target.render_as_string(),
                    version=version,
                )
            finally:
                stop.hold()
                async with admin.connect() as conn:
                    await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                if stop.received:
                    out(f"scratch database {name} dropped")
    finally:
        await admin.dispose()


async def seed_fleet(services: Services, *, lines: int, groups: int, seed: int) -> SeedReport:
    """One fleet seeded through the services (``fleet.seed``), with what it took printed."""
    started = time.perf_counter()
    report = await fleet_seed.seed(services, fleets=1, lines=lines, seed=seed, groups=groups)
    out(
        f"seed: 1 fleet, {report.lines} lines, {report.groups} groups, "
        f"{report.forwardings} forwardings, {report.incoming_lists} incoming lists, "
        f"{report.fixed_numbers} fixed numbers in {time.perf_counter() - started:.1f} s"
    )
    return report
