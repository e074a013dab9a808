"""The console's timeline: FleetPBX's call records (and their events, the "why" of each
routing decision) of the calls netsim saw, read from the shared database by correlation id
(netsim's ICID) through the services.

FleetPBX writes a call's records when the call is over, a moment later (its record journal
syncs in batches). So the database is only read when there is something to look for: once a
call through FleetPBX has ended, its ICID waits for its records; the ICIDs due are read in one
query, again after growing delays, until the records came and a later read found nothing new,
or the delays ran out. A record read is kept (the last ``keep``) and told to the hub."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog

from fleet.core.model import CallRecord
from fleet.services.calls import CallRecordService
from simulators.netsim.hub import Change, Hub, Topic

log = structlog.get_logger("simulators.netsim.timeline")

DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # after a call ended, between reads
KEEP = 200  # records kept for the page
MAX_WAITING = 500  # ICIDs looked for at once (past that, the oldest is given up)


@dataclass(slots=True)
class _Waiting:
    due: float
    attempt: int = 0
    found: int = 0


class Timeline:
    def __init__(
        self,
        *,
        calls: CallRecordService,
        hub: Hub,
        now: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        delays: Sequence[float] = DELAYS,
        keep: int = KEEP,
    ) -> None:
        if not delays or any(d <= 0 for d in delays):
            raise ValueError("delays: one or more, each above zero")
        self._calls = calls
        self._hub = hub
        self._now = now
        self._sleep = sleep
        self._delays = tuple(delays)
        self._keep = keep
        self._waiting: dict[str, _Waiting] = {}
        self._wake = asyncio.Event()
        self.records: OrderedDict[str, CallRecord] = OrderedDict()  # by call id, oldest first

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def call_ended(self, icid: str) -> None:
        """A call through FleetPBX ended: look for its records."""
        if icid not in self._waiting:
            if len(self._waiting) >= MAX_WAITING:
                del self._waiting[next(iter(self._waiting))]
            self._waiting[icid] = _Waiting(due=self._now() + self._delays[0])
            self._wake.set()

    def newest(self, limit: int = 50) -> list[CallRecord]:
        return list(self.records.values())[-limit:][::-1]

    async def run(self) -> None:
        """Read what is due, for ever (a task of netsim's application)."""
        while True:
            if not self._waiting:
                self._wake.clear()
                await self._wake.wait()
                continue
            wait = min(w.due for w in self._waiting.values()) - self._now()
            if wait > 0:
                await self._sleep(wait)
            try:
                await self.read_due()
            except Exception:  # the database away: the same ICIDs are read again later
                log.warning("netsim_timeline_read_failed", exc_info=True)
                self._postpone(list(self._waiting))

    async def read_due(self) -> int:
        """One read of the ICIDs due; returns how many records were new."""
        now = self._now()
        due = [icid for icid, w in self._waiting.items() if w.due <= now]
        if not due:
            return 0
        new = 0
        seen: dict[str, int] = dict.fromkeys(due, 0)
        for record in await self._calls.of_correlations(due):
            if record.correlation_id in seen and record.call_id not in self.records:
                seen[record.correlation_id] += 1
                self._keep_record(record)
                new += 1
        for icid in due:
            waiting = self._waiting[icid]
            if waiting.found and not seen[icid]:
                del self._waiting[icid]  # its records came, and nothing since
            else:
                waiting.found += seen[icid]
        self._postpone(due)
        return new

    def _postpone(self, icids: list[str]) -> None:
        for icid in icids:
            waiting = self._waiting.get(icid)
            if waiting is None:
                continue
            waiting.attempt += 1
            if waiting.attempt >= len(self._delays):
                del self._waiting[icid]
            else:
                waiting.due = self._now() + self._delays[waiting.attempt]

    def _keep_record(self, record: CallRecord) -> None:
        self.records[record.call_id] = record
        while len(self.records) > self._keep:
            self.records.popitem(last=False)
        self._hub.publish(Change(Topic.RECORD, record.call_id))
