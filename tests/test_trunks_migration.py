"""Migration 0009 adds the trunks: the fixed numbers already stored keep their trunk name,
and are tried as before until a trunk of that name is added."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.calls.ports import FixedTarget
from fleet.core.trunks import TrunkState
from fleet.core.values import Actor
from fleet.db import migrate
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from tests.world import build_world

BEFORE = "0008"


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync: set(sa.inspect(sync).get_table_names()))


async def test_fixed_numbers_stored_before_the_upgrade_keep_their_trunk_name(
    engine: AsyncEngine, database_url: str, services: Services, actor: Actor
) -> None:
    world = await build_world(services, actor)
    await migrate.downgrade(database_url, BEFORE)
    try:
        assert "trunks" not in await _tables(engine)
    finally:
        await migrate.upgrade(database_url)
    assert "trunks" in await _tables(engine)
    assert await services.trunks.in_fleet(world.fleet.id) == []
    [fixed] = await services.fleets.fixed_numbers(world.fleet.id)
    assert fixed.trunk == "trunk-siege"
    relabelled = await services.fleets.update_fixed_number(actor, fixed.id, label="Standard")
    assert relabelled.trunk == "trunk-siege"
    directory = await CachedDirectory.open(services=services)
    try:
        target = directory.resolve(fixed.number)
        assert isinstance(target, FixedTarget) and target.trunk_state is TrunkState.UNKNOWN
        added = await services.trunks.add(actor, world.fleet.id, name="trunk-siege", host="pbx")
        await services.trunks.set_state(added.trunk.id, TrunkState.OUT_OF_SERVICE)
        target = directory.resolve(fixed.number)
        assert isinstance(target, FixedTarget)
        assert target.trunk_state is TrunkState.OUT_OF_SERVICE
    finally:
        directory.close()
