"""FleetPBX on SIP, ISC terminating case, in virtual time: the S-CSCF calls a fleet line,
FleetPBX rings it back through the core, and what the callee does reaches the caller."""

from __future__ import annotations

from fleet.core.values import CallOutcome, ForwardingKind, SessionCase
from fleet.sip.ua_calls import OutgoingState
from fleet.sipnet.parties import CORRELATION_HEADER
from tests.sipnet.support import ANSWER, CALLER, OFFER, answer_after, core, refuse
from tests.sipnet.support import settled as finished

LINE = "+33611000001"
OTHER = "+33611000002"


def test_a_call_to_a_fleet_line_is_answered_with_the_callees_sdp_and_hung_up_by_the_callee() -> (
    None
):
    c = core()
    c.answers[LINE] = answer_after(2.0, c.clock)
    call = c.call(LINE)
    c.advance(1.0)
    (b_invite,) = c.b_invites()
    assert b_invite.request_uri == f"tel:{LINE}"
    assert b_invite.body == OFFER
    assert b_invite.headers.get("P-Asserted-Identity") == f"<tel:{CALLER}>"
    assert b_invite.headers.get(CORRELATION_HEADER)
    assert c.to_caller("180"), "the callee's ringing is relayed"
    assert not c.to_caller("200")
    c.advance(2.0)
    (ok,) = [s.message for s in c.to_caller("200")]
    assert ok.body == ANSWER
    assert call.state is OutgoingState.CONFIRMED
    c.handsets.bye(next(iter(c.handsets.dialogs.values())))
    c.advance(1.0)
    assert c.to_caller("BYE"), "the callee's BYE is relayed to the caller"
    (record,) = c.records.items
    assert record.outcome == CallOutcome.ANSWERED
    assert record.session_case is SessionCase.TERMINATING
    assert record.caller_network_id == call.invite.call_id
    assert record.callee_network_id == b_invite.call_id
    assert record.correlation_id == call.invite.call_id, "no ICID: the caller's Call-ID"
    finished(c)


def test_the_callers_bye_releases_the_callee() -> None:
    c = core()
    c.answers[LINE] = answer_after(1.0, c.clock)
    c.call(LINE)
    c.advance(2.0)
    c.scscf.bye(next(iter(c.scscf.dialogs.values())))
    c.advance(1.0)
    assert [s.label for s in c.to_handsets.sent].count("BYE") == 1
    finished(c)


def test_a_busy_line_forwards_on_busy_to_another_number_on_a_second_b_leg() -> None:
    c = core()
    first = c.world.lines[0]
    c.world.fleets.forward(first.id, ForwardingKind.BUSY, "0611000002")
    c.answers[LINE] = refuse(486)
    c.answers[OTHER] = answer_after(1.0, c.clock)
    call = c.call(LINE)
    c.advance(3.0)
    assert [i.request_uri for i in c.b_invites()] == [f"tel:{LINE}", f"tel:{OTHER}"]
    (ok,) = [s.message for s in c.to_caller("200")]
    assert ok.body == ANSWER
    c.scscf.bye(next(iter(c.scscf.dialogs.values())))
    finished(c)
    (record,) = c.records.items
    assert record.outcome == CallOutcome.ANSWERED
    answered = c.b_invites()[1]
    assert (record.caller_network_id, record.callee_network_id) == (
        call.invite.call_id,
        answered.call_id,
    ), "the answered leg's Call-ID, not the busy one's"


def test_the_callers_cancel_while_the_line_rings_cancels_the_b_leg_and_ends_in_487() -> None:
    c = core()
    call = c.call(LINE)
    c.advance(1.0)
    assert c.to_caller("180")
    c.scscf.cancel(call)
    c.advance(1.0)
    assert [s.label for s in c.to_handsets.sent].count("CANCEL") == 1
    assert call.final_status == 487
    assert c.handsets.incoming[0].final_status == 487
    (record,) = c.records.items
    assert record.outcome == CallOutcome.ABANDONED
    finished(c)


def test_an_unreachable_line_forwards_when_not_reachable_forwarding_is_on() -> None:
    c = core()
    c.world.fleets.forward(c.world.lines[0].id, ForwardingKind.NOT_REACHABLE, "0611000002")
    c.answers[LINE] = refuse(480, ring_first=False)
    c.answers[OTHER] = answer_after(1.0, c.clock)
    call = c.call(LINE)
    c.advance(3.0)
    assert [i.request_uri for i in c.b_invites()] == [f"tel:{LINE}", f"tel:{OTHER}"]
    assert call.state is OutgoingState.CONFIRMED
    c.scscf.bye(next(iter(c.scscf.dialogs.values())))
    finished(c)


def test_an_unreachable_line_without_forwarding_is_answered_480() -> None:
    c = core()
    c.answers[LINE] = refuse(480, ring_first=False)
    call = c.call(LINE)
    c.advance(3.0)
    assert call.final_status == 480
    (record,) = c.records.items
    assert record.outcome == CallOutcome.UNREACHABLE
    (b_invite,) = c.b_invites()
    assert (record.caller_network_id, record.callee_network_id) == (
        call.invite.call_id,
        b_invite.call_id,
    ), "the last leg's Call-ID when none answered"
    finished(c)


def test_an_unknown_number_is_answered_404_without_a_b_leg() -> None:
    c = core()
    call = c.call("123")
    c.advance(1.0)
    assert call.final_status == 404
    assert c.b_invites() == []
    finished(c)


def test_a_b_leg_the_core_never_answers_is_not_reachable_after_timer_b() -> None:
    c = core()
    c.to_handsets.lose("INVITE", every=True)
    call = c.call(LINE)
    c.advance(31.0)
    assert not c.to_caller("480"), "the caller waits while the B-leg may still answer"
    assert c.to_caller("100"), "the caller's INVITE is held with 100 Trying"
    c.advance(2.0)
    assert call.final_status == 480
    assert c.records.items[0].outcome == CallOutcome.UNREACHABLE
    finished(c)
