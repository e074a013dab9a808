"""Server transactions in virtual time over the lossy simulator (RFC 3261 §17.2, RFC 6026)."""

from __future__ import annotations

from fleet.sip.message import Request
from fleet.sip.timers import TimerConfig
from fleet.sip.transaction_messages import make_response
from fleet.sip.transaction_server import (
    InviteServerState,
    NonInviteServerState,
    ServerTransaction,
)
from fleet.sip.transport_types import TCP
from tests.sip.lossy import connected
from tests.sip.requests import request
from tests.sip.virtual import VirtualClock, state


def _only_request(events: list[tuple[object, ...]]) -> tuple[ServerTransaction, Request]:
    assert [event[0] for event in events] == ["request"]
    _, transaction, received = events[0]
    assert isinstance(transaction, ServerTransaction) and isinstance(received, Request)
    return transaction, received


def test_100_trying_goes_out_200_ms_after_the_invite_when_the_tu_is_silent() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    alice.layer.send_request(request("INVITE"), bob.peer)
    clock.advance(0.209)
    assert bob.link.labels() == []
    clock.advance(0.002)
    assert bob.link.times("100") == [0.21]


def test_no_100_trying_when_the_tu_answers_within_200_ms() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    alice.layer.send_request(request("INVITE"), bob.peer)
    clock.advance(0.1)
    server, received = _only_request(bob.tu.events)
    server.respond(make_response(received, 180, "Ringing", to_tag="bob"))
    clock.advance(1)
    assert bob.link.labels() == ["180"]


def test_a_retransmitted_invite_gets_the_last_provisional_and_never_reaches_the_tu() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    alice.link.duplicate("INVITE")
    bob.tu.answer = 180
    alice.layer.send_request(request("INVITE"), bob.peer)
    clock.advance(1)
    server, _ = _only_request(bob.tu.events)
    assert bob.link.labels() == ["180", "180"]
    assert state(server) is InviteServerState.PROCEEDING


def test_a_non_2xx_final_is_retransmitted_on_timer_g_capped_at_t2_until_timer_h() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    bob.link.receiver = None  # Alice never hears the 486, so never ACKs
    alice.link.lose("INVITE", 2, every=True)  # and her retransmissions get lost
    bob.tu.answer = 486
    alice.layer.send_request(request("INVITE"), bob.peer)
    clock.advance(0.01)
    server, _ = _only_request(bob.tu.events)
    clock.advance(31.9)
    sent = [round(t - 0.01, 6) for t in bob.link.times("486")]
    assert sent == [0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    clock.advance(0.2)  # timer H = 64*T1
    assert bob.tu.events[-1] == ("timeout", server)
    assert state(server) is InviteServerState.TERMINATED


def test_the_ack_confirms_and_ack_retransmissions_are_absorbed_until_timer_i() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    bob.link.duplicate("486")  # Alice ACKs twice
    bob.tu.answer = 486
    alice.layer.send_request(request("INVITE"), bob.peer)
    clock.advance(0.1)
    server, _ = _only_request(bob.tu.events)
    assert alice.link.labels() == ["INVITE", "ACK", "ACK"]
    assert state(server) is InviteServerState.CONFIRMED
    assert bob.link.labels() == ["486"]  # timer G stopped by the ACK
    clock.advance(4.9)
    assert state(server) is InviteServerState.CONFIRMED
    clock.advance(0.2)  # timer I = T4
    assert state(server) is InviteServerState.TERMINATED
    assert [event[0] for event in bob.tu.events] == ["request"]


def test_accepted_absorbs_invite_retransmissions_and_sends_2xx_retransmissions_of_the_tu() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    bob.link.lose("200", 1)
    bob.tu.answer = 200
    alice.layer.send_request(request("INVITE"), bob.peer)
    clock.advance(0.6)  # Alice retransmits the INVITE on timer A
    server, received = _only_request(bob.tu.events)
    assert state(server) is InviteServerState.ACCEPTED
    assert bob.link.labels() == ["200"]  # the retransmitted INVITE was absorbed
    assert server.respond(make_response(received, 200, "OK", to_tag="bob"))  # the UAS core's
    clock.advance(0.1)
    assert bob.link.labels() == ["200", "200"]
    assert [event[0] for event in alice.tu.events] == ["response"]
    clock.advance(31.5)  # timer L = 64*T1
    assert state(server) is InviteServerState.TERMINATED


def test_over_a_reliable_transport_the_final_is_sent_once_and_the_ack_ends_it_at_once() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock, TCP)
    bob.tu.answer = 486
    alice.layer.send_request(request("INVITE"), bob.peer)
    clock.advance(0.1)
    server, _ = _only_request(bob.tu.events)
    assert state(server) is InviteServerState.TERMINATED  # ACK received, timer I = 0
    assert bob.link.labels() == ["486"] and len(bob.layer) == 0


def test_the_non_invite_server_absorbs_in_trying_and_answers_again_until_timer_j() -> None:
    clock = VirtualClock()
    alice, bob = connected(clock)
    alice.layer.send_request(request("OPTIONS"), bob.peer)
    clock.advance(0.6)  # the retransmission at 0.5 reaches Bob in Trying
    server, received = _only_request(bob.tu.events)
    assert bob.link.labels() == []
    bob.link.lose("200", 1)
    assert server.respond(make_response(received, 200, "OK", to_tag="bob"))
    assert not server.respond(make_response(received, 500, "Oops", to_tag="bob"))
    clock.advance(1.0)  # Alice retransmits at 1.5; Bob answers it from Completed
    assert bob.link.labels() == ["200", "200"]
    assert state(server) is NonInviteServerState.COMPLETED
    clock.advance(31)  # timer J = 64*T1 from 0.6
    assert state(server) is NonInviteServerState.TERMINATED


def test_timers_derive_from_t1_t2_t4() -> None:
    timers = TimerConfig()
    assert (timers.a, timers.b, timers.e, timers.f, timers.g, timers.h) == (
        0.5, 32, 0.5, 32, 0.5, 32,
    )  # fmt: skip
    assert (timers.d(False), timers.d(True)) == (32, 0)
    assert (timers.i(False), timers.i(True), timers.k(False), timers.k(True)) == (5, 0, 5, 0)
    assert (timers.j(False), timers.j(True), timers.l, timers.m) == (32, 0, 32, 32)
    assert [timers.doubled(x) for x in (0.5, 2, 4)] == [1, 4, 4]
    fast = TimerConfig(t1=0.1, t2=0.4, t4=0.5)
    assert (fast.b, fast.d(False), fast.doubled(0.4)) == (6.4, 32, 0.4)
