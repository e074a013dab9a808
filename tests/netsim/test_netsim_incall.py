"""In-call keys from netsim's handsets against ``fleetpbx serve --network sip`` (two processes,
real SIP): ``#1`` by INFO (seed 004, Monsieur A's transfer: A holds his caller, calls a
colleague, presses #1 and leaves them together), the conference key ``#3`` (three parties in
the media server's room), ``#1`` by REFER, and keys refused; with a colleague (a call visiting
FleetPBX twice) as the held party of ``#1`` or in the conference. FleetPBX does the services by
third-party call control (offerless re-INVITEs, the answer in the ACK), relayed by netsim to
the handsets, whose screens follow."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from fleet.core.values import CallEventKind, CallOutcome, SessionCase
from tests.netsim.processes import Pair
from tests.netsim.seeded import line
from tests.polling import eventually

pytestmark = pytest.mark.slow


async def answering(pair: Pair, *numbers: str) -> None:
    for number in numbers:
        await pair.post(f"/handsets/{number}/state", {"state": "on"})
        await pair.post(f"/handsets/{number}/behaviour", {"answer": "after", "seconds": 1})


GLARE_RETRIES_OVER = 6.0  # s: FleetPBX's §14.1 retry after a 491 comes within 4 s


async def stays(check: Callable[[], Awaitable[None]], seconds: float) -> None:
    """``check`` holds for ``seconds`` (what must not happen meanwhile — a move of the hop
    between two visits glaring twice and the conference released — would show within them;
    a slower machine could only hide it, never fail a right outcome)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        await check()
        await asyncio.sleep(0.2)
    await check()


def in_call_with(shown: list[str]) -> Any:
    return lambda h: h["screen"]["in_call_with"] == shown and not h["screen"]["held"]


async def caller_hears_the_answer(pair: Pair, number: str) -> None:
    """The caller's handset has the 200 OK a moment after the callee's shows the call: wait
    for it before the caller holds or presses a key (else "no call in progress")."""
    await pair.until_handset(
        number,
        lambda h: not h["screen"]["calling"] and bool(h["screen"]["in_call_with"]),
        f"{number} hears the answer",
    )


async def test_a_transfers_his_held_caller_to_a_colleague_with_hash_1(pair: Pair) -> None:
    caller, a, colleague = "0699000031", line(9), line(10)
    await answering(pair, caller, a, colleague)
    first = await pair.post("/dial", {"from": caller, "to": a}, status=201)
    await pair.until_handset(caller, in_call_with(["06 11 00 00 09"]), "A answers X")
    await pair.post("/hold", {"number": a})
    await pair.until_handset(a, lambda h: h["screen"]["held"] == ["06 99 00 00 31"], "X held")
    second = await pair.post("/dial", {"from": a, "to": "2010"}, status=201)
    await pair.until_handset(a, lambda h: "2010" in h["screen"]["in_call_with"], "B answers")
    pressed = await pair.post("/keys", {"number": a, "keys": "#1"})
    assert (pressed["keys"], pressed["method"], pressed["reached"]) == ("#1", "info", "fleetpbx")
    assert pressed["call"] == second["id"]  # the active call, not the held one
    await pair.until_handset(a, lambda h: not h["legs"], "A released")
    await pair.until_handset(caller, in_call_with(["06 11 00 00 10"]), "X with B")
    await pair.until_handset(colleague, in_call_with(["06 99 00 00 31"]), "B with X")
    await pair.post("/hang_up", {"number": caller})
    await pair.until_handset(colleague, lambda h: not h["legs"], "B idle")
    await pair.idle()
    (held_call,) = await pair.records(first["icid"], 1)  # X to A: A's terminating visit
    originating, terminating = await pair.records(second["icid"], 2)  # A to B: both visits
    assert originating.session_case is SessionCase.ORIGINATING
    for record in (held_call, terminating):  # the held call and B's call, transferred by A
        assert record.session_case is SessionCase.TERMINATING
        assert record.outcome is CallOutcome.ANSWERED
        transfers = [e.detail for e in record.events if e.kind is CallEventKind.TRANSFERRED]
        assert transfers == [{"by": "+33611000009"}]


async def test_the_conference_key_puts_three_parties_in_one_room(pair: Pair) -> None:
    a, x, y = line(11), "0699000032", "0699000033"
    await answering(pair, a, x, y)
    await pair.post("/dial", {"from": a, "to": x}, status=201)
    await pair.until_handset(x, in_call_with(["06 11 00 00 11"]), "X answers A")
    await caller_hears_the_answer(pair, a)
    await pair.post("/hold", {"number": a})
    await pair.until_handset(x, lambda h: bool(h["screen"]["held"]), "X held")
    await pair.post("/dial", {"from": a, "to": y}, status=201)
    await pair.until_handset(y, in_call_with(["06 11 00 00 11"]), "Y answers A")
    await caller_hears_the_answer(pair, a)
    await pair.post("/keys", {"number": a, "keys": "#3"})
    for number in (x, y):
        await pair.until_handset(number, in_call_with(["Conférence"]), f"{number} conferenced")
    room: dict[str, Any] = {}

    async def three() -> bool:
        rooms = (await pair.get("/media"))["rooms"]
        present = [r for r in rooms if r["present"]]
        room.update(present[0] if len(present) == 1 else {})
        return len(room.get("members", [])) == 3

    await eventually(three, within=60, every=0.1, what="three in the room")
    assert room["members"] == ["+33611000011", "+33699000032", "+33699000033"]
    shown = await pair.handset(a)
    assert set(shown["screen"]["in_call_with"]) == {"Conférence"}
    await pair.post("/hang_up", {"number": a})
    await pair.until_handset(x, lambda h: not h["legs"], "X released")


