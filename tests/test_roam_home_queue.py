"""A call-group member barring incoming calls while roaming (BAIC-Roam, 351) is skipped while
its handset is abroad; when the network learns it is home again (``LineCameHome``, told to
``Engine.came_home``) a caller waiting in one of its groups' queues is offered to it at once,
as when a member leaves do-not-disturb or lifts BAIC (virtual time, the simulated network on
an in-memory directory)."""

from __future__ import annotations

import pytest

from callgroups.activity import EngineActivity
from fleet.core import barring
from fleet.core.activity import MemberState
from fleet.core.barring import Barring
from fleet.core.calls.events import LineCameHome
from fleet.core.values import CallOutcome
from simulators.handsets import Behaviour, HandsetState
from tests.engine_fixtures import GROUP, OUTSIDE, ex, fleets, group_of, world
from tests.exchange import Exchange, n
from tests.memory import MemoryFleets, World

__all__ = ["ex", "fleets", "world"]

OTHER_CALLER = "0699000002"


def mobile(i: int) -> str:
    """The number of the world's line ``i``."""
    return f"06110000{i + 1:02d}"


def queued_behind_a_roaming_member(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> tuple[str, int]:
    """Group of lines 0 and 1, both connected: line 0 bars calls while roaming and is abroad,
    line 1 is in a call; a caller to the group waits in its queue. The caller's call id and
    the group's id."""
    group = group_of(fleets, world, [0, 1], max_queue_wait=300)
    fleets.update_line(world.line(0).id, **{barring.SETTINGS[Barring.BAIC_ROAM].name: True})
    ex.network.set_state(n(mobile(0)), HandsetState.ABROAD)
    ex.network.add(n(OTHER_CALLER), "Other", behaviour=Behaviour(answer_after=None))
    ex.dial(OTHER_CALLER, mobile(1))
    ex.advance(1)
    ex.network.answer(n(mobile(1)))
    call = ex.dial(OUTSIDE, GROUP)
    ex.advance(1)
    assert len(ex.groups.waiting(group.id)) == 1
    assert not ex.ringing(mobile(0))
    live = EngineActivity(engine=ex.engine, hunter=ex.groups, directory=fleets.table)
    (shown,) = live.groups(world.fleet.id)
    assert [m.state for m in shown.members] == [MemberState.BARRED, MemberState.IN_CALL]
    return call, group.id


@pytest.mark.parametrize("home", [HandsetState.ON, HandsetState.WHITE_ZONE], ids=["home", "white"])
def test_a_roaming_member_coming_home_takes_the_caller_waiting_in_the_queue(
    ex: Exchange, fleets: MemoryFleets, world: World, home: HandsetState
) -> None:
    call, _ = queued_behind_a_roaming_member(ex, fleets, world)
    ex.advance(30)
    assert not ex.ringing(mobile(0)), "still abroad: still skipped"
    ex.network.set_state(n(mobile(0)), home)
    assert ex.ringing(mobile(0)), "rung at once, not at the next freed member"
    assert ex.groups.queues == {}
    ex.network.answer(n(mobile(0)))
    ex.hang_up(OUTSIDE)
    assert ex.record(call).outcome is CallOutcome.ANSWERED


def test_the_engine_hears_of_the_homecoming_only_through_the_event(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    call, _ = queued_behind_a_roaming_member(ex, fleets, world)
    ex.switch(mobile(0), HandsetState.ON)  # the handset's state changed, nobody told
    ex.advance(1)
    assert not ex.ringing(mobile(0)), "no event: the queue does not move by itself"
    ex.engine.came_home(LineCameHome(n(mobile(0))))
    assert ex.ringing(mobile(0))
    ex.hang_up(OUTSIDE)
    assert ex.record(call).outcome is CallOutcome.ABANDONED


def test_a_homecoming_the_network_does_not_confirm_leaves_the_caller_waiting(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    """The event only makes the engine look again: it asks the network where the handset
    is, and a handset still abroad stays skipped."""
    _, group_id = queued_behind_a_roaming_member(ex, fleets, world)
    ex.engine.came_home(LineCameHome(n(mobile(0))))
    ex.advance(1)
    assert not ex.ringing(mobile(0))
    assert len(ex.groups.waiting(group_id)) == 1


def test_a_member_coming_home_while_in_a_call_leaves_the_caller_for_the_next_free_member(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    queued_behind_a_roaming_member(ex, fleets, world)
    ex.network.set_state(n(mobile(1)), HandsetState.ABROAD)  # line 1: no barring program
    ex.network.set_state(n(mobile(1)), HandsetState.ON)  # home again, but in its call
    assert not ex.ringing(mobile(1)) and not ex.ringing(mobile(0))
    ex.hang_up(OTHER_CALLER)  # line 1 freed: it takes the waiting caller
    assert ex.ringing(mobile(1))
