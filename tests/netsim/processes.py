"""``fleetpbx serve --network sip`` and ``fleetpbx netsim`` as two processes side by side on a
seeded fleet (SQLite, or a scratch database on the PostgreSQL server of
``FLEETPBX_TEST_DATABASE_URL`` when it names one): FleetPBX's core and media server are
netsim's SIP port, netsim's FleetPBX is FleetPBX's. Started once for the tests of the package
(both waited for on their health answers, never a fixed sleep); the tests drive netsim's
control API and read the call records from the database."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from fleet.app import build_services
from fleet.config import load_settings
from fleet.core.clock import SystemClock
from fleet.core.model import CallRecord
from fleet.db import migrate
from fleet.db.engine import create_engine
from fleet.services.container import Services
from tests.polling import eventually, wait_until
from tests.ports import free_port

FLEETPBX = str(Path(sys.executable).with_name("fleetpbx"))
T = TypeVar("T")
STARTED_WITHIN = 90.0  # a start on a busy machine
WITHIN = 60.0  # a call's steps on a busy machine


@dataclass(frozen=True)
class Pair:
    fleet_id: int  # the seeded fleet
    database_url: str
    fleetpbx_http: str
    control: str  # netsim's control API
    workdir: Path
    sip: int = 0  # FleetPBX's SIP port
    netsim_sip: int = 0  # netsim's SIP port

    # -- netsim's control API --------------------------------------------------------------

    async def get(self, path: str) -> Any:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
            http.get(f"{self.control}{path}") as response,
        ):
            assert response.status == 200, await response.text()
            return await response.json()

    async def post(self, path: str, body: Mapping[str, object], status: int = 0) -> Any:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
            http.post(f"{self.control}{path}", json=dict(body)) as response,
        ):
            if status:
                assert response.status == status, await response.text()
            else:
                assert response.status < 300, f"{path}: {response.status} {await response.text()}"
            return await response.json()

    async def handset(self, number: str) -> dict[str, Any]:
        shown: dict[str, Any] = await self.get(f"/handsets/{number}")
        return shown

    async def until_handset(
        self, number: str, condition: Callable[[dict[str, Any]], bool], what: str
    ) -> dict[str, Any]:
        seen: dict[str, Any] = {}

        async def holds() -> bool:
            seen.update(await self.handset(number))
            return condition(seen)

        await eventually(holds, within=WITHIN, every=0.1, what=what)
        return seen

    async def hang_up_everything(self) -> None:
        """Hang up every handset still in a call (after a test, whatever happened in it)."""
        calls = await self.get("/calls")
        for call in calls["calls"]:
            for leg in call["legs"]:
                if leg["kind"] == "handset" and leg["state"] != "ended":
                    async with (
                        aiohttp.ClientSession() as http,
                        http.post(f"{self.control}/hang_up", json={"number": leg["handset"]}),
                    ):
                        pass

    async def idle(self) -> None:
        """Wait until netsim holds no call and no SIP entry (every leg ended, forgotten)."""

        async def idle() -> bool:
            health = await self.get("/healthz")
            return bool(health["calls"] == 0 and health["sip_entries"] == 0)

        await eventually(idle, within=WITHIN, every=0.1, what="netsim idle")

    # -- the database ---------------------------------------------------------------------

    async def records(self, icid: str, count: int) -> list[CallRecord]:
        """The fleet's call records correlated by ``icid``, once ``count`` are written."""
        fleet_id = self.fleet_id
        found: list[CallRecord] = []

        async def written(services: Services) -> bool:
            page = await services.calls.search(fleet_id=fleet_id, limit=200)
            found[:] = [r for r in page.items if r.correlation_id == icid]
            return len(found) >= count

        async def wait(services: Services) -> None:
            what = f"{count} records of {icid}"
            await eventually(lambda: written(services), within=WITHIN, every=0.2, what=what)

        await with_services(self.database_url, wait)
        return sorted(found, key=lambda r: (r.offered_at, r.session_case.value))


