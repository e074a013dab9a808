"""Reliable provisional responses (RFC 3262) between two user agents over the lossy link in
virtual time: the reliable 180 PRACKed before the 200, losses on both sides, the UAS's T1
doubling without a T2 cap and its 504 after 64*T1, provisionals one at a time in RSeq order,
the 2xx held back behind an unacknowledged provisional with SDP, PRACKs that match nothing
(481), and the UAC's in-order rule per fork."""

from __future__ import annotations

import itertools

from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.reliable import RAck, Rel100, parse_rack, parse_rseq
from fleet.sip.transaction_messages import new_branch
from fleet.sip.transport_types import UDP, Peer
from fleet.sip.ua_calls import IncomingState, OutgoingState
from tests.sip.dialog_support import BOB, Phone, phase, phones
from tests.sip.virtual import VirtualClock

SDP = b"v=0\r\no=bob 1 1 IN IP4 192.0.2.2\r\n"
FIRST_RSEQ = 1 + int(0.5 * (2**31 - 1))  # what the injected random 0.5 draws


def _rseq(message: Request | Response) -> int:
    value = message.headers.get("RSeq")
    assert value is not None
    return parse_rseq(value)


def _racks(phone: Phone) -> list[RAck]:
    return [parse_rack(s.message.headers.get("RAck") or "") for s in phone.sent("PRACK")]


def _copy(response: Request | Response, **headers: str) -> Response:
    copy = parse_message(serialize(response))
    assert isinstance(copy, Response)
    for name, value in headers.items():
        copy.headers.set(name.replace("_", "-"), value)
    return copy


def test_a_reliable_180_is_pracked_and_the_200_follows() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, alice_rel100=Rel100.SUPPORTED)
    outgoing = alice.ua.invite("sip:bob@192.0.2.2")
    (invite,) = alice.sent("INVITE")
    assert invite.message.headers.get("Supported") == "100rel"
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.ring(incoming, reliable=True)
    clock.advance(1)
    (ringing,) = bob.sent("180")
    assert ringing.message.headers.get("Require") == "100rel"
    assert _rseq(ringing.message) == FIRST_RSEQ
    assert _racks(alice) == [RAck(FIRST_RSEQ, 1, "INVITE")]
    (prack,) = alice.sent("PRACK")
    assert str(prack.message.cseq) == "2 PRACK"
    assert len(bob.sent("200", "PRACK")) == 1
    bob.ua.answer(incoming)
    clock.advance(40)
    assert outgoing.final_status == 200 and incoming.state is IncomingState.CONFIRMED
    assert len(bob.sent("180")) == 1  # the PRACK stopped its retransmissions
    assert [str(s.message.cseq) for s in alice.sent("ACK")] == ["1 ACK"]


def test_a_lost_prack_is_retransmitted_and_the_retransmitted_180_is_not_pracked_again() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, alice_rel100=Rel100.SUPPORTED)
    alice.link.lose("PRACK")
    alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.ring(incoming, reliable=True)
    clock.advance(10)
    assert bob.link.times("180") == [0.05, 0.55]
    pracks = alice.sent("PRACK")
    assert len(pracks) == 2  # the first lost, its transaction's timer E sent it again
    assert {p.message.headers.get("Via") for p in pracks} == {pracks[0].message.headers.get("Via")}
    assert len(bob.sent("200", "PRACK")) == 1
    assert bob.ua.reliable[bob.dialog.id].unacked is None


def test_a_lost_reliable_180_is_sent_again_on_its_own_t1_timer_and_pracked() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, alice_rel100=Rel100.SUPPORTED)
    bob.link.lose("180")
    bob.link.lose("180", 2)  # the copy the INVITE's retransmission (timer A) prompts
    outgoing = alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.ring(incoming, reliable=True)
    clock.advance(10)
    assert bob.link.times("180") == [0.05, 0.51, 0.55]
    assert _racks(alice) == [RAck(FIRST_RSEQ, 1, "INVITE")]
    assert phase(outgoing) == OutgoingState.EARLY


def test_without_a_prack_the_180_doubles_past_t2_and_the_invite_gets_504_after_64_t1() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, alice_rel100=Rel100.SUPPORTED)
    alice.link.lose("PRACK", every=True)
    outgoing = alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.ring(incoming, reliable=True)
    clock.advance(60)
    times = bob.link.times("180")
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(times)]
    assert gaps == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0]  # T1 doubling, not capped at T2 (4 s)
    (refused,) = bob.sent("504")
    assert round(refused.at, 6) == 32.05  # 64*T1 after the 180
    assert (incoming.state, incoming.final_status) == (IncomingState.REJECTED, 504)
    assert outgoing.final_status == 504 and not alice.ua.dialogs and not bob.ua.dialogs
    assert set(_racks(alice)) == {RAck(FIRST_RSEQ, 1, "INVITE")}
    branches = {p.message.headers.get("Via") for p in alice.sent("PRACK")}
    assert len(branches) == 1  # one PRACK transaction: the 180's copies were not PRACKed


def test_two_reliable_provisionals_go_in_order_the_second_after_the_first_prack() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, alice_rel100=Rel100.SUPPORTED)
    alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.ring(incoming, 183, reliable=True)
    bob.ua.ring(incoming, 180, reliable=True)
    clock.advance(5)
    (progress,) = bob.sent("183")
    (ringing,) = bob.sent("180")
    (first_ok, second_ok) = bob.sent("200", "PRACK")
    assert progress.at < first_ok.at <= ringing.at < second_ok.at
    assert _rseq(ringing.message) == _rseq(progress.message) + 1
    assert _racks(alice) == [RAck(FIRST_RSEQ, 1, "INVITE"), RAck(FIRST_RSEQ + 1, 1, "INVITE")]
    assert [str(s.message.cseq) for s in alice.sent("PRACK")] == ["2 PRACK", "3 PRACK"]


