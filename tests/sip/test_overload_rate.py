"""Overload control by rate (fleet.sip.overload_rate): the CPU a call costs the loop read while
every new INVITE is admitted; once the loop is behind ``confirm`` ticks in a row, new INVITEs
admitted through a token bucket at the share of a core the loop got over that cost, divided by the
pressure while the queue drains, back to it and probing a little above once the load is below
target, let go after a window with nothing refused; refused ones get the stateless 503, calls
already admitted never counted. The clock, the loop's CPU clock, its lag and its UDP queue are
fakes, moved by hand: virtual time."""

from __future__ import annotations

import pytest

from fleet.sip.message import Request, Response
from fleet.sip.overload import Cause, Limits, OverloadGuard, Shed
from fleet.sip.overload_rate import RateAdmission, RateConfig
from fleet.sip.overload_stateless import is_shed_tag
from fleet.sip.overload_throttle import ThrottleConfig
from tests.sip.lossy import LossyLink, RecordingTU
from tests.sip.requests import request
from tests.sip.test_overload_stateless import ALICE, BOB, ScreenedLayer, invite
from tests.sip.virtual import VirtualClock

TICK = 0.1
CONFIG = RateConfig(target_lag=0.1, target_backlog=0.05, window=10, confirm=2)


class Loop:
    """The loop as the admission reads it: the clock, its thread's CPU, its lag, its queue."""

    def __init__(self) -> None:
        self.now = 0.0
        self.cpu = 0.0
        self.lag = 0.0
        self.fill: float | None = 0.0

    def admission(self, config: RateConfig = CONFIG) -> RateAdmission:
        return RateAdmission(
            config,
            now=lambda: self.now,
            cpu=lambda: self.cpu,
            lag=lambda: self.lag,
            backlog=lambda: self.fill,
        )


def offer(gate: RateAdmission, loop: Loop, calls: int, seconds: float = TICK) -> int:
    """``calls`` new INVITEs spread evenly over ``seconds``; how many were admitted."""
    admitted = 0
    for _ in range(calls):
        loop.now += seconds / calls
        admitted += gate.take()
    return admitted


def tick(gate: RateAdmission, loop: Loop, *, calls: int, cpu: float, fill: float = 0.0) -> int:
    """One tick of the monitor: ``calls`` offered over it, ``cpu`` seconds used by the loop,
    the queue at ``fill`` when sampled; how many were admitted."""
    admitted = offer(gate, loop, calls) if calls else 0
    if not calls:
        loop.now += TICK
    loop.cpu += cpu
    loop.fill = fill
    gate.sample()
    return admitted


def busy_at(gate: RateAdmission, loop: Loop, ticks: int = 10) -> None:
    """200 calls/s at 2.5 ms of CPU each: half a core, every call admitted."""
    gate.sample()  # the first sample only reads the clocks
    for _ in range(ticks):
        assert tick(gate, loop, calls=20, cpu=0.05) == 20


def test_below_its_targets_every_new_invite_is_admitted_and_the_cost_of_a_call_is_read() -> None:
    loop = Loop()
    gate = loop.admission()
    busy_at(gate, loop)
    assert not gate.active and gate.rate is None
    assert gate.cost == pytest.approx(0.0025)
    assert gate.busy == pytest.approx(0.5)
    assert gate.throttled == 0 and gate.admitted == 200


def test_one_tick_behind_does_not_engage_confirm_ticks_in_a_row_do() -> None:
    loop = Loop()
    gate = loop.admission()
    busy_at(gate, loop)
    tick(gate, loop, calls=16, cpu=0.04, fill=0.075)  # a collection: the queue fills once
    tick(gate, loop, calls=20, cpu=0.05)
    assert not gate.active
    tick(gate, loop, calls=16, cpu=0.04, fill=0.075)
    assert not gate.active
    tick(gate, loop, calls=16, cpu=0.04, fill=0.075)
    assert gate.active


def test_engaged_the_rate_is_the_share_of_a_core_the_loop_got_over_the_cost_of_a_call() -> None:
    loop = Loop()
    gate = loop.admission()
    busy_at(gate, loop)
    # the machine gives the loop 40 % of a core: 160 calls/s at 2.5 ms; the queue 1.2 × target
    tick(gate, loop, calls=16, cpu=0.04, fill=0.06)
    tick(gate, loop, calls=16, cpu=0.04, fill=0.06)
    assert gate.capacity == pytest.approx(160)
    assert gate.pressure == pytest.approx(1.2)
    assert gate.rate == pytest.approx(0.95 * 160 / 1.2)  # below it while the queue drains


