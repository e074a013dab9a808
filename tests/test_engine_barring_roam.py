"""BAIC-Roam (351, TS 22.088) in the engine, in virtual time: while the network says the
line's handset is abroad (the simulated network: its state, the one that refuses in-call
transfers), a call to the line is barred like BAIC (the caller hears "call barred", the
record names 351) and the line is skipped as a group's member or a list's entry; at home,
nothing is barred."""

from __future__ import annotations

from callgroups.activity import EngineActivity
from fleet.core import barring
from fleet.core.activity import MemberState
from fleet.core.barring import Barring
from fleet.core.calls.events import Announcement, ReleaseCause
from fleet.core.model import CallEvent, CallRecord
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind, RingMode
from simulators.handsets import HandsetState
from tests.engine_fixtures import GROUP, OUTSIDE, ex, fleets, group_of, world
from tests.exchange import Exchange, n
from tests.memory import MemoryFleets, World

__all__ = ["ex", "fleets", "world"]


def mobile(i: int) -> str:
    """The number of the world's line ``i``."""
    return f"06110000{i + 1:02d}"


def bar_roaming(fleets: MemoryFleets, world: World, line: int) -> None:
    fleets.update_line(world.line(line).id, **{barring.SETTINGS[Barring.BAIC_ROAM].name: True})


def refusals(record: CallRecord) -> list[CallEvent]:
    return [e for e in record.events if e.kind is CallEventKind.RESTRICTED]


def abroad(ex: Exchange, number: str) -> None:
    ex.network.set_state(n(number), HandsetState.ABROAD)


def test_a_call_to_a_line_barring_calls_while_roaming_is_barred_when_it_is_abroad(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.forward(world.line(1).id, ForwardingKind.UNCONDITIONAL, OUTSIDE)
    bar_roaming(fleets, world, 1)
    abroad(ex, mobile(1))
    call = ex.dial(OUTSIDE, mobile(1))
    assert not ex.ringing(mobile(1)) and not ex.ringing(OUTSIDE)
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.REJECTED, ReleaseCause.NOT_ALLOWED.value)
    (event,) = refusals(record)
    assert (event.to_number, event.detail) == ("+33611000002", {"barring": "351"})
    assert [a for _, a in ex.network.played] == [Announcement.CALL_BARRED]


def test_a_line_barring_calls_while_roaming_rings_at_home_and_in_a_white_zone(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    bar_roaming(fleets, world, 1)
    for state in (HandsetState.ON, HandsetState.WHITE_ZONE):
        ex.network.set_state(n(mobile(1)), state)
        call = ex.dial(OUTSIDE, mobile(1))
        ex.advance(1)
        assert ex.ringing(mobile(1))
        ex.hang_up(OUTSIDE)
        assert refusals(ex.record(call)) == []
    assert not ex.network.played


def test_an_abroad_line_without_the_program_is_rung(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    abroad(ex, mobile(1))
    call = ex.dial(OUTSIDE, mobile(1))
    ex.advance(1)
    assert ex.ringing(mobile(1))
    ex.hang_up(OUTSIDE)
    assert refusals(ex.record(call)) == []


def test_coming_home_lifts_the_roaming_barring(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    bar_roaming(fleets, world, 1)
    abroad(ex, mobile(1))
    barred = ex.record(ex.dial(OUTSIDE, mobile(1)))
    assert barred.outcome is CallOutcome.REJECTED
    ex.network.set_state(n(mobile(1)), HandsetState.ON)
    ex.dial(OUTSIDE, mobile(1))
    ex.advance(1)
    assert ex.ringing(mobile(1))


def test_a_group_skips_a_roaming_member_barring_calls_while_roaming(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    group_of(fleets, world, [0, 1, 2])
    bar_roaming(fleets, world, 0)
    bar_roaming(fleets, world, 2)  # at home: rung
    abroad(ex, mobile(0))
    live = EngineActivity(engine=ex.engine, hunter=ex.groups, directory=fleets.table)
    (group,) = live.groups(world.fleet.id)
    assert [m.state for m in group.members] == [
        MemberState.BARRED,
        MemberState.AVAILABLE,
        MemberState.AVAILABLE,
    ]
    call = ex.dial(OUTSIDE, GROUP)
    ex.advance(1)
    assert ex.ringing(mobile(1)) and not ex.ringing(mobile(0))
    ex.advance(10)
    assert ex.ringing(mobile(2)) and not ex.ringing(mobile(0))
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    assert record.outcome is CallOutcome.ABANDONED
    (event,) = refusals(record)
    assert (event.to_number, event.member_line_id, event.detail) == (
        "+33611000001",
        world.line(0).id,
        {"barring": "351", "skipped": True},
    )
    assert not [a for _, a in ex.network.played if a is Announcement.CALL_BARRED]


def test_a_list_passes_over_a_roaming_entry_barring_calls_while_roaming(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.incoming_list(world.line(1).id, [mobile(2), mobile(5)], mode=RingMode.CASCADE)
    bar_roaming(fleets, world, 2)
    bar_roaming(fleets, world, 5)
    abroad(ex, mobile(2))  # mobile(5) at home: rung
    call = ex.dial(OUTSIDE, mobile(1))
    ex.advance(1)
    assert ex.ringing(mobile(5)) and not ex.ringing(mobile(2))
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    (event,) = refusals(record)
    assert (event.to_number, event.detail) == ("+33611000003", {"barring": "351", "skipped": True})
