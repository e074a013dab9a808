"""Overload control by the calls in setup (fleet.sip.overload_setup): a new INVITE is admitted
while the calls admitted and not yet past 100 Trying are fewer than complete within a share of
T1 (a floor at least); the window follows the rate at which calls leave setup; in-dialog
requests, ACK, BYE never judged; a refusal is the stateless 503, ahead of the layer. Counts
from fakes and real server transactions, in virtual time."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from fleet.sip.message import Request, Response
from fleet.sip.overload import Limits, OverloadGuard
from fleet.sip.overload_rate import RateConfig
from fleet.sip.overload_setup import InSetup, SetupConfig, SetupWindow, in_setup, window
from fleet.sip.overload_stateless import SHED_TAG, StatelessShedder, is_shed_tag
from fleet.sip.overload_user import GuardedUser
from fleet.sip.transaction_layer import TransactionLayer
from fleet.sip.transaction_messages import make_response
from fleet.sip.transaction_server import InviteServerTransaction
from tests.sip.lossy import LossyLink, RecordingTU
from tests.sip.requests import request
from tests.sip.test_overload_stateless import ALICE, BOB, invite
from tests.sip.virtual import VirtualClock

CONFIG = SetupConfig(target=0.25, floor=4, weight=1.0)


class Calls:
    """The calls in setup and those ever admitted, as the window reads them."""

    def __init__(self) -> None:
        self.now = 0
        self.entered = 0

    def admit(self, count: int = 1) -> None:
        self.now += count
        self.entered += count

    def done(self, count: int) -> None:
        self.now -= count


def setup_window(calls: Calls, clock: VirtualClock, config: SetupConfig = CONFIG) -> SetupWindow:
    return SetupWindow(
        config, calls=lambda: calls.now, entered=lambda: calls.entered, now=clock.now
    )


def take_all(gate: SetupWindow, calls: Calls, count: int) -> list[bool]:
    """``count`` new INVITEs judged; each admitted one enters setup."""
    taken = []
    for _ in range(count):
        admitted = gate.take()
        if admitted:
            calls.admit()
        taken.append(admitted)
    return taken


def test_the_window_is_the_calls_completing_within_the_share_of_t1_and_never_below_its_floor() -> (
    None
):
    assert window(CONFIG, 400.0) == 100  # 400/s × 0.25 s
    assert window(CONFIG, 0.0) == CONFIG.floor
    assert window(CONFIG, 10.0) == CONFIG.floor  # 2.5 calls: the floor
    assert window(SetupConfig(target=0.5, floor=1), 413.0) == 206
    assert SetupConfig.of_t1(0.5) == SetupConfig(target=0.25, stale_after=1.0)
    assert SetupConfig.of_t1(0.5, 0.1).target == 0.1


def test_new_invites_are_admitted_up_to_the_window_then_refused_until_calls_leave_setup() -> None:
    clock, calls = VirtualClock(), Calls()
    gate = setup_window(calls, clock)
    assert take_all(gate, calls, 6) == [True] * 4 + [False] * 2
    assert gate.refused == 2 and gate.refusing
    calls.done(1)  # one callee rang
    assert take_all(gate, calls, 2) == [True, False]


def test_the_window_grows_with_the_rate_calls_leave_setup_and_shrinks_back_to_the_floor() -> None:
    clock, calls = VirtualClock(), Calls()
    gate = setup_window(calls, clock)
    gate.sample()  # the first sample only reads the clock
    calls.admit(40)
    calls.done(40)
    clock.advance(0.1)
    gate.sample()  # 40 calls left setup in 0.1 s: 400/s, 100 in 0.25 s
    assert gate.rate == pytest.approx(400.0) and gate.window == 100
    assert take_all(gate, calls, 101).count(True) == 100
    clock.advance(0.1)
    gate.sample()  # none left setup: the window falls to the floor, the 100 still waiting
    assert gate.window == CONFIG.floor and gate.refusing
    assert not any(take_all(gate, calls, 10))


def test_the_completion_rate_is_smoothed_by_its_weight() -> None:
    clock, calls = VirtualClock(), Calls()
    gate = setup_window(calls, clock, SetupConfig(floor=1, weight=0.25))
    gate.sample()
    calls.admit(40)
    calls.done(40)
    clock.advance(0.1)
    gate.sample()
    assert gate.rate == pytest.approx(100.0)  # a quarter of the tick's 400/s
    assert gate.window == 25


def test_the_window_judges_every_new_invite_so_each_refusal_is_stateless() -> None:
    clock, calls = VirtualClock(), Calls()
    assert setup_window(calls, clock).active


@pytest.mark.parametrize(
    "config",
    [
        {"target": 0.0},
        {"target": 61.0},
        {"target": 2.0, "stale_after": 1.0},
        {"confirm": 0},
        {"floor": 0},
        {"weight": 0.0},
        {"weight": 1.5},
    ],
)
def test_a_config_that_cannot_bound_the_calls_in_setup_is_refused(
    config: dict[str, float],
) -> None:
    with pytest.raises(ValueError):
        SetupConfig(**config)  # type: ignore[arg-type]


def test_one_admission_at_most_below_the_hard_limits() -> None:
    with pytest.raises(ValueError, match="one admission at most"):
        Limits(setup=SetupConfig(), rate=RateConfig())


@dataclass
class Node:
    """A transaction layer behind the guard and its stateless shedder, as the stack wires
    them, with a setup window of ``floor`` calls."""

    clock: VirtualClock
    link: LossyLink
    tu: RecordingTU
    guard: OverloadGuard
    user: GuardedUser
    calls: InSetup
    layer: TransactionLayer
    shedder: StatelessShedder

    def receive(self, message: Request) -> None:
        if not self.shedder.handled(message, ALICE):
            self.layer.on_request(message, ALICE)

    def transactions(self) -> list[InviteServerTransaction]:
        found = [e[1] for e in self.tu.of("request") if isinstance(e[1], InviteServerTransaction)]
        return found

    def responses(self) -> list[Response]:
        return [s.message for s in self.link.sent if isinstance(s.message, Response)]

    def requests(self, method: str) -> list[Request]:
        """What the TU was handed of ``method``."""
        found = [e[2] for e in self.tu.of("request") if isinstance(e[2], Request)]
        return [r for r in found if r.method == method]


def node(floor: int = 50) -> Node:
    clock = VirtualClock()
    link = LossyLink(clock, BOB)
    tu = RecordingTU()
    config = SetupConfig(floor=floor)
    guard = OverloadGuard(Limits(setup=config), lambda: 0, lambda: 0.0)
    calls = InSetup(clock.now, config.stale_after)
    user = GuardedUser(tu, guard, calls)
    layer = TransactionLayer(clock, link, user)
    shedder = StatelessShedder(guard, layer.has_server_transaction, link.send)
    guard.use_throttle(
        SetupWindow(config, calls=calls.__len__, entered=lambda: calls.entered, now=clock.now)
    )
    return Node(clock, link, tu, guard, user, calls, layer, shedder)


def new_call(n: int) -> Request:
    return invite(f"c{n}", f"z9hG4bK-c{n}")


def ring(transaction: InviteServerTransaction, status: int = 180) -> None:
    transaction.respond(make_response(transaction.request, status, "Ringing", to_tag="b"))


def test_a_call_stays_in_setup_through_100_trying_and_leaves_it_at_its_first_ringing() -> None:
    net = node()
    net.receive(new_call(1))
    [transaction] = net.transactions()
    assert in_setup(transaction)
    net.clock.advance(0.3)  # the transaction's own 100 Trying
    assert [r.status for r in net.responses()] == [100] and in_setup(transaction)
    ring(transaction)
    assert not in_setup(transaction)


def test_a_final_response_ends_the_setup_too() -> None:
    net = node()
    net.receive(new_call(1))
    [transaction] = net.transactions()
    transaction.respond(make_response(transaction.request, 486, "Busy Here", to_tag="b"))
    assert not in_setup(transaction)


def test_in_setup_counts_the_calls_still_waiting_whatever_order_they_leave_in() -> None:
    net = node()
    for n in range(5):
        net.receive(new_call(n))
    calls = net.transactions()
    counted = net.calls
    assert len(counted) == 5 and counted.entered == 5
    for transaction in (calls[1], calls[3]):  # behind one still waiting
        ring(transaction)
    assert len(counted) == 3
    ring(calls[0], 200)
    assert len(counted) == 2 and counted.entered == 5


def test_past_the_window_new_invites_get_the_stateless_503_and_in_dialog_requests_pass() -> None:
    net = node(floor=2)
    for n in range(5):
        net.receive(new_call(n))
    assert [r.call_id for r in net.requests("INVITE")] == ["c0", "c1"]
    refusals = [r for r in net.responses() if r.status == 503]
    assert [r.call_id for r in refusals] == ["c2", "c3", "c4"]
    assert all(r.to is not None and is_shed_tag(r.to.tag) for r in refusals)
    assert net.guard.shed == 3 and net.guard.stateless == 3  # none through a transaction
    assert net.layer.server_transactions == 2
    ack = request("ACK", call_id="c2", from_tag="tag-c2", to_tag=SHED_TAG, branch="z9hG4bK-c2")
    net.receive(ack)
    assert net.shedder.absorbed == 1
    bye = request("BYE", call_id="c0", from_tag="tag-c0", to_tag="b", branch="z9hG4bK-bye")
    net.receive(bye)  # an in-dialog request of an admitted call: never judged
    assert net.requests("BYE") == [bye]
    ring(net.transactions()[0])  # one call left setup: the next new INVITE is admitted
    net.receive(new_call(5))
    assert [r.call_id for r in net.requests("INVITE")] == ["c0", "c1", "c5"]


def test_behind_a_call_stuck_in_setup_the_count_stays_within_an_eighth_of_the_real_one() -> None:
    net = node(floor=1000)
    for n in range(200):
        net.receive(new_call(n))
    calls = net.transactions()
    counted = net.calls
    assert len(counted) == 200
    for transaction in calls[1:]:  # all but the first (its callee slow) leave setup in turn
        ring(transaction)
        real = sum(in_setup(t) for t in calls)
        assert real <= len(counted) <= max(real + 1, real * 9 // 8 + 8)
    assert len(counted) == 1


def test_a_call_waiting_in_setup_past_stale_after_is_no_longer_counted() -> None:
    net = node(floor=2)
    net.receive(new_call(1))
    net.clock.advance(0.6)
    net.receive(new_call(2))
    net.receive(new_call(3))  # the window is full: two calls wait for their callees
    assert len(net.calls) == 2 and [r.call_id for r in net.requests("INVITE")] == ["c1", "c2"]
    net.clock.advance(0.5)  # c1 in setup for 1.1 s: waiting for the far end, not for this node
    assert len(net.calls) == 1
    net.receive(new_call(4))
    assert [r.call_id for r in net.requests("INVITE")] == ["c1", "c2", "c4"]


def test_with_confirm_the_window_refuses_only_once_found_full_that_many_samples_in_a_row() -> None:
    clock, calls = VirtualClock(), Calls()
    gate = setup_window(calls, clock, SetupConfig(floor=4, weight=1.0, confirm=3))
    assert take_all(gate, calls, 6) == [True] * 6  # a burst after a stall: waited out
    gate.sample()
    clock.advance(0.1)
    gate.sample()  # full twice: not yet
    assert not gate.engaged and take_all(gate, calls, 1) == [True]
    clock.advance(0.1)
    gate.sample()  # the third sample in a row: refusing
    assert (gate.engaged, gate.refusing) == (True, True)
    assert take_all(gate, calls, 2) == [False, False]
    calls.done(calls.now)  # the calls left setup: the next sample lets go
    clock.advance(0.1)
    gate.sample()
    assert (gate.engaged, gate.refusing) == (False, False)