def test_the_cost_of_a_call_is_not_read_from_a_flood_whose_calls_have_not_cost_all_yet() -> None:
    loop = Loop()
    gate = loop.admission()
    busy_at(gate, loop)  # 2.5 ms a call, the loop keeping up
    # a flood: 400/s, their INVITEs only so far (1 ms each), the queue filling
    tick(gate, loop, calls=40, cpu=0.04, fill=0.075)
    tick(gate, loop, calls=40, cpu=0.04, fill=0.075)
    assert gate.cost == pytest.approx(0.0025)
    assert gate.capacity == pytest.approx(160)  # 40 % of a core at 2.5 ms, not at ~1.6 ms


def test_a_flood_from_idle_is_measured_on_what_it_has() -> None:
    loop = Loop()
    gate = loop.admission()
    gate.sample()
    tick(gate, loop, calls=40, cpu=0.08, fill=0.075)  # no reading before: 2 ms a call
    tick(gate, loop, calls=40, cpu=0.08, fill=0.075)
    assert gate.cost == pytest.approx(0.002)
    assert gate.active and gate.capacity == pytest.approx(400)


def test_the_bucket_admits_at_its_rate_whatever_is_offered() -> None:
    loop = Loop()
    gate = loop.admission()
    busy_at(gate, loop)
    tick(gate, loop, calls=16, cpu=0.04, fill=0.075)
    tick(gate, loop, calls=16, cpu=0.04, fill=0.075)
    rate = gate.rate
    assert rate is not None
    admitted = offer(gate, loop, 1000, seconds=1.0)  # ten times the rate, for a second
    assert rate - 1 <= admitted <= rate + 1
    assert gate.throttled == 1000 - admitted


def test_a_burst_after_a_quiet_spell_passes_only_the_buckets_depth() -> None:
    loop = Loop()
    gate = loop.admission(RateConfig(window=10, burst=0.05, confirm=2))
    busy_at(gate, loop)
    tick(gate, loop, calls=16, cpu=0.04, fill=0.075)
    tick(gate, loop, calls=16, cpu=0.04, fill=0.075)
    assert gate.rate is not None
    loop.now += 2.0  # nothing offered for two seconds: the bucket fills to its depth
    depth = max(1.0, gate.rate * 0.05)
    burst = [gate.take() for _ in range(50)]  # all at once
    assert burst.count(True) == int(depth)


def test_the_pressure_divides_the_rate_at_most_by_drain() -> None:
    loop = Loop()
    gate = loop.admission()
    busy_at(gate, loop)
    tick(gate, loop, calls=16, cpu=0.04, fill=0.5)  # ten times the target
    tick(gate, loop, calls=16, cpu=0.04, fill=0.5)
    assert gate.pressure == pytest.approx(10)
    assert gate.rate == pytest.approx(0.95 * 160 / CONFIG.drain)


def test_the_lag_alone_puts_the_loop_behind() -> None:
    loop = Loop()
    gate = loop.admission()
    busy_at(gate, loop)
    loop.lag = 0.2
    tick(gate, loop, calls=16, cpu=0.04)
    tick(gate, loop, calls=16, cpu=0.04)
    assert gate.active and gate.pressure == pytest.approx(2.0)


def test_no_longer_behind_the_rate_is_the_capacity_then_probes_at_most_a_little_above() -> None:
    loop = Loop()
    gate = loop.admission()
    busy_at(gate, loop)
    tick(gate, loop, calls=16, cpu=0.04, fill=0.075)
    tick(gate, loop, calls=16, cpu=0.04, fill=0.075)
    rates = []
    for _ in range(40):
        tick(gate, loop, calls=30, cpu=0.04)  # 300/s offered: always some refused
        rates.append(gate.rate)
    assert rates[0] == pytest.approx(0.95 * 160)  # the capacity at once, then steps above it
    assert rates[1] == pytest.approx(0.95 * 160 * (1 + CONFIG.increase))
    assert rates[-1] == pytest.approx((1 + CONFIG.probe) * 160)  # probing stops a little above
    assert gate.active


def test_the_rate_is_never_above_what_a_whole_core_carries() -> None:
    loop = Loop()
    gate = loop.admission(RateConfig(window=10, probe=10.0, confirm=2))
    busy_at(gate, loop)  # 2.5 ms a call: a core carries 400/s
    tick(gate, loop, calls=36, cpu=0.09, fill=0.075)  # 90 % of a core: 360/s
    tick(gate, loop, calls=36, cpu=0.09, fill=0.075)
    for _ in range(60):
        tick(gate, loop, calls=60, cpu=0.09)
    assert gate.rate == pytest.approx(0.95 / 0.0025)


