"""Client transactions in virtual time over the lossy simulator (RFC 3261 §17.1, RFC 6026)."""

from __future__ import annotations

from fleet.sip.message import Request
from fleet.sip.transaction_client import InviteClientState, NonInviteClientState
from fleet.sip.transaction_messages import make_response
from fleet.sip.transaction_server import InviteServerState, ServerTransaction
from fleet.sip.transport_types import TCP
from tests.sip.lossy import LATENCY, connected
from tests.sip.requests import request
from tests.sip.virtual import VirtualClock, state


def _server_transaction(events: list[tuple[object, ...]]) -> tuple[ServerTransaction, Request]:
    _, transaction, received = events[0]
    assert isinstance(transaction, ServerTransaction) and isinstance(received, Request)
    return transaction, received


def test_invite_is_retransmitted_on_timer_a_doubling_until_timer_b_tells_the_tu() -> None:
    clock = VirtualClock()
    alice, _ = connected(clock)
    alice.link.receiver = None  # nothing reaches Bob
    tx = alice.layer.send_request(request("INVITE"), alice.link.source)
    clock.advance(31.9)
    assert alice.link.times("INVITE") == [0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert alice.tu.events == []
    clock.advance(0.2)  # timer B = 64*T1 = 32 s
    assert alice.tu.events == [("timeout", tx)]
    assert state(tx) is InviteClientState.TERMINATED
    assert len(alice.layer) == 0 and clock.pending == 0


def test_a_lost_invite_is_retransmitted_and_a_provisional_stops_retransmissions() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    alice.link.lose("INVITE", 1)
    bob.tu.answer = 180
    tx = alice.layer.send_request(request("INVITE"), bob.peer)
    clock.advance(60)
    assert alice.link.times("INVITE") == [0, 0.5]
    assert alice.tu.events == [("response", tx, 180)]
    assert state(tx) is InviteClientState.PROCEEDING
    assert len(bob.tu.of("request")) == 1


def test_a_non_2xx_final_is_acked_by_the_transaction_also_when_the_ack_is_lost() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    alice.link.lose("ACK", 1)
    bob.tu.answer = 486
    invite = request("INVITE")
    tx = alice.layer.send_request(invite, bob.peer)
    clock.advance(1)
    # Bob's 486 came again on timer G; Alice ACKed both, the TU saw it once
    assert bob.link.times("486") == [LATENCY, LATENCY + 0.5]
    assert alice.link.labels() == ["INVITE", "ACK", "ACK"]
    assert alice.tu.events == [("response", tx, 486)]
    server, _ = _server_transaction(bob.tu.events)
    assert state(server) is InviteServerState.CONFIRMED
    ack = alice.link.sent[-1].message
    assert isinstance(ack, Request)
    assert ack.request_uri == invite.request_uri
    assert ack.headers.get_all("Via") == [invite.headers.values("Via")[0]]
    assert ack.headers.get_all("Route") == invite.headers.get_all("Route")
    assert ack.to is not None and ack.to.tag == "bob"
    assert str(ack.cseq) == "1 ACK"
    assert ack.call_id == invite.call_id and ack.headers.get("From") == invite.headers.get("From")
    assert state(tx) is InviteClientState.COMPLETED
    clock.advance(32)  # timer D
    assert state(tx) is InviteClientState.TERMINATED


def test_2xx_retransmissions_reach_the_tu_in_accepted_until_timer_m() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    bob.link.duplicate("200")
    bob.tu.answer = 200
    tx = alice.layer.send_request(request("INVITE"), bob.peer)
    clock.advance(1)
    assert alice.tu.events == [("response", tx, 200), ("response", tx, 200)]
    assert state(tx) is InviteClientState.ACCEPTED
    assert "ACK" not in alice.link.labels()  # the ACK for a 2xx is the UAC core's
    clock.advance(30.9)  # timer M = 64*T1 from the first 200 (received at 0.02)
    assert state(tx) is InviteClientState.ACCEPTED
    clock.advance(0.2)
    assert state(tx) is InviteClientState.TERMINATED
    _, received = _server_transaction(bob.tu.events)
    bob.link.send(make_response(received, 200, "OK", to_tag="bob"), alice.peer)  # too late
    clock.advance(1)
    assert alice.tu.events[-1] == ("stray", 200)


def test_a_200_overtaking_the_180_leaves_the_180_absorbed_in_accepted() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    bob.link.reorder("180")
    tx = alice.layer.send_request(request("INVITE"), bob.peer)
    clock.advance(0.1)
    server, received = _server_transaction(bob.tu.events)
    server.respond(make_response(received, 180, "Ringing", to_tag="bob"))
    server.respond(make_response(received, 200, "OK", to_tag="bob"))
    clock.advance(0.1)
    assert alice.tu.events == [("response", tx, 200)]
    assert state(tx) is InviteClientState.ACCEPTED


def test_over_a_reliable_transport_nothing_is_retransmitted_and_timer_d_is_zero() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock, TCP)
    tx = alice.layer.send_request(request("INVITE"), bob.peer)
    clock.advance(10)
    assert alice.link.times("INVITE") == [0]
    server, received = _server_transaction(bob.tu.events)
    server.respond(make_response(received, 603, "Decline", to_tag="bob"))
    clock.advance(0.1)
    assert alice.link.labels() == ["INVITE", "ACK"]
    assert state(tx) is InviteClientState.TERMINATED  # D = 0
    assert bob.link.times("603") == [10]  # no timer G either


