"""3GPP call barring in the engine (TS 22.088; issue 16), in virtual time: BAOC bars every
outgoing call but emergency numbers, BOIC and BOIC-exHC international calls, BAIC every
call to the line (the caller hears "call barred" and is released), BAIC-Roam only while the
line is abroad (``test_engine_barring_roam.py``); the record says which program."""

from __future__ import annotations

import pytest

from fleet.core import barring
from fleet.core.barring import Barring
from fleet.core.calls.events import Announcement, ReleaseCause
from fleet.core.model import CallRecord
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind, Language
from simulators.netsim.console_texts import why
from tests.engine_fixtures import OUTSIDE, ex, fleets, world
from tests.exchange import Exchange, n
from tests.memory import MemoryFleets, World

__all__ = ["ex", "fleets", "world"]

CALLER = "0611000001"
COLLEAGUE = "0611000002"
ABROAD = "+442071234567"


def bar(fleets: MemoryFleets, world: World, line: int, *programs: Barring) -> None:
    fields = {barring.SETTINGS[p].name: True for p in programs}
    fleets.update_line(world.line(line).id, **fields)


def barred(record: CallRecord) -> list[object]:
    return [
        (e.detail or {}).get("barring") for e in record.events if e.kind is CallEventKind.RESTRICTED
    ]


def heard_barred(ex: Exchange, name: str) -> bool:
    texts = [line.text for line in ex.network.timeline]
    if f"{name} hears 'call_barred'" not in texts:
        return False
    heard = texts.index(f"{name} hears 'call_barred'")
    return texts[heard + 1] == f"{name} is released (not_allowed)"


@pytest.mark.parametrize(
    ("programs", "dialled", "refused_by"),
    [
        ((Barring.BAOC,), "2002", Barring.BAOC),
        ((Barring.BAOC,), OUTSIDE, Barring.BAOC),
        ((Barring.BAOC,), ABROAD, Barring.BAOC),
        ((Barring.BAOC,), "112", None),
        ((Barring.BOIC,), ABROAD, Barring.BOIC),
        ((Barring.BOIC,), OUTSIDE, None),
        ((Barring.BOIC,), "2002", None),
        ((Barring.BOIC_EXHC,), ABROAD, Barring.BOIC_EXHC),
        ((Barring.BOIC_EXHC,), OUTSIDE, None),
        ((Barring.BAIC,), OUTSIDE, None),  # an incoming barring: the line still calls
        ((Barring.BAIC_ROAM,), ABROAD, None),
        ((Barring.BAOC, Barring.BOIC), ABROAD, Barring.BAOC),
    ],
)
def test_an_outgoing_barring_refuses_what_it_bars_with_the_announcement(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
    programs: tuple[Barring, ...],
    dialled: str,
    refused_by: Barring | None,
) -> None:
    bar(fleets, world, 0, *programs)
    call = ex.dial(CALLER, dialled)
    ex.advance(1)
    if refused_by is None:
        assert not heard_barred(ex, "Salarié 1")
        ex.settle()
        assert barred(ex.record(call)) == []
        return
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.REJECTED, ReleaseCause.NOT_ALLOWED.value)
    assert barred(record) == [refused_by.value]
    assert heard_barred(ex, "Salarié 1")


def test_baic_refuses_every_call_to_the_line_before_its_forwardings(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.forward(world.line(1).id, ForwardingKind.UNCONDITIONAL, OUTSIDE)
    bar(fleets, world, 1, Barring.BAIC)
    for caller in (OUTSIDE, CALLER):
        call = ex.dial(caller, COLLEAGUE)
        assert not ex.ringing(COLLEAGUE) and not ex.ringing(OUTSIDE)
        record = ex.record(call)
        assert (record.outcome, record.cause) == (
            CallOutcome.REJECTED,
            ReleaseCause.NOT_ALLOWED.value,
        )
        assert barred(record) == ["35"]
    assert heard_barred(ex, "Salarié 1")
    (event,) = [e for e in record.events if e.kind is CallEventKind.RESTRICTED]
    assert why(event, Language.EN, party=str) == "+33611000002: call barring 35"
    assert why(event, Language.FR, party=str) == "+33611000002 : restriction d'appels 35"


def test_baic_roam_is_stored_and_bars_only_while_roaming(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    bar(fleets, world, 1, Barring.BAIC_ROAM)
    call = ex.dial(OUTSIDE, COLLEAGUE)
    assert ex.ringing(COLLEAGUE)
    ex.hang_up(OUTSIDE)
    assert barred(ex.record(call)) == []
    line = fleets.table.by_msisdn(n(COLLEAGUE))
    assert line is not None
    assert barring.active(line.line) == (Barring.BAIC_ROAM,)
    assert barring.incoming(line.line) is None
    assert barring.incoming(line.line, roaming=True) is Barring.BAIC_ROAM


def test_a_barring_is_lifted_when_switched_off(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    bar(fleets, world, 1, Barring.BAIC)
    ex.record(ex.dial(OUTSIDE, COLLEAGUE))
    fleets.update_line(world.line(1).id, barring_all_incoming=False)
    ex.dial(OUTSIDE, COLLEAGUE)
    assert ex.ringing(COLLEAGUE)
    assert [a for _, a in ex.network.played] == [Announcement.CALL_BARRED]