def test_it_lets_go_once_a_window_passed_with_nothing_refused_and_the_load_below_target() -> None:
    loop = Loop()
    gate = loop.admission()
    busy_at(gate, loop)
    tick(gate, loop, calls=16, cpu=0.04, fill=0.075)
    tick(gate, loop, calls=16, cpu=0.04, fill=0.075)
    for _ in range(3):
        tick(gate, loop, calls=30, cpu=0.04)  # 300/s offered: some refused each tick
    for _ in range(CONFIG.window - 1):
        tick(gate, loop, calls=10, cpu=0.025)  # 100/s: under the rate, none refused
        assert gate.active  # the window still holds a tick with refusals
    tick(gate, loop, calls=10, cpu=0.025)
    assert not gate.active
    assert offer(gate, loop, 100) == 100


def test_a_loop_behind_before_any_call_was_measured_is_not_limited_blindly() -> None:
    loop = Loop()
    gate = loop.admission()
    gate.sample()
    for _ in range(5):
        tick(gate, loop, calls=0, cpu=0.09, fill=0.2)  # busy, behind, but no call to measure
    assert not gate.active and gate.capacity is None


def test_config_refuses_values_that_cannot_steer() -> None:
    for bad in (
        {"target_lag": 0},
        {"target_backlog": 0},
        {"target_backlog": 2},
        {"headroom": 0},
        {"headroom": 1.5},
        {"increase": 0},
        {"probe": -0.1},
        {"learn": 0},
        {"drain": 0.5},
        {"window": 0},
        {"confirm": 0},
        {"burst": 0},
    ):
        with pytest.raises(ValueError):
            RateConfig(**bad)
    with pytest.raises(ValueError, match="one admission at most"):
        Limits(rate=RateConfig(), throttle=ThrottleConfig())


def _guarded(loop: Loop) -> tuple[ScreenedLayer, RecordingTU, LossyLink, RateAdmission]:
    clock = VirtualClock()
    link = LossyLink(clock, BOB)
    tu = RecordingTU()
    layer: ScreenedLayer
    guard = OverloadGuard(Limits(retry_after=7), lambda: layer.server_transactions, lambda: 0.0)
    gate = loop.admission()
    guard.use_throttle(gate)
    layer = ScreenedLayer(clock, link, tu, guard)
    return layer, tu, link, gate


def _503s(link: LossyLink) -> list[Response]:
    return [
        sent.message
        for sent in link.sent
        if isinstance(sent.message, Response) and sent.message.status == 503
    ]


def _engage(gate: RateAdmission, loop: Loop) -> None:
    busy_at(gate, loop)
    tick(gate, loop, calls=16, cpu=0.04, fill=0.075)
    tick(gate, loop, calls=16, cpu=0.04, fill=0.075)
    assert gate.active


def test_refused_invites_get_a_stateless_503_and_admitted_ones_reach_the_tu_once() -> None:
    loop = Loop()
    layer, tu, link, gate = _guarded(loop)
    _engage(gate, loop)
    rate = gate.rate
    assert rate is not None
    loop.now += 1.0  # the bucket full: its depth admitted at once, then none
    depth = int(max(1.0, rate * CONFIG.burst))
    for n in range(20):
        layer.on_request(invite(f"call{n}", f"z9hG4bK-{n}"), ALICE)
    assert tu.kinds().count("request") == depth  # each judged once, not again by the layer
    refused = _503s(link)
    assert len(refused) == 20 - depth
    assert all(r.headers.get("Retry-After") == "7" for r in refused)
    assert all(r.to is not None and is_shed_tag(r.to.tag) for r in refused)
    assert len(layer) == depth  # no transaction for a refused one
    guard = layer.shedder.guard
    assert guard.shed == guard.stateless == 20 - depth


def test_requests_of_calls_already_admitted_are_never_refused_or_counted() -> None:
    loop = Loop()
    layer, _, link, gate = _guarded(loop)
    _engage(gate, loop)
    admitted, throttled = gate.admitted, gate.throttled
    in_dialog: list[Request] = [
        request("INVITE", to_tag="b", branch="z9hG4bK-re", call_id="c1"),
        request("BYE", to_tag="b", branch="z9hG4bK-bye", call_id="c1"),
        request("ACK", to_tag="b", branch="z9hG4bK-ack", call_id="c1"),
        request("CANCEL", branch="z9hG4bK-cancel", call_id="c2"),
        request("OPTIONS", branch="z9hG4bK-opt", call_id="c3"),
    ]
    for message in in_dialog:
        layer.on_request(message, ALICE)
    assert _503s(link) == []
    assert (gate.admitted, gate.throttled) == (admitted, throttled)


def test_the_guard_names_the_rate_as_the_throttle_below_its_hard_limits() -> None:
    loop = Loop()
    guard = OverloadGuard(Limits(), lambda: 0, lambda: 0.0)
    gate = loop.admission()
    guard.use_throttle(gate)
    _engage(gate, loop)
    decisions = [guard.admit(invite(f"y{n}", f"z9hG4bK-y{n}")) for n in range(40)]
    causes = {d.cause for d in decisions if isinstance(d, Shed)}
    assert causes == {Cause.THROTTLE}
