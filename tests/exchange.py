"""A test exchange: the engine on the simulated network in virtual time, reading the
configuration from the database through the routing cache, recording calls."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.core.calls.engine import Engine, Limits
from fleet.core.model import CallRecord
from fleet.core.numbering import E164, NumberPolicy
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from fleet.services.recording import RecordWriter
from simulators.clock import VirtualTime
from simulators.network import Behaviour, HandsetState, SimulatedNetwork
from tests.world import World


def n(national: str) -> E164:
    number = NumberPolicy().classify(national)[1]
    assert number is not None, national
    return number


@dataclass
class Records:
    writer: RecordWriter
    items: list[CallRecord] = field(default_factory=list)

    def record(self, record: CallRecord) -> None:
        self.items.append(record)
        self.writer.record(record)


@dataclass
class Exchange:
    services: Services
    directory: CachedDirectory
    time: VirtualTime
    network: SimulatedNetwork
    engine: Engine
    records: Records
    errors: list[str]

    def dial(self, caller: str | None, dialled: str) -> str:
        return self.network.dial(n(caller) if caller else None, dialled)

    def hang_up(self, number: str) -> None:
        self.network.hang_up(n(number))

    def ringing(self, number: str) -> bool:
        return self.network.is_ringing(n(number))

    def in_call(self, number: str) -> bool:
        return self.network.in_call(n(number))

    def behave(self, number: str, **behaviour: object) -> None:
        self.network.handset(n(number)).behaviour = Behaviour(**behaviour)  # type: ignore[arg-type]

    def switch(self, number: str, state: HandsetState) -> None:
        self.network.handset(n(number)).state = state

    def advance(self, seconds: float) -> None:
        self.time.advance(seconds)

    def record(self, call_id: str) -> CallRecord:
        found = [r for r in self.records.items if r.call_id == call_id]
        assert found, f"no record for {call_id} (calls still up: {self.engine.active_calls})"
        return found[0]

    def settle(self) -> None:
        """Hang up every call still up and let every timer run out."""
        for handset in self.network.handsets.values():
            if handset.legs:
                self.network.hang_up(handset.number)
        self.time.run()

    async def flush(self) -> None:
        await self.records.writer.flush()


async def make_exchange(
    services: Services, world: World | None = None, *, limits: Limits | None = None
) -> Exchange:
    directory = CachedDirectory(services=services)
    services.changes.subscribe(directory.changed)
    await directory.load_all()
    time = VirtualTime()
    network = SimulatedNetwork(time=time)
    errors: list[str] = []
    writer = RecordWriter(calls=services.calls, on_error=lambda r, e: errors.append(repr(e)))
    records = Records(writer=writer)
    engine = Engine(
        network=network,
        timers=time,
        clock=time,
        directory=directory,
        recorder=records,
        policy=NumberPolicy(),
        limits=limits,
    )
    network.attach(engine)
    if world is not None:
        for line in [*world.lines, world.plain, world.foreign]:
            network.add(line.msisdn, line.employee_name, behaviour=Behaviour(answer_after=None))
        network.add(
            world.fixed.number,
            world.fixed.label,
            fixed=True,
            behaviour=Behaviour(answer_after=None),
        )
    return Exchange(
        services=services,
        directory=directory,
        time=time,
        network=network,
        engine=engine,
        records=records,
        errors=errors,
    )
