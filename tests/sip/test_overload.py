"""Overload control (fleet.sip.overload, fleet.sip.overload_user, fleet.sip.loadwatch) in
virtual time over the lossy link simulator: new INVITEs shed 503 with Retry-After past the
transaction bound or the loop-lag bound, accepted work completing, retransmissions of a shed
INVITE absorbed, hysteresis, OPTIONS still answered; then the stack over loopback UDP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from fleet.sip.headers import Headers
from fleet.sip.loadwatch import LagMonitor
from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.options import OptionsResponder
from fleet.sip.overload import (
    ADMIT,
    Cause,
    Limits,
    OverloadGuard,
    Shed,
)
from fleet.sip.overload_user import GuardedUser
from fleet.sip.stack import SipStack
from fleet.sip.transaction_layer import TransactionLayer
from fleet.sip.transaction_messages import make_response
from fleet.sip.transaction_ports import TransactionUser
from fleet.sip.transaction_server import InviteServerTransaction, ServerTransaction
from fleet.sip.transport_types import UDP, Peer, TransportConfig
from fleet.sip.validate import UasPolicy
from tests.sip.lossy import Endpoint, LossyLink, RecordingTU, endpoint
from tests.sip.requests import request
from tests.sip.transport_support import LOOPBACK, udp_peer
from tests.sip.virtual import VirtualClock

ALICE = Peer(UDP, "192.0.2.1", 5060)
BOB = Peer(UDP, "192.0.2.2", 5060)


class StallingClock(VirtualClock):
    """A virtual clock whose loop can be blocked: :meth:`stall` moves time on without running
    what falls due, so the callbacks then run late, as behind a busy event loop."""

    def stall(self, seconds: float) -> None:
        self._now += seconds


@dataclass
class Guarded:
    """Bob behind overload control, Alice a recording endpoint linked to him."""

    alice: Endpoint
    bob: TransactionLayer
    bob_tu: TransactionUser
    link: LossyLink
    guard: OverloadGuard

    def statuses(self) -> list[int]:
        return [s.message.status for s in self.link.sent if isinstance(s.message, Response)]

    def sent(self, status: int) -> list[Response]:
        return [
            s.message
            for s in self.link.sent
            if isinstance(s.message, Response) and s.message.status == status
        ]


def guarded(
    clock: VirtualClock,
    limits: Limits,
    lag: Callable[[], float] = lambda: 0.0,
    tu: TransactionUser | None = None,
) -> Guarded:
    alice = endpoint(clock, "192.0.2.1")
    bob_tu = tu or RecordingTU()
    link = LossyLink(clock, BOB)
    layer: TransactionLayer
    guard = OverloadGuard(limits, lambda: layer.server_transactions, lag)
    layer = TransactionLayer(clock, link, GuardedUser(bob_tu, guard))
    alice.link.receiver = layer
    link.receiver = alice.layer
    return Guarded(alice, layer, bob_tu, link, guard)


def invite(call: str, **kwargs: object) -> Request:
    return request("INVITE", call_id=call, from_tag=f"tag-{call}", **kwargs)  # type: ignore[arg-type]


def test_past_the_transaction_bound_a_new_invite_gets_503_while_the_accepted_call_completes() -> (
    None
):
    clock = VirtualClock()
    net = guarded(clock, Limits(max_transactions=1, retry_after=7))
    bob_tu = net.bob_tu
    assert isinstance(bob_tu, RecordingTU)
    first = invite("call-1")
    net.alice.layer.send_request(first, BOB)
    clock.advance(0.05)
    net.alice.layer.send_request(invite("call-2"), BOB)
    clock.advance(0.05)
    [shed] = net.sent(503)
    assert shed.reason == "Service Unavailable" and shed.headers.get("Retry-After") == "7"
    assert shed.call_id == "call-2"
    assert [e[2] for e in net.alice.tu.of("response")] == [503]
    assert net.guard.shedding and net.guard.shed == 1
    [(_, accepted, _)] = bob_tu.of("request")  # only the first call reached the TU
    assert isinstance(accepted, InviteServerTransaction)
    accepted.respond(make_response(first, 200, "OK", to_tag="bob"))
    clock.advance(0.05)
    assert [e[2] for e in net.alice.tu.of("response")] == [503, 200]
    ack = request("ACK", call_id="call-1", from_tag="tag-call-1", to_tag="bob")
    net.alice.link.send(ack, BOB)  # the ACK of the 2xx, sent outside any transaction
    bye = request("BYE", call_id="call-1", from_tag="tag-call-1", to_tag="bob", cseq=2)
    net.alice.layer.send_request(bye, BOB)
    clock.advance(0.05)
    assert net.guard.shedding  # still above the bound, yet ACK and BYE reach the TU
    assert bob_tu.kinds()[-2:] == ["ack", "request"]
    _, bye_tx, bye_seen = bob_tu.events[-1]
    assert isinstance(bye_tx, ServerTransaction) and isinstance(bye_seen, Request)
    assert bye_seen.method == "BYE"
    bye_tx.respond(make_response(bye, 200, "OK", to_tag="bob"))
    clock.advance(0.05)
    assert [e[2] for e in net.alice.tu.of("response")] == [503, 200, 200]


def test_each_retransmission_of_a_shed_invite_gets_the_503_again_and_never_the_tu() -> None:
    clock = VirtualClock()
    net = guarded(clock, Limits(max_transactions=1, retry_after=3))
    bob_tu = net.bob_tu
    assert isinstance(bob_tu, RecordingTU)
    busy = invite("busy")
    net.bob.on_request(busy, ALICE)
    shed = invite("shed", branch="z9hG4bK-shed")
    for _ in range(3):
        net.bob.on_request(shed, ALICE)
    assert net.statuses() == [503, 503, 503]  # one per arrival, none extra
    assert net.guard.shed == 1 and len(bob_tu.of("request")) == 1
    # the load goes away: the busy call is refused and acknowledged, its transaction ends
    (_, busy_tx, _) = bob_tu.events[0]
    assert isinstance(busy_tx, ServerTransaction)
    busy_tx.respond(make_response(busy, 486, "Busy Here", to_tag="bob"))
    net.bob.on_request(request("ACK", call_id="busy", from_tag="tag-busy", to_tag="bob"), ALICE)
    clock.advance(5.5)  # timer I (T4) ends the busy call's transaction
    statuses_before = len(net.statuses())
    net.bob.on_request(shed, ALICE)  # a late retransmission: still the shed transaction's
    assert net.statuses()[statuses_before:] == [503]
    assert len(bob_tu.of("request")) == 1 and net.guard.shed == 1
    assert bob_tu.of("timeout") == []


def test_a_shed_invite_whose_503_is_lost_is_answered_on_its_retransmission() -> None:
    clock = VirtualClock()
    net = guarded(clock, Limits(max_transactions=1))
    net.bob.on_request(invite("busy"), ALICE)
    net.link.lose("503")
    net.alice.layer.send_request(invite("late"), BOB)
    clock.advance(0.6)  # Alice's timer A retransmits the INVITE, Bob's timer G the 503
    assert [e[2] for e in net.alice.tu.of("response")] == [503]
    recording = net.bob_tu
    assert isinstance(recording, RecordingTU) and len(recording.of("request")) == 1
    assert net.guard.shed == 1


def test_one_slow_tick_of_the_loop_does_not_start_shedding() -> None:
    clock = StallingClock()
    monitor = LagMonitor(clock, interval=0.1)
    monitor.start()
    net = guarded(clock, Limits(max_lag=0.5), lag=lambda: monitor.lag)
    clock.advance(1)
    clock.stall(0.8)  # the loop blocked once for 0.8 s: the wake-up due at 1.1 s runs at 1.8 s
    clock.advance(0)
    assert monitor.latest == pytest.approx(0.7) and monitor.lag < 0.5
    net.alice.layer.send_request(invite("after-the-tick"), BOB)
    clock.advance(0.05)
    assert 503 not in net.statuses() and not net.guard.shedding
    monitor.stop()


def test_a_loop_late_wake_up_after_wake_up_sheds_until_its_wake_ups_are_on_time_again() -> None:
    clock = StallingClock()
    monitor = LagMonitor(clock, interval=0.1)
    monitor.start()
    net = guarded(clock, Limits(max_lag=0.5), lag=lambda: monitor.lag)
    clock.advance(1)
    assert monitor.lag == pytest.approx(0.0)
    stalls = 0
    while monitor.lag <= 0.5:  # the loop blocked 0.8 s at every turn
        clock.stall(0.8)
        clock.advance(0)
        stalls += 1
    assert stalls > 1  # it took more than one slow tick
    net.alice.layer.send_request(invite("during"), BOB)
    clock.advance(0.05)
    assert net.statuses() == [503]
    assert net.guard.admit(invite("probe")) == Shed(5, Cause.LAG)
    clock.advance(2)  # wake-ups on time again
    assert monitor.lag < 0.4
    net.alice.layer.send_request(invite("after"), BOB)
    clock.advance(0.05)
    recording = net.bob_tu
    assert isinstance(recording, RecordingTU)
    [(_, _, admitted)] = recording.of("request")
    assert isinstance(admitted, Request) and admitted.call_id == "after"
    assert not net.guard.shedding
    monitor.stop()
    assert not monitor.running and monitor.worst == pytest.approx(0.7)


def test_shed_invites_still_alive_do_not_keep_the_node_shedding() -> None:
    clock = VirtualClock()
    net = guarded(clock, Limits(max_transactions=2, resume_ratio=0.5))
    bob_tu = net.bob_tu
    assert isinstance(bob_tu, RecordingTU)
    busy = [invite(f"busy-{n}", branch=f"z9hG4bK-busy-{n}") for n in range(2)]
    for call in busy:
        net.bob.on_request(call, ALICE)
    for n in range(5):  # a flood: shed, and never acknowledged (their timer H runs 32 s)
        net.bob.on_request(invite(f"shed-{n}", branch=f"z9hG4bK-shed-{n}"), ALICE)
    assert net.guard.shed == 5 and len(net.bob) == 7
    for n, (call, (_, transaction, _)) in enumerate(zip(busy, bob_tu.of("request"), strict=True)):
        assert isinstance(transaction, ServerTransaction)
        transaction.respond(make_response(call, 486, "Busy Here", to_tag="bob"))
        ack = request(
            "ACK",
            call_id=f"busy-{n}",
            from_tag=f"tag-busy-{n}",
            to_tag="bob",
            branch=f"z9hG4bK-busy-{n}",
        )
        net.bob.on_request(ack, ALICE)
    clock.advance(5.5)  # timer I ends the accepted calls' transactions; the shed ones live on
    assert len(net.bob) == 5 and net.guard.in_flight == 0
    net.bob.on_request(invite("next"), ALICE)  # in flight: itself alone, at the low mark
    assert len(bob_tu.of("request")) == 3 and not net.guard.shedding
    clock.advance(40)  # timer H ends the shed ones, without the TU hearing of it
    assert bob_tu.of("timeout") == []


def test_shed_transactions_ending_out_of_order_are_all_discounted_once_ended() -> None:
    clock = VirtualClock()
    net = guarded(clock, Limits(max_transactions=1, resume_ratio=0.5))
    net.bob.on_request(invite("busy"), ALICE)
    for n in range(200):
        net.bob.on_request(invite(f"shed-{n}", branch=f"z9hG4bK-shed-{n}"), ALICE)
    # every other shed INVITE is acknowledged: those end on timer I, the rest on timer H later
    for n in range(1, 200, 2):
        ack = request(
            "ACK", call_id=f"shed-{n}", from_tag=f"tag-shed-{n}", branch=f"z9hG4bK-shed-{n}"
        )
        net.bob.on_request(ack, ALICE)
    clock.advance(6)
    assert len(net.bob) == 101
    readings = [net.guard.in_flight for _ in range(200)]  # new INVITEs judged meanwhile
    assert set(readings) <= {0, 1} and readings[-1] == 1  # never more than the real load
    clock.advance(40)
    assert len(net.bob) == 1 and net.guard.in_flight == 1


def test_the_lag_monitor_leaves_no_timer_behind_when_stopped() -> None:
    clock = VirtualClock()
    monitor = LagMonitor(clock, interval=0.1)
    monitor.start()
    monitor.start()  # idempotent: still one wake-up pending
    assert clock.pending == 1
    clock.advance(1)
    assert clock.pending == 1 and monitor.running
    monitor.stop()
    assert clock.pending == 0 and monitor.lag == 0.0
    clock.advance(1)
    assert clock.pending == 0


def test_shedding_stops_only_below_the_low_mark_so_it_does_not_flap() -> None:
    load: dict[str, float] = {"transactions": 0, "lag": 0.0}
    guard = OverloadGuard(
        Limits(max_transactions=10, max_lag=0.4, resume_ratio=0.5),
        lambda: int(load["transactions"]),
        lambda: load["lag"],
    )

    def judged(transactions: int, lag: float = 0.0) -> bool:
        load.update(transactions=transactions, lag=lag)
        return guard.admit(invite("x")) is ADMIT

    assert judged(10)  # at the bound: admitted
    assert not judged(11)  # above: shedding starts
    assert not judged(9) and not judged(6)  # below the bound, above the low mark: still shed
    assert judged(5)  # at the low mark (half of 10): admitted again
    assert judged(9)  # and stays admitting up to the bound
    assert not judged(5, lag=0.41)  # the lag bound alone starts shedding
    assert not judged(5, lag=0.3)  # above the low mark of 0.2 s
    assert not judged(6, lag=0.1)  # lag low, transactions above their low mark
    assert judged(5, lag=0.2)
    assert guard.shed == 6


def test_only_a_new_invite_is_shed_in_dialog_requests_cancel_ack_bye_and_options_pass() -> None:
    guard = OverloadGuard(Limits(max_transactions=1, retry_after=9), lambda: 99, lambda: 0.0)
    assert guard.admit(invite("new")) == Shed(9, Cause.TRANSACTIONS)
    reinvite = invite("new", to_tag="bob", cseq=2)
    passing = [reinvite] + [request(m) for m in ("ACK", "CANCEL", "BYE", "OPTIONS", "REGISTER")]
    assert all(guard.admit(message) is ADMIT for message in passing)
    assert guard.shed == 1


def test_options_are_still_answered_200_while_new_invites_get_503() -> None:
    clock = VirtualClock()
    responder = OptionsResponder(policy=UasPolicy(), warn_agent="192.0.2.2")
    net = guarded(clock, Limits(max_lag=0.5, retry_after=4), lag=lambda: 2.0, tu=responder)
    net.alice.layer.send_request(invite("shed"), BOB)
    net.alice.layer.send_request(request("OPTIONS", call_id="probe"), BOB)
    clock.advance(0.1)
    answers = [e[2] for e in net.alice.tu.of("response")]
    assert len(answers) == 2 and set(answers) == {200, 503}
    assert responder.answered == {200: 1}  # the 503 was the guard's, not the responder's
    clock.advance(40)  # the 503 is never acknowledged: timer H ends it without the TU
    assert len(net.bob) == 0


@pytest.mark.parametrize("bad", [{"max_transactions": 0}, {"max_lag": 0}, {"resume_ratio": 1}])
def test_limits_refuse_values_that_cannot_bound_anything(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Limits(**bad)  # type: ignore[arg-type]


def _udp_invite(port: int, call: str) -> Request:
    headers = Headers(
        [
            ("Via", f"SIP/2.0/UDP {LOOPBACK}:{port};branch=z9hG4bK-{call}"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:probe@example.net>;tag={call}"),
            ("To", "<sip:fleetpbx@example.net>"),
            ("Call-ID", call),
            ("CSeq", "1 INVITE"),
        ]
    )
    return Request("INVITE", "sip:fleetpbx@example.net", headers)


async def test_the_stack_sheds_a_second_invite_over_udp_and_stops_its_lag_monitor() -> None:
    config = TransportConfig(host=LOOPBACK, port=0, policy=UasPolicy())
    limits = Limits(max_live_transactions=1, max_lag=60, retry_after=2)
    stack = SipStack(config, limits=limits)
    await stack.start()
    monitoring = stack.lag.running
    try:
        async with udp_peer() as phone:
            phone.send(serialize(_udp_invite(phone.port, "first")), stack.listening[0])
            first = parse_message(await phone.receive())
            assert isinstance(first, Response) and first.status == 480  # the responder's
            # its transaction waits for the ACK: live, no longer in progress
            phone.send(serialize(_udp_invite(phone.port, "second")), stack.listening[0])
            second = parse_message(await phone.receive())
            assert isinstance(second, Response) and second.status == 503
            assert second.call_id == "second" and second.headers.get("Retry-After") == "2"
    finally:
        await stack.stop()
    assert monitoring and not stack.lag.running and stack.scheduler.pending == 0
