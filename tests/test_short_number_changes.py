"""A line's or a group's short number changed (``fleet.services.lookups.changed_short_number``):
one another number of the fleet holds is refused and nothing is written, its own is kept, a
blank one clears it, and the other fleet's short numbers are no obstacle; on SQLite and
PostgreSQL alike."""

from __future__ import annotations

import pytest

from fleet.core import model
from fleet.core.errors import ErrorCode
from fleet.core.values import Actor
from fleet.services.container import Services
from tests.service_fixtures import fails
from tests.world import World, build_world, code_group


@pytest.fixture
async def world(services: Services, actor: Actor) -> World:
    return await build_world(services, actor)


@pytest.fixture
async def group(services: Services, actor: Actor, world: World) -> model.CallGroup:
    return await code_group(
        services, actor, world.fleet.id, number="0611000077", name="Com", short_number="2600"
    )


async def test_a_line_cannot_take_a_short_number_its_fleet_already_uses(
    services: Services, actor: Actor, world: World, group: model.CallGroup
) -> None:
    line = world.line(0)
    for taken in ("2002", "2600"):  # another line's, the group's
        error = await fails(
            ErrorCode.SHORT_NUMBER_IN_USE,
            services.lines.update(actor, line.id, short_number=taken),
        )
        assert error.field == "short_number"
    assert (await services.lines.get(line.id)).short_number == line.short_number


async def test_a_line_keeps_its_own_short_number_clears_it_and_takes_another_fleets(
    services: Services, actor: Actor, world: World
) -> None:
    line = world.line(0)
    kept = await services.lines.update(actor, line.id, short_number=line.short_number)
    assert kept.short_number == line.short_number
    cleared = await services.lines.update(actor, line.id, short_number=" ")
    assert cleared.short_number is None
    # "2001" is the other fleet's line's too: short numbers are per fleet
    taken = await services.lines.update(actor, line.id, short_number="2001")
    assert taken.short_number == "2001"


async def test_a_group_cannot_take_a_short_number_its_fleet_already_uses(
    services: Services, actor: Actor, world: World, group: model.CallGroup
) -> None:
    error = await fails(
        ErrorCode.SHORT_NUMBER_IN_USE,
        services.groups.update(actor, group.id, short_number="2003"),
    )
    assert error.field == "short_number"
    assert (await services.groups.get(group.id)).short_number == "2600"


async def test_a_group_keeps_its_own_short_number_and_clears_it(
    services: Services, actor: Actor, group: model.CallGroup
) -> None:
    kept = await services.groups.update(actor, group.id, short_number="2600")
    assert kept.short_number == "2600"
    cleared = await services.groups.update(actor, group.id, short_number=None)
    assert cleared.short_number is None
