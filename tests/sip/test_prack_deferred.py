"""The UA core's parts for a B2BUA relaying offers before the answer, between two user agents
in virtual time: a PRACK whose offer the application answers later (its reliable provisional
acknowledged only then), a reliable provisional the application PRACKs itself
(``on_reliable``), and an initial INVITE without an offer whose 2xx waits for the answer in
its ACK (``ack_later``, ``ack_offer``)."""

from __future__ import annotations

from fleet.sip.dialog import Dialog
from fleet.sip.message import Request
from fleet.sip.reliable import RAck, Rel100
from fleet.sip.ua_calls import DEFER, Answer, Deferred, IncomingState
from tests.sip.dialog_support import phones
from tests.sip.virtual import VirtualClock

SDP = "application/sdp"
OFFER = b"v=0\r\no=alice 1 1 IN IP4 192.0.2.1\r\n"
ANSWER = b"v=0\r\no=bob 1 1 IN IP4 192.0.2.2\r\n"


def test_a_pracks_offer_deferred_is_answered_later_and_only_then_acknowledged() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, alice_rel100=Rel100.SUPPORTED)
    asked: list[Request] = []

    def defer(dialog: Dialog, request: Request) -> Deferred:
        asked.append(request)
        return DEFER

    bob.ua.on_offer = defer
    outgoing = alice.ua.invite("sip:bob@192.0.2.2")
    prack_with_offer: list[tuple[Dialog, RAck]] = []
    outgoing.on_reliable = lambda dialog, rack: prack_with_offer.append((dialog, rack))
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.ring(incoming, 183, reliable=True, body=ANSWER, content_type=SDP)
    clock.advance(0.1)
    assert not alice.sent("PRACK"), "the application PRACKs it"
    ((dialog, rack),) = prack_with_offer
    alice.ua._send_prack(outgoing, dialog, rack, body=OFFER, content_type=SDP)
    clock.advance(0.1)
    assert [r.body for r in asked] == [OFFER] and not bob.sent("200", "PRACK")
    assert incoming.dialog is not None
    provisionals = bob.ua.reliable[incoming.dialog.id]
    assert provisionals.holds_2xx(), "not acknowledged before the answer"
    pending = bob.ua.pending_offer(incoming.dialog)
    assert pending is not None and bob.ua.answer_offer(pending, Answer(ANSWER))
    clock.advance(0.1)
    (ok,) = bob.sent("200", "PRACK")
    assert ok.message.body == ANSWER
    assert not provisionals.holds_2xx()
    bob.ua.answer(incoming)
    clock.advance(1)
    assert incoming.state is IncomingState.CONFIRMED


def test_an_offerless_invites_2xx_waits_for_the_answer_in_its_ack() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    outgoing = alice.ua.invite("sip:bob@192.0.2.2")
    outgoing.ack_later = True
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.answer(incoming, body=ANSWER, content_type=SDP)
    clock.advance(1.0)
    assert not alice.sent("ACK"), "the 2xx and its retransmission wait"
    assert outgoing.offered is not None and outgoing.offered.body == ANSWER
    assert alice.ua.ack_offer(outgoing, OFFER, SDP)
    assert not alice.ua.ack_offer(outgoing, OFFER, SDP), "one ACK"
    clock.advance(1.0)
    (ack,) = alice.sent("ACK")
    assert ack.message.body == OFFER
    assert incoming.state is IncomingState.CONFIRMED
