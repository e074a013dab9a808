"""Seed 004's examples on the demo fleet, through netsim and ``fleetpbx serve --network sip``
as two processes — the package's ``demo_pair``, shared with the console's browser tests (the
demo fleet's timers shortened for the tests: 5 s a step of Madame B's cascade and of the taxi
group; the demo keeps 15 s). What the other netsim tests show on the
test world (no reply, busy, not reachable, hold, #1, the conference key, the group codes by
USSD, the company PBX) is not repeated here: Madame B's cascade ringing her desk over the
company PBX's trunk, then her mobile, then her assistant; Monsieur A hiding his number with
#31#; a call to the taxi group offered to its connected drivers in turn and answered — each
asserted on the handsets' screens and on FleetPBX's call records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fleet.core.values import CallEventKind, CallOutcome
from tests.netsim.processes import Pair

pytestmark = pytest.mark.slow


@pytest.fixture
def seed004(demo_pair: Pair) -> Pair:
    """The package's demo pair (``tests.netsim.demo_seeded``: 5 s steps)."""
    return demo_pair


def ringing_from(caller: str) -> Callable[[dict[str, Any]], bool]:
    return lambda h: h["screen"]["ringing_from"] == caller


async def test_madame_b_s_cascade_rings_her_desk_then_her_mobile_then_her_assistant(
    seed004: Pair,
) -> None:
    pair, caller = seed004, "0699000041"
    desk, mobile, assistant = "0145678911", "0611000002", "0611000006"
    for number in (desk, mobile, assistant):
        await pair.post(f"/handsets/{number}/behaviour", {"answer": "never"})
    call = await pair.post("/dial", {"from": caller, "to": mobile}, status=201)
    shown = "06 99 00 00 41"
    await pair.until_handset(desk, ringing_from(shown), "her desk rings, over the trunk")
    await pair.until_handset(mobile, ringing_from(shown), "then her mobile")
    await pair.until_handset(desk, lambda h: not h["legs"], "her desk no longer")
    await pair.until_handset(assistant, ringing_from(shown), "then her assistant")
    await pair.until_handset(mobile, lambda h: not h["legs"], "her mobile no longer")
    await pair.post("/answer", {"number": assistant})
    await pair.until_handset(caller, lambda h: bool(h["screen"]["in_call_with"]), "answered")
    await pair.post("/hang_up", {"number": caller})
    await pair.until_handset(assistant, lambda h: not h["legs"], "the assistant idle")
    await pair.idle()
    (record,) = await pair.records(call["icid"], 1)
    assert record.outcome is CallOutcome.ANSWERED
    rung = [e.to_number for e in record.events if e.kind is CallEventKind.LIST_RING]
    assert rung == ["+33145678911", "+33611000002", "+33611000006"], record.events


async def test_monsieur_a_hides_his_number_with_31(seed004: Pair) -> None:
    pair, monsieur_c = seed004, "0611000003"
    await pair.post(f"/handsets/{monsieur_c}/behaviour", {"answer": "never"})
    call = await pair.post("/dial", {"from": "0611000001", "to": "#31#2003"}, status=201)
    await pair.until_handset(monsieur_c, ringing_from("Numéro masqué"), "C rings, no number")
    await pair.post("/hang_up", {"number": "0611000001"})
    await pair.until_handset(monsieur_c, lambda h: not h["legs"], "C idle")
    await pair.idle()
    records = await pair.records(call["icid"], 2)
    assert [r.outcome for r in records] == [CallOutcome.ABANDONED] * 2, records


async def test_a_call_to_the_taxi_group_is_offered_to_its_connected_drivers_in_turn(
    seed004: Pair,
) -> None:
    pair, caller = seed004, "0699000042"
    drivers = ["0611000011", "0611000012", "0611000013"]  # connected; Chauffeur 4 is not
    for number in drivers:
        await pair.post(f"/handsets/{number}/behaviour", {"answer": "never"})
    call = await pair.post("/dial", {"from": caller, "to": "0611000099"}, status=201)
    shown = "06 99 00 00 42"
    first = await pair.until_handset(
        drivers[0], ringing_from(shown), "the first driver rings (cyclic: the first time)"
    )
    assert first["screen"]["ringing_from"] == shown
    await pair.until_handset(drivers[1], ringing_from(shown), "switched over to the second")
    await pair.post("/answer", {"number": drivers[1]})
    await pair.until_handset(caller, lambda h: bool(h["screen"]["in_call_with"]), "answered")
    assert not (await pair.handset("0611000014"))["legs"]  # not connected: never offered
    await pair.post("/hang_up", {"number": caller})
    await pair.until_handset(drivers[1], lambda h: not h["legs"], "the driver idle")
    await pair.idle()
    (record,) = await pair.records(call["icid"], 1)
    assert record.outcome is CallOutcome.ANSWERED
    offered = [
        e.to_number
        for e in record.events
        if e.kind is CallEventKind.GROUP_OFFERED and e.member_line_id is not None
    ]  # the group's own event first (its number), then each member offered
    assert offered == ["+33611000011", "+33611000012"], record.events
