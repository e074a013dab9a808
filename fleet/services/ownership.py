"""The process's ownership of fleets, kept up to date (issue 15): every ``interval`` seconds
(and at once at start) a round reads who holds what (:class:`fleet.db.owners.OwnerLocks`),
takes and gives up fleets as :func:`fleet.core.ownership.plan` says, and publishes an
:class:`~fleet.core.ownership.OwnerMap` the SIP side reads for every new call.

When the owner connection fails, this process owns nothing (PostgreSQL released its locks
with the session, or will when it notices): every call is answered 503 until the connection
is back and the locks taken again. Ownership can only be proved by the database.

:meth:`OwnershipKeeper.after_next_round` runs a round now (rounds asked for meanwhile are
one) and hands its map to a callback: the SIP side asks it for a call to a fleet nobody owns
yet (a fleet just created, an owner just dead) instead of refusing the call at once."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import asyncpg  # type: ignore[import-untyped]  # no stubs
import structlog

from fleet.core.ownership import OwnerMap, plan
from fleet.db.owners import OwnerLocks

INTERVAL = 2.0
MIN_SPACING = 0.05  # seconds between two rounds asked for back to back

log = structlog.get_logger("fleet.ownership")


class OwnershipKeeper:
    def __init__(
        self,
        *,
        locks: OwnerLocks,
        interval: float = INTERVAL,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._locks = locks
        self._interval = interval
        self._now = now
        self.current = OwnerMap()  # nothing owned until the first round
        self.rounds = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._wake = asyncio.Event()
        self._waiting: list[Callable[[OwnerMap], None]] = []

    @property
    def owned(self) -> frozenset[int]:
        return self.current.mine

    def owned_count(self) -> int:
        return len(self.current.mine)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def after_next_round(self, then: Callable[[OwnerMap], None]) -> None:
        """Run a round as soon as the one under way (if any) ends; ``then`` its map."""
        if self._stopping:
            then(self.current)
            return
        self._waiting.append(then)
        self._wake.set()

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
        self._tell(self._waiting)
        await self._locks.close()

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            waiting, self._waiting = self._waiting, []
            await self.round()
            self._tell(waiting)
            if self._wake.is_set():  # asked for during the round: one more, not at once
                await asyncio.sleep(MIN_SPACING)  # a flood of calls is not a flood of rounds
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)

    def _tell(self, waiting: list[Callable[[OwnerMap], None]]) -> None:
        for then in waiting:
            try:
                then(self.current)
            except Exception as exc:  # one caller's failure is not the keeper's
                log.exception("ownership_callback_failed", error=repr(exc))

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
        self.current = OwnerMap(mine=look.mine, others=look.owners, seen_at=self._now())
