"""Calls to the fleet's fixed numbers and the state of their SIP trunk (DESIGN §8): a trunk
the keepalive found out of service makes its fixed numbers "not reachable" without ringing
them (virtual time, the routing table filled in memory)."""

from __future__ import annotations

import pytest

from fleet.core.calls.events import ReleaseCause
from fleet.core.trunks import TrunkState
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind, RingMode
from tests.engine_fixtures import OUTSIDE, ex, fleets, world
from tests.exchange import Exchange
from tests.memory import MemoryFleets, World

__all__ = ["ex", "fleets", "world"]

FIXED = "0145678910"  # the fleet's reception, over trunk-siege


def trunk_down(fleets: MemoryFleets, world: World) -> None:
    fleets.trunk(world.fleet.id, "trunk-siege", state=TrunkState.OUT_OF_SERVICE)


def test_call_to_fixed_number_on_trunk_out_of_service_is_not_reachable(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    trunk_down(fleets, world)
    ex.behave(FIXED, answer_after=1)
    call = ex.dial("0611000001", FIXED)
    ex.advance(3)
    record = ex.record(call)
    assert (record.outcome, record.cause) == (
        CallOutcome.UNREACHABLE,
        ReleaseCause.UNREACHABLE.value,
    )
    assert not any("via trunk" in line.text for line in ex.network.timeline)
    down = [e for e in record.events if e.detail and e.detail.get("trunk_state")]
    assert [(e.kind, e.detail) for e in down] == [
        (CallEventKind.OFFERED, {"trunk": "trunk-siege", "trunk_state": "out_of_service"})
    ]


@pytest.mark.parametrize("state", [TrunkState.UNKNOWN, TrunkState.IN_SERVICE])
def test_call_to_fixed_number_on_trunk_not_known_down_rings_over_it(
    ex: Exchange, fleets: MemoryFleets, world: World, state: TrunkState
) -> None:
    fleets.trunk(world.fleet.id, "trunk-siege", state=state)
    ex.behave(FIXED, answer_after=1)
    call = ex.dial("0611000001", FIXED)
    ex.advance(3)
    assert any("via trunk trunk-siege" in line.text for line in ex.network.timeline)
    ex.hang_up("0611000001")
    assert ex.record(call).outcome is CallOutcome.ANSWERED


def test_trunk_back_in_service_rings_its_fixed_numbers_again(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    trunk_down(fleets, world)
    fleets.trunk(world.fleet.id, "trunk-siege", state=TrunkState.IN_SERVICE)
    ex.behave(FIXED, answer_after=1)
    call = ex.dial("0611000001", FIXED)
    ex.advance(3)
    ex.hang_up("0611000001")
    assert ex.record(call).outcome is CallOutcome.ANSWERED


def test_busy_line_forwarding_to_fixed_number_on_dead_trunk_gets_not_reachable_treatment(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    trunk_down(fleets, world)
    fleets.forward(world.line(1).id, ForwardingKind.BUSY, FIXED)
    ex.behave("0611000002", already_busy=True)
    ex.behave(FIXED, answer_after=1)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(3)
    record = ex.record(call)
    assert (record.outcome, record.cause) == (
        CallOutcome.UNREACHABLE,
        ReleaseCause.UNREACHABLE.value,
    )
    assert [
        (e.forwarding_kind, e.to_number) for e in record.events if e.kind is CallEventKind.FORWARDED
    ] == [(ForwardingKind.BUSY, "+33145678910")]
    assert not ex.in_call(FIXED)


def test_incoming_list_skips_a_fixed_number_on_a_dead_trunk(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    trunk_down(fleets, world)
    owner = world.line(1)
    fleets.incoming_list(owner.id, [FIXED, "0611000003"], mode=RingMode.CASCADE, ring_time=10)
    ex.behave(FIXED, answer_after=1)
    ex.behave("0611000003", answer_after=1)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(3)
    assert ex.in_call("0611000003") and not ex.in_call(FIXED)
    ex.hang_up(OUTSIDE)
    assert ex.record(call).outcome is CallOutcome.ANSWERED


def test_simultaneous_list_of_only_dead_trunk_numbers_ends_at_once(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    trunk_down(fleets, world)
    fleets.incoming_list(world.line(1).id, [FIXED])
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(1)
    assert ex.record(call).outcome is CallOutcome.NO_ANSWER
