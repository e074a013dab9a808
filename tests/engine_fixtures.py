"""The engine tests' common fixtures: the memory world of ``tests.memory``, its fleets, and an
exchange on it in virtual time with a caller outside every fleet that never answers; each
test ends by checking that no call, timer, busy mark, queue or group offer is left behind.

A test module takes them with ``from tests.engine_fixtures import ex, fleets, world`` and
``__all__`` naming them (the way ``tests.test_portal``'s ``site`` is shared)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fleet.core.model import CallGroup
from simulators.handsets import Behaviour
from tests.exchange import Exchange, make_exchange, n
from tests.memory import MemoryFleets, World, memory_world

OUTSIDE = "0699000001"  # a caller outside every fleet
GROUP = "0609182236"  # the "Standard" group's number


def group_of(fleets: MemoryFleets, world: World, members: list[int], **settings: Any) -> CallGroup:
    """The "Standard" group (``GROUP``) of the world's lines ``members``, all connected:
    linear with 10 s before switching over, no inter-call delay, a queue of 2 callers waiting
    60 s at most (``settings`` override)."""
    line_ids = [world.line(i).id for i in members]
    chosen: dict[str, Any] = {
        "switchover_delay": 10,
        "intercall_delay": 0,
        "queue_size": 2,
        "max_queue_wait": 60,
    }
    chosen.update(settings)
    return fleets.add_group(
        world.fleet.id,
        number=GROUP,
        name="Standard",
        members=line_ids,
        connected=line_ids,
        **chosen,
    )


@pytest.fixture
def world() -> World:
    return memory_world()


@pytest.fixture
def fleets(world: World) -> MemoryFleets:
    return world.fleets


@pytest.fixture
def ex(world: World) -> Iterator[Exchange]:
    exchange = make_exchange(world.fleets.table, world)
    exchange.network.add(n(OUTSIDE), "Client", behaviour=Behaviour(answer_after=None))
    yield exchange
    exchange.settle()
    exchange.assert_clean()
