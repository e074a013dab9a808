"""What a server transaction keeps while its last timer runs (64*T1 at high call rates: the
collector scans all of it): once its final response is sent, an RFC 3261 transaction lets go of
its request and still answers retransmissions; an RFC 2543 one keeps it for matching. Datagrams
from one address share one Peer."""

from __future__ import annotations

import pytest

from fleet.sip.transaction_server import (
    InviteServerState,
    InviteServerTransaction,
    NonInviteServerState,
    NonInviteServerTransaction,
)
from fleet.sip.transport_types import UDP, Peer
from fleet.sip.transport_via import UdpPeers
from tests.sip.lossy import endpoint
from tests.sip.requests import request
from tests.sip.virtual import VirtualClock, state

ALICE = Peer(UDP, "192.0.2.1", 5060)


def test_a_bye_answered_lets_go_of_its_request_and_still_resends_its_200() -> None:
    clock = VirtualClock()
    bob = endpoint(clock, "192.0.2.2")
    bob.tu.answer = 200
    bob.layer.on_request(request("BYE", branch="z9hG4bK-bye"), ALICE)
    transaction = bob.tu.events[0][1]
    assert isinstance(transaction, NonInviteServerTransaction)
    assert state(transaction) is NonInviteServerState.COMPLETED
    with pytest.raises(RuntimeError):
        _ = transaction.request
    bob.layer.on_request(request("BYE", branch="z9hG4bK-bye"), ALICE)  # a retransmission
    assert bob.link.labels() == ["200", "200"] and bob.tu.kinds() == ["request"]
    clock.advance(40)  # timer J
    assert len(bob.layer) == 0


def test_an_accepted_invite_lets_go_of_its_request_and_absorbs_retransmissions() -> None:
    clock = VirtualClock()
    bob = endpoint(clock, "192.0.2.2")
    bob.tu.answer = 200
    bob.layer.on_request(request("INVITE", branch="z9hG4bK-inv"), ALICE)
    transaction = bob.tu.events[0][1]
    assert isinstance(transaction, InviteServerTransaction)
    assert state(transaction) is InviteServerState.ACCEPTED
    with pytest.raises(RuntimeError):
        _ = transaction.request
    assert transaction.to_tag == "bob"  # still told, from the To it kept
    bob.layer.on_request(request("INVITE", branch="z9hG4bK-inv"), ALICE)
    assert bob.link.labels() == ["200"] and bob.tu.kinds() == ["request"]
    clock.advance(40)  # timer L
    assert len(bob.layer) == 0


def test_an_rfc2543_transaction_keeps_its_request_to_match_on_it() -> None:
    clock = VirtualClock()
    bob = endpoint(clock, "192.0.2.2")
    bob.tu.answer = 200
    bob.layer.on_request(request("OPTIONS", branch="1a2b3c"), ALICE)
    transaction = bob.tu.events[0][1]
    assert isinstance(transaction, NonInviteServerTransaction)
    assert transaction.request.method == "OPTIONS"
    bob.layer.on_request(request("OPTIONS", branch="1a2b3c"), ALICE)
    assert bob.link.labels() == ["200", "200"] and bob.tu.kinds() == ["request"]


def test_datagrams_from_one_address_share_one_peer_and_the_table_is_bounded() -> None:
    peers = UdpPeers(kept=2)
    first = peers(("192.0.2.1", 5060))
    assert peers(("192.0.2.1", 5060)) is first
    assert first == Peer(UDP, "192.0.2.1", 5060)
    assert peers(("192.0.2.3", 5060)) == Peer(UDP, "192.0.2.3", 5060)
    again = peers(("192.0.2.4", 5062))  # the table was full: emptied, then this one kept
    assert again == Peer(UDP, "192.0.2.4", 5062) and peers(("192.0.2.4", 5062)) is again
    assert peers(("192.0.2.1", 5060)) is not first and peers(("192.0.2.1", 5060)) == first