async def with_services(
    url: str, use: Callable[[Services], Awaitable[T]], env: Mapping[str, str] | None = None
) -> T:
    """``use`` the services on ``url`` (``env``: settings of both processes, a trunk key…)."""
    settings = load_settings(cli={"database_url": url}, env=dict(env or {}))
    engine = create_engine(url, pool_size=2)
    try:
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        try:
            return await use(services)
        finally:
            services.accounts.passwords.close()
    finally:
        await engine.dispose()


async def _admin(server_url: str, statement: str) -> None:
    admin = create_async_engine(
        make_url(server_url), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        async with admin.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await admin.dispose()


@contextmanager
def _database(workdir: Path) -> Iterator[str]:
    """SQLite in ``workdir``, or a new database on the test PostgreSQL server (dropped after)."""
    server = os.environ.get("FLEETPBX_TEST_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        yield f"sqlite+aiosqlite:///{workdir / 'fleet.db'}"
        return
    name = f"fleetpbx_netsim_{os.getpid()}_{secrets.token_hex(4)}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> bool | None:
    if process.poll() is not None:
        raise AssertionError(f"{url} exited at its start:\n{log.read_text()[-4000:]}")
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return True if response.status == 200 and json.loads(response.read()) else None
    except (OSError, urllib.error.URLError, ValueError):
        return None


@contextmanager
def fleetpbx_and_netsim(
    workdir: Path,
    seed: Callable[[Services], Awaitable[int]],
    *,
    settings: Mapping[str, str] | None = None,
) -> Iterator[Pair]:
    """Migrate a new database, ``seed`` it through the services (it returns the fleet's id),
    start both processes and wait until both answer; stop them afterwards. ``settings``:
    ``FLEETPBX_…`` environment of both processes and of the seeding services."""
    with _database(workdir) as url:
        yield from _started(workdir, url, seed, settings or {})


def _started(
    workdir: Path,
    url: str,
    seed: Callable[[Services], Awaitable[int]],
    settings: Mapping[str, str],
) -> Iterator[Pair]:
    asyncio.run(migrate.upgrade(url))
    fleet_id = asyncio.run(with_services(url, seed, settings))
    sip, netsim_sip, http, control = (free_port() for _ in range(4))
    smpp = free_port()  # netsim's SMSC, FleetPBX binds to it (its smpp_port, from the env)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEETPBX_")}
    env |= dict(settings) | {
        "FLEETPBX_DATABASE_URL": url,
        "FLEETPBX_LOG_FORMAT": "json",
        "FLEETPBX_RECORDS_JOURNAL_DIR": str(workdir),
        "FLEETPBX_SMPP_PORT": str(smpp),
    }
    commands = {
        "fleetpbx": [
            FLEETPBX, "serve", "--network", "sip", "--port", str(http), "--sip-port", str(sip),
            "--sip-core", f"127.0.0.1:{netsim_sip}",
            "--sip-media-server", f"127.0.0.1:{netsim_sip}",
        ],
        "netsim": [
            FLEETPBX, "netsim", "--fleetpbx", f"127.0.0.1:{sip}", "--sip-port", str(netsim_sip),
            "--control-port", str(control), "--reload-every", "0", "--answer-after", "1",
            "--announcement-seconds", "1", "--smpp-port", str(smpp),
        ],
    }  # fmt: skip
    health = {
        "fleetpbx": f"http://127.0.0.1:{http}/healthz",
        "netsim": f"http://127.0.0.1:{control}/healthz",
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, command in commands.items():
            log = workdir / f"{name}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    command,
                    cwd=workdir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            processes.append(process)
            wait_until(
                lambda p=process, u=health[name], lg=log: _healthy(u, p, lg),  # type: ignore[misc]
                within=STARTED_WITHIN,
                what=f"{name} up",
            )
        yield Pair(
            fleet_id=fleet_id,
            database_url=url,
            fleetpbx_http=f"http://127.0.0.1:{http}",
            control=f"http://127.0.0.1:{control}",
            workdir=workdir,
            sip=sip,
            netsim_sip=netsim_sip,
        )
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
