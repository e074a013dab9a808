"""The process's ownership of fleets, kept up to date (issue 15): every ``interval`` seconds
(and at once at start) a round reads who holds what (:class:`fleet.db.owners.OwnerLocks`),
takes and gives up fleets as :func:`fleet.core.ownership.plan` says, and publishes an
:class:`~fleet.core.ownership.OwnerMap` the SIP side reads for every new call.

When the owner connection fails, this process owns nothing (PostgreSQL released its locks
with the session, or will when it notices): every call is answered 503 until the connection
is back and the locks taken again. Ownership can only be proved by the database."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg  # type: ignore[import-untyped]  # no stubs
import structlog

from fleet.core.ownership import OwnerMap, plan
from fleet.db.owners import OwnerLocks

INTERVAL = 2.0

log = structlog.get_logger("fleet.ownership")


class OwnershipKeeper:
    def __init__(self, *, locks: OwnerLocks, interval: float = INTERVAL) -> None:
        self._locks = locks
        self._interval = interval
        self.current = OwnerMap()  # nothing owned until the first round
        self.rounds = 0
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    @property
    def owned(self) -> frozenset[int]:
        return self.current.mine

    def owned_count(self) -> int:
        return len(self.current.mine)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
        await self._locks.close()

    async def _run(self) -> None:
        while not self._stop.is_set():
            await self.round()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval)

    async def round(self) -> None:
        """One reading and decision; a failure of the connection leaves nothing owned."""
        locks = self._locks
        try:
            if not locks.connected:
                await locks.connect()
                log.info("ownership_connected", process=locks.process, sip_uri=locks.sip_uri)
            look = await locks.look()
            decided = plan(
                fleets=look.fleets,
                mine=look.mine,
                held_elsewhere=look.elsewhere,
                processes=look.processes,
            )
            for fleet_id in decided.release:
                await locks.release(fleet_id)
                log.info("fleet_released", fleet_id=fleet_id, processes=look.processes)
            for fleet_id in decided.take:
                if await locks.take(fleet_id):
                    log.info("fleet_taken", fleet_id=fleet_id, processes=look.processes)
            if decided.take or decided.release:
                look = await locks.look()
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            if self.current.mine or locks.connected:
                log.warning("ownership_lost", error=repr(exc), fleets=sorted(self.current.mine))
            self.current = OwnerMap()
            await locks.close()
            return
        finally:
            self.rounds += 1
        self.current = OwnerMap(mine=look.mine, others=look.owners)
