"""Writing a trunk's state (what the keepalive or the registrations found) through
:meth:`fleet.sipnet.trunkbook.TrunkBook.set_state`, which is asynchronous while the adapter's
callbacks are not: the write is handed to a ``Spawn`` (production: a task on the running event
loop, :class:`Background`; tests: run at once)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fleet.core.calls.ports import EventLog, no_log
from fleet.core.trunks import Trunk, TrunkState
from fleet.sipnet.trunkbook import TrunkBook

Spawn = Callable[[Awaitable[None]], None]


class Background:
    """A ``Spawn`` on the running event loop: each write a task, kept until it is done, its
    failure logged (a state not written is written again on the keepalive's next change)."""

    def __init__(self, *, log: EventLog = no_log) -> None:
        self.log = log
        self._tasks: set[asyncio.Future[None]] = set()

    def __call__(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.log("sip_trunk_state_not_written", error=repr(task.exception()))


class TrunkStates:
    """Records a trunk's new state in the book when it differs from the book's."""

    def __init__(self, *, book: TrunkBook, spawn: Spawn, log: EventLog = no_log) -> None:
        self.book = book
        self.spawn = spawn
        self.log = log

    def record(self, trunk: Trunk, state: TrunkState) -> None:
        """``trunk`` as the book has it now."""
        if trunk.state is state:
            return
        self.log(
            "sip_trunk_state",
            trunk=trunk.id,
            fleet_id=trunk.fleet_id,
            name=trunk.name,
            before=trunk.state.value,
            after=state.value,
        )
        self.spawn(self.book.set_state(trunk.id, state))

    def current(self, trunk: Trunk) -> Trunk | None:
        """The book's trunk now (its state included), None once it was removed."""
        now = self.book.by_name(trunk.fleet_id, trunk.name)
        return now if now is not None and now.id == trunk.id else None
