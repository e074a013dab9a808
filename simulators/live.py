"""The simulated network running in real time inside the service (``fleetpbx demo``),
with the engine, the routing cache and call records written to the database."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import structlog

from fleet.calllog import StructlogEvents
from fleet.core.calls.engine import Engine
from fleet.core.model import CallRecord
from fleet.core.numbering import NumberPolicy
from fleet.realtime import LoopTime
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from fleet.services.recording import RecordWriter
from simulators.network import Behaviour, SimulatedNetwork


class RecentRecords:
    """Hands records to the writer and keeps the last ones for the simulator's page."""

    def __init__(self, *, writer: RecordWriter, keep: int = 50) -> None:
        self.writer = writer
        self.items: deque[CallRecord] = deque(maxlen=keep)

    def record(self, record: CallRecord) -> None:
        self.items.appendleft(record)
        self.writer.record(record)


@dataclass
class LiveSimulator:
    services: Services
    directory: CachedDirectory
    network: SimulatedNetwork
    engine: Engine
    writer: RecordWriter
    recent: RecentRecords

    def sync_handsets(self) -> None:
        """Every line and fixed number of every fleet has a handset (answers after 5 s)."""
        for line in self.directory.all_lines():
            if line.line.msisdn.value not in self.network.handsets:
                self.network.add(
                    line.line.msisdn, line.line.employee_name, behaviour=Behaviour(answer_after=5.0)
                )
        for fixed in self.directory.all_fixed():
            if fixed.number.value not in self.network.handsets:
                self.network.add(
                    fixed.number, fixed.label, fixed=True, behaviour=Behaviour(answer_after=5.0)
                )

    async def close(self) -> None:
        await self.writer.flush()


async def start(
    *, services: Services, directory: CachedDirectory, policy: NumberPolicy
) -> LiveSimulator:
    """The engine on the simulated network, routing from ``directory`` (the service's
    routing cache, which the caller opened and will close)."""
    time = LoopTime()
    network = SimulatedNetwork(time=time)
    log = structlog.get_logger("simulators.live")

    def failed(record: CallRecord, exc: Exception) -> None:
        log.error("call_record_not_written", call_id=record.call_id, error=repr(exc))

    writer = RecordWriter(calls=services.calls, on_error=failed)
    recent = RecentRecords(writer=writer)
    engine = Engine(
        network=network,
        timers=time,
        clock=time,
        directory=directory,
        recorder=recent,
        policy=policy,
        log=StructlogEvents(),
    )
    network.attach(engine)
    live = LiveSimulator(
        services=services,
        directory=directory,
        network=network,
        engine=engine,
        writer=writer,
        recent=recent,
    )
    live.sync_handsets()
    return live
