"""SIGTERM and SIGINT as a normal exit: the cleanup of a block (a scratch database, a
temporary folder) runs before the process ends.

Inside ``stopped_by_signals()``, either signal cancels the task that entered the block; the
cancellation unwinds its ``finally`` clauses and ``async with`` blocks as any error would, and
the block then ends with ``SystemExit(128 + signal)`` (143 for SIGTERM, 130 for SIGINT), the
status a shell shows for a process stopped by that signal. Once the cleanup has begun
(``Stop.hold()``), a signal no longer cancels anything: it is noted, the cleanup finishes and
the block then exits the same way. SIGKILL cannot be caught: what a killed run leaves behind
is dropped by the next one (``_pg.drop_leftovers``)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from _report import out

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stop:
    """The signals received in a ``stopped_by_signals()`` block."""

    def __init__(self, task: asyncio.Task[object], cleanup: str) -> None:
        self._task = task
        self._cleanup = cleanup
        self._held = False
        self.received: list[signal.Signals] = []

    def hold(self) -> None:
        """The cleanup has begun: a signal from now on must not interrupt it."""
        self._held = True

    def on_signal(self, sig: signal.Signals) -> None:
        self.received.append(sig)
        if len(self.received) > 1 or self._held:
            out(f"{sig.name}: noted; stopping once the cleanup is done ({self._cleanup})")
            return
        out(f"{sig.name}: stopping; {self._cleanup}")
        self._task.cancel()


@asynccontextmanager
async def stopped_by_signals(cleanup: str) -> AsyncIterator[Stop]:
    """``cleanup`` says what the unwinding will do, for the output."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    if task is None:
        raise RuntimeError("stopped_by_signals() needs a task")
    stop = Stop(task, cleanup)
    for sig in SIGNALS:
        loop.add_signal_handler(sig, stop.on_signal, sig)
    try:
        yield stop
    except asyncio.CancelledError:
        if not stop.received:
            raise
    finally:
        for sig in SIGNALS:
            loop.remove_signal_handler(sig)
    if stop.received:
        raise SystemExit(128 + stop.received[0])
