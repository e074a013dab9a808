"""A test exchange: the exchange the service runs (built by ``fleet.exchange``) on the
simulated network in virtual time, routing from a directory — in memory
(``tests.memory``) for the engine's tests, the routing cache over the database for the
integration tests — and keeping every call record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from callgroups.hunt import GroupHunter
from fleet.core.calls.engine import Engine
from fleet.core.calls.ports import Directory, EventLog, Limits, Recorder, no_log
from fleet.core.model import CallRecord, FixedNumber, Line
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.voicemail import NO_VOICEMAIL, VoicemailPlatform
from fleet.exchange import build_exchange
from simulators.clock import VirtualTime
from simulators.handsets import Behaviour, HandsetState
from simulators.network import SimulatedNetwork


class Cast(Protocol):
    """The lines and fixed number of a test world (in memory or in the database)."""

    @property
    def lines(self) -> Sequence[Line]: ...

    @property
    def plain(self) -> Line: ...

    @property
    def foreign(self) -> Line: ...

    @property
    def fixed(self) -> FixedNumber: ...


def n(national: str) -> E164:
    number = NumberPolicy().classify(national)[1]
    assert number is not None, national
    return number


@dataclass
class Records:
    """Every record, and each one handed on to ``then`` (the database's writer) if given."""

    then: Recorder | None = None
    items: list[CallRecord] = field(default_factory=list)

    def record(self, record: CallRecord) -> None:
        self.items.append(record)
        if self.then is not None:
            self.then.record(record)


@dataclass
class Exchange:
    directory: Directory
    time: VirtualTime
    network: SimulatedNetwork
    engine: Engine
    groups: GroupHunter
    records: Records

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

    def assert_clean(self) -> None:
        """Nothing left behind: no call, no timer, no busy mark."""
        assert self.engine.active_calls == 0, "a call is still up"
        assert self.time.pending == 0, "a timer was left behind"
        assert self.engine.busy == {}, self.engine.busy
        assert self.groups.queues == {}, self.groups.queues
        assert self.groups.in_flight == 0, "call groups still hold a finished call"


def make_exchange(
    directory: Directory,
    world: Cast | None = None,
    *,
    limits: Limits | None = None,
    recorder: Recorder | None = None,
    start: datetime | None = None,
    voicemail: VoicemailPlatform = NO_VOICEMAIL,
    log: EventLog = no_log,
) -> Exchange:
    """An exchange routing from ``directory``; with a ``world``, its lines and fixed number
    get handsets that never answer unless told to. ``voicemail``: the deployment's voicemail
    platform (none by default); ``log``: the engine's event log."""
    time = VirtualTime(start)  # default: Monday 5 January 2026, 09:00 UTC
    records = Records(then=recorder)
    built = build_exchange(
        time=time,
        directory=directory,
        recorder=records,
        policy=NumberPolicy(),
        limits=limits,
        voicemail=voicemail,
        log=log,
    )
    network = built.network
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
        directory=directory,
        time=time,
        network=network,
        engine=built.engine,
        groups=built.groups,
        records=records,
    )
