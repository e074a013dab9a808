"""BOIC (331) and BOIC-exHC (332) judged from where the line is (TS 22.088), in the engine
in virtual time: at home both bar calls abroad; roaming in a country, BOIC bars every call
but to that country — calling home included — and BOIC-exHC every call but to that country
and home; abroad in a country the network does not name, BOIC bars every call but an
emergency one and BOIC-exHC every one but to home. The refusal is announced as always
("call barred", the record naming the program). The simulated network's handset ``abroad``
carries the visited country (``country``)."""

from __future__ import annotations

import pytest

from fleet.core import barring
from fleet.core.barring import Barring
from fleet.core.calls.events import ReleaseCause
from fleet.core.countries import Country
from fleet.core.model import CallRecord
from fleet.core.roaming import ABROAD_SOMEWHERE, AT_HOME, UNSEEN, LineLocation
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind
from simulators.handsets import HandsetState
from tests.engine_fixtures import OUTSIDE, ex, fleets, world
from tests.exchange import Exchange, n
from tests.memory import MemoryFleets, World

__all__ = ["ex", "fleets", "world"]

CALLER = "0611000001"  # the world's line 0, "Salarié 1"
COLLEAGUE = "2002"  # line 1's short number
SPAIN = "+34912345678"
UK = "+442071234567"
HOME, IN_SPAIN, SOMEWHERE, WHITE_ZONE = "home", "ES", "somewhere", "white_zone"
LOCATION = {
    HOME: None,
    WHITE_ZONE: None,
    IN_SPAIN: "abroad:ES",
    "GB": "abroad:GB",
    SOMEWHERE: "abroad",
}


def bar(fleets: MemoryFleets, world: World, line: int, program: Barring) -> None:
    fleets.update_line(world.line(line).id, **{barring.SETTINGS[program].name: True})


def place(ex: Exchange, number: str, where: str) -> None:
    if where == HOME:
        ex.network.set_state(n(number), HandsetState.ON)
    elif where == WHITE_ZONE:
        ex.network.set_state(n(number), HandsetState.WHITE_ZONE)
    elif where == SOMEWHERE:
        ex.network.set_state(n(number), HandsetState.ABROAD)
    else:
        ex.network.set_state(n(number), HandsetState.ABROAD, country=Country(where))


def barred(record: CallRecord) -> list[object]:
    return [
        (e.detail or {}).get("barring") for e in record.events if e.kind is CallEventKind.RESTRICTED
    ]


def located(record: CallRecord) -> list[object]:
    return [
        (e.detail or {}).get("location")
        for e in record.events
        if e.kind is CallEventKind.RESTRICTED
    ]


def heard_barred(ex: Exchange) -> bool:
    texts = [line.text for line in ex.network.timeline]
    return "Salarié 1 hears 'call_barred'" in texts


CASES = [
    # at home (or in a white zone, at home too): international calls barred by both
    (Barring.BOIC, HOME, SPAIN, True),
    (Barring.BOIC, HOME, OUTSIDE, False),
    (Barring.BOIC, HOME, COLLEAGUE, False),
    (Barring.BOIC, WHITE_ZONE, SPAIN, True),
    (Barring.BOIC, WHITE_ZONE, OUTSIDE, False),
    (Barring.BOIC_EXHC, HOME, SPAIN, True),
    (Barring.BOIC_EXHC, HOME, OUTSIDE, False),
    # roaming in Spain: BOIC bars all but Spanish numbers, home included
    (Barring.BOIC, IN_SPAIN, SPAIN, False),
    (Barring.BOIC, IN_SPAIN, OUTSIDE, True),
    (Barring.BOIC, IN_SPAIN, COLLEAGUE, True),
    (Barring.BOIC, IN_SPAIN, UK, True),
    (Barring.BOIC, IN_SPAIN, "112", False),
    # roaming in Spain: BOIC-exHC lets Spanish and home numbers through
    (Barring.BOIC_EXHC, IN_SPAIN, SPAIN, False),
    (Barring.BOIC_EXHC, IN_SPAIN, OUTSIDE, False),
    (Barring.BOIC_EXHC, IN_SPAIN, COLLEAGUE, False),
    (Barring.BOIC_EXHC, IN_SPAIN, UK, True),
    # roaming in the United Kingdom: the Spanish number is the international one now
    (Barring.BOIC_EXHC, "GB", UK, False),
    (Barring.BOIC_EXHC, "GB", SPAIN, True),
    # abroad, the country not known: conservative
    (Barring.BOIC, SOMEWHERE, SPAIN, True),
    (Barring.BOIC, SOMEWHERE, OUTSIDE, True),
    (Barring.BOIC, SOMEWHERE, "112", False),
    (Barring.BOIC_EXHC, SOMEWHERE, OUTSIDE, False),
    (Barring.BOIC_EXHC, SOMEWHERE, SPAIN, True),
]


@pytest.mark.parametrize(("program", "where", "dialled", "refused"), CASES)
def test_international_barring_is_judged_from_the_country_the_line_is_in(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
    program: Barring,
    where: str,
    dialled: str,
    refused: bool,
) -> None:
    bar(fleets, world, 0, program)
    place(ex, CALLER, where)
    call = ex.dial(CALLER, dialled)
    ex.advance(1)
    if not refused:
        assert not heard_barred(ex)
        ex.settle()
        assert barred(ex.record(call)) == []
        return
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.REJECTED, ReleaseCause.NOT_ALLOWED.value)
    assert barred(record) == [program.value]
    assert located(record) == [LOCATION[where]], "the record says where the line was"
    assert heard_barred(ex)


def test_a_line_coming_home_calls_home_again(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    bar(fleets, world, 0, Barring.BOIC)
    place(ex, CALLER, IN_SPAIN)
    first = ex.dial(CALLER, OUTSIDE)
    ex.advance(1)
    assert barred(ex.record(first)) == [Barring.BOIC.value]
    place(ex, CALLER, HOME)
    second = ex.dial(CALLER, OUTSIDE)
    ex.advance(1)
    assert ex.ringing(OUTSIDE)
    ex.settle()
    assert barred(ex.record(second)) == []


def test_a_forwarding_is_judged_from_home_where_the_service_forwards(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.forward(world.line(1).id, ForwardingKind.UNCONDITIONAL, OUTSIDE)
    bar(fleets, world, 1, Barring.BOIC)
    place(ex, "0611000002", IN_SPAIN)
    ex.dial("0611000003", "0611000002")
    ex.advance(1)
    assert ex.ringing(OUTSIDE), "a national forwarding is followed whatever the line's country"


def test_the_simulated_network_tells_where_a_handset_is(ex: Exchange) -> None:
    network = ex.network
    assert network.location(n(CALLER)) == AT_HOME
    place(ex, CALLER, IN_SPAIN)
    assert network.location(n(CALLER)) == LineLocation.abroad(Country("ES"))
    place(ex, CALLER, SOMEWHERE)
    assert network.location(n(CALLER)) == ABROAD_SOMEWHERE
    assert network.location(n("+33612345678")) == UNSEEN, "no handset: not seen"
    with pytest.raises(ValueError, match="only abroad"):
        network.set_state(n(CALLER), HandsetState.ON, country=Country("ES"))
