"""The user agent's listener (:class:`fleet.sip.ua_listener.UaListener`) between two user agents
over the lossy link in virtual time: each callback once, at the moment the core knows: a new
INVITE, one ended by CANCEL or by the UA (504 without PRACK), every response to our INVITE (the
2xx once: its retransmissions are the core's; a 422 the core retries not), timer B and transport
errors, a dialog ended by a BYE received or sent (by the application, or the UA: a 2xx never
ACKed, a session timer expired)."""

from __future__ import annotations

from fleet.sip.message import Response
from fleet.sip.reliable import Rel100
from fleet.sip.session_timer import SessionTimerConfig
from fleet.sip.ua_calls import IncomingState, OutgoingState
from tests.sip.dialog_support import Phone, established, phase, phones, ringing
from tests.sip.listener_support import Ear, Heard
from tests.sip.virtual import VirtualClock


def _ears(alice: Phone, bob: Phone) -> tuple[Ear, Ear]:
    alice.ua.listener, bob.ua.listener = Ear(), Ear()
    return alice.ua.listener, bob.ua.listener


def test_a_new_invite_is_heard_once_even_when_it_is_retransmitted() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    _, bob_ear = _ears(alice, bob)
    alice.link.lose("100", every=True)
    bob.link.lose("100", every=True)
    alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(2)
    assert len(alice.sent("INVITE")) > 1  # timer A retransmitted it
    (incoming,) = bob.ua.incoming
    assert bob_ear.heard == [(Heard.INCOMING, incoming, None)]


def test_the_callers_cancel_ends_the_incoming_call_once_after_its_487() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    alice_ear, bob_ear = _ears(alice, bob)
    outgoing, incoming = ringing(clock, alice, bob)
    alice.ua.cancel(outgoing)
    clock.advance(0.02)
    assert len(bob.sent("487")) == 1
    assert bob_ear.kinds() == [Heard.INCOMING, Heard.INCOMING_ENDED]
    assert bob_ear.heard[1] == (Heard.INCOMING_ENDED, incoming, 487)
    clock.advance(40)
    assert bob_ear.kinds() == [Heard.INCOMING, Heard.INCOMING_ENDED]
    assert alice_ear.statuses() == [180, 487]


def test_the_applications_own_reject_is_not_reported_back_to_it() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    _, bob_ear = _ears(alice, bob)
    _, incoming = ringing(clock, alice, bob)
    bob.ua.reject(incoming, 480)
    clock.advance(40)
    assert bob_ear.kinds() == [Heard.INCOMING]


def test_a_prack_never_received_ends_the_incoming_call_with_504_once() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, alice_rel100=Rel100.SUPPORTED)
    _, bob_ear = _ears(alice, bob)
    alice.link.lose("PRACK", every=True)
    alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.ring(incoming, reliable=True)
    clock.advance(31.9)
    assert bob_ear.kinds() == [Heard.INCOMING]
    clock.advance(0.2)  # 64*T1 after the 180
    assert bob_ear.heard[1:] == [(Heard.INCOMING_ENDED, incoming, 504)]
    (refused,) = bob.sent("504")
    assert isinstance(refused.message, Response) and refused.message.reason == "Server Time-out"
    clock.advance(60)
    assert len(bob_ear.heard) == 2


def test_progress_hears_the_180_and_the_200_once_its_retransmissions_are_acked_by_the_core() -> (
    None
):
    clock = VirtualClock()
    alice, bob = phones(clock)
    alice_ear, _ = _ears(alice, bob)
    alice.link.lose("ACK", 1)
    outgoing, _ = established(clock, alice, bob)
    assert alice_ear.statuses() == [180, 200]
    clock.advance(0.6)  # the 2xx again, its ACK lost: the core ACKs it, the application is not told
    assert len(alice.sent("ACK")) == 2
    assert alice_ear.statuses() == [180, 200]
    assert all(call is outgoing for _, call, _ in alice_ear.heard)
    clock.advance(40)
    assert alice_ear.statuses() == [180, 200]
    assert outgoing.answer is not None and outgoing.answer.status == 200  # the call keeps it


def test_a_final_error_is_heard_once_even_when_the_uas_retransmits_it() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    alice_ear, _ = _ears(alice, bob)
    alice.link.lose("ACK", 1)  # the transaction's ACK of the 486: Bob sends it again
    outgoing, incoming = ringing(clock, alice, bob)
    bob.ua.reject(incoming)
    clock.advance(40)
    assert len(bob.sent("486")) > 1
    assert alice_ear.statuses() == [180, 486]
    assert alice_ear.heard[-1][1] is outgoing and outgoing.answer is None
    busy = bob.sent("486")[0].message
    assert isinstance(busy, Response) and busy.reason == "Busy Here"


