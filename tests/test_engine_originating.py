"""The engine's originating entry without any network protocol: a fleet line's own call is
translated (short number → E.164), presented (CLIR, ``#31#`` / ``*31#``) and sent on as one
leg, with none of the callee's services; its record says which visit it is, and carries the
correlation and the network's ids of both legs."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from callgroups.hunt import GroupHunter
from fleet.core.calls.engine import Engine, counter_ids
from fleet.core.calls.events import (
    Announcement,
    LegAlerting,
    LegAnswered,
    LegBusy,
    LegRejected,
    LegReleased,
    ReleaseCause,
)
from fleet.core.calls.ports import LegRequest
from fleet.core.calls.presence import Presence
from fleet.core.dialling import Presentation
from fleet.core.model import CallRecord
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.roaming import AT_HOME, LineLocation
from fleet.core.values import CallOutcome, ForwardingKind, SessionCase
from simulators.clock import VirtualTime
from tests.memory import World, memory_world

LINE = E164("+33611000001")  # short number 2001
COLLEAGUE = "+33611000002"  # short number 2002


@dataclass
class Wire:
    """The Network port, recording what the engine asks for."""

    legs: list[LegRequest] = field(default_factory=list)
    released: list[tuple[str, ReleaseCause]] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    bridged: list[tuple[str, str]] = field(default_factory=list)
    announced: list[tuple[str, Announcement]] = field(default_factory=list)

    def originate(self, request: LegRequest) -> None:
        self.legs.append(request)

    def cancel(self, leg_id: str) -> None:
        self.cancelled.append(leg_id)

    def bridge(self, a_leg: str, b_leg: str) -> None:
        self.bridged.append((a_leg, b_leg))

    def release(
        self, leg_id: str, cause: ReleaseCause, *, announcement: Announcement | None = None
    ) -> None:
        self.released.append((leg_id, cause))
        if announcement is not None:
            self.announced.append((leg_id, announcement))

    def play(self, leg_id: str, announcement: Announcement) -> None:
        pass

    def conference(self, conference_id: str, leg_ids: list[str]) -> None:
        pass

    def location(self, number: E164) -> LineLocation:
        return AT_HOME  # every handset at home


@dataclass
class Records:
    items: list[CallRecord] = field(default_factory=list)

    def record(self, record: CallRecord) -> None:
        self.items.append(record)


@dataclass
class Bench:
    world: World
    engine: Engine
    wire: Wire
    time: VirtualTime
    records: Records

    def call(self, dialled: str, *, served: E164 | None = LINE, restricted: bool = False) -> str:
        call = self.engine.originating_call(
            leg_id="a",
            served=served,
            dialled=dialled,
            restricted=restricted,
            network_id="a-leg@scscf",
            correlation_id="icid-1",
        )
        return call.id


@pytest.fixture
def bench() -> Bench:
    world = memory_world()
    wire = Wire()
    time = VirtualTime()
    records = Records()
    presence = Presence()
    engine = Engine(
        network=wire,
        timers=time,
        clock=time,
        directory=world.fleets.table,
        recorder=records,
        policy=NumberPolicy(),
        groups=GroupHunter(
            clock=time, timers=time, directory=world.fleets.table, presence=presence, locations=wire
        ),
        presence=presence,
        new_id=counter_ids(),
    )
    return Bench(world, engine, wire, time, records)


def test_a_short_number_of_the_callers_fleet_goes_on_as_its_e164_number(bench: Bench) -> None:
    bench.call("2002")
    (leg,) = bench.wire.legs
    assert (leg.number.value, leg.caller, leg.presentation) == (
        COLLEAGUE,
        LINE,
        Presentation.ALLOWED,
    )
    bench.engine.leg_reference(leg.leg_id, "b-leg@fleetpbx")
    bench.engine.handle(LegAlerting(leg.leg_id))
    bench.time.advance(300)  # no ring limit on this visit: the callee's visit decides
    assert bench.engine.active_calls == 1
    bench.engine.handle(LegAnswered(leg.leg_id))
    assert bench.wire.bridged == [("a", leg.leg_id)]
    bench.engine.handle(LegReleased("a"))
    (record,) = bench.records.items
    assert record.session_case is SessionCase.ORIGINATING
    assert (record.caller, record.called, record.outcome) == (
        LINE.value,
        COLLEAGUE,
        CallOutcome.ANSWERED,
    )
    assert (record.correlation_id, record.caller_network_id, record.callee_network_id) == (
        "icid-1",
        "a-leg@scscf",
        "b-leg@fleetpbx",
    )


@pytest.mark.parametrize(
    ("clir", "dialled", "restricted", "shown"),
    [
        (False, "2002", False, Presentation.ALLOWED),
        (True, "2002", False, Presentation.RESTRICTED),
        (False, "#31#2002", False, Presentation.RESTRICTED),
        (True, "*31#2002", False, Presentation.ALLOWED),
        (False, "*31#2002", True, Presentation.RESTRICTED),  # the network withholds it
    ],
)
def test_the_presentation_follows_the_lines_clir_and_the_per_call_prefix(
    bench: Bench, clir: bool, dialled: str, restricted: bool, shown: Presentation
) -> None:
    bench.world.fleets.update_line(bench.world.lines[0].id, clir=clir)
    bench.call(dialled, restricted=restricted)
    (leg,) = bench.wire.legs
    assert (leg.number.value, leg.presentation) == (COLLEAGUE, shown)
    bench.engine.handle(LegReleased("a"))


def test_the_callees_forwarding_is_left_to_its_own_visit(bench: Bench) -> None:
    bench.world.fleets.forward(bench.world.lines[1].id, ForwardingKind.BUSY, "0611000003")
    bench.call("2002")
    (leg,) = bench.wire.legs
    bench.engine.handle(LegBusy(leg.leg_id))
    assert len(bench.wire.legs) == 1
    assert bench.wire.released == [("a", ReleaseCause.BUSY)]
    assert bench.records.items[0].outcome is CallOutcome.BUSY


def test_a_refusal_of_the_leg_is_passed_back_as_such(bench: Bench) -> None:
    bench.call("0611000002")
    (leg,) = bench.wire.legs
    bench.engine.handle(LegRejected(leg.leg_id))
    assert bench.wire.released == [("a", ReleaseCause.REJECTED)]


def test_an_unknown_short_number_ends_the_call_as_unknown(bench: Bench) -> None:
    bench.call("2999")
    assert bench.wire.legs == []
    assert bench.wire.released == [("a", ReleaseCause.UNKNOWN_NUMBER)]
    (record,) = bench.records.items
    assert (record.called, record.callee_network_id) == ("2999", None)


@pytest.mark.parametrize("served", [E164("+33699000009"), None])
def test_a_served_user_that_is_no_fleet_line_is_not_allowed(
    bench: Bench, served: E164 | None
) -> None:
    bench.call("2002", served=served)
    assert bench.wire.legs == []
    assert bench.wire.released == [("a", ReleaseCause.NOT_ALLOWED)]
    assert bench.records.items[0].outcome is CallOutcome.REJECTED


def test_a_fixed_number_of_the_callers_fleet_goes_on_over_its_trunk(bench: Bench) -> None:
    bench.call("0145678910")
    (leg,) = bench.wire.legs
    assert (leg.number.value, leg.trunk) == ("+33145678910", "trunk-siege")


def test_another_number_goes_on_to_the_core_not_over_a_trunk(bench: Bench) -> None:
    bench.call("0699000009")
    (leg,) = bench.wire.legs
    assert leg.trunk is None
