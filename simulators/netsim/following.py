"""netsim following the fleets as their changes commit, when it shares FleetPBX's services
(``fleetpbx demo``: both in one process, one change hub): a fleet, a line, a fixed number or a
call group created, changed or deleted makes netsim read the fleets again — once for a burst
of changes (those that arrive while it reads are read by one more pass). A netsim of its own
(``fleetpbx netsim``) sees no change hub of FleetPBX's: it reads the fleets every
``reload_every`` seconds and on ``POST /reload``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import structlog

from fleet.core.changes import ChangeEvent, FixedNumberChange, FleetChange, GroupChange, LineChange
from fleet.services.changes import ChangeHub
from simulators.netsim.network import Netsim

log = structlog.get_logger("simulators.netsim")

FOLLOWED = (FleetChange, LineChange, FixedNumberChange, GroupChange)  # what netsim's view holds


class ChangeFollower:
    def __init__(self, *, netsim: Netsim) -> None:
        self._netsim = netsim
        self._wanted = asyncio.Event()
        self.passes = 0  # reads of the fleets done for changes

    def wake(self) -> None:
        """Read the fleets again (the change notifications' connection came back, or a
        change too large to be told: what changed is not known)."""
        self._wanted.set()

    async def changed(self, events: Sequence[ChangeEvent]) -> None:
        """A listener of the change hub (after commit)."""
        if any(isinstance(event.change, FOLLOWED) for event in events):
            self._wanted.set()

    async def run(self) -> None:
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            try:
                added, left = await self._netsim.reload()
            except Exception:  # the database away: the next change tries again
                log.warning("netsim_follow_failed", exc_info=True)
                continue
            self.passes += 1
            if added or left:
                log.info("netsim_followed_changes", added=added, left=left)


@contextlib.asynccontextmanager
async def following(hub: ChangeHub, netsim: Netsim) -> AsyncIterator[ChangeFollower]:
    """Subscribe to ``hub`` and read the fleets again after the changes it carries."""
    follower = ChangeFollower(netsim=netsim)
    hub.subscribe(follower.changed)
    task = asyncio.get_running_loop().create_task(follower.run())
    try:
        yield follower
    finally:
        hub.unsubscribe(follower.changed)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
