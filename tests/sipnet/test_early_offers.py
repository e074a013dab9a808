"""Offers before the answer through FleetPBX on SIP (virtual time, :mod:`fleet.sipnet.
early_offers`): a VoLTE precondition call — 100rel end to end, the callee's reliable 183 with SDP
relayed reliably, the caller's PRACK sent on as the callee's and answered after it, UPDATEs both
ways in the early dialogs —, a PRACK the callee refuses, a CANCEL while a PRACK is relayed, and
the late offer (the callee's offer in the 200, the caller's answer in the B-leg's ACK)."""

from __future__ import annotations

from collections.abc import Callable

from fleet.core.values import CallOutcome, RingMode
from fleet.sip.dialog import Dialog
from fleet.sip.message import Request, Response
from fleet.sip.reliable import RAck, Rel100, requires_100rel, rseq_of
from fleet.sip.ua_calls import Answer, IncomingCall, OutgoingCall, Refusal
from fleet.sip.ua_core import UserAgent
from tests.sipnet.support import ANSWER, FLEETPBX, OFFER, Core, core
from tests.sipnet.support import settled as ended

LINE = "+33611000001"
SDP = "application/sdp"
DES = b"a=des:qos mandatory local sendrecv\r\n"
CALLEE_183 = ANSWER + b"a=curr:qos local none\r\n" + DES
PRACK_OFFER = OFFER + b"a=curr:qos local send\r\n" + DES
PRACK_ANSWER = ANSWER + b"a=curr:qos local send\r\n" + DES
CALLER_UPDATE = OFFER + b"a=curr:qos local sendrecv\r\n" + DES
CALLEE_UPDATED = ANSWER + b"a=curr:qos local sendrecv\r\n" + DES
CALLEE_UPDATE = ANSWER + b"a=curr:qos remote sendrecv\r\n" + DES
CALLER_UPDATED = OFFER + b"a=curr:qos remote sendrecv\r\n" + DES


class Handset:
    """An offer hook answering each offer with the next outcome (the last one again)."""

    def __init__(self, *outcomes: Answer | Refusal) -> None:
        self.outcomes = list(outcomes)
        self.asked: list[tuple[str, bytes]] = []

    def __call__(self, dialog: Dialog, request: Request) -> Answer | Refusal:
        self.asked.append((request.method, request.body))
        return self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]


def precondition_callee(ua: UserAgent, call: IncomingCall) -> None:
    ua.ring(call, 183, reliable=True, body=CALLEE_183, content_type=SDP)


def pracking_with(ua: UserAgent, call: OutgoingCall, body: bytes) -> Callable[[Dialog, RAck], None]:
    """The caller PRACKs the reliable 183 with an offer (the UA's own PRACK has no body)."""

    def prack(dialog: Dialog, rack: RAck) -> None:
        ua._send_prack(call, dialog, rack, body=body, content_type=SDP)

    return prack


def precondition_call(callee_hook: Handset, caller_hook: Handset) -> tuple[Core, OutgoingCall]:
    c = core()
    c.scscf.rel100 = Rel100.SUPPORTED
    c.scscf.on_offer = caller_hook
    c.handsets.on_offer = callee_hook
    c.answers[LINE] = precondition_callee
    call = c.call(LINE)
    call.on_reliable = pracking_with(c.scscf, call, PRACK_OFFER)
    c.advance(1.0)
    return c, call


def responses(sent: list[Request | Response], method: str) -> list[Response]:
    return [m for m in sent if isinstance(m, Response) and m.cseq and m.cseq.method == method]


def early_dialog(ua: UserAgent) -> Dialog:
    (dialog,) = ua.dialogs.values()
    return dialog


def test_a_precondition_call_relays_the_reliable_183_the_prack_and_updates_both_ways() -> None:
    callee = Handset(Answer(PRACK_ANSWER), Answer(CALLEE_UPDATED))
    caller = Handset(Answer(CALLER_UPDATED))
    c, call = precondition_call(callee, caller)
    (b_invite,) = c.b_invites()
    assert "100rel" in b_invite.supported, "the B-leg INVITE supports 100rel as the caller's did"
    (relayed,) = [s.message for s in c.to_caller("183")]
    assert isinstance(relayed, Response) and requires_100rel(relayed) and rseq_of(relayed)
    assert relayed.body == CALLEE_183
    assert callee.asked == [("PRACK", PRACK_OFFER)], "the caller's PRACK offer reached the callee"
    (b_prack,) = [s for s in c.to_handsets.sent if s.label == "PRACK"]
    (caller_ok,) = [s for s in c.to_scscf.sent if s.label == "200"]
    assert b_prack.message.body == PRACK_OFFER
    assert caller_ok.message.body == PRACK_ANSWER and b_prack.at < caller_ok.at
    assert len(c.to_caller("183")) == 1, "the caller's PRACK stopped the 183's retransmissions"

    update = c.scscf.update(early_dialog(c.scscf), body=CALLER_UPDATE, content_type=SDP)
    c.advance(1.0)
    assert callee.asked[-1] == ("UPDATE", CALLER_UPDATE) and update.final_status == 200
    assert update.final_status == 200
    theirs = c.handsets.update(early_dialog(c.handsets), body=CALLEE_UPDATE, content_type=SDP)
    c.advance(1.0)
    assert caller.asked == [("UPDATE", CALLEE_UPDATE)] and theirs.final_status == 200

    (incoming,) = c.handsets.incoming
    c.handsets.ring(incoming, 180)
    c.advance(0.5)
    c.handsets.answer(incoming, body=CALLEE_UPDATED, content_type=SDP)
    c.advance(1.0)
    assert call.final_status == 200 and c.engine.active_calls == 1
    assert len(c.to_caller("180")) >= 1
    c.scscf.bye(early_dialog(c.scscf))
    ended(c)
    assert c.records.items[0].outcome == CallOutcome.ANSWERED


