"""Several ``fleetpbx serve --network sip`` processes on one scratch PostgreSQL database
(the server of ``FLEETPBX_TEST_DATABASE_URL``; the tests skip on SQLite, where one process
owns every fleet), seeded with two fleets of one line each, their B-legs to one SIPp UAS
playing the core's side of the handsets (every line answers). Processes are started with
free ports and waited for on ``/healthz``; ``kill`` is ``kill -9``."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text

from fleet.core.values import Actor, Channel
from fleet.db import migrate
from fleet.db.engine import create_engine
from tests.netsim.processes import with_services
from tests.polling import eventually
from tests.ports import free_port
from tests.service_process import scratch_database
from tests.sip.sipp_runner import SippServer, sipp_binary, start_sipp_uas
from tests.sip.sipp_runner import free_port as free_sip_port

FLEETPBX = str(Path(sys.executable).with_name("fleetpbx"))
STARTED_WITHIN = 90.0
ACTOR = Actor(name="owners-test", channel=Channel.CLI)
NUMBERS = ("+33611000001", "+33622000001")  # one line in each fleet
OWNER_INTERVAL = "1"  # seconds between two ownership rounds in the tests


def postgres_server() -> str:
    url = os.environ.get("FLEETPBX_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("fleet owners need PostgreSQL (set FLEETPBX_TEST_DATABASE_URL)")
    return url


@dataclass
class Process:
    """One ``fleetpbx serve --network sip``."""

    name: str
    http: int
    sip: int
    log: Path
    popen: subprocess.Popen[bytes]

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    async def health(self) -> dict[str, Any] | None:
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http,
                http.get(f"http://127.0.0.1:{self.http}/healthz") as response,
            ):
                return dict(await response.json()) if response.status == 200 else None
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None

    async def owned(self) -> frozenset[int] | None:
        body = await self.health()
        return None if body is None else frozenset(body.get("fleets_owned", ()))

    def kill(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=60)

    def stop(self) -> None:
        if self.running:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@dataclass
class Cluster:
    url: str
    workdir: Path
    fleets: tuple[int, int]  # the fleet of NUMBERS[0], of NUMBERS[1]
    core: SippServer
    processes: list[Process] = field(default_factory=list)

    def start(self, settings: dict[str, str] | None = None) -> Process:
        name = f"fleetpbx-{len(self.processes) + 1}"
        http, sip = free_port(), free_sip_port()
        journal = self.workdir / name
        journal.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLEETPBX_")}
        env |= {
            "FLEETPBX_DATABASE_URL": self.url,
            "FLEETPBX_LOG_FORMAT": "json",
            "FLEETPBX_RECORDS_JOURNAL_DIR": str(journal),
            "FLEETPBX_OWNER_INTERVAL": OWNER_INTERVAL,
        } | (settings or {})
        log = self.workdir / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [
                    FLEETPBX, "serve", "--network", "sip", "--port", str(http),
                    "--sip-port", str(sip), "--sip-core", f"127.0.0.1:{self.core.port}",
                ],
                cwd=self.workdir, env=env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        process = Process(name=name, http=http, sip=sip, log=log, popen=popen)
        self.processes.append(process)
        return process

    async def started(self, process: Process) -> None:
        async def up() -> bool:
            if not process.running:
                raise AssertionError(f"{process.name} exited:\n{process.output()}")
            return await process.health() is not None

        await eventually(up, within=STARTED_WITHIN, every=0.1, what=f"{process.name} up")

    async def owners(self) -> dict[int, list[str]]:
        """Each fleet's owners as the live processes' /healthz say."""
        out: dict[int, list[str]] = {fleet_id: [] for fleet_id in self.fleets}
        for process in self.processes:
            if process.running:
                for fleet_id in await process.owned() or ():
                    out.setdefault(fleet_id, []).append(process.name)
        return out

    def by_name(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    async def records(self) -> list[tuple[str, str | None]]:
        """(call id, caller's network id) of every call record in the database."""
        engine = create_engine(self.url, pool_size=1)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text("SELECT call_id, caller_network_id FROM call_records ORDER BY id")
                )
                return [(r[0], r[1]) for r in rows]
        finally:
            await engine.dispose()


async def _seed(services: Any) -> tuple[int, int]:
    ids = []
    for index, msisdn in enumerate(("0611000001", "0622000001")):
        fleet = await services.fleets.create(ACTOR, name=f"Fleet {index}", short_number_length=4)
        await services.lines.create(ACTOR, fleet.id, msisdn=msisdn, employee_name=f"Line {index}")
        ids.append(fleet.id)
    return ids[0], ids[1]


@asynccontextmanager
async def cluster(workdir: Path) -> AsyncIterator[Cluster]:
    """The database migrated and seeded, the core's SIPp UAS up; processes are started by
    the test (:meth:`Cluster.start`) and stopped here."""
    server = postgres_server()
    sipp = sipp_binary()
    answer = workdir / "answer.csv"
    answer.write_text("SEQUENTIAL\n" + "".join(f"{n}\n" for n in NUMBERS))
    extra: tuple[str, ...] = ("-timeout", "300s")
    for behaviour in ("answer", "busy", "unavailable", "ring", "silent"):
        path = workdir / f"{behaviour}.csv"
        if not path.exists():
            path.write_text("SEQUENTIAL\nnone\n")
        extra += ("-inf", path.name, "-infindex", path.name, "0")
    async with scratch_database(server) as url:
        await migrate.upgrade(url)
        fleets = await with_services(url, _seed, {})
        core = await start_sipp_uas(sipp, "isc_handsets", workdir, calls=10_000, extra=extra)
        found = Cluster(url=url, workdir=workdir, fleets=fleets, core=core)
        try:
            yield found
        finally:
            for process in found.processes:
                await asyncio.to_thread(process.stop)
            await core.stop()
