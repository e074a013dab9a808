"""The ownership rounds on PostgreSQL (``fleet.services.ownership`` over ``fleet.db.owners``),
two keepers in one test process driven round by round: they share the fleets one each, write
``fleet_owners``; a keeper whose connection is terminated owns nothing, the other takes every
fleet; back, the first gets its share again over the next rounds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.ownership import Owner, OwnerMap, Ownership
from fleet.core.values import Actor
from fleet.db.owners import APPLICATION_PREFIX, OwnerLocks
from fleet.services.container import Services
from fleet.services.ownership import OwnershipKeeper
from tests.polling import eventually


@pytest.fixture
async def fleets(engine: AsyncEngine, services: Services, actor: Actor) -> tuple[int, int]:
    if engine.dialect.name != "postgresql":
        pytest.skip("fleet owners need PostgreSQL")
    made = [await services.fleets.create(actor, name=f"F{i}") for i in range(2)]
    return made[0].id, made[1].id


@pytest.fixture
async def keepers(database_url: str) -> AsyncIterator[tuple[OwnershipKeeper, OwnershipKeeper]]:
    pair = tuple(
        OwnershipKeeper(
            locks=OwnerLocks(url=database_url, process=name, sip_uri=f"sip:127.0.0.1:{port}")
        )
        for name, port in (("pa", 5071), ("pb", 5072))
    )
    yield pair[0], pair[1]
    for keeper in pair:
        await keeper.stop()


async def test_two_keepers_own_one_fleet_each_and_see_each_others_address(
    fleets: tuple[int, int], keepers: tuple[OwnershipKeeper, OwnershipKeeper], engine: AsyncEngine
) -> None:
    a, b = keepers
    await a.round()  # alone: takes both
    assert a.owned == frozenset(fleets)
    for _ in range(2):
        await b.round()  # nothing free
        await a.round()  # two processes: gives one up
    await b.round()
    assert len(a.owned) == len(b.owned) == 1 and a.owned | b.owned == frozenset(fleets)
    (mine,) = a.owned
    (theirs,) = b.owned
    await a.round()
    assert a.current.of(theirs) == (Ownership.ELSEWHERE, Owner("pb", "sip:127.0.0.1:5072"))
    assert a.current.of(mine) == (Ownership.MINE, None)
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT fleet_id, process FROM fleet_owners"))
        assert dict(rows.all()) == {mine: "pa", theirs: "pb"}


async def test_a_keeper_whose_connection_dies_owns_nothing_and_the_other_takes_over(
    fleets: tuple[int, int], keepers: tuple[OwnershipKeeper, OwnershipKeeper], engine: AsyncEngine
) -> None:
    a, b = keepers
    await a.round()
    await b.round()
    assert a.owned == frozenset(fleets) and b.owned == frozenset()
    async with engine.connect() as conn:  # the owner's backend goes away
        await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = :n"
            ),
            {"n": APPLICATION_PREFIX + "pa"},
        )
    await eventually(lambda: _gone(engine, "pa"), every=0.05, what="pa's backend gone")
    await b.round()  # alone now (the locks went with the backend): takes both
    assert b.owned == frozenset(fleets)
    await a.round()  # its connection died (or was opened again): nothing owned
    assert a.owned == frozenset()
    await a.round()  # connected again: nothing free
    await b.round()  # two processes: gives one up
    await a.round()
    assert len(a.owned) == len(b.owned) == 1


async def _gone(engine: AsyncEngine, process: str) -> bool:
    async with engine.connect() as conn:
        count = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = :n"
            ),
            {"n": APPLICATION_PREFIX + process},
        )
    return int(count or 0) == 0


async def test_a_round_asked_for_hands_its_map_to_the_caller(
    fleets: tuple[int, int], keepers: tuple[OwnershipKeeper, OwnershipKeeper]
) -> None:
    a, _ = keepers
    a.start()
    seen: list[frozenset[int]] = []
    done = asyncio.Event()

    def then(owners: OwnerMap) -> None:
        seen.append(owners.mine)
        done.set()

    a.after_next_round(then)
    await asyncio.wait_for(done.wait(), 30)
    assert seen == [frozenset(fleets)]