def test_non_invite_retransmissions_double_up_to_t2_until_timer_f() -> None:
    clock = VirtualClock()
    alice, _ = connected(clock)
    alice.link.receiver = None
    tx = alice.layer.send_request(request("OPTIONS"), alice.link.source)
    clock.advance(31.9)
    assert alice.link.times("OPTIONS") == [
        0,
        0.5,
        1.5,
        3.5,
        7.5,
        11.5,
        15.5,
        19.5,
        23.5,
        27.5,
        31.5,
    ]
    clock.advance(0.2)
    assert alice.tu.events == [("timeout", tx)]
    assert state(tx) is NonInviteClientState.TERMINATED and clock.pending == 0


def test_non_invite_in_proceeding_retransmits_every_t2() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    tx = alice.layer.send_request(request("BYE", to_tag="bob"), bob.peer)
    clock.advance(0.1)
    server, received = _server_transaction(bob.tu.events)
    server.respond(make_response(received, 100, "Trying"))
    clock.advance(10)
    assert state(tx) is NonInviteClientState.PROCEEDING
    assert alice.link.times("BYE") == [0, 0.5, 4.5, 8.5]
    assert bob.link.times("100") == [0.1, 0.51, 4.51, 8.51]  # each answered from Proceeding


def test_non_invite_completed_absorbs_the_final_response_again_until_timer_k() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    bob.link.duplicate("200")
    bob.tu.answer = 200
    tx = alice.layer.send_request(request("OPTIONS"), bob.peer)
    clock.advance(4.9)
    assert alice.tu.events == [("response", tx, 200)]
    assert state(tx) is NonInviteClientState.COMPLETED
    assert alice.link.times("OPTIONS") == [0]
    clock.advance(0.2)  # timer K = T4 after the first 200
    assert state(tx) is NonInviteClientState.TERMINATED


def test_a_transport_error_terminates_the_client_transaction_and_tells_the_tu() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    alice.link.refuse("INVITE", 2)
    bob.link.lose("100", every=True)
    alice.link.lose("INVITE", 1)
    tx = alice.layer.send_request(request("INVITE"), bob.peer)
    clock.advance(0.5)
    assert alice.tu.events == [("transport error", tx)]
    assert state(tx) is InviteClientState.TERMINATED and len(alice.layer) == 0
