"""An offerless re-INVITE from one leg of a bridged call (a peer moving that leg by third-party
call control, e.g. FleetPBX's other visit of a call between two fleet lines) goes on to the other
leg without SDP; the other leg's offer answers it and the answer in its ACK goes on in the other
leg's ACK (:mod:`fleet.sipnet.relay_offerless`), in virtual time."""

from __future__ import annotations

from fleet.sip.dialog import Dialog
from fleet.sip.message import Request
from fleet.sip.ua_calls import Answer, Refusal, ReInvite
from fleet.sip.ua_core import UserAgent
from tests.sip.lossy import LossyLink
from tests.sipnet.support import ANSWER, OFFER, Core
from tests.sipnet.test_hold import SDP, Handset, bridged, dialog_of, finished, hold

CALLEE_OFFER = b"v=0\r\no=callee 1 2 IN IP4 192.0.2.60\r\ns=-\r\nc=IN IP4 192.0.2.60\r\nt=0 0\r\n"
NEW_PARTY = b"v=0\r\no=newparty 1 1 IN IP4 192.0.2.90\r\ns=-\r\nc=IN IP4 192.0.2.90\r\nt=0 0\r\n"
HOLD_AFTER = NEW_PARTY + b"a=sendonly\r\n"


def move(ua: UserAgent) -> ReInvite:
    """``ua``'s side re-INVITEs its dialog without SDP, the answer to come in its ACK."""
    return ua.reinvite(dialog_of(ua), ack_later=True)


def towards(c: Core, ua: UserAgent) -> Dialog:
    """FleetPBX's dialog with ``ua``'s side."""
    call_id = dialog_of(ua).id.call_id
    (found,) = [d for d in c.network.agent.dialogs.values() if d.id.call_id == call_id]
    return found


def acks(link: LossyLink) -> list[Request]:
    return [s.message for s in link.sent if s.label == "ACK" and isinstance(s.message, Request)]


def test_the_callers_offerless_reinvite_reaches_the_callee_and_the_acks_answer_follows() -> None:
    callee = Handset(Answer(CALLEE_OFFER), Answer(ANSWER))
    c = bridged(Handset(Answer(HOLD_AFTER)), callee)
    moved = move(c.scscf)
    c.advance(1.0)
    assert callee.asked == [("INVITE", b"")], "relayed without an offer"
    assert moved.final_status == 200 and moved.offered is not None
    assert moved.offered.body == CALLEE_OFFER, "the callee's offer answers the re-INVITE"
    before = len(acks(c.to_handsets))
    c.advance(1.0)
    assert len(acks(c.to_handsets)) == before, "the callee's 2xx waits for the answer"
    assert c.scscf.ack_answer(moved, NEW_PARTY, SDP)
    c.advance(1.0)
    ack = acks(c.to_handsets)[-1]
    assert ack.body == NEW_PARTY and ack.headers.get("Content-Type") == SDP
    assert str(ack.cseq) == "2 ACK"
    c.advance(40.0)
    assert dialog_of(c.handsets).state.value == "confirmed", "no BYE: every 2xx ACKed"
    side = c.network.relay.side(towards(c, c.handsets))
    assert side is not None and side.sent == NEW_PARTY, "what the callee has now"
    held = hold(c.handsets, ANSWER + b"a=sendonly\r\n")
    c.advance(1.0)
    assert held.final_status == 200, "the legs are still bridged for later offers"
    finished(c)


def test_the_callees_offerless_reinvite_reaches_the_caller_the_same_way() -> None:
    caller = Handset(Answer(OFFER + b"a=sendrecv\r\n"))
    c = bridged(caller, Handset(Answer(ANSWER)))
    moved = move(c.handsets)
    c.advance(1.0)
    assert caller.asked == [("INVITE", b"")]
    assert moved.offered is not None and moved.offered.body == OFFER + b"a=sendrecv\r\n"
    assert c.handsets.ack_answer(moved, NEW_PARTY, SDP)
    c.advance(1.0)
    assert acks(c.to_scscf)[-1].body == NEW_PARTY
    finished(c)


def test_a_refusal_of_the_relayed_reinvite_comes_back_and_nothing_changes() -> None:
    c = bridged(Handset(Answer(OFFER)), Handset(Refusal(488)))
    moved = move(c.scscf)
    c.advance(1.0)
    assert moved.final_status == 488 and c.to_caller("488")
    assert c.engine.active_calls == 1
    finished(c)


def test_an_ack_without_answer_leaves_the_callee_with_its_former_session() -> None:
    c = bridged(Handset(Answer(OFFER)), Handset(Answer(CALLEE_OFFER)))
    moved = move(c.scscf)
    c.advance(1.0)
    assert c.scscf.ack_answer(moved, b"", None)
    c.advance(1.0)
    assert acks(c.to_handsets)[-1].body == OFFER, "ACKed with what the callee had"
    finished(c)


def test_the_caller_never_acking_ends_the_call_with_the_callees_2xx_acked() -> None:
    c = bridged(Handset(Answer(OFFER)), Handset(Answer(CALLEE_OFFER)))
    move(c.scscf)
    c.advance(40.0)  # no ACK: the UA cores give up after 64*T1 and BYE
    assert acks(c.to_handsets)[-1].body == OFFER, "ACKed with what the callee had"
    assert c.to_caller("BYE")
    c.advance(64)
    assert c.engine.active_calls == 0 and c.network.legs == 0
    assert c.network.agent.calls_held == 0 and not c.network.agent.dialogs
    assert c.handsets.calls_held == 0 and not c.handsets.dialogs


def test_an_offer_while_the_ack_is_awaited_gets_491() -> None:
    c = bridged(Handset(Answer(OFFER)), Handset(Answer(CALLEE_OFFER), Answer(ANSWER)))
    moved = move(c.scscf)
    c.advance(1.0)
    crossing = hold(c.handsets, ANSWER + b"a=sendonly\r\n")
    c.advance(0.1)
    assert crossing.final_status == 491
    assert c.scscf.ack_answer(moved, NEW_PARTY, SDP)
    c.advance(10.0)
    assert crossing.final_status == 200, "retried after its §14.1 delay"
    finished(c)
