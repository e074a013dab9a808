"""Reading a large fleet again (a reload of the routing cache) never blinds the router: the
new view is read and built a part at a time and swapped in at once, so calls and feature
codes keep being routed with the old view meanwhile. (How long the event loop may stall
during such a reload is measured by ``bench/routing_cache.py``, not here.)"""

from __future__ import annotations

import asyncio
import random

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.calls.ports import GroupTarget, LineTarget
from fleet.core.numbering import E164
from fleet.core.values import Actor, Language
from fleet.db.tables import LineRow
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from tests.world import code_group

LINES = 50_000


async def _big_fleet(
    services: Services, engine: AsyncEngine, actor: Actor
) -> tuple[int, list[E164]]:
    """A fleet of 50,000 lines (written in bulk: the services would take minutes) with a few
    call groups; returns its id and every line's number."""
    fleet = await services.fleets.create(actor, name="Grande flotte", short_number_length=6)
    now = services.lines.now()
    numbers = [E164(f"+3362{i:07d}") for i in range(LINES)]
    rows = [
        {
            "fleet_id": fleet.id,
            "msisdn": number.value,
            "short_number": f"{100000 + i}",
            "employee_name": f"Salarié {i:05d}",
            "email": None,
            "language": Language.FR,
            "pabx_option": True,
            "call_waiting": True,
            "clir": False,
            "created_at": now,
            "updated_at": now,
        }
        for i, number in enumerate(numbers)
    ]
    async with engine.begin() as conn:
        for start in range(0, LINES, 5_000):
            await conn.execute(insert(LineRow), rows[start : start + 5_000])
    return fleet.id, numbers


async def test_reloading_a_fleet_of_50000_lines_never_fails_a_lookup_nor_stalls_them(
    services: Services, engine: AsyncEngine, actor: Actor
) -> None:
    fleet_id, numbers = await _big_fleet(services, engine, actor)
    directory = await CachedDirectory.open(services=services)
    try:
        first = await services.lines.find_in_fleet(fleet_id, numbers[0].national_digits())
        assert first is not None
        group = await code_group(
            services, actor, fleet_id, number="0609182236", name="Accueil", members=[first.id]
        )
        sample = random.Random(9).sample(numbers, 5)
        reloading = True
        probes, failures = 0, []

        async def probe() -> None:
            nonlocal probes
            while reloading:
                for number in sample:
                    if not isinstance(directory.resolve(number), LineTarget):
                        failures.append(number)
                if not isinstance(directory.resolve(group.number), GroupTarget):
                    failures.append(group.number)
                if directory.short_number(fleet_id, "100000") != numbers[0]:
                    failures.append(numbers[0])
                probes += 1
                # a millisecond between rounds: a prober spinning on sleep(0) holds the GIL
                # and starves the database driver's thread (minutes instead of seconds)
                await asyncio.sleep(0.001)

        prober = asyncio.get_running_loop().create_task(probe())
        await asyncio.sleep(0)  # the prober is running before the reload starts
        await directory.load_fleet(fleet_id)
        reloading = False
        await prober
        assert failures == []
        assert probes > 0  # lookups ran while the fleet was read and built again
        assert len(directory.all_lines()) == LINES
        assert isinstance(directory.resolve(numbers[-1]), LineTarget)
    finally:
        directory.close()
