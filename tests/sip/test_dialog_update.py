"""UPDATE inside a dialog (RFC 3311) between two user agents over the lossy link in virtual
time: answered 200 in early and confirmed dialogs with remote target refresh, never ACKed,
retransmitted when lost, and glare with another UPDATE or a re-INVITE answered 491 and retried
after the RFC 3261 §14.1 delays."""

from __future__ import annotations

import pytest

from fleet.sip.message import Request
from fleet.sip.transport_types import UDP, Peer
from tests.sip.dialog_support import established, phones, ringing
from tests.sip.virtual import VirtualClock


def test_an_update_in_a_confirmed_dialog_gets_200_refreshes_the_target_and_is_not_acked() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    established(clock, alice, bob)
    moved = Peer(UDP, "192.0.2.11", 5070)
    alice.ua.move(alice.dialog, moved)
    alice.link.lose("UPDATE")  # the first copy is lost, timer E sends it again
    update = alice.ua.update(alice.dialog, body=b"v=0\r\n", content_type="application/sdp")
    clock.advance(5)
    assert (update.method, update.final_status, update.attempts) == ("UPDATE", 200, 1)
    assert [str(s.message.cseq) for s in alice.sent("UPDATE")] == ["2 UPDATE", "2 UPDATE"]
    (ok,) = bob.sent("200", "UPDATE")
    assert ok.message.headers.get("Contact") == "<sip:bob@192.0.2.2:5060>"
    assert bob.dialog.remote_target == "sip:alice@192.0.2.11:5070"
    assert [str(s.message.cseq) for s in alice.sent("ACK")] == ["1 ACK"]
    bob.ua.bye(bob.dialog)
    (bye,) = bob.sent("BYE")
    assert isinstance(bye.message, Request)
    assert bye.message.request_uri == "sip:alice@192.0.2.11:5070" and bye.destination == moved


def test_an_update_in_an_early_dialog_refreshes_the_target_before_the_call_is_answered() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    outgoing, incoming = ringing(clock, alice, bob)
    moved = Peer(UDP, "192.0.2.12", 5080)
    alice.ua.move(alice.dialog, moved)
    update = alice.ua.update(alice.dialog)
    clock.advance(1)
    assert update.final_status == 200
    assert bob.dialog.remote_target == "sip:alice@192.0.2.12:5080"
    bob.ua.answer(incoming)
    clock.advance(1)
    assert outgoing.final_status == 200
    assert [str(s.message.cseq) for s in alice.sent("ACK")] == ["1 ACK"]
    bob.ua.bye(bob.dialog)
    (bye,) = bob.sent("BYE")
    assert bye.destination == moved


def test_the_callee_can_send_an_update_in_the_early_dialog_too() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    ringing(clock, alice, bob)
    update = bob.ua.update(bob.dialog)
    clock.advance(1)
    assert update.final_status == 200
    assert [str(s.message.cseq) for s in bob.sent("UPDATE")] == ["1 UPDATE"]
    assert len(alice.sent("200", "UPDATE")) == 1


def test_two_updates_crossing_are_answered_491_and_each_side_retries_inside_its_14_1_window() -> (
    None
):
    clock = VirtualClock()
    alice, bob = phones(clock, random=lambda: 0.5)
    established(clock, alice, bob)
    ours = alice.ua.update(alice.dialog)
    theirs = bob.ua.update(bob.dialog)
    clock.advance(10)
    (alice_491,) = alice.sent("491")
    (bob_491,) = bob.sent("491")
    assert str(alice_491.message.cseq) == "1 UPDATE" and str(bob_491.message.cseq) == "2 UPDATE"
    (alice_retry,) = ours.retry_at
    (bob_retry,) = theirs.retry_at
    assert round(alice_retry - (bob_491.at + 0.01), 6) == 3.05  # the caller: 2.1 + 1.9 * 0.5
    assert round(bob_retry - (alice_491.at + 0.01), 6) == 1.0  # the callee: 2 * 0.5
    assert (ours.attempts, ours.final_status) == (2, 200)
    assert (theirs.attempts, theirs.final_status) == (2, 200)
    assert alice.ua.dialogs and bob.ua.dialogs


def test_an_update_crossing_a_reinvite_gets_491_and_both_complete_after_the_retry() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, random=lambda: 0.5)
    established(clock, alice, bob)
    reinvite = alice.ua.reinvite(alice.dialog)
    update = bob.ua.update(bob.dialog)
    clock.advance(10)
    assert [str(s.message.cseq) for s in alice.sent("491")] == ["1 UPDATE"]
    assert [str(s.message.cseq) for s in bob.sent("491")] == ["2 INVITE"]
    assert (reinvite.attempts, reinvite.final_status) == (2, 200)
    assert (update.attempts, update.final_status) == (2, 200)
    assert [str(s.message.cseq) for s in alice.sent("ACK")] == ["1 ACK", "2 ACK", "3 ACK"]


def test_an_update_while_our_reinvite_is_pending_is_refused_to_the_application() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    established(clock, alice, bob)
    alice.ua.reinvite(alice.dialog)
    with pytest.raises(ValueError, match="already pending"):
        alice.ua.update(alice.dialog)
    assert alice.sent("UPDATE") == []


def test_extra_headers_ride_on_every_attempt_of_a_reinvite_and_on_an_update() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, random=lambda: 0.5)
    established(clock, alice, bob)
    pani = ("P-Access-Network-Info", "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=20810B8C12345678")
    bob.ua.update(bob.dialog)  # crosses alice's re-INVITE: 491, then alice retries
    reinvite = alice.ua.reinvite(alice.dialog, body=b"v=0\r\n", headers=[pani])
    clock.advance(10)
    assert reinvite.final_status == 200 and reinvite.attempts == 2
    sent = alice.sent("INVITE")[1:]  # the dialog's first INVITE carried none
    assert [s.message.headers.get(pani[0]) for s in sent] == [pani[1], pani[1]]
    update = alice.ua.update(alice.dialog, headers=[pani])
    clock.advance(5)
    assert update.final_status == 200
    (sent_update,) = alice.sent("UPDATE")
    assert sent_update.message.headers.get(pani[0]) == pani[1]
