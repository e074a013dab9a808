"""What a transaction leaves in the layer while it waits out its last timer over UDP: a plain
tuple the garbage collector does not track, in place of the object, answering retransmissions
as the transaction would have (RFC 3261 §17, RFC 6026)."""

from __future__ import annotations

import gc
import weakref

from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.transaction_base import TransactionBase
from fleet.sip.transaction_client import (
    InviteClientState,
    InviteClientTransaction,
    NonInviteClientState,
)
from fleet.sip.transaction_layer import TransactionLayer
from fleet.sip.transaction_messages import make_response
from fleet.sip.transaction_server import (
    InviteServerState,
    InviteServerTransaction,
    NonInviteServerState,
    NonInviteServerTransaction,
)
from fleet.sip.transport_types import TCP, UDP, Peer
from tests.sip.lossy import Endpoint, connected, endpoint
from tests.sip.requests import request
from tests.sip.virtual import VirtualClock, state

ALICE = Peer(UDP, "192.0.2.1", 5060)


def _held_by_layer(layer: TransactionLayer) -> list[object]:
    """What the layer's maps hold for the transactions (objects or remains)."""
    maps = (layer._servers, layer._clients, layer._merge)
    return [value for table in maps for value in table.values()]


def _atomic(value: object) -> bool:
    """What the collector stops tracking: an exact tuple of strings, bytes, numbers, None and
    such tuples (a named tuple, an enum member or any object inside keeps it tracked)."""
    if type(value) is tuple:
        return all(_atomic(item) for item in value)
    return value is None or type(value) in (str, bytes, int, float)


def _untracked_remains(layer: TransactionLayer) -> bool:
    held = _held_by_layer(layer)
    return bool(held) and all(_atomic(value) for value in held)


def _answered(bob: Endpoint, method: str, branch: str) -> TransactionBase:
    bob.layer.on_request(request(method, branch=branch), ALICE)
    transaction = bob.tu.events[-1][1]
    assert isinstance(transaction, TransactionBase)
    return transaction


def test_an_answered_bye_leaves_untracked_remains_that_resend_its_200_until_timer_j() -> None:
    clock = VirtualClock()
    bob = endpoint(clock, "192.0.2.2")
    bob.tu.answer = 200
    transaction = _answered(bob, "BYE", "z9hG4bK-bye")
    assert isinstance(transaction, NonInviteServerTransaction)
    gone = weakref.ref(transaction)
    bob.tu.events.clear()
    del transaction
    assert gone() is None  # the layer keeps no object
    assert _untracked_remains(bob.layer) and len(bob.layer) == 1
    bob.layer.on_request(request("BYE", branch="z9hG4bK-bye"), ALICE)  # a retransmission
    first, again = (serialize(sent.message) for sent in bob.link.sent)
    assert first == again and bob.tu.events == []
    clock.advance(32)  # timer J
    assert len(bob.layer) == 0 and _held_by_layer(bob.layer) == []


def test_the_collector_stops_tracking_the_remains() -> None:
    clock = VirtualClock()
    bob = endpoint(clock, "192.0.2.2")
    bob.tu.answer = 200
    _answered(bob, "INVITE", "z9hG4bK-gc")
    gc.collect()  # a tuple of atomic values is untracked by the pass that sees it,
    gc.collect()  # one holding such tuples (its keys) by a pass after theirs
    held = _held_by_layer(bob.layer)
    assert held and not any(gc.is_tracked(value) for value in held)


def test_an_accepted_invite_leaves_remains_absorbing_it_and_passing_acks_to_the_tu() -> None:
    clock = VirtualClock()
    bob = endpoint(clock, "192.0.2.2")
    bob.tu.answer = 200
    transaction = _answered(bob, "INVITE", "z9hG4bK-inv")
    assert isinstance(transaction, InviteServerTransaction)
    assert _untracked_remains(bob.layer)
    assert state(transaction) is InviteServerState.ACCEPTED
    bob.layer.on_request(request("INVITE", branch="z9hG4bK-inv"), ALICE)  # absorbed
    bob.layer.on_request(request("ACK", branch="z9hG4bK-inv", to_tag="bob"), ALICE)
    assert bob.link.labels() == ["200"]
    assert bob.tu.kinds() == ["request", "ack"] and bob.tu.events[1][2] is None
    clock.advance(32)  # timer L
    assert state(transaction) is InviteServerState.TERMINATED and len(bob.layer) == 0
    ok = make_response(request("INVITE", branch="z9hG4bK-inv"), 200, "OK", to_tag="bob")
    assert not transaction.respond(ok)  # ended: the UAS core's 2xx is not sent any more
    assert bob.link.labels() == ["200"]


