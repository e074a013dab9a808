"""The activity monitor across processes (issue 16 item 8 with issue 15) on PostgreSQL: two
ownership keepers share two fleets; each process's monitor shows the live activity of the
fleet it owns and, for the other one, no groups but the process that owns it — never an
empty fleet; when one process's owner connection dies, the other takes its fleet and both
monitors follow."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from callgroups.activity import EngineActivity
from fleet.core.activity import LiveSource
from fleet.core.directory import RoutingTable
from fleet.core.numbering import NumberPolicy
from fleet.core.values import Actor
from fleet.db.owners import APPLICATION_PREFIX, OwnerLocks
from fleet.services.container import Services
from fleet.services.monitor import ActivityMonitor
from fleet.services.ownership import OwnershipKeeper
from tests.exchange import make_exchange
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
        for name, port in (("ma", 5081), ("mb", 5082))
    )
    yield pair[0], pair[1]
    for keeper in pair:
        await keeper.stop()


def monitor_of(keeper: OwnershipKeeper, services: Services) -> ActivityMonitor:
    table = RoutingTable(policy=NumberPolicy())
    exchange = make_exchange(table)
    return ActivityMonitor(
        live=EngineActivity(engine=exchange.engine, hunter=exchange.groups, directory=table),
        fleets=services.fleets,
        schedules=services.schedules,
        criteria=services.criteria,
        owners=lambda: keeper.current,
    )


async def test_each_process_shows_its_own_fleet_live_and_names_the_owner_of_the_other(
    fleets: tuple[int, int],
    keepers: tuple[OwnershipKeeper, OwnershipKeeper],
    services: Services,
    engine: AsyncEngine,
) -> None:
    a, b = keepers
    await a.round()
    for _ in range(2):
        await b.round()
        await a.round()
    await b.round()
    await a.round()
    (mine,) = a.owned
    (theirs,) = b.owned
    on_a = monitor_of(a, services)
    here = await on_a.snapshot(mine)
    assert (here.source, here.owner_process, here.groups) == (LiveSource.HERE, None, ())
    there = await on_a.snapshot(theirs)
    assert (there.source, there.owner_process, there.groups) == (
        LiveSource.ELSEWHERE,
        "mb",
        None,
    )
    on_b = monitor_of(b, services)
    assert (await on_b.snapshot(mine)).owner_process == "ma"

    async with engine.connect() as conn:  # a's owner connection goes away
        await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = :n"
            ),
            {"n": APPLICATION_PREFIX + "ma"},
        )
    await eventually(lambda: _gone(engine, "ma"), every=0.05, what="ma's backend gone")
    await b.round()  # alone now (the locks went with the backend): takes both
    assert b.owned == frozenset(fleets)
    await a.round()  # its connection died (or was opened again): nothing owned
    for fleet_id in fleets:
        lost = await on_a.snapshot(fleet_id)
        assert lost.source in (LiveSource.NOBODY, LiveSource.ELSEWHERE) and lost.groups is None
    await a.round()  # connected again: it sees b owning both
    for fleet_id in fleets:
        moved = await on_a.snapshot(fleet_id)
        assert (moved.source, moved.owner_process) == (LiveSource.ELSEWHERE, "mb")
    assert (await on_b.snapshot(mine)).source is LiveSource.HERE


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
