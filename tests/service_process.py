"""The real service as a subprocess, on a scratch PostgreSQL database, for the tests that
kill it outright or take its database away: ``fleetpbx demo`` (the schema migrated, the demo
fleet, the call engine on the simulated network and its HTTP control ``/sim``)."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.polling import eventually
from tests.ports import free_port

FLEETPBX = str(Path(sys.executable).with_name("fleetpbx"))
STARTED_WITHIN = 90.0  # seconds for a start (migrations, the demo fleet) on a busy machine
STOPPED_WITHIN = 60.0


@asynccontextmanager
async def scratch_database(server_url: str) -> AsyncIterator[str]:
    """A new empty database on the PostgreSQL server of ``server_url`` (a database of that
    server to connect to first); dropped afterwards, its connections ended."""
    base = make_url(server_url)
    name = f"fleetpbx_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


class ServiceProcess:
    """``fleetpbx demo`` on one port, started (again) with ``start``; settings are given as
    ``FLEETPBX_*`` variables (those of the test's own environment are left out). Its output
    goes to ``service-<n>.log`` in ``workdir``, shown when it fails to start."""

    def __init__(
        self, *, workdir: Path, database_url: str, settings: Mapping[str, str] | None = None
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._env = {k: v for k, v in os.environ.items() if not k.startswith("FLEETPBX_")}
        self._env |= {"FLEETPBX_DATABASE_URL": database_url, "FLEETPBX_LOG_FORMAT": "json"}
        self._env |= {f"FLEETPBX_{k.upper()}": v for k, v in (settings or {}).items()}
        self._process: asyncio.subprocess.Process | None = None
        self._http: aiohttp.ClientSession | None = None
        self.starts = 0
        self.log = workdir / "service-0.log"

    async def __aenter__(self) -> ServiceProcess:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.running:
            await self.kill()
        if self._http is not None:
            await self._http.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    async def start(self) -> None:
        """Start it and wait until ``/healthz`` answers 200."""
        assert not self.running
        self.starts += 1
        self.log = self.workdir / f"service-{self.starts}.log"
        with self.log.open("wb") as out:
            self._process = await asyncio.create_subprocess_exec(
                FLEETPBX,
                "demo",
                "--in-process",  # the simulated network inside the service, /sim
                "--port",
                str(self.port),
                cwd=self.workdir,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        await eventually(self._healthy, within=STARTED_WITHIN, every=0.1, what="the service up")

    async def _healthy(self) -> bool:
        if not self.running:
            raise AssertionError(f"the service exited at its start:\n{self.output()}")
        try:
            status, _ = await self.health()
        except (TimeoutError, aiohttp.ClientError):
            return False
        return status == 200

    async def kill(self) -> None:
        """``kill -9``, and wait until it is gone."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self._process.wait(), STOPPED_WITHIN)

    async def stop(self) -> int:
        """Ctrl-C, and wait for its exit status."""
        assert self._process is not None
        self._process.send_signal(signal.SIGINT)
        return await asyncio.wait_for(self._process.wait(), STOPPED_WITHIN)

    # -- HTTP ----------------------------------------------------------------------------------

    async def health(self) -> tuple[int, dict[str, Any]]:
        assert self._http is not None
        async with self._http.get(f"{self.base}/healthz") as response:
            return response.status, await response.json()

    async def get(self, path: str) -> dict[str, Any]:
        assert self._http is not None
        async with self._http.get(f"{self.base}{path}") as response:
            assert response.status == 200, await response.text()
            body: dict[str, Any] = await response.json()
            return body

    async def post(self, path: str, body: Mapping[str, object]) -> dict[str, Any]:
        assert self._http is not None
        async with self._http.post(f"{self.base}{path}", json=dict(body)) as response:
            assert response.status < 300, f"{path}: {response.status} {await response.text()}"
            answer: dict[str, Any] = await response.json()
            return answer
