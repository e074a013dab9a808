"""Calls between two user agents over the lossy link in virtual time: set-up and tear-down, the
UAS core's 2xx retransmission and the UAC core's ACKs (RFC 3261 §13.2.2.4, §13.3.1.4), CANCEL
(§9) and the 2xx that crosses it (§15), route sets from Record-Route (§12.1, §12.2.1.1)."""

from __future__ import annotations

from itertools import pairwise

from fleet.sip.dialog import DialogState
from fleet.sip.message import Request
from fleet.sip.transaction_server import InviteServerState
from fleet.sip.transport_types import UDP, Peer
from fleet.sip.ua_calls import IncomingState, OutgoingState, RetransmitState
from tests.sip.dialog_support import established, phase, phones, ringing, route_values
from tests.sip.virtual import VirtualClock, state


def test_a_call_rings_is_answered_acknowledged_and_hung_up_by_the_caller() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    outgoing, incoming = ringing(clock, alice, bob)
    assert phase(outgoing) is OutgoingState.EARLY
    assert alice.dialog.state is DialogState.EARLY and bob.dialog.state is DialogState.EARLY
    bob.ua.answer(incoming)
    clock.advance(0.1)
    assert phase(outgoing) is OutgoingState.CONFIRMED and phase(incoming) is IncomingState.CONFIRMED
    mine, theirs = alice.dialog, bob.dialog
    assert mine.id.call_id == theirs.id.call_id == outgoing.invite.call_id
    assert (mine.id.local_tag, mine.id.remote_tag) == (theirs.id.remote_tag, theirs.id.local_tag)
    assert mine.remote_target == "sip:bob@192.0.2.2:5060"
    assert theirs.remote_target == "sip:alice@192.0.2.1:5060"
    (ack,) = alice.sent("ACK")
    assert isinstance(ack.message, Request) and ack.message.request_uri == mine.remote_target
    assert str(ack.message.cseq) == "1 ACK"
    assert ack.message.top_via is not None and outgoing.invite.top_via is not None
    assert ack.message.top_via.branch != outgoing.invite.top_via.branch  # §13.2.2.4
    alice.ua.bye(mine)
    clock.advance(1)
    (bye,) = alice.sent("BYE")
    assert str(bye.message.cseq) == "2 BYE"
    assert alice.link.labels() == ["INVITE", "ACK", "BYE"]
    assert bob.link.labels() == ["180", "200", "200"]
    assert not alice.ua.dialogs and not bob.ua.dialogs
    assert mine.state is DialogState.TERMINATED and theirs.state is DialogState.TERMINATED


def test_lost_acks_make_the_uas_resend_its_2xx_doubling_to_t2_and_the_uac_acks_each() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    for occurrence in range(1, 7):
        alice.link.lose("ACK", occurrence)
    _, incoming = established(clock, alice, bob)
    clock.advance(30)
    oks = [sent.at for sent in bob.sent("200", "INVITE")]
    gaps = [round(later - earlier, 6) for earlier, later in pairwise(oks)]
    assert gaps == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]  # T1 doubling, capped at T2
    acks = alice.sent("ACK")
    assert len(acks) == 7  # one per 2xx, the 7th arrives
    assert len({str(sent.message.top_via) for sent in acks}) == 1  # the same ACK each time
    assert phase(incoming) is IncomingState.CONFIRMED
    assert bob.dialog.state is DialogState.CONFIRMED and not alice.sent("BYE") + bob.sent("BYE")


def test_without_any_ack_the_uas_gives_up_at_64_t1_and_ends_the_dialog_with_bye() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    alice.link.lose("ACK", 1, every=True)
    _, incoming = established(clock, alice, bob)
    answered = bob.sent("200", "INVITE")[0].at
    retransmitter = bob.ua.retransmitter(bob.dialog, 1)
    assert retransmitter is not None
    clock.advance(40)
    (bye,) = bob.sent("BYE")
    assert round(bye.at - answered, 6) == 64 * bob.ua.timers.t1
    assert all(sent.at < bye.at for sent in bob.sent("200", "INVITE"))
    assert len(bob.sent("200", "INVITE")) == 11  # 0, 0.5, 1.5, 3.5, 7.5 … 31.5
    assert retransmitter.state is RetransmitState.ABANDONED
    assert len(alice.sent("200", "BYE")) == 1
    assert not alice.ua.dialogs and not bob.ua.dialogs
    assert phase(incoming) is IncomingState.ANSWERED


