"""The activity monitor's live part (issue 16 item 8) read from the engine in virtual time:
each member's state — disconnected, ringing, in a call, resting until the end of its
inter-call delay, in do-not-disturb, available — and each group's queue with the time the
longest-waiting caller joined it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from callgroups.activity import EngineActivity
from fleet.core.activity import GroupActivity, MemberState
from fleet.core.model import CallGroup
from simulators.handsets import Behaviour
from tests.exchange import Exchange, make_exchange, n
from tests.memory import MemoryFleets, World, memory_world

OUTSIDE = "0699000001"
OUTSIDE_2 = "0699000002"
OUTSIDE_3 = "0699000003"
GROUP_NUMBER = "0609182236"


@pytest.fixture
def world() -> World:
    return memory_world()


@pytest.fixture
def fleets(world: World) -> MemoryFleets:
    return world.fleets


@pytest.fixture
def ex(world: World) -> Iterator[Exchange]:
    exchange = make_exchange(world.fleets.table, world)
    for number in (OUTSIDE, OUTSIDE_2, OUTSIDE_3):
        exchange.network.add(n(number), "Client", behaviour=Behaviour(answer_after=None))
    yield exchange
    exchange.settle()
    exchange.assert_clean()


def activity(ex: Exchange, fleets: MemoryFleets) -> EngineActivity:
    return EngineActivity(engine=ex.engine, hunter=ex.groups, directory=fleets.table)


def mobile(i: int) -> str:
    return f"06110000{i + 1:02d}"


def group_of(fleets: MemoryFleets, world: World, members: list[int], **settings: Any) -> CallGroup:
    line_ids = [world.line(i).id for i in members]
    return fleets.add_group(
        world.fleet.id,
        number=GROUP_NUMBER,
        name="Standard",
        members=line_ids,
        connected=line_ids,
        switchover_delay=10,
        **settings,
    )


def states(group: GroupActivity) -> list[MemberState]:
    return [m.state for m in group.members]


def only(live: EngineActivity, fleet_id: int) -> GroupActivity:
    (group,) = live.groups(fleet_id)
    return group


def test_a_member_rings_then_is_in_a_call_then_rests_until_the_end_of_its_delay(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    group = group_of(fleets, world, [0, 1, 2], intercall_delay=30)
    fleets.connect(group.id, world.line(2).id, False)
    live = activity(ex, fleets)
    group_view = only(live, world.fleet.id)
    assert states(group_view) == [
        MemberState.AVAILABLE,
        MemberState.AVAILABLE,
        MemberState.DISCONNECTED,
    ]
    assert [m.connected for m in group_view.members] == [True, True, False]

    ex.dial(OUTSIDE, GROUP_NUMBER)  # linear: the first member rings
    ex.advance(1)
    assert states(only(live, world.fleet.id))[:2] == [MemberState.RINGING, MemberState.AVAILABLE]

    ex.network.answer(n(mobile(0)))
    ex.advance(1)
    assert states(only(live, world.fleet.id))[0] is MemberState.IN_CALL

    ex.advance(20)
    ex.hang_up(OUTSIDE)
    ended = live.now()
    member = only(live, world.fleet.id).members[0]
    assert member.state is MemberState.RESTING
    assert member.rest_until == ended + timedelta(seconds=30)

    ex.advance(30)
    member = only(live, world.fleet.id).members[0]
    assert (member.state, member.rest_until) == (MemberState.AVAILABLE, None)


def test_a_queue_of_two_shows_its_length_and_the_longest_wait(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    group_of(fleets, world, [0], queue_size=2, max_queue_wait=120)
    live = activity(ex, fleets)
    ex.behave(mobile(0), answer_after=1)
    ex.dial(OUTSIDE, mobile(0))  # the only member busy in a private call
    ex.advance(2)
    assert only(live, world.fleet.id).queue_length == 0
    assert only(live, world.fleet.id).waiting_since is None

    first_at = live.now()
    ex.dial(OUTSIDE_2, GROUP_NUMBER)
    ex.advance(7)
    ex.dial(OUTSIDE_3, GROUP_NUMBER)
    ex.advance(5)
    group = only(live, world.fleet.id)
    assert states(group) == [MemberState.IN_CALL]
    assert (group.queue_length, group.queue_size) == (2, 2)
    assert group.waiting_since == first_at
    assert group.longest_wait(live.now()) == timedelta(seconds=12)

    ex.hang_up(OUTSIDE_2)  # the first caller gives up: the second waits longest now
    group = only(live, world.fleet.id)
    assert group.queue_length == 1
    assert group.longest_wait(live.now()) == timedelta(seconds=5)


def test_a_member_in_do_not_disturb_and_a_member_rung_directly_are_told_apart(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    group_of(fleets, world, [0, 1, 2])
    fleets.update_line(world.line(1).id, dnd=True)
    live = activity(ex, fleets)
    ex.dial(OUTSIDE, mobile(2))  # a call to the member's own line rings it too
    ex.advance(1)
    assert states(only(live, world.fleet.id)) == [
        MemberState.AVAILABLE,
        MemberState.DO_NOT_DISTURB,
        MemberState.RINGING,
    ]
    ex.hang_up(OUTSIDE)


def test_a_member_calling_out_is_in_a_call_while_his_callee_rings(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    """The member's own leg is up (the hunt skips him as busy): in a call, not ringing;
    the callee, a member too, rings."""
    group_of(fleets, world, [0, 1])
    live = activity(ex, fleets)
    ex.dial(mobile(0), mobile(1))
    ex.advance(1)
    assert states(only(live, world.fleet.id)) == [MemberState.IN_CALL, MemberState.RINGING]
    ex.hang_up(mobile(0))


def test_only_the_fleet_s_own_groups_are_read(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    group_of(fleets, world, [0])
    live = activity(ex, fleets)
    assert live.groups(world.other_fleet.id) == ()
    assert [g.name for g in live.groups(world.fleet.id)] == ["Standard"]
