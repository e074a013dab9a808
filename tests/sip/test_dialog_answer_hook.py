"""Offers inside a dialog and refreshes checked against Min-SE, between two user agents over the
lossy link in virtual time: the application's offer hook answers a re-INVITE, an UPDATE or a
PRACK with its SDP, or refuses the offer with 488 (the dialog and its target stay); a re-INVITE
or UPDATE asking for a Session-Expires below our Min-SE gets 422 naming it (RFC 4028 §9)."""

from __future__ import annotations

from fleet.sip.dialog import Dialog
from fleet.sip.message import Request, Response
from fleet.sip.reliable import Rel100
from fleet.sip.session_timer import SessionTimerConfig
from fleet.sip.transaction_messages import new_branch
from fleet.sip.transport_types import UDP, Peer
from fleet.sip.ua_calls import Answer, Refusal
from tests.sip.dialog_support import established, phones
from tests.sip.virtual import VirtualClock

OFFER = b"v=0\r\no=alice 2 2 IN IP4 192.0.2.1\r\n"
ANSWER = b"v=0\r\no=bob 2 2 IN IP4 192.0.2.2\r\n"


class Recorder:
    """An offer hook answering (or refusing) and remembering what it was asked."""

    def __init__(self, outcome: Answer | Refusal | None) -> None:
        self.outcome = outcome
        self.asked: list[tuple[str, bytes]] = []

    def __call__(self, dialog: Dialog, request: Request) -> Answer | Refusal | None:
        self.asked.append((request.method, request.body))
        return self.outcome


def test_a_reinvite_is_answered_200_with_the_hooks_sdp() -> None:
    clock = VirtualClock()
    hook = Recorder(Answer(ANSWER))
    alice, bob = phones(clock, bob_offer=hook)
    established(clock, alice, bob)
    reinvite = alice.ua.reinvite(alice.dialog, body=OFFER, content_type="application/sdp")
    clock.advance(1)
    assert reinvite.final_status == 200 and hook.asked == [("INVITE", OFFER)]
    (ok,) = bob.sent("200", "INVITE")[1:]
    assert ok.message.body == ANSWER
    assert ok.message.headers.get("Content-Type") == "application/sdp"
    assert [str(s.message.cseq) for s in alice.sent("ACK")] == ["1 ACK", "2 ACK"]


def test_a_refused_offer_gets_488_and_the_dialog_and_its_target_stay() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, bob_offer=Recorder(Refusal()))
    established(clock, alice, bob)
    alice.ua.move(alice.dialog, Peer(UDP, "192.0.2.11", 5070))
    reinvite = alice.ua.reinvite(alice.dialog, body=OFFER, content_type="application/sdp")
    clock.advance(1)
    (refused,) = bob.sent("488")
    assert isinstance(refused.message, Response)
    assert refused.message.reason == "Not Acceptable Here" and reinvite.final_status == 488
    assert bob.dialog.remote_target == "sip:alice@192.0.2.1:5060"
    assert alice.ua.dialogs and bob.ua.dialogs
    update = alice.ua.update(alice.dialog, body=OFFER, content_type="application/sdp")
    clock.advance(1)
    assert update.final_status == 488


def test_an_update_with_an_offer_is_answered_by_the_hook_and_one_without_is_not_asked() -> None:
    clock = VirtualClock()
    hook = Recorder(Answer(ANSWER))
    alice, bob = phones(clock, bob_offer=hook)
    established(clock, alice, bob)
    alice.ua.update(alice.dialog)
    clock.advance(1)
    alice.ua.update(alice.dialog, body=OFFER, content_type="application/sdp")
    clock.advance(1)
    assert hook.asked == [("UPDATE", OFFER)]
    assert [s.message.body for s in bob.sent("200", "UPDATE")] == [b"", ANSWER]


def test_a_prack_carrying_an_offer_is_answered_by_the_hook() -> None:
    clock = VirtualClock()
    hook = Recorder(Answer(ANSWER))
    alice, bob = phones(clock, alice_rel100=Rel100.SUPPORTED, bob_offer=hook)
    alice.link.lose("PRACK", every=True)  # Alice's own PRACK is lost; the test sends one
    alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.ring(incoming, reliable=True)
    clock.advance(0.1)
    alice.link.rules.clear()
    (own,) = alice.sent("PRACK")
    prack, destination = alice.dialog.create_request(
        "PRACK", alice.ua.address, branch=new_branch, body=OFFER, content_type="application/sdp"
    )
    prack.headers.add("RAck", own.message.headers.get("RAck") or "")
    alice.ua.send_in_dialog(prack, destination)
    clock.advance(0.1)
    (ok,) = bob.sent("200", "PRACK")
    assert ok.message.body == ANSWER and hook.asked == [("PRACK", OFFER)]


def test_a_refresh_asking_less_than_our_min_se_gets_422_with_it() -> None:
    clock = VirtualClock()
    alice, bob = phones(
        clock,
        alice_session=SessionTimerConfig(expires=1800),
        bob_session=SessionTimerConfig(expires=1800, min_se=300),
    )
    established(clock, alice, bob)
    for method in ("UPDATE", "INVITE"):
        request, destination = alice.dialog.create_request(
            method, alice.ua.address, branch=new_branch
        )
        request.headers.add("Session-Expires", "120;refresher=uac")
        request.headers.add("Min-SE", "90")
        alice.ua.send_in_dialog(request, destination)
        clock.advance(1)
    refusals = bob.sent("422")
    assert [str(s.message.cseq) for s in refusals] == ["2 UPDATE", "3 INVITE"]
    assert {s.message.headers.get("Min-SE") for s in refusals} == {"300"}
    assert bob.ua.session_timers[bob.dialog.id].interval == 1800  # the session goes on as it was
    assert alice.ua.dialogs and bob.ua.dialogs


def test_a_refresh_refused_422_goes_again_asking_for_the_min_se_it_names() -> None:
    clock = VirtualClock()
    alice, bob = phones(
        clock,
        alice_session=SessionTimerConfig(expires=120),
        bob_session=SessionTimerConfig(expires=120),
    )
    established(clock, alice, bob)
    bob.ua.session_config = SessionTimerConfig(expires=1800, min_se=300)  # bob got stricter
    update = alice.ua.update(alice.dialog)
    clock.advance(1)
    asked = [s.message.headers.get("Session-Expires") for s in alice.sent("UPDATE")]
    assert asked == ["120;refresher=uac", "300;refresher=uac"]
    assert [s.message.headers.get("Min-SE") for s in alice.sent("UPDATE")] == ["90", "300"]
    assert (update.attempts, update.final_status) == (2, 200)
    assert alice.ua.session_timers[alice.dialog.id].interval == 300
    assert bob.ua.session_timers[bob.dialog.id].interval == 300
