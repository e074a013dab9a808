"""Offers answered later (:mod:`fleet.sip.ua_deferred`), between two user agents over the lossy
link in virtual time: Bob's offer hook defers, the application answers with an SDP or a refusal
later; meanwhile the re-INVITE's retransmissions get only the 100 Trying again, and a CANCEL or
BYE ends it with 487 (a later answer is ignored)."""

from __future__ import annotations

import pytest

from fleet.sip.dialog import Dialog
from fleet.sip.message import Request, Response
from fleet.sip.ua_calls import DEFER, Answer, Deferred, OfferState, Refusal, ReInvite
from fleet.sip.ua_messages import build_cancel
from tests.sip.dialog_support import Phone, established, phones
from tests.sip.virtual import VirtualClock

OFFER = b"v=0\r\no=alice 2 2 IN IP4 192.0.2.1\r\na=sendonly\r\n"
ANSWER = b"v=0\r\no=bob 2 2 IN IP4 192.0.2.2\r\na=recvonly\r\n"


class Deferring:
    """An offer hook that always answers later, remembering what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, bytes]] = []

    def __call__(self, dialog: Dialog, request: Request) -> Deferred:
        self.asked.append((request.method, request.body))
        return DEFER


def deferred_call(clock: VirtualClock) -> tuple[Phone, Phone, Deferring]:
    hook = Deferring()
    alice, bob = phones(clock, bob_offer=hook)
    established(clock, alice, bob)
    return alice, bob, hook


def final(reinvite: ReInvite) -> int | None:
    """A re-INVITE's final status, read through a call so mypy does not narrow it across
    clock steps."""
    return reinvite.final_status


def reinvite_responses(bob: Phone) -> list[str]:
    """What Bob sent in the re-INVITE's transaction (CSeq 2 INVITE)."""
    return [
        s.label
        for s in bob.link.sent
        if (cseq := s.message.cseq) and cseq.method == "INVITE" and cseq.number == 2
    ]


def test_a_deferred_reinvite_is_answered_later_with_the_applications_sdp() -> None:
    clock = VirtualClock()
    alice, bob, hook = deferred_call(clock)
    reinvite = alice.ua.reinvite(alice.dialog, body=OFFER, content_type="application/sdp")
    clock.advance(5)
    assert hook.asked == [("INVITE", OFFER)]
    assert final(reinvite) is None and reinvite_responses(bob) == ["100"]
    pending = bob.ua.pending_offer(bob.dialog)
    assert pending is not None and pending.request.body == OFFER
    assert bob.ua.answer_offer(pending, Answer(ANSWER))
    clock.advance(1)
    assert reinvite.final_status == 200
    ok = bob.sent("200", "INVITE")[-1].message
    assert ok.body == ANSWER and ok.headers.get("Content-Type") == "application/sdp"
    assert [str(s.message.cseq) for s in alice.sent("ACK")] == ["1 ACK", "2 ACK"]
    assert bob.ua.pending_offer(bob.dialog) is None
    assert not bob.ua.answer_offer(pending, Answer(ANSWER)), "answered once only"
    clock.advance(64)
    assert len(bob.sent("200", "INVITE")) == 2, "the ACK stopped the 2xx retransmissions"


def test_a_deferred_offer_refused_later_gets_488_and_the_dialog_stays() -> None:
    clock = VirtualClock()
    alice, bob, _ = deferred_call(clock)
    reinvite = alice.ua.reinvite(alice.dialog, body=OFFER, content_type="application/sdp")
    clock.advance(1)
    pending = bob.ua.pending_offer(bob.dialog)
    assert pending is not None
    bob.ua.answer_offer(pending, Refusal(488))
    clock.advance(1)
    assert reinvite.final_status == 488 and len(bob.sent("488")) == 1
    assert alice.ua.dialogs and bob.ua.dialogs
    assert pending.state is OfferState.ANSWERED