def test_cancel_before_the_answer_gets_200_and_the_invite_487_acked_by_the_transaction() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    outgoing, incoming = ringing(clock, alice, bob)
    alice.ua.cancel(outgoing)
    clock.advance(1)
    assert bob.link.labels() == ["180", "200", "487"]
    assert [s.message.cseq.method for s in bob.sent("200") if s.message.cseq] == ["CANCEL"]
    (cancel,) = alice.sent("CANCEL")
    (ack,) = alice.sent("ACK")
    invite_via = outgoing.invite.top_via
    assert invite_via is not None
    for request in (cancel.message, ack.message):  # same branch: the INVITE's transaction
        assert request.top_via is not None and request.top_via.branch == invite_via.branch
    assert state(incoming.transaction) in (
        InviteServerState.CONFIRMED,
        InviteServerState.TERMINATED,
    )
    assert phase(incoming) is IncomingState.CANCELLED and outgoing.final_status == 487
    assert phase(outgoing) is OutgoingState.TERMINATED
    assert not alice.ua.dialogs and not bob.ua.dialogs


def test_a_cancel_waits_for_a_provisional_response_before_it_is_sent() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    outgoing = alice.ua.invite("sip:bob@192.0.2.2")
    alice.ua.cancel(outgoing)
    clock.advance(0.1)
    assert alice.link.labels() == ["INVITE"]
    clock.advance(0.5)  # Bob's transaction answers 100 Trying after 200 ms
    assert alice.link.labels()[:2] == ["INVITE", "CANCEL"]
    assert bob.link.labels() == ["100", "200", "487"]
    assert outgoing.final_status == 487


def test_a_2xx_crossing_our_cancel_is_acked_and_then_byed() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    outgoing, incoming = ringing(clock, alice, bob)
    bob.ua.answer(incoming)
    alice.ua.cancel(outgoing)  # both in flight at once
    clock.advance(1)
    assert alice.link.labels() == ["INVITE", "CANCEL", "ACK", "BYE"]
    assert [str(s.message.cseq) for s in bob.sent("200")] == ["1 INVITE", "1 CANCEL", "2 BYE"]
    assert not bob.sent("487")
    assert phase(outgoing) is OutgoingState.TERMINATED
    assert not alice.ua.dialogs and not bob.ua.dialogs


P1, P2 = "<sip:198.51.100.1;lr>", "<sip:198.51.100.2;lr>"


def test_record_route_makes_each_side_route_set_and_in_dialog_requests_carry_it() -> None:
    clock = VirtualClock()
    # P1 is Alice's proxy, P2 Bob's: P2 added its Record-Route last, so it is on top
    alice, bob = phones(clock, record_route=(P2, P1))
    established(clock, alice, bob)
    assert alice.dialog.route_set == (P1, P2)  # reversed on the UAC side
    assert bob.dialog.route_set == (P2, P1)
    ok = bob.sent("200", "INVITE")[0].message
    assert ok.headers.values("Record-Route") == [P2, P1]  # copied into the 2xx
    (ack,) = alice.sent("ACK")
    assert route_values(ack.message) == [P1, P2]
    assert ack.destination == Peer(UDP, "198.51.100.1", 5060)
    assert isinstance(ack.message, Request) and ack.message.request_uri == "sip:bob@192.0.2.2:5060"
    bob.ua.bye(bob.dialog)
    clock.advance(1)
    (bye,) = bob.sent("BYE")
    assert route_values(bye.message) == [P2, P1]
    assert bye.destination == Peer(UDP, "198.51.100.2", 5060)
    assert (
        isinstance(bye.message, Request) and bye.message.request_uri == "sip:alice@192.0.2.1:5060"
    )
    assert not alice.ua.dialogs and not bob.ua.dialogs