async def test_a_transfers_his_held_colleague_to_an_outside_party_with_hash_1(pair: Pair) -> None:
    """The held party is a fleet line reached through its own terminating visit: the move
    reaches that visit by an offerless re-INVITE, relayed to the colleague's handset, whose
    answer comes back in the ACKs."""
    a, colleague, outside = line(5), line(6), "0699000037"
    await answering(pair, a, colleague, outside)
    first = await pair.post("/dial", {"from": a, "to": "2006"}, status=201)
    await pair.until_handset(colleague, in_call_with(["06 11 00 00 05"]), "B answers A")
    await caller_hears_the_answer(pair, a)
    await pair.post("/hold", {"number": a})
    await pair.until_handset(colleague, lambda h: bool(h["screen"]["held"]), "B held")
    second = await pair.post("/dial", {"from": a, "to": outside}, status=201)
    await pair.until_handset(outside, in_call_with(["06 11 00 00 05"]), "X answers A")
    await caller_hears_the_answer(pair, a)
    await pair.post("/keys", {"number": a, "keys": "#1"})
    await pair.until_handset(a, lambda h: not h["legs"], "A released")
    await pair.until_handset(colleague, in_call_with(["06 99 00 00 37"]), "B hears X")
    await pair.until_handset(outside, in_call_with(["06 11 00 00 06"]), "X hears B")
    await pair.post("/hang_up", {"number": outside})
    await pair.until_handset(colleague, lambda h: not h["legs"], "B idle")
    await pair.idle()
    originating, terminating = await pair.records(first["icid"], 2)  # A to B: both visits
    (to_outside,) = await pair.records(second["icid"], 1)
    assert (originating.session_case, terminating.session_case) == (
        SessionCase.ORIGINATING,
        SessionCase.TERMINATING,
    )
    for record in (originating, to_outside):  # the held call and the active one, joined
        assert record.outcome is CallOutcome.ANSWERED
        transfers = [e.detail for e in record.events if e.kind is CallEventKind.TRANSFERRED]
        assert transfers == [{"by": "+33611000005"}]
    assert terminating.outcome is CallOutcome.ANSWERED


async def test_the_conference_key_with_a_colleague_puts_the_three_in_one_room(pair: Pair) -> None:
    """A holds an outside party and talks to a colleague (two visits of one call): the
    handsets' legs go to the room, not the hop between the visits (no glare, no refusal)."""
    a, outside, colleague = line(7), "0699000038", line(8)
    await answering(pair, a, outside, colleague)
    first = await pair.post("/dial", {"from": a, "to": outside}, status=201)
    await pair.until_handset(outside, in_call_with(["06 11 00 00 07"]), "X answers A")
    await caller_hears_the_answer(pair, a)
    await pair.post("/hold", {"number": a})
    await pair.until_handset(outside, lambda h: bool(h["screen"]["held"]), "X held")
    second = await pair.post("/dial", {"from": a, "to": "2008"}, status=201)
    await pair.until_handset(colleague, in_call_with(["06 11 00 00 07"]), "B answers A")
    await caller_hears_the_answer(pair, a)
    await pair.post("/keys", {"number": a, "keys": "#3"})
    for number in (outside, colleague):
        await pair.until_handset(number, in_call_with(["Conférence"]), f"{number} conferenced")
    room: dict[str, Any] = {}

    async def three() -> bool:
        rooms = (await pair.get("/media"))["rooms"]
        present = [r for r in rooms if r["present"]]
        room.update(present[0] if len(present) == 1 else {})
        return len(room.get("members", [])) == 3

    await eventually(three, within=60, every=0.1, what="three in the room")
    assert room["members"] == ["+33611000007", "+33611000008", "+33699000038"]

    async def still_conferenced() -> None:
        played = [p["prompt"] for p in (await pair.get("/media"))["played"]]
        assert not [p for p in played if p.endswith("service_not_possible.wav")]
        for number in (a, outside, colleague):
            shown = await pair.handset(number)
            assert set(shown["screen"]["in_call_with"]) == {"Conférence"}, (number, shown)

    await stays(still_conferenced, GLARE_RETRIES_OVER)
    await pair.post("/hang_up", {"number": a})
    await pair.until_handset(outside, lambda h: not h["legs"], "X released")
    await pair.until_handset(colleague, lambda h: not h["legs"], "B released")
    await pair.idle()
    (with_outside,) = await pair.records(first["icid"], 1)
    visits = await pair.records(second["icid"], 2)
    assert sorted(r.session_case.value for r in visits) == ["originating", "terminating"]
    for record in (with_outside, *visits):
        assert record.outcome is CallOutcome.ANSWERED
        kinds = [e.kind for e in record.events]
        assert CallEventKind.CONFERENCE_JOINED in kinds


