"""The CPU time of the PostgreSQL server processes that serve one database, and of no other.

The server's processes for a database are listed in ``pg_stat_activity`` (``datname``):
client backends, and autovacuum or parallel workers while they work on it. Their CPU is read
from ``/proc/<pid>/stat`` (user + system), so the server must run on this machine. A run is
measured from ``begin()`` to ``end()``: the processes there at the start count from their
time then, those that appear during the run (sampled every ``EVERY`` seconds) from zero, and
one that ends during the run counts up to its last sample. Not counted: the server's own
processes (postmaster, checkpointer, WAL writer, background writer, autovacuum launcher),
which no database owns, and the backends of every other database (other sessions' tests)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from _pg import server_is_local
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

EVERY = 0.5  # seconds between samples


def process_cpu(pid: int, name: str | None = None) -> float | None:
    """User + system CPU seconds of a process so far (None when it has ended, or is not
    called ``name``)."""
    try:
        comm, _, rest = Path(f"/proc/{pid}/stat").read_text().partition(") ")
    except OSError:
        return None
    if name is not None and comm.partition("(")[2] != name:
        return None
    fields = rest.split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Usage:
    """What one run used."""

    seconds: float = 0.0
    kinds: Counter[str] = field(default_factory=Counter)  # processes by backend_type
    appeared: int = 0
    ended: int = 0

    def shown(self, database: str) -> str:
        kinds = ", ".join(f"{n} {kind}" for kind, n in self.kinds.most_common())
        return (
            f"the processes serving {database} only ({kinds}; {self.appeared} appeared and "
            f"{self.ended} ended during the run)"
        )


class DatabaseCpu:
    """Samples the server processes of ``database`` on the server of ``pg_url``."""

    def __init__(self, pg_url: str, database: str) -> None:
        base = make_url(pg_url)
        self.database = database
        self.local = server_is_local(base)
        self._engine: AsyncEngine = create_async_engine(
            base.set(database=base.database or "postgres"), isolation_level="AUTOCOMMIT"
        )
        self._start: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._kind: dict[int, str] = {}
        self._appeared: set[int] = set()
        self._sampler: asyncio.Task[None] | None = None

    async def close(self) -> None:
        await self._engine.dispose()

    async def _backends(self) -> dict[int, str]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT pid, backend_type FROM pg_stat_activity WHERE datname = :db"),
                {"db": self.database},
            )
            return {int(pid): str(kind) for pid, kind in rows}

    async def _sample(self, *, first: bool) -> None:
        for pid, kind in (await self._backends()).items():
            cpu = process_cpu(pid, "postgres")
            if cpu is None:
                continue
            if pid not in self._start:
                self._start[pid] = cpu if first else 0.0
                self._kind[pid] = kind
                if not first:
                    self._appeared.add(pid)
            self._last[pid] = cpu
        for pid in self._start:  # those that ended keep their last sample
            if (cpu := process_cpu(pid, "postgres")) is not None:
                self._last[pid] = cpu

    async def _sample_often(self) -> None:
        while True:
            await asyncio.sleep(EVERY)
            await self._sample(first=False)

    async def begin(self) -> None:
        self._start, self._last, self._kind, self._appeared = {}, {}, {}, set()
        if not self.local:
            return
        await self._sample(first=True)
        self._sampler = asyncio.create_task(self._sample_often())

    async def end(self) -> Usage | None:
        """The run's usage; None when the server is not on this machine."""
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
            self._sampler = None
        if not self.local:
            return None
        await self._sample(first=False)
        alive = set(await self._backends())
        return Usage(
            seconds=sum(self._last[pid] - self._start[pid] for pid in self._start),
            kinds=Counter(self._kind.values()),
            appeared=len(self._appeared),
            ended=sum(1 for pid in self._start if pid not in alive),
        )
