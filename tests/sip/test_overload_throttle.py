"""Overload control below the hard limits (fleet.sip.overload_throttle): a share of new INVITEs
admitted, cut multiplicatively while the lag or the UDP queue is above its target and given back
step by step once both are below it; the refused ones get the stateless 503 with Retry-After,
ahead of the transaction layer, and an admitted one is not judged twice; in-dialog requests,
ACK, CANCEL, BYE never throttled. Load read from fakes, in virtual time."""

from __future__ import annotations

import pytest

from fleet.sip.message import Request, Response
from fleet.sip.overload import Cause, Limits, OverloadGuard, Shed
from fleet.sip.overload_stateless import is_shed_tag
from fleet.sip.overload_throttle import Throttle, ThrottleConfig
from tests.sip.lossy import LossyLink, RecordingTU
from tests.sip.requests import request
from tests.sip.test_overload_stateless import ALICE, BOB, ScreenedLayer, invite
from tests.sip.virtual import VirtualClock

CONFIG = ThrottleConfig(target_lag=0.05, target_backlog=0.05)


class Load:
    def __init__(self) -> None:
        self.lag = 0.0
        self.fill: float | None = None


def throttle(load: Load, config: ThrottleConfig = CONFIG) -> Throttle:
    return Throttle(config, lambda: load.lag, lambda: load.fill)


def admitted(throttle: Throttle, count: int) -> list[bool]:
    return [throttle.take() for _ in range(count)]


def test_below_its_target_every_new_invite_is_admitted() -> None:
    load = Load()
    load.lag, load.fill = 0.049, 0.049
    gate = throttle(load)
    for _ in range(10):
        gate.sample()
    assert gate.share == 1.0 and not gate.active
    assert admitted(gate, 100) == [True] * 100 and gate.throttled == 0


def test_a_lag_above_target_cuts_the_share_and_admits_exactly_that_share_in_turn() -> None:
    load = Load()
    load.lag = 0.1  # twice the target: the share halves
    gate = throttle(load)
    gate.sample()
    assert gate.share == pytest.approx(0.5) and gate.active
    assert admitted(gate, 6) == [False, True, False, True, False, True]
    load.lag = 0.4  # eight times: cut by at most half a sample
    gate.sample()
    assert gate.share == pytest.approx(0.25)
    assert admitted(gate, 8).count(True) == 2
    assert gate.throttled == 3 + 6


def test_a_filling_udp_queue_cuts_the_share_though_the_loop_is_on_time() -> None:
    load = Load()
    load.fill = 0.075
    gate = throttle(load)
    gate.sample()
    assert gate.share == pytest.approx(1 / 1.5)
    assert gate.pressure == pytest.approx(1.5)


def test_the_share_never_falls_below_its_floor() -> None:
    load = Load()
    load.lag = 10.0
    gate = throttle(load)
    for _ in range(50):
        gate.sample()
    assert gate.share == CONFIG.floor
    assert admitted(gate, 100).count(True) == 2


def test_once_below_the_low_mark_the_share_comes_back_step_by_step_to_all() -> None:
    load = Load()
    load.lag = 0.1
    gate = throttle(load)
    gate.sample()
    load.lag = 0.045  # below the target but above its 80 %: the share holds
    gate.sample()
    assert gate.share == pytest.approx(0.5)
    load.lag = 0.01
    shares = []
    for _ in range(12):
        gate.sample()
        shares.append(round(gate.share, 2))
    assert shares[:3] == [0.55, 0.6, 0.65]
    assert shares[-2:] == [1.0, 1.0] and not gate.active
    assert admitted(gate, 10) == [True] * 10


def test_config_refuses_values_that_cannot_steer() -> None:
    for bad in (
        {"target_lag": 0},
        {"target_backlog": 0},
        {"target_backlog": 2},
        {"floor": 0},
        {"cut": 1},
        {"resume_ratio": 1},
    ):
        with pytest.raises(ValueError):
            ThrottleConfig(**bad)


def _guarded(load: Load) -> tuple[ScreenedLayer, RecordingTU, LossyLink, Throttle]:
    clock = VirtualClock()
    link = LossyLink(clock, BOB)
    tu = RecordingTU()
    layer: ScreenedLayer
    guard = OverloadGuard(Limits(retry_after=7), lambda: layer.server_transactions, lambda: 0.0)
    gate = throttle(load)
    guard.use_throttle(gate)
    layer = ScreenedLayer(clock, link, tu, guard)
    return layer, tu, link, gate


def _503s(link: LossyLink) -> list[Response]:
    return [
        sent.message
        for sent in link.sent
        if isinstance(sent.message, Response) and sent.message.status == 503
    ]


def test_throttled_invites_get_a_stateless_503_and_the_admitted_ones_reach_the_tu_once() -> None:
    load = Load()
    layer, tu, link, gate = _guarded(load)
    load.lag = 0.1
    gate.sample()
    for n in range(10):
        layer.on_request(invite(f"call{n}", f"z9hG4bK-{n}"), ALICE)
    assert tu.kinds().count("request") == 5  # every second one: not judged again by the layer
    refused = _503s(link)
    assert len(refused) == 5
    assert all(r.headers.get("Retry-After") == "7" for r in refused)
    assert all(r.to is not None and is_shed_tag(r.to.tag) for r in refused)
    assert len(layer) == 5  # no transaction for a refused one
    guard = layer.shedder.guard
    assert guard.shed == guard.stateless == 5


def test_requests_of_calls_already_admitted_are_never_throttled() -> None:
    load = Load()
    layer, _, link, gate = _guarded(load)
    load.lag = 10.0
    for _ in range(50):
        gate.sample()
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
    assert gate.throttled == 0


def test_a_guard_past_a_hard_limit_names_that_limit_not_the_throttle() -> None:
    load = Load()
    guard = OverloadGuard(Limits(max_transactions=1), lambda: 5, lambda: 0.0)
    guard.use_throttle(throttle(load))
    decision = guard.admit(invite("x", "z9hG4bK-x"))
    assert isinstance(decision, Shed) and decision.cause is Cause.TRANSACTIONS
    load.lag = 0.2
    guard_below = OverloadGuard(Limits(), lambda: 0, lambda: 0.0)
    gate = throttle(load)
    guard_below.use_throttle(gate)
    gate.sample()
    decisions = [guard_below.admit(invite(f"y{n}", f"z9hG4bK-y{n}")) for n in range(4)]
    assert [d.cause for d in decisions if isinstance(d, Shed)] == [Cause.THROTTLE] * 2  # half
