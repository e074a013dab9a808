"""Overload control on the work in progress and on the kernel's UDP receive queue: answered
transactions waiting for their timers are not load (a separate, higher bound caps all live ones),
a receive queue past its mark or datagrams dropped by the kernel shed new INVITEs until the
queue drains. The /proc reader is a fake and time virtual: no real overload is needed."""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass

import pytest

from fleet.sip.loadwatch import LagMonitor, SocketQueue, UdpBacklog, find_socket, read_udp_queue
from fleet.sip.message import Request
from fleet.sip.overload import ADMIT, Cause, Limits, OverloadGuard, Shed
from fleet.sip.transaction_messages import make_response
from fleet.sip.transaction_server import ServerTransaction
from tests.sip.lossy import RecordingTU
from tests.sip.requests import request
from tests.sip.test_overload import ALICE, guarded, invite
from tests.sip.virtual import VirtualClock


@dataclass
class FakeBacklog:
    fill: float | None = 0.0
    dropped: int = 0


def backlog_guard(backlog: FakeBacklog, **limits: float) -> OverloadGuard:
    guard = OverloadGuard(Limits(**limits), lambda: 0, lambda: 0.0)  # type: ignore[arg-type]
    guard.watch_backlog(backlog)
    return guard


def test_a_filling_udp_receive_queue_sheds_new_invites_until_it_drains_to_the_low_mark() -> None:
    backlog = FakeBacklog()
    guard = backlog_guard(backlog, max_backlog=0.5, resume_ratio=0.8)

    def judged(fill: float) -> bool:
        backlog.fill = fill
        return guard.admit(invite("x")) is ADMIT

    assert judged(0.5)  # at the mark: admitted
    backlog.fill = 0.51
    decision = guard.admit(invite("x"))
    assert isinstance(decision, Shed) and decision.cause is Cause.BACKLOG
    assert not judged(0.45)  # above the low mark (0.4)
    assert judged(0.4)
    assert guard.shed == 2


def test_datagrams_dropped_by_the_kernel_since_the_last_sample_start_shedding() -> None:
    backlog = FakeBacklog(fill=0.0, dropped=3)
    guard = backlog_guard(backlog)
    decision = guard.admit(invite("x"))
    assert isinstance(decision, Shed) and decision.cause is Cause.BACKLOG
    assert guard.admit(invite("y")) != ADMIT  # still dropping
    backlog.dropped = 0
    assert guard.admit(invite("z")) is ADMIT


def test_an_unknown_receive_queue_never_sheds() -> None:
    guard = backlog_guard(FakeBacklog(fill=None))
    assert guard.admit(invite("x")) is ADMIT and not guard.shedding


def test_the_lag_monitor_samples_the_udp_queue_each_tick_and_counts_drops_between_samples() -> None:
    clock = VirtualClock()
    queue = {"queued": 0, "drops": 7}
    inodes: list[int] = []

    def read(inode: int) -> SocketQueue | None:
        inodes.append(inode)
        return SocketQueue(queue["queued"], queue["drops"])

    backlog = UdpBacklog(4242, capacity=1000, read=read)
    monitor = LagMonitor(clock, interval=0.1)
    monitor.watch(backlog)
    monitor.start()
    unsampled = backlog.fill
    clock.advance(0.1)
    assert unsampled is None  # not sampled before the first tick
    assert (backlog.fill, backlog.dropped) == (0.0, 0)  # drops before the first sample: not ours
    queue.update(queued=600, drops=12)
    clock.advance(0.1)
    assert backlog.fill == pytest.approx(0.6) and backlog.dropped == 5
    clock.advance(0.1)
    assert backlog.dropped == 0  # none since the last sample
    monitor.stop()
    assert set(inodes) == {4242} and len(inodes) == 3


def test_a_socket_the_proc_table_does_not_list_reads_as_unknown() -> None:
    backlog = UdpBacklog(1, capacity=1000, read=lambda inode: None)
    backlog.sample()
    assert backlog.fill is None and backlog.dropped == 0


