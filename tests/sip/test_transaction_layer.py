"""Matching in the transaction layer: by branch, by the RFC 2543 rules, CANCEL to its INVITE,
merged requests (RFC 3261 §17.1.3, §17.2.3, §9.2, §8.2.2.2)."""

from __future__ import annotations

from fleet.sip.transaction_messages import make_response
from fleet.sip.transaction_server import (
    InviteServerState,
    InviteServerTransaction,
    NonInviteServerTransaction,
)
from fleet.sip.transport_types import UDP, Peer
from tests.sip.lossy import endpoint
from tests.sip.requests import request
from tests.sip.virtual import VirtualClock, state

ALICE = Peer(UDP, "192.0.2.1", 5060)


def test_same_branch_from_another_sent_by_is_another_transaction() -> None:
    bob = endpoint(VirtualClock(), "192.0.2.2")
    bob.layer.on_request(request("OPTIONS", branch="z9hG4bK-1"), ALICE)
    bob.layer.on_request(request("OPTIONS", branch="z9hG4bK-1"), ALICE)
    bob.layer.on_request(
        request("OPTIONS", branch="z9hG4bK-1", sent_by="192.0.2.7", call_id="x"), ALICE
    )
    assert bob.tu.kinds() == ["request", "request"]
    assert len(bob.layer) == 2


def test_rfc2543_requests_match_without_branch_and_the_ack_by_the_response_to_tag() -> None:
    clock = VirtualClock()
    bob = endpoint(clock, "192.0.2.2")
    bob.tu.answer = 486
    old = "1a2b3c"  # no magic cookie: an RFC 2543 element
    bob.layer.on_request(request("INVITE", branch=old), ALICE)
    bob.layer.on_request(request("INVITE", branch=old), ALICE)
    assert bob.tu.kinds() == ["request"]
    assert bob.link.labels() == ["486", "486"]  # the retransmission re-answered
    invite = bob.tu.events[0][1]
    assert isinstance(invite, InviteServerTransaction)
    bob.layer.on_request(request("ACK", branch=old, to_tag="other"), ALICE)
    assert state(invite) is InviteServerState.COMPLETED and bob.tu.kinds()[-1] == "ack"
    bob.layer.on_request(request("ACK", branch=old, to_tag="bob"), ALICE)
    assert state(invite) is InviteServerState.CONFIRMED


def test_a_response_matches_its_client_transaction_by_branch_and_cseq_method() -> None:
    clock = VirtualClock()
    alice = endpoint(clock, "192.0.2.1")
    invite = request("INVITE", branch="z9hG4bK-shared")
    tx = alice.layer.send_request(invite, Peer(UDP, "192.0.2.2", 5060))
    cancel = request("CANCEL", branch="z9hG4bK-shared")
    cancel_tx = alice.layer.send_request(cancel, Peer(UDP, "192.0.2.2", 5060))
    alice.layer.on_response(make_response(cancel, 200, "OK", to_tag="bob"))
    alice.layer.on_response(make_response(invite, 487, "Request Terminated", to_tag="bob"))
    alice.layer.on_response(make_response(request("BYE"), 200, "OK"))
    assert alice.tu.events == [
        ("response", cancel_tx, 200),
        ("response", tx, 487),
        ("stray", 200),
    ]


def test_a_cancel_is_its_own_transaction_given_with_the_invite_it_cancels() -> None:
    bob = endpoint(VirtualClock(), "192.0.2.2")
    bob.layer.on_request(request("INVITE", branch="z9hG4bK-c1"), ALICE)
    bob.layer.on_request(request("CANCEL", branch="z9hG4bK-c1"), ALICE)
    (_, invite, _), (kind, cancel, _, cancelled) = bob.tu.events
    assert kind == "cancel" and cancelled is invite
    assert isinstance(cancel, NonInviteServerTransaction) and cancel is not invite
    assert len(bob.layer) == 2


def test_a_cancel_matching_no_invite_is_given_without_one_for_the_tu_to_answer_481() -> None:
    bob = endpoint(VirtualClock(), "192.0.2.2")
    cancel = request("CANCEL", branch="z9hG4bK-none")
    bob.layer.on_request(cancel, ALICE)
    (kind, transaction, _, cancelled) = bob.tu.events[0]
    assert kind == "cancel" and cancelled is None
    assert isinstance(transaction, NonInviteServerTransaction)
    transaction.respond(make_response(cancel, 481, "Call/Transaction Does Not Exist", "bob"))
    assert bob.link.labels() == ["481"]


def test_a_merged_request_goes_to_the_tu_to_answer_482() -> None:
    bob = endpoint(VirtualClock(), "192.0.2.2")
    bob.layer.on_request(request("INVITE", branch="z9hG4bK-path1"), ALICE)
    bob.layer.on_request(request("INVITE", branch="z9hG4bK-path2", sent_by="192.0.2.9"), ALICE)
    assert bob.tu.kinds() == ["request", "merged"]
    assert bob.link.labels() == ["482"]


def test_an_ack_matching_no_transaction_goes_to_the_tu_as_the_ack_of_a_2xx() -> None:
    bob = endpoint(VirtualClock(), "192.0.2.2")
    ack = request("ACK", branch="z9hG4bK-new", to_tag="bob")
    bob.layer.on_request(ack, ALICE)
    assert bob.tu.events == [("ack", ack, None)]
    assert len(bob.layer) == 0
