"""netsim against ``fleetpbx serve --network sip``, two processes over real SIP on a seeded
SQLite fleet: netsim plays the S-CSCF (filter criteria: a fleet line's calls go to FleetPBX as
originating, calls to fleet lines as terminating), the handsets (state and behaviour set
through its control API) and the media server. Each test's call is correlated with its
records by the ICID netsim gave it."""

from __future__ import annotations

import pytest

from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind, SessionCase
from tests.netsim.processes import Pair
from tests.netsim.seeded import line

pytestmark = pytest.mark.slow

OUTSIDE = "0699000001"


def forwarded(record_events: list[tuple[CallEventKind, ForwardingKind | None]]) -> list[str]:
    return [str(k) for e, k in record_events if e is CallEventKind.FORWARDED and k is not None]


async def test_a_line_calls_a_colleague_by_short_number_who_answers(pair: Pair) -> None:
    await pair.post(f"/handsets/{line(2)}/behaviour", {"answer": "never"})
    call = await pair.post("/dial", {"from": line(1), "to": "2002"}, status=201)
    ringing = await pair.until_handset(
        line(2), lambda h: h["screen"]["ringing_from"] is not None, "line 2 ringing"
    )
    assert ringing["screen"]["ringing_from"] == "06 11 00 00 01"
    await pair.post("/answer", {"number": line(2)})
    await pair.until_handset(
        line(1), lambda h: h["screen"]["in_call_with"] == ["2002"], "line 1 in the call"
    )
    calls = await pair.get("/calls")
    (shown,) = [c for c in calls["calls"] if c["icid"] == call["icid"]]
    assert [(leg["kind"], leg["state"]) for leg in shown["legs"]] == [
        ("handset", "answered"),  # line 1
        ("sip_out", "answered"),  # to FleetPBX, originating
        ("sip_in", "answered"),  # FleetPBX's B-leg back: the callee is a fleet line
        ("sip_out", "answered"),  # to FleetPBX, terminating
        ("sip_in", "answered"),  # FleetPBX's B-leg to the handset
        ("handset", "answered"),  # line 2
    ]
    await pair.post("/hang_up", {"number": line(1)})
    await pair.until_handset(line(2), lambda h: not h["legs"], "line 2 idle")
    await pair.idle()
    originating, terminating = await pair.records(call["icid"], 2)
    assert originating.session_case is SessionCase.ORIGINATING
    assert terminating.session_case is SessionCase.TERMINATING
    for record in (originating, terminating):
        assert record.outcome is CallOutcome.ANSWERED
        assert record.caller == "+33611000001"
        assert record.called == "+33611000002"
        assert record.caller_network_id and record.callee_network_id


async def test_a_handset_that_never_answers_is_forwarded_on_no_reply(pair: Pair) -> None:
    await pair.post(f"/handsets/{line(3)}/behaviour", {"answer": "never"})
    await pair.post(f"/handsets/{line(4)}/behaviour", {"answer": "never"})
    call = await pair.post("/dial", {"from": OUTSIDE, "to": line(3)}, status=201)
    await pair.until_handset(
        line(3), lambda h: h["screen"]["ringing_from"] == "06 99 00 00 01", "line 3 ringing"
    )
    await pair.until_handset(
        line(4), lambda h: h["screen"]["ringing_from"] == "06 99 00 00 01", "line 4 ringing"
    )
    await pair.until_handset(line(3), lambda h: not h["legs"], "line 3 CANCELled")
    calls = await pair.get("/calls")
    (shown,) = [c for c in calls["calls"] if c["icid"] == call["icid"]]
    rung = [leg for leg in shown["legs"] if leg.get("handset") == "06 11 00 00 03"]
    assert [(leg["state"], leg["cause"]) for leg in rung] == [("ended", 487)]
    await pair.post("/answer", {"number": line(4)})
    await pair.until_handset(
        OUTSIDE, lambda h: h["screen"]["in_call_with"] == ["06 11 00 00 03"], "caller in call"
    )
    await pair.post("/hang_up", {"number": line(4)})
    await pair.until_handset(OUTSIDE, lambda h: not h["legs"], "the caller idle")
    await pair.idle()
    (record,) = await pair.records(call["icid"], 1)
    assert record.session_case is SessionCase.TERMINATING
    assert record.outcome is CallOutcome.ANSWERED
    assert forwarded([(e.kind, e.forwarding_kind) for e in record.events]) == ["no_reply"]


async def test_a_busy_handset_forwards_to_the_busy_destination(pair: Pair) -> None:
    await pair.post(f"/handsets/{line(5)}/behaviour", {"answer": "busy"})
    call = await pair.post("/dial", {"from": OUTSIDE, "to": line(5)}, status=201)
    await pair.until_handset(
        OUTSIDE, lambda h: h["screen"]["in_call_with"] == ["06 11 00 00 05"], "answered by 6"
    )
    assert (await pair.handset(line(6)))["screen"]["in_call_with"] == ["06 99 00 00 01"]
    await pair.post("/hang_up", {"number": OUTSIDE})
    await pair.until_handset(line(6), lambda h: not h["legs"], "line 6 idle")
    await pair.idle()
    (record,) = await pair.records(call["icid"], 1)
    assert record.outcome is CallOutcome.ANSWERED
    assert forwarded([(e.kind, e.forwarding_kind) for e in record.events]) == ["busy"]


async def test_a_switched_off_handset_forwards_to_the_not_reachable_destination(
    pair: Pair,
) -> None:
    await pair.post(f"/handsets/{line(7)}/state", {"state": "off"})
    call = await pair.post("/dial", {"from": OUTSIDE, "to": line(7)}, status=201)
    await pair.until_handset(
        line(8), lambda h: h["screen"]["in_call_with"] == ["06 99 00 00 01"], "answered by 8"
    )
    await pair.post("/hang_up", {"number": line(8)})
    await pair.until_handset(OUTSIDE, lambda h: not h["legs"], "the caller idle")
    await pair.idle()
    (record,) = await pair.records(call["icid"], 1)
    assert record.outcome is CallOutcome.ANSWERED
    assert forwarded([(e.kind, e.forwarding_kind) for e in record.events]) == ["not_reachable"]