PROC_NET_UDP = (
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode ref pointer drops\n"
    "  338: 0100007F:AF25 00000000:0000 07 00000000:00000000 00:00000000 00000000     0"
    "        0 56732 2 00000000b07dc486 0\n"
    " 3235: 0100007F:BA76 00000000:0000 07 00000000:00000A00 00:00000000 00000000     0"
    "        0 58022 2 00000000d27416eb 17\n"
)


def test_the_proc_table_row_of_the_socket_gives_its_queued_bytes_and_drops() -> None:
    assert find_socket(PROC_NET_UDP, 58022) == SocketQueue(queued=0xA00, drops=17)
    assert find_socket(PROC_NET_UDP, 56732) == SocketQueue(queued=0, drops=0)
    assert find_socket(PROC_NET_UDP, 999) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/net/udp is Linux's")
def test_datagrams_left_unread_show_in_the_real_sockets_queue() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx,
    ):
        rx.bind(("127.0.0.1", 0))
        inode = os.fstat(rx.fileno()).st_ino
        before = read_udp_queue(inode)
        assert before is not None and before.queued == 0
        for _ in range(5):
            tx.sendto(b"x" * 200, rx.getsockname())  # loopback: queued before sendto returns
        after = read_udp_queue(inode)
        assert after is not None and after.queued >= 5 * 200


def answer_last(tu: RecordingTU) -> None:
    _, transaction, received = tu.events[-1]
    assert isinstance(transaction, ServerTransaction) and isinstance(received, Request)
    transaction.respond(make_response(received, 200, "OK", to_tag="bob"))


def test_answered_calls_waiting_for_their_timers_are_not_counted_in_progress() -> None:
    clock = VirtualClock()
    net = guarded(clock, Limits(max_transactions=2))
    tu = net.bob_tu
    assert isinstance(tu, RecordingTU)
    for n in range(10):  # ten calls set up and torn down: INVITE Accepted, BYE Completed
        call = f"done-{n}"
        net.bob.on_request(invite(call, branch=f"z9hG4bK-i{n}"), ALICE)
        answer_last(tu)
        bye = request("BYE", call_id=call, from_tag=f"tag-{call}", to_tag="bob", cseq=2)
        net.bob.on_request(bye, ALICE)
        answer_last(tu)
    assert len(net.bob) == 20 and net.guard.in_flight == 0 and net.guard.live == 20
    net.bob.on_request(invite("ringing-1"), ALICE)
    net.bob.on_request(invite("ringing-2", branch="z9hG4bK-r2"), ALICE)
    assert net.guard.shed == 0 and net.guard.in_flight == 2  # left unanswered: in progress
    net.bob.on_request(invite("third", branch="z9hG4bK-r3"), ALICE)
    assert net.guard.shed == 1 and net.statuses()[-1] == 503
    assert net.guard.in_flight == 2  # the 503 answered the third


def test_all_live_transactions_have_a_bound_of_their_own() -> None:
    live = {"count": 0}
    guard = OverloadGuard(
        Limits(max_live_transactions=100, resume_ratio=0.5), lambda: live["count"], lambda: 0.0
    )
    guard.count_pending(lambda: 1)
    live["count"] = 101
    decision = guard.admit(invite("x"))
    assert isinstance(decision, Shed) and decision.cause is Cause.LIVE
    live["count"] = 51
    assert guard.admit(invite("y")) != ADMIT
    live["count"] = 50
    assert guard.admit(invite("z")) is ADMIT


def test_a_ringing_call_ahead_does_not_keep_the_answered_calls_behind_it_counted() -> None:
    clock = VirtualClock()
    net = guarded(clock, Limits(max_transactions=1000))
    tu = net.bob_tu
    assert isinstance(tu, RecordingTU)
    for n in range(40):  # first in the queue, never answered
        net.bob.on_request(invite(f"ringing-{n}", branch=f"z9hG4bK-r{n}"), ALICE)
    readings = []
    for n in range(300):
        net.bob.on_request(invite(f"quick-{n}", branch=f"z9hG4bK-q{n}"), ALICE)
        answer_last(tu)
        readings.append(net.guard.in_flight)
    assert min(readings) == 40  # exact after each sweep, never below the real count
    assert max(readings) <= 40 + 40 // 4  # and never far above it
    assert len(tu.of("request")) == 340 and net.guard.shed == 0
