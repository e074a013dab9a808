"""Abbreviated numbers of the company directory in the engine (issue 16 item 6; seeds 002 and
003), in virtual time: a line of the fleet dials a contact's abbreviated number — as it is, or
after ``##`` — and the contact's number rings; the record notes the abbreviated number used.
Another fleet's lines do not reach it; a removed contact's number is unknown again; a line's
short number is never shadowed. Both entries of the engine: the simulated network's calls and
SIP's originating visit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from callgroups.hunt import GroupHunter
from fleet.core.calls.engine import Engine, counter_ids
from fleet.core.calls.events import LegReleased, ReleaseCause
from fleet.core.calls.presence import Presence
from fleet.core.model import CallRecord
from fleet.core.numbering import NumberPolicy
from fleet.core.values import CallEventKind, CallOutcome, Language
from simulators.clock import VirtualTime
from simulators.handsets import Behaviour
from simulators.netsim.console_texts import why
from tests.exchange import Exchange, make_exchange, n
from tests.memory import World, memory_world
from tests.test_engine_originating import Records, Wire

SUPPLIER = "0478000001"  # an external contact of the fleet (not a line of any fleet)
CALLER = "0611000001"  # a line of the fleet (short number 2001)
FOREIGN = "0622000001"  # a line of another fleet


@pytest.fixture
def world() -> World:
    world = memory_world()
    world.fleets.add_contact(world.fleet.id, SUPPLIER, "Fournisseur", abbreviated="7001")
    return world


@pytest.fixture
def ex(world: World) -> Iterator[Exchange]:
    exchange = make_exchange(world.fleets.table, world)
    exchange.network.add(n(SUPPLIER), "Fournisseur", behaviour=Behaviour(answer_after=1))
    yield exchange
    exchange.settle()
    exchange.assert_clean()


def abbreviated(record: CallRecord) -> list[tuple[str | None, object]]:
    return [
        (e.to_number, (e.detail or {}).get("abbreviated"))
        for e in record.events
        if e.kind is CallEventKind.ABBREVIATED_DIALLED
    ]


@pytest.mark.parametrize("dialled", ["7001", "##7001"])
def test_a_line_dialling_a_contacts_abbreviated_number_reaches_the_contact(
    ex: Exchange, dialled: str
) -> None:
    call = ex.dial(CALLER, dialled)
    ex.advance(2)
    assert ex.in_call(SUPPLIER)
    ex.hang_up(CALLER)
    record = ex.record(call)
    assert (record.called, record.outcome) == ("+33478000001", CallOutcome.ANSWERED)
    assert abbreviated(record) == [("+33478000001", "7001")]
    event = next(e for e in record.events if e.kind is CallEventKind.ABBREVIATED_DIALLED)
    assert "7001" in why(event, Language.EN, party=lambda number: number or "")


def test_another_fleets_line_does_not_reach_the_contact(ex: Exchange) -> None:
    call = ex.dial(FOREIGN, "7001")
    ex.advance(2)
    assert not ex.ringing(SUPPLIER)
    record = ex.record(call)
    assert record.cause == ReleaseCause.UNKNOWN_NUMBER.value
    assert abbreviated(record) == []


def test_a_removed_contacts_abbreviated_number_is_unknown_again(ex: Exchange, world: World) -> None:
    (contact,) = world.fleets.table._fleets[world.fleet.id].contacts.values()
    world.fleets.remove_contact(contact)
    call = ex.dial(CALLER, "##7001")
    ex.advance(2)
    assert ex.record(call).cause == ReleaseCause.UNKNOWN_NUMBER.value


def test_a_short_number_of_the_fleet_is_still_a_short_number(ex: Exchange) -> None:
    call = ex.dial(CALLER, "2002")
    ex.advance(1)
    assert ex.ringing("0611000002")
    ex.hang_up(CALLER)
    assert abbreviated(ex.record(call)) == []


def test_the_sip_originating_visit_translates_an_abbreviated_number(world: World) -> None:
    wire, time, records, presence = Wire(), VirtualTime(), Records(), Presence()
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
    engine.originating_call(leg_id="a", served=n(CALLER), dialled="#31#7001")
    (leg,) = wire.legs
    assert leg.number == n(SUPPLIER)
    engine.handle(LegReleased("a"))
    (record,) = records.items
    assert record.called == "+33478000001"
    assert abbreviated(record) == [("+33478000001", "7001")]