def test_a_cancel_after_the_200_is_given_the_invite_transaction_with_its_to_tag() -> None:
    clock = VirtualClock()
    bob = endpoint(clock, "192.0.2.2")
    bob.tu.answer = 200
    _answered(bob, "INVITE", "z9hG4bK-late")
    bob.tu.answer = None
    bob.layer.on_request(request("CANCEL", branch="z9hG4bK-late"), ALICE)
    (cancel,) = bob.tu.of("cancel")
    invite = cancel[3]
    assert isinstance(invite, InviteServerTransaction)
    assert invite.to_tag == "bob" and state(invite) is InviteServerState.ACCEPTED


def test_a_confirmed_invite_leaves_remains_absorbing_invites_and_acks_until_timer_i() -> None:
    clock = VirtualClock()
    bob = endpoint(clock, "192.0.2.2")
    bob.tu.answer = 486
    transaction = _answered(bob, "INVITE", "z9hG4bK-busy")
    bob.layer.on_request(request("ACK", branch="z9hG4bK-busy", to_tag="bob"), ALICE)
    assert _untracked_remains(bob.layer)
    bob.layer.on_request(request("INVITE", branch="z9hG4bK-busy"), ALICE)
    bob.layer.on_request(request("ACK", branch="z9hG4bK-busy", to_tag="bob"), ALICE)
    assert bob.link.labels() == ["486"] and bob.tu.kinds() == ["request"]
    assert state(transaction) is InviteServerState.CONFIRMED
    clock.advance(5)  # timer I
    assert state(transaction) is InviteServerState.TERMINATED and len(bob.layer) == 0


def test_a_refused_client_invite_leaves_remains_that_ack_each_486_again() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    bob.tu.answer = 486
    alice.link.lose("ACK")  # Bob resends his 486 on timer G: Alice's remains ACK it again
    client = alice.layer.send_request(request("INVITE"), bob.peer)
    clock.advance(2)
    assert isinstance(client, InviteClientTransaction)
    assert state(client) is InviteClientState.COMPLETED
    assert _untracked_remains(alice.layer)
    acks = [serialize(sent.message) for sent in alice.link.sent if sent.label == "ACK"]
    assert len(acks) == 2 and acks[0] == acks[1]
    assert alice.tu.kinds() == ["response"]  # the TU saw one 486
    clock.advance(32)  # timer D
    assert state(client) is InviteClientState.TERMINATED and len(alice.layer) == 0


def test_a_client_bye_answered_leaves_remains_absorbing_its_200_until_timer_k() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    bob.tu.answer = 200
    client = alice.layer.send_request(request("BYE"), bob.peer)
    clock.advance(0.1)
    assert _untracked_remains(alice.layer)
    (ok,) = (sent.message for sent in bob.link.sent)
    assert isinstance(ok, Response)
    again = parse_message(serialize(ok))
    assert isinstance(again, Response)
    alice.layer.on_response(again, bob.peer)  # a retransmission: absorbed, not stray
    assert alice.tu.kinds() == ["response"]
    assert state(client) is NonInviteClientState.COMPLETED
    clock.advance(5)  # timer K
    assert state(client) is NonInviteClientState.TERMINATED and len(alice.layer) == 0


def test_over_tcp_an_accepted_invite_stays_an_object_for_timer_l() -> None:
    clock = VirtualClock()
    bob = endpoint(clock, "192.0.2.2", TCP)
    bob.tu.answer = 200
    bob.layer.on_request(request("INVITE", branch="z9hG4bK-tcp"), Peer(TCP, "192.0.2.1", 5060))
    (held,) = bob.layer._servers.values()
    assert isinstance(held, InviteServerTransaction)  # a later send failure ends it
    clock.advance(32)
    assert len(bob.layer) == 0


def test_a_non_invite_still_trying_keeps_its_object() -> None:
    clock = VirtualClock()
    bob = endpoint(clock, "192.0.2.2")
    bob.layer.on_request(request("OPTIONS", branch="z9hG4bK-opt"), ALICE)
    (held,) = bob.layer._servers.values()
    assert isinstance(held, NonInviteServerTransaction)
    assert state(held) is NonInviteServerState.TRYING
    received = bob.tu.events[0][2]
    assert isinstance(received, Request)
    held.respond(make_response(received, 200, "OK", to_tag="bob"))
    assert _untracked_remains(bob.layer)
