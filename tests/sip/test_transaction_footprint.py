"""What a transaction keeps while its last timer runs (64*T1 at high call rates: the collector
scans all of it): once its final response is sent, an RFC 3261 server transaction lets go of
its request and keeps its final response as bytes while it may resend it (the same bytes each
time), nothing once it may not; an RFC 2543 one keeps its request for matching. A client
transaction lets go of its request once a final response came, keeping its ACK's bytes. Header
values sit in tuples the collector stops tracking. Datagrams from one address share one Peer."""

from __future__ import annotations

import gc

import pytest

from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.transaction_base import TransactionBase
from fleet.sip.transaction_client import (
    InviteClientState,
    InviteClientTransaction,
    NonInviteClientState,
)
from fleet.sip.transaction_server import (
    InviteServerState,
    InviteServerTransaction,
    NonInviteServerState,
    NonInviteServerTransaction,
)
from fleet.sip.transport_types import UDP, Peer
from fleet.sip.transport_via import UdpPeers, set_request_via, stamp_received
from tests.sip.lossy import LossyLink, connected, endpoint
from tests.sip.requests import request
from tests.sip.virtual import VirtualClock, state

ALICE = Peer(UDP, "192.0.2.1", 5060)
BOB = Peer(UDP, "192.0.2.2", 5060)


def _messages_held(transaction: TransactionBase) -> list[object]:
    """The parsed messages (and their headers) the transaction references itself."""
    kinds = (Request, Response, Headers)
    return [held for held in gc.get_referents(transaction) if isinstance(held, kinds)]


def _wires(link: LossyLink, label: str) -> list[bytes]:
    return [serialize(sent.message) for sent in link.sent if sent.label == label]


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


def test_a_rejected_invite_resends_the_same_486_from_bytes_then_keeps_nothing_after_its_ack() -> (
    None
):
    clock = VirtualClock()
    bob = endpoint(clock, "192.0.2.2")
    bob.tu.answer = 486
    bob.layer.on_request(request("INVITE", branch="z9hG4bK-busy"), ALICE)
    transaction = bob.tu.events[0][1]
    assert isinstance(transaction, InviteServerTransaction)
    assert state(transaction) is InviteServerState.COMPLETED
    assert _messages_held(transaction) == []
    bob.layer.on_request(request("INVITE", branch="z9hG4bK-busy"), ALICE)  # a retransmission
    clock.advance(0.5)  # timer G
    sent = _wires(bob.link, "486")
    assert len(sent) == 3 and sent[0] == sent[1] == sent[2]
    bob.layer.on_request(request("ACK", branch="z9hG4bK-busy", to_tag="bob"), ALICE)
    assert state(transaction) is InviteServerState.CONFIRMED
    assert transaction.to_tag == "bob"  # what a late CANCEL's 200 carries
    bob.layer.on_request(request("INVITE", branch="z9hG4bK-busy"), ALICE)
    clock.advance(4)  # no more 486: Confirmed absorbs, timer G stopped
    assert len(_wires(bob.link, "486")) == 3 and bob.tu.kinds() == ["request"]
    clock.advance(5)  # timer I
    assert len(bob.layer) == 0


def test_a_completed_bye_holds_no_parsed_message_while_timer_j_runs() -> None:
    clock = VirtualClock()
    bob = endpoint(clock, "192.0.2.2")
    bob.tu.answer = 200
    bob.layer.on_request(request("BYE", branch="z9hG4bK-bye2"), ALICE)
    transaction = bob.tu.events[0][1]
    assert isinstance(transaction, NonInviteServerTransaction)
    assert _messages_held(transaction) == []
    bob.layer.on_request(request("BYE", branch="z9hG4bK-bye2"), ALICE)
    first, again = _wires(bob.link, "200")
    assert first == again


def test_a_refused_client_invite_lets_go_of_its_request_and_acks_each_486_again() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    bob.tu.answer = 486
    bob.link.lose("486", occurrence=2)  # Bob's second 486 lost: his third one, on timer G
    alice.link.lose("ACK")  # Alice's first ACK lost: Bob resends the 486
    client = alice.layer.send_request(request("INVITE"), BOB)
    clock.advance(2)
    assert isinstance(client, InviteClientTransaction)
    assert state(client) is InviteClientState.COMPLETED
    assert _messages_held(client) == []
    with pytest.raises(RuntimeError):
        _ = client.request
    acks = _wires(alice.link, "ACK")
    assert len(acks) == 2 and acks[0] == acks[1]
    ack = parse_message(acks[0])
    assert isinstance(ack, Request) and ack.method == "ACK"
    assert alice.tu.kinds() == ["response"]  # the TU saw one 486


def test_a_client_bye_answered_lets_go_of_its_request() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    bob.tu.answer = 200
    client = alice.layer.send_request(request("BYE", to_tag="bob"), BOB)
    clock.advance(0.1)
    assert state(client) is NonInviteClientState.COMPLETED
    assert _messages_held(client) == []


def test_header_values_sit_in_tuples_the_collector_stops_tracking() -> None:
    message = parse_message(serialize(request("INVITE")))
    message.headers.add("Via", "SIP/2.0/UDP 203.0.113.5;branch=z9hG4bK-more")
    gc.collect()
    values = [message.headers.get_all(name) for name in ("Via", "To", "CSeq")]
    assert [len(found) for found in values] == [3, 1, 1]
    assert not any(gc.is_tracked(value) for value in message.headers._index.values())


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


def test_a_request_sent_gets_its_top_via_rewritten_in_a_copy_of_its_headers() -> None:
    original = request("INVITE", branch="z9hG4bK-sent")
    shared = original.headers
    assert original.cseq is not None and original.to is not None  # typed values kept
    sent = set_request_via(original, "TCP", "203.0.113.7", 5070)
    assert sent.transport == "TCP" and sent.host == "192.0.2.1"  # the sent-by given is kept
    assert shared.get_all("Via")[0] == "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-sent"
    assert original.headers is not shared  # a message sharing the old headers is unchanged
    assert original.headers.get_all("Via") == [
        "SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-sent",
        "SIP/2.0/UDP 198.51.100.9;branch=z9hG4bK-proxy",
    ]
    stamped = Peer(UDP, "198.51.100.20", 5999)
    stamp_received(original, stamped)
    top = original.top_via
    assert top is not None and top.received == "198.51.100.20"
    assert [name for name, _ in original.headers] == [name for name, _ in shared]
    assert original.cseq is not None and original.cseq.number == 1
    again = parse_message(serialize(original))
    assert isinstance(again, Request) and serialize(again) == serialize(original)


def test_rewriting_a_line_of_a_missing_header_gives_nothing() -> None:
    assert Headers([("To", "<sip:bob@192.0.2.2>")]).with_first_line("Via", "x") is None


def test_a_transaction_waiting_out_its_last_timer_keeps_no_timer_table() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    bob.tu.answer = 200
    client = alice.layer.send_request(request("INVITE"), BOB)
    clock.advance(1)
    server = bob.tu.events[0][1]
    assert isinstance(server, InviteServerTransaction)
    assert state(server) is InviteServerState.ACCEPTED
    assert state(client) is InviteClientState.ACCEPTED
    for transaction in (server, client):
        assert transaction.running_timers == frozenset()
        assert not [held for held in gc.get_referents(transaction) if isinstance(held, dict)]
    clock.advance(40)  # timers L and M: both end
    assert len(alice.layer) == 0 and len(bob.layer) == 0
