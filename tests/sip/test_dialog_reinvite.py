"""Requests inside an established dialog between two user agents in virtual time: remote
target refresh by re-INVITE (RFC 3261 §12.2, §14), CSeq order (§12.2.2) and re-INVITE glare
with the §14.1 retry delays."""

from __future__ import annotations

import pytest

from fleet.sip.message import Request
from fleet.sip.transaction_messages import new_branch
from fleet.sip.transport_types import UDP, Peer
from tests.sip.dialog_support import established, phones
from tests.sip.virtual import VirtualClock


def test_a_reinvite_with_a_new_contact_refreshes_the_remote_target_of_the_other_side() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    established(clock, alice, bob)
    moved = Peer(UDP, "192.0.2.11", 5070)
    alice.ua.move(alice.dialog, moved)
    reinvite = alice.ua.reinvite(alice.dialog)
    clock.advance(1)
    assert reinvite.final_status == 200
    assert bob.dialog.remote_target == "sip:alice@192.0.2.11:5070"
    assert [str(s.message.cseq) for s in alice.sent("ACK")] == ["1 ACK", "2 ACK"]
    bob.ua.bye(bob.dialog)
    (bye,) = bob.sent("BYE")
    assert isinstance(bye.message, Request)
    assert bye.message.request_uri == "sip:alice@192.0.2.11:5070" and bye.destination == moved


def test_a_request_with_a_lower_cseq_than_the_last_one_is_refused_500_and_the_dialog_lives() -> (
    None
):
    clock = VirtualClock()
    alice, bob = phones(clock)
    established(clock, alice, bob)
    alice.ua.reinvite(alice.dialog)  # CSeq 2
    clock.advance(1)
    stale, destination = alice.dialog.create_request(
        "BYE", alice.ua.address, cseq=1, branch=new_branch
    )
    alice.ua.send_in_dialog(stale, destination)
    clock.advance(1)
    assert [str(s.message.cseq) for s in bob.sent("500")] == ["1 BYE"]
    assert bob.ua.dialogs and alice.ua.dialogs
    alice.ua.bye(alice.dialog)  # CSeq 3: accepted
    clock.advance(1)
    assert [str(s.message.cseq) for s in bob.sent("200", "BYE")] == ["3 BYE"]
    assert not bob.ua.dialogs


def test_a_request_in_an_unknown_dialog_gets_481() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    established(clock, alice, bob)
    request, destination = alice.dialog.create_request("INFO", alice.ua.address, branch=new_branch)
    bob.ua.bye(bob.dialog)
    clock.advance(1)
    alice.ua.send_in_dialog(request, destination)
    clock.advance(1)
    assert [str(s.message.cseq) for s in bob.sent("481")] == ["2 INFO"]


def test_reinvite_glare_is_answered_491_and_each_side_retries_inside_its_14_1_window() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, random=lambda: 0.5)
    established(clock, alice, bob)
    ours = alice.ua.reinvite(alice.dialog)
    theirs = bob.ua.reinvite(bob.dialog)  # both pending at once
    clock.advance(10)
    (alice_491,) = alice.sent("491")
    (bob_491,) = bob.sent("491")
    got_491_alice = bob_491.at + 0.01  # Bob's 491 reaches Alice after one link latency
    got_491_bob = alice_491.at + 0.01
    # Alice sent the INVITE that made the dialog: she owns the Call-ID, waits 2.1-4 s
    (alice_retry,) = ours.retry_at
    assert 2.1 <= round(alice_retry - got_491_alice, 6) <= 4.0
    assert round(alice_retry - got_491_alice, 6) == 3.05  # 2.1 + 1.9 * 0.5
    (bob_retry,) = theirs.retry_at
    assert 0 <= round(bob_retry - got_491_bob, 6) <= 2.0
    assert round(bob_retry - got_491_bob, 6) == 1.0
    assert (ours.attempts, ours.final_status) == (2, 200)
    assert (theirs.attempts, theirs.final_status) == (2, 200)
    alice_invites = [round(s.at, 6) for s in alice.sent("INVITE")][1:]
    assert alice_invites[1] == round(alice_retry, 6)
    assert [str(s.message.cseq) for s in alice.sent("INVITE")] == [
        "1 INVITE",
        "2 INVITE",
        "3 INVITE",
    ]
    assert len(alice.sent("200", "INVITE")) == 1 and len(bob.sent("200", "INVITE")) == 2
    assert alice.ua.dialogs and bob.ua.dialogs


def test_a_reinvite_while_ours_is_pending_is_refused_to_the_application() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    established(clock, alice, bob)
    alice.ua.reinvite(alice.dialog)
    with pytest.raises(ValueError, match="already pending"):
        alice.ua.reinvite(alice.dialog)
    assert len(alice.sent("INVITE")) == 2