def test_a_422_the_core_retries_is_not_heard_only_the_final_answer() -> None:
    clock = VirtualClock()
    alice, bob = phones(
        clock,
        alice_session=SessionTimerConfig(expires=120),
        bob_session=SessionTimerConfig(expires=1800, min_se=300),
    )
    alice_ear, _ = _ears(alice, bob)
    alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(1)
    assert len(bob.sent("422")) == 1
    (incoming,) = bob.ua.incoming
    bob.ua.answer(incoming)
    clock.advance(1)
    assert 422 not in alice_ear.statuses() and alice_ear.statuses()[-1] == 200
    assert alice_ear.statuses().count(200) == 1


def test_timer_b_fails_the_call_once_and_nothing_else_is_heard() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    alice_ear, bob_ear = _ears(alice, bob)
    alice.link.lose("INVITE", every=True)
    outgoing = alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(31.9)
    assert alice_ear.heard == []
    clock.advance(0.2)  # 64*T1
    assert alice_ear.heard == [(Heard.FAILED, outgoing, 408)]
    clock.advance(60)
    assert len(alice_ear.heard) == 1 and bob_ear.heard == []


def test_a_transport_error_on_a_retransmission_fails_the_call_once() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    alice_ear, _ = _ears(alice, bob)
    alice.link.lose("INVITE", 1)
    alice.link.refuse("INVITE", 2)
    outgoing = alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(0.4)
    assert alice_ear.heard == []
    clock.advance(0.2)  # timer A: the retransmission is refused
    assert alice_ear.heard == [(Heard.FAILED, outgoing, 408)]
    clock.advance(40)
    assert len(alice_ear.heard) == 1 and phase(outgoing) is OutgoingState.TERMINATED


def test_an_invite_whose_first_send_fails_is_failed_once_after_invite_returns() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    alice_ear, _ = _ears(alice, bob)
    alice.link.refuse("INVITE")
    outgoing = alice.ua.invite("sip:bob@192.0.2.2")
    assert alice_ear.heard == []  # the caller holds the call before hearing of it
    clock.advance(0.01)
    assert alice_ear.heard == [(Heard.FAILED, outgoing, 408)]
    clock.advance(40)
    assert len(alice_ear.heard) == 1 and phase(outgoing) is OutgoingState.TERMINATED
    assert alice.ua.calls_held == 0


def test_a_bye_ends_the_dialog_once_on_both_sides() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    alice_ear, bob_ear = _ears(alice, bob)
    established(clock, alice, bob)
    mine, theirs = alice.dialog, bob.dialog
    alice.ua.bye(mine)
    assert alice_ear.heard[-1] == (Heard.DIALOG_ENDED, mine, None)
    alice.ua.bye(mine)  # ended already: nothing sent, nothing heard
    clock.advance(0.02)
    assert bob_ear.heard[-1] == (Heard.DIALOG_ENDED, theirs, None)
    clock.advance(40)
    assert alice_ear.kinds().count(Heard.DIALOG_ENDED) == 1
    assert bob_ear.kinds() == [Heard.INCOMING, Heard.DIALOG_ENDED]


def test_a_2xx_never_acked_ends_the_dialog_with_the_uas_own_bye() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    alice_ear, bob_ear = _ears(alice, bob)
    alice.link.lose("ACK", 1, every=True)
    _, incoming = established(clock, alice, bob)
    theirs = bob.dialog
    clock.advance(31.8)
    assert bob_ear.kinds() == [Heard.INCOMING]
    clock.advance(0.3)  # 64*T1 after the 2xx
    assert bob_ear.heard[-1] == (Heard.DIALOG_ENDED, theirs, None)
    assert len(bob.sent("BYE")) == 1 and incoming.state is IncomingState.ANSWERED
    clock.advance(1)
    assert alice_ear.kinds()[-1] is Heard.DIALOG_ENDED  # Bob's BYE reached Alice
    clock.advance(60)
    assert bob_ear.kinds().count(Heard.DIALOG_ENDED) == 1
    assert alice_ear.kinds().count(Heard.DIALOG_ENDED) == 1


def test_a_session_timer_that_expires_ends_the_dialog_once_on_each_side() -> None:
    clock = VirtualClock()
    session = SessionTimerConfig(expires=90)
    alice, bob = phones(clock, alice_session=session, bob_session=session)
    alice_ear, bob_ear = _ears(alice, bob)
    for phone in (alice, bob):
        phone.link.lose("UPDATE", every=True)  # no refresh ever arrives
    established(clock, alice, bob)
    clock.advance(40)
    assert Heard.DIALOG_ENDED not in alice_ear.kinds() + bob_ear.kinds()
    clock.advance(200)
    assert len(alice.sent("BYE") + bob.sent("BYE")) == 1
    assert alice_ear.kinds().count(Heard.DIALOG_ENDED) == 1
    assert bob_ear.kinds().count(Heard.DIALOG_ENDED) == 1
    assert not alice.ua.dialogs and not bob.ua.dialogs
