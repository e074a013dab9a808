"""An open-loop (paced) driver: item i is due at start + i / rate, whether or not the earlier
ones have ended, as independent users act. What it measures stays honest when the service
falls behind: latency counts from the due time (no coordinated omission), the driver always
yields to the event loop, bounds what is in flight, and ends, reporting the shortfall, when
the service cannot keep up."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

T = TypeVar("T")
BURST = 50  # items started at most before the driver yields


class Turn(Enum):
    """What the driver awaits after starting what was due."""

    SLEEP = "the next due time (0 s when late: a yield)"
    ONE_ENDS = "an item in flight to end"
    DONE = "nothing: every item started, or the driver gave up"


@dataclass
class Paced:
    """What the paced run did."""

    planned: int = 0
    offered: int = 0  # started; the rest is the shortfall
    wall: float = 0.0  # s, from the first due time to the last end
    offering: float = 0.0  # s, from the first due time to the last start
    worst_lag: float = 0.0  # s, the latest start after its due time
    most_in_flight: int = 0
    gave_up_lag: float | None = None  # s behind the schedule when the driver gave up

    @property
    def shortfall(self) -> int:
        return self.planned - self.offered


async def run_paced(
    items: Sequence[T],
    rate: float,
    start_one: Callable[[T, float], Awaitable[None]],
    *,
    key: Callable[[T], Hashable],
    max_in_flight: int,
    max_lag: float,
) -> Paced:
    """Offers ``items`` at ``rate`` per second: ``start_one(item, due)`` (loop time) runs as
    a task and records what it measures. Two items with the same ``key`` (a handset) are never
    in flight at once: an item whose key is busy gives its turn to the next.

    Each turn, the driver starts the items already due (``BURST`` at most), then awaits: it
    sleeps until the next one is due, or, when late, still yields, so the items in flight
    always get the event loop. It keeps at most ``max_in_flight`` of them, waiting for one to
    end when full (that wait counts in the latency of the items due meanwhile). Once it runs
    more than ``max_lag`` seconds behind the schedule, the service cannot keep up with the
    rate: it stops offering (the items not offered are the shortfall) and waits for those in
    flight, which must end by themselves (a timeout of their own)."""
    loop = asyncio.get_running_loop()
    result = Paced(planned=len(items))
    busy: set[Hashable] = set()
    in_flight: set[asyncio.Task[None]] = set()
    pending = deque(items)

    async def one(item: T, due: float) -> None:
        try:
            await start_one(item, due)
        finally:
            busy.discard(key(item))

    def start_due() -> Turn:
        """Starts what is due (``BURST`` at most); says what to await next."""
        skipped = 0  # items put back in a row because their key is busy
        for _ in range(BURST):
            due = start + result.offered / rate
            lag = loop.time() - due
            if not pending:
                return Turn.DONE
            if lag < 0:
                return Turn.SLEEP
            if lag > max_lag:
                result.gave_up_lag = lag
                return Turn.DONE
            if len(in_flight) >= max_in_flight:
                return Turn.ONE_ENDS
            item = pending.popleft()
            if key(item) in busy:
                pending.append(item)  # still in flight: later
                skipped += 1
                if skipped >= len(pending):  # every item left is busy
                    return Turn.ONE_ENDS
                continue
            skipped = 0
            result.worst_lag = max(result.worst_lag, lag)
            busy.add(key(item))
            task = loop.create_task(one(item, due))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            result.offered += 1
            result.most_in_flight = max(result.most_in_flight, len(in_flight))
        return Turn.SLEEP  # a whole burst started: yield, even when late

    start = loop.time() + 0.01
    try:
        while (turn := start_due()) is not Turn.DONE:
            if turn is Turn.ONE_ENDS and in_flight:  # full, or every item left is busy
                await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            else:  # until the next is due; when late, sleep(0) still yields
                await asyncio.sleep(max(0.0, start + result.offered / rate - loop.time()))
        result.offering = loop.time() - start
        if in_flight:
            await asyncio.wait(in_flight)
    finally:  # stopped (a signal): the items in flight are stopped too
        for task in in_flight:
            task.cancel()
        if in_flight:
            await asyncio.wait(in_flight)
    result.wall = loop.time() - start
    return result
