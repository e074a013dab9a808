"""The engine tests' common fixtures: the memory world of ``tests.memory``, its fleets, and an
exchange on it in virtual time with a caller outside every fleet that never answers; each
test ends by checking that no call, timer, busy mark, queue or group offer is left behind.

A test module takes them with ``from tests.engine_fixtures import ex, fleets, world`` and
``__all__`` naming them (the way ``tests.test_portal``'s ``site`` is shared)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulators.handsets import Behaviour
from tests.exchange import Exchange, make_exchange, n
from tests.memory import MemoryFleets, World, memory_world

OUTSIDE = "0699000001"  # a caller outside every fleet


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