def test_a_prack_the_callee_refuses_is_refused_to_the_caller_and_the_call_goes_on() -> None:
    callee = Handset(Refusal(488))
    c, call = precondition_call(callee, Handset(Answer(OFFER)))
    assert callee.asked == [("PRACK", PRACK_OFFER)]
    assert [r.status for r in responses([s.message for s in c.to_scscf.sent], "PRACK")] == [488]
    (incoming,) = c.handsets.incoming
    c.handsets.answer(incoming, body=ANSWER, content_type=SDP)
    c.advance(1.0)
    assert call.final_status == 200
    c.scscf.bye(early_dialog(c.scscf))
    ended(c)


def test_a_cancel_while_the_callers_prack_is_relayed_ends_every_dialog() -> None:
    c = core()
    c.scscf.rel100 = Rel100.REQUIRED
    c.handsets.on_offer = Handset(Answer(PRACK_ANSWER))
    c.answers[LINE] = precondition_callee
    call = c.call(LINE)
    pracking = pracking_with(c.scscf, call, PRACK_OFFER)

    def prack_then_cancel(dialog: Dialog, rack: RAck) -> None:
        pracking(dialog, rack)
        c.scscf.cancel(call)

    call.on_reliable = prack_then_cancel
    c.advance(2.0)
    assert call.final_status == 487
    assert [s.label for s in c.to_handsets.sent if s.label in ("PRACK", "CANCEL")] == [
        "PRACK",
        "CANCEL",
    ]
    ended(c)


def test_a_late_offer_goes_in_the_callees_200_and_the_answer_in_the_b_legs_ack() -> None:
    c = core()
    c.answers[LINE] = lambda ua, incoming: ua.answer(incoming, body=ANSWER, content_type=SDP)
    call = c.scscf.invite(f"sip:{LINE}@{FLEETPBX.host};user=phone", FLEETPBX)
    call.ack_later = True
    c.advance(1.0)
    (b_invite,) = c.b_invites()
    assert not b_invite.body, "no offer on the B-leg either"
    assert call.offered is not None and call.offered.body == ANSWER, "the callee's offer"
    assert not [s for s in c.to_handsets.sent if s.label == "ACK"], "the ACK waits for the answer"
    assert c.scscf.ack_offer(call, OFFER, SDP)
    c.advance(1.0)
    (ack,) = [s.message for s in c.to_handsets.sent if s.label == "ACK"]
    assert ack.body == OFFER and ack.headers.get("Content-Type") == SDP
    assert c.engine.active_calls == 1
    c.scscf.bye(early_dialog(c.scscf))
    ended(c)


def test_simultaneous_ringing_relays_the_first_callees_early_dialog_and_the_other_answers() -> None:
    c = core()
    c.world.fleets.incoming_list(
        c.world.line(1).id, ["0611000002", "0611000003"], mode=RingMode.SIMULTANEOUS
    )
    c.scscf.rel100 = Rel100.SUPPORTED
    first, second = "+33611000002", "+33611000003"
    c.answers[first] = precondition_callee
    c.answers[second] = lambda ua, incoming: ua.ring(
        incoming, 183, reliable=True, body=ANSWER, content_type=SDP
    )
    c.handsets.on_offer = Handset(Answer(PRACK_ANSWER))
    call = c.call(first)
    call.on_reliable = pracking_with(c.scscf, call, PRACK_OFFER)
    c.advance(1.0)
    assert len(c.b_invites()) == 2
    relayed = [s.message for s in c.to_caller("183")]
    assert [m.body for m in relayed] == [CALLEE_183, b""], "only the first one's SDP"
    pracks = [s.message for s in c.to_handsets.sent if s.label == "PRACK"]
    assert sorted(p.body for p in pracks) == [b"", PRACK_OFFER], "the other PRACKed hop by hop"
    (_, other) = c.handsets.incoming
    c.handsets.answer(other, body=ANSWER, content_type=SDP)
    c.advance(1.0)
    assert call.final_status == 200 and call.answer is not None and call.answer.body == ANSWER
    assert c.engine.active_calls == 1
    c.scscf.update(early_dialog(c.scscf), body=CALLER_UPDATE, content_type=SDP)
    c.advance(1.0)
    (update,) = [s.message for s in c.to_handsets.sent if s.label == "UPDATE"]
    assert update.to is not None and update.to.tag == other.local_tag, "the bridge moved"
    c.scscf.bye(early_dialog(c.scscf))
    ended(c)
