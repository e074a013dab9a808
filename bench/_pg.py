"""A scratch PostgreSQL database for one benchmark run: created empty, dropped at the end
(``WITH (FORCE)``, even when the run fails)."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from _report import out
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from fleet import seed as fleet_seed
from fleet.seed import SeedReport
from fleet.services.container import Services

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/"
PG_URL_ENV = "FLEETPBX_BENCH_PG_URL"


@dataclass(frozen=True)
class Scratch:
    url: str  # with the password, for the engine
    shown: str  # without it, for the output
    version: str  # the server's


@asynccontextmanager
async def scratch_database(pg_url: str) -> AsyncIterator[Scratch]:
    """A new database ``fleetpbx_bench_<pid>`` on the server of ``pg_url`` (the role needs
    the right to create databases)."""
    base = make_url(pg_url)
    name = f"fleetpbx_bench_{os.getpid()}"
    admin = create_async_engine(
        base.set(database=base.database or "postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        async with admin.connect() as conn:
            version = str(await conn.scalar(text("SHOW server_version")))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            target = base.set(database=name)
            yield Scratch(
                url=target.render_as_string(hide_password=False),
                shown=target.render_as_string(),
                version=version,
            )
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
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