async def test_keys_are_refused_without_a_call_or_when_they_are_no_keys(pair: Pair) -> None:
    number = line(12)
    before = await pair.handset(number)
    for body, status, code in [
        ({"number": number, "keys": "#1"}, 409, "no_call"),
        ({"number": number, "keys": "#1", "method": "refer"}, 409, "no_call"),
        ({"number": number, "keys": "1a"}, 400, "invalid_keys"),
        ({"number": number, "keys": ""}, 400, "missing_field"),
        ({"number": number, "keys": "#2", "method": "refer"}, 400, "invalid_keys"),
        ({"number": number, "keys": "#1", "method": "pigeon"}, 400, "invalid_method"),
        ({"number": "0699999999", "keys": "#1"}, 404, "unknown_handset"),
        ({"keys": "#1"}, 400, "missing_field"),
    ]:
        problem = await pair.post("/keys", body, status=status)
        assert problem["title"] == code, (body, problem)
    assert await pair.handset(number) == before


async def test_a_transfers_his_held_callee_to_a_colleague_by_refer(pair: Pair) -> None:
    a, outside, colleague = line(1), "0699000034", line(2)
    await answering(pair, a, outside, colleague)
    await pair.post("/dial", {"from": a, "to": outside}, status=201)
    await pair.until_handset(outside, in_call_with(["06 11 00 00 01"]), "X answers A")
    await caller_hears_the_answer(pair, a)
    await pair.post("/hold", {"number": a})
    await pair.until_handset(outside, lambda h: bool(h["screen"]["held"]), "X held")
    await pair.post("/dial", {"from": a, "to": "2002"}, status=201)
    await pair.until_handset(colleague, in_call_with(["06 11 00 00 01"]), "B answers A")
    await caller_hears_the_answer(pair, a)
    pressed = await pair.post("/keys", {"number": a, "keys": "#1", "method": "refer"})
    assert pressed["method"] == "refer"
    outcome: dict[str, Any] = {}

    async def notified() -> bool:
        outcome.update(await pair.get(f"/keys/{a}"))
        return outcome["refer_outcome"] is not None

    await eventually(notified, within=60, every=0.1, what="FleetPBX's NOTIFY")
    assert outcome["refer_outcome"] == "SIP/2.0 200 OK"
    await pair.until_handset(a, lambda h: not h["legs"], "A released")
    await pair.until_handset(outside, in_call_with(["06 11 00 00 02"]), "X with B")
    await pair.until_handset(colleague, in_call_with(["06 99 00 00 34"]), "B with X")
    await pair.post("/hang_up", {"number": colleague})
    await pair.until_handset(outside, lambda h: not h["legs"], "X idle")


async def test_hash_1_from_abroad_is_refused_with_an_announcement_and_changes_nothing(
    pair: Pair,
) -> None:
    a, x, y = line(12), "0699000035", "0699000036"
    await answering(pair, a, x, y)
    await pair.post(f"/handsets/{a}/state", {"state": "abroad"})
    await pair.post("/dial", {"from": a, "to": x}, status=201)
    await pair.until_handset(x, in_call_with(["06 11 00 00 12"]), "X answers A")
    await caller_hears_the_answer(pair, a)
    await pair.post("/hold", {"number": a})
    await pair.until_handset(x, lambda h: bool(h["screen"]["held"]), "X held")
    await pair.post("/dial", {"from": a, "to": y}, status=201)
    await pair.until_handset(y, in_call_with(["06 11 00 00 12"]), "Y answers A")
    await caller_hears_the_answer(pair, a)
    await pair.post("/keys", {"number": a, "keys": "#1"})
    played: list[dict[str, Any]] = []

    async def heard_and_over() -> bool:  # moved onto the media server, played, moved back
        played[:] = [
            p
            for p in (await pair.get("/media"))["played"]
            if p["prompt"].endswith("transfer_refused_abroad.wav") and not p["playing"]
        ]
        return bool(played)

    await eventually(heard_and_over, within=60, every=0.1, what="the refusal played")
    await pair.until_handset(y, in_call_with(["06 11 00 00 12"]), "Y still with A")
    shown = await pair.handset(a)  # as it dialled them; the announcement gone
    assert shown["screen"]["in_call_with"] == ["0699000035", "0699000036"]
    assert shown["screen"]["held"] == ["0699000035"]
    assert (await pair.handset(x))["screen"]["held"] == ["06 11 00 00 12"]
    await pair.post("/hang_up", {"number": a})
    await pair.until_handset(y, lambda h: not h["legs"], "Y released")
    await pair.post("/hang_up", {"number": a})
    await pair.until_handset(x, lambda h: not h["legs"], "X released")