def test_a_deferred_update_is_answered_later() -> None:
    clock = VirtualClock()
    alice, bob, _ = deferred_call(clock)
    update = alice.ua.update(alice.dialog, body=OFFER, content_type="application/sdp")
    clock.advance(0.2)
    pending = bob.ua.pending_offer(bob.dialog)
    assert pending is not None and final(update) is None
    bob.ua.answer_offer(pending, Answer(ANSWER))
    clock.advance(1)
    assert update.final_status == 200 and bob.sent("200", "UPDATE")[-1].message.body == ANSWER


def test_retransmissions_of_a_deferred_reinvite_get_only_the_100_trying_again() -> None:
    clock = VirtualClock()
    alice, bob, hook = deferred_call(clock)
    bob.link.lose("100", every=True)
    alice.ua.reinvite(alice.dialog, body=OFFER, content_type="application/sdp")
    clock.advance(8)
    resent = [s for s in alice.sent("INVITE") if s.message.cseq and s.message.cseq.number == 2]
    assert len(resent) > 1, "the re-INVITE was retransmitted"
    assert len(hook.asked) == 1, "the hook is asked once"
    sent = reinvite_responses(bob)
    assert len(sent) == len(resent) and set(sent) == {"100"}, "each gets the 100 Trying again"


def test_a_cancel_of_a_deferred_reinvite_gets_487_and_the_later_answer_is_ignored() -> None:
    clock = VirtualClock()
    alice, bob, _ = deferred_call(clock)
    reinvite = alice.ua.reinvite(alice.dialog, body=OFFER, content_type="application/sdp")
    clock.advance(1)
    pending = bob.ua.pending_offer(bob.dialog)
    assert pending is not None and reinvite.transaction is not None
    cancel = build_cancel(reinvite.transaction.request)
    alice.ua.layer.send_request(cancel, reinvite.transaction.peer)
    clock.advance(1)
    assert reinvite.final_status == 487 and pending.state is OfferState.ENDED
    assert not bob.ua.answer_offer(pending, Answer(ANSWER))
    clock.advance(1)
    assert len(bob.sent("200", "INVITE")) == 1, "only the initial INVITE's 200"
    assert alice.ua.dialogs and bob.ua.dialogs, "a CANCELled re-INVITE leaves the dialog"


def test_a_bye_while_an_offer_is_deferred_ends_it_with_487() -> None:
    clock = VirtualClock()
    alice, bob, _ = deferred_call(clock)
    reinvite = alice.ua.reinvite(alice.dialog, body=OFFER, content_type="application/sdp")
    clock.advance(1)
    pending = bob.ua.pending_offer(bob.dialog)
    assert pending is not None
    alice.ua.bye(alice.dialog)
    clock.advance(1)
    assert pending.state is OfferState.ENDED and reinvite.final_status == 487
    assert not bob.ua.answer_offer(pending, Answer(ANSWER))
    clock.advance(64)
    assert bob.ua.calls_held == 0 and alice.ua.calls_held == 0


def test_a_second_offer_while_one_is_deferred_gets_500_with_retry_after() -> None:
    clock = VirtualClock()
    alice, bob, hook = deferred_call(clock)
    alice.ua.reinvite(alice.dialog, body=OFFER, content_type="application/sdp")
    clock.advance(1)
    request, destination = alice.dialog.create_request(
        "UPDATE", alice.ua.address, branch=lambda: "z9hG4bK-second"
    )
    alice.ua.send_in_dialog(request, destination)
    clock.advance(1)
    (refused,) = bob.sent("500")
    assert isinstance(refused.message, Response)
    assert refused.message.headers.get("Retry-After") is not None
    assert len(hook.asked) == 1


def test_our_own_reinvite_while_the_peers_offer_is_deferred_raises() -> None:
    clock = VirtualClock()
    alice, bob, _ = deferred_call(clock)
    alice.ua.reinvite(alice.dialog, body=OFFER, content_type="application/sdp")
    clock.advance(1)
    with pytest.raises(ValueError, match="waits for our answer"):
        bob.ua.reinvite(bob.dialog, body=ANSWER, content_type="application/sdp")
    with pytest.raises(ValueError, match="waits for our answer"):
        bob.ua.update(bob.dialog)
