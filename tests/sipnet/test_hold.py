"""Hold and retrieve through FleetPBX on SIP (ISC terminating case, virtual time): after the
bridge, a re-INVITE from either side reaches the other leg with the same SDP and the other's
answer or refusal comes back (:mod:`fleet.sipnet.relay`)."""

from __future__ import annotations

from fleet.core.values import CallOutcome
from fleet.sip.dialog import Dialog
from fleet.sip.message import Request
from fleet.sip.ua_calls import Answer, Refusal, ReInvite
from fleet.sip.ua_core import UserAgent
from tests.sipnet.support import ANSWER, OFFER, Core, answer_after, core

LINE = "+33611000001"
SDP = "application/sdp"
HOLD = OFFER + b"a=sendonly\r\n"
HELD = ANSWER + b"a=recvonly\r\n"
RESUME = OFFER + b"a=sendrecv\r\n"
RESUMED = ANSWER + b"a=sendrecv\r\n"
CALLEE_HOLD = ANSWER + b"a=inactive\r\n"
CALLER_HELD = OFFER + b"a=inactive\r\n"


class Handset:
    """An offer hook answering each offer with the next SDP (the last one again) or refusing."""

    def __init__(self, *outcomes: Answer | Refusal) -> None:
        self.outcomes = list(outcomes)
        self.asked: list[tuple[str, bytes]] = []

    def __call__(self, dialog: Dialog, request: Request) -> Answer | Refusal:
        self.asked.append((request.method, request.body))
        return self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]


def bridged(caller_hook: Handset, callee_hook: Handset) -> Core:
    c = core()
    c.answers[LINE] = answer_after(1.0, c.clock)
    c.scscf.on_offer = caller_hook
    c.handsets.on_offer = callee_hook
    c.call(LINE)
    c.advance(2.0)
    assert c.to_caller("200") and c.engine.active_calls == 1
    return c


def dialog_of(ua: UserAgent) -> Dialog:
    (dialog,) = ua.dialogs.values()
    return dialog


def hold(ua: UserAgent, body: bytes) -> ReInvite:
    return ua.reinvite(dialog_of(ua), body=body, content_type=SDP)


def relayed_offers(c: Core, to_callee: bool) -> list[bytes]:
    link = c.to_handsets if to_callee else c.to_scscf
    return [
        s.message.body
        for s in link.sent
        if isinstance(s.message, Request) and s.message.method == "INVITE" and s.message.body
    ][1 if to_callee else 0 :]


def finished(c: Core) -> None:
    c.scscf.bye(dialog_of(c.scscf))
    c.advance(64)
    assert c.engine.active_calls == 0 and c.network.legs == 0
    assert c.network.agent.calls_held == 0
    assert c.scscf.calls_held == 0 and c.handsets.calls_held == 0
    assert c.records.items[0].outcome == CallOutcome.ANSWERED


def test_the_callers_hold_reaches_the_callee_unchanged_and_its_answer_the_caller() -> None:
    callee = Handset(Answer(HELD), Answer(RESUMED))
    c = bridged(Handset(Answer(OFFER)), callee)
    held = hold(c.scscf, HOLD)
    c.advance(1.0)
    assert callee.asked == [("INVITE", HOLD)], "a=sendonly passes unchanged"
    assert held.final_status == 200
    assert c.to_caller("200")[-1].message.body == HELD
    assert len([s for s in c.to_handsets.sent if s.label == "ACK"]) == 2, "the callee's 200 ACKed"
    resumed = hold(c.scscf, RESUME)
    c.advance(1.0)
    assert callee.asked[-1] == ("INVITE", RESUME) and resumed.final_status == 200
    assert c.to_caller("200")[-1].message.body == RESUMED
    assert relayed_offers(c, to_callee=True) == [HOLD, RESUME]
    finished(c)


def test_the_callees_hold_reaches_the_caller_and_its_answer_the_callee() -> None:
    caller = Handset(Answer(CALLER_HELD))
    c = bridged(caller, Handset(Answer(ANSWER)))
    held = hold(c.handsets, CALLEE_HOLD)
    c.advance(1.0)
    assert caller.asked == [("INVITE", CALLEE_HOLD)]
    assert relayed_offers(c, to_callee=False) == [CALLEE_HOLD]
    assert held.final_status == 200
    ok = [s.message for s in c.to_handsets.sent if s.label == "200"][-1]
    assert ok.body == CALLER_HELD and ok.headers.get("Content-Type") == SDP
    finished(c)


def test_the_callees_488_is_relayed_to_the_caller_and_the_call_goes_on() -> None:
    c = bridged(Handset(Answer(OFFER)), Handset(Refusal(488)))
    held = hold(c.scscf, HOLD)
    c.advance(1.0)
    assert held.final_status == 488 and c.to_caller("488")
    assert c.engine.active_calls == 1 and c.scscf.dialogs and c.handsets.dialogs
    finished(c)


def test_glare_between_both_sides_is_relayed_as_491_and_both_retry_through() -> None:
    caller = Handset(Answer(CALLER_HELD))
    callee = Handset(Answer(HELD))
    c = bridged(caller, callee)
    from_caller = hold(c.scscf, HOLD)
    from_callee = hold(c.handsets, CALLEE_HOLD)
    c.advance(10.0)
    assert c.to_caller("491") and [s for s in c.to_handsets.sent if s.label == "491"]
    assert from_caller.final_status == from_callee.final_status == 200
    assert len(from_caller.retry_at) == len(from_callee.retry_at) == 1, "§14.1 retries"
    assert ("INVITE", HOLD) in callee.asked and ("INVITE", CALLEE_HOLD) in caller.asked
    finished(c)


def test_a_callee_that_never_answers_the_relayed_reinvite_ends_the_call_after_500() -> None:
    c = bridged(Handset(Answer(OFFER)), Handset(Answer(HELD)))
    c.to_handsets.lose("INVITE", occurrence=2, every=True)
    held = hold(c.scscf, HOLD)
    c.advance(40.0)
    assert held.final_status == 500
    assert c.to_caller("BYE") and [s for s in c.to_handsets.sent if s.label == "BYE"]
    c.advance(64)
    assert c.engine.active_calls == 0 and c.network.legs == 0
    assert c.network.agent.calls_held == 0


def test_a_reinvite_while_the_call_rings_is_refused_491() -> None:
    c = core()
    call = c.call(LINE)
    c.advance(1.0)
    assert call.dialog is not None and c.to_caller("180")
    early = c.scscf.reinvite(call.dialog, body=HOLD, content_type=SDP)
    c.advance(1.0)
    assert early.final_status == 491 and len(c.b_invites()) == 1