def test_a_2xx_waits_for_the_prack_of_a_reliable_provisional_carrying_sdp() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, alice_rel100=Rel100.SUPPORTED)
    alice.link.lose("PRACK")
    outgoing = alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.ring(incoming, 183, reliable=True, body=SDP, content_type="application/sdp")
    clock.advance(0.1)
    bob.ua.answer(incoming)
    clock.advance(0.1)
    assert bob.sent("200", "INVITE") == []  # §3: held until the 183 is PRACKed
    clock.advance(2)
    (prack_ok,) = bob.sent("200", "PRACK")
    (answer,) = bob.sent("200", "INVITE")
    assert prack_ok.at <= answer.at and outgoing.final_status == 200


def test_a_2xx_is_not_held_by_an_unacknowledged_provisional_without_sdp() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, alice_rel100=Rel100.SUPPORTED)
    alice.link.lose("PRACK")
    outgoing = alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.ring(incoming, reliable=True)
    clock.advance(0.1)
    bob.ua.answer(incoming)
    clock.advance(0.1)
    assert len(bob.sent("200", "INVITE")) == 1 and outgoing.final_status == 200
    clock.advance(2)
    assert len(bob.sent("180")) == 1  # the final response ended its retransmissions
    assert len(bob.sent("200", "PRACK")) == 1  # the late PRACK still matches


def test_a_prack_with_a_wrong_rack_gets_481_and_the_right_one_200() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, alice_rel100=Rel100.SUPPORTED)
    alice.link.lose("PRACK", every=True)  # Alice's own PRACKs never arrive
    alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.ring(incoming, reliable=True)
    clock.advance(0.1)
    alice.link.rules.clear()
    for rack in (RAck(FIRST_RSEQ + 1, 1, "INVITE"), RAck(FIRST_RSEQ, 1, "INVITE")):
        prack, destination = alice.dialog.create_request(
            "PRACK", alice.ua.address, branch=new_branch
        )
        prack.headers.add("RAck", str(rack))
        alice.ua.send_in_dialog(prack, destination)
        clock.advance(0.1)
    assert len(bob.sent("481", "PRACK")) == 1 and len(bob.sent("200", "PRACK")) == 1
    assert bob.sent("481")[0].at < bob.sent("200", "PRACK")[0].at


def test_require_100rel_in_the_invite_makes_every_provisional_reliable() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, alice_rel100=Rel100.REQUIRED)
    alice.ua.invite("sip:bob@192.0.2.2")
    (invite,) = alice.sent("INVITE")
    assert invite.message.headers.get("Require") == "100rel"
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.ring(incoming)  # the application did not ask
    clock.advance(1)
    (ringing,) = bob.sent("180")
    assert ringing.message.headers.get("Require") == "100rel"
    assert _racks(alice) == [RAck(FIRST_RSEQ, 1, "INVITE")]


def test_a_provisional_is_unreliable_when_the_invite_does_not_support_100rel() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.ring(incoming, reliable=True)
    clock.advance(5)
    (ringing,) = bob.sent("180")
    assert ringing.message.headers.get("RSeq") is None and alice.sent("PRACK") == []


def test_the_uac_pracks_in_order_per_dialog_and_discards_gaps_and_repeats() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, alice_rel100=Rel100.SUPPORTED)
    alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.ring(incoming, reliable=True)
    clock.advance(0.1)
    (ringing,) = bob.sent("180")
    layer = alice.ua.layer
    layer.on_response(_copy(ringing.message, RSeq=str(FIRST_RSEQ + 2)), BOB)  # a gap
    layer.on_response(_copy(ringing.message), BOB)  # a repeat
    assert len(alice.sent("PRACK")) == 1
    layer.on_response(_copy(ringing.message, RSeq=str(FIRST_RSEQ + 1)), BOB)  # the next
    to = (ringing.message.headers.get("To") or "").split(";tag=")[0]
    fork = _copy(ringing.message, To=f"{to};tag=fork2", RSeq="7")
    fork.headers.set("Contact", "<sip:carol@192.0.2.3>")
    layer.on_response(fork, BOB)  # another fork: its own dialog and sequence
    assert _racks(alice) == [
        RAck(FIRST_RSEQ, 1, "INVITE"),
        RAck(FIRST_RSEQ + 1, 1, "INVITE"),
        RAck(7, 1, "INVITE"),
    ]
    forked = alice.sent("PRACK")[2]
    assert forked.destination == Peer(UDP, "192.0.2.3", 5060)
    assert "tag=fork2" in (forked.message.headers.get("To") or "")
    assert len(alice.ua.dialogs) == 2


def test_an_in_dialog_options_advertises_prack_and_100rel() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, alice_rel100=Rel100.SUPPORTED)
    alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.ring(incoming, reliable=True)
    clock.advance(0.1)
    options, destination = alice.dialog.create_request(
        "OPTIONS", alice.ua.address, branch=new_branch
    )
    alice.ua.send_in_dialog(options, destination)
    clock.advance(0.1)
    (ok,) = bob.sent("200", "OPTIONS")
    assert "PRACK" in (ok.message.headers.get("Allow") or "")
    assert ok.message.headers.get("Supported") == "100rel"
