"""Schedules and routing criteria for ``bench/engine.py --criteria`` (issue 16 item 2): the
office hours and their opposite, and criteria on every rule (incoming-call list, the four
forwardings, do-not-disturb) of a share of the fleet's lines — one or two criteria per rule
(a rule applies when one of them matches), written in bulk."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

from _report import out
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.criteria import LINE_TARGETS, CallerFilter
from fleet.core.schedules import Holiday, TimeRange, Weekday
from fleet.core.values import Actor, Channel
from fleet.db.tables import LineRow
from fleet.db.tables_criteria import CriteriaRow
from fleet.services.container import Services

OFFICE = [
    TimeRange(day=day, start=start, end=end)
    for day in (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY)
    for start, end in ((8 * 60, 12 * 60), (14 * 60, 18 * 60))
]
CALLERS = [
    (CallerFilter.ANY, ""),
    (CallerFilter.OUTSIDE_VPN, ""),
    (CallerFilter.INSIDE_VPN, ""),
    (CallerFilter.HIDDEN, ""),
    (CallerFilter.NUMBERS, ",".join(f"+33{699_000_000 + i}" for i in range(0, 50, 5))),
]


async def seed_criteria(
    services: Services, engine: AsyncEngine, fleet_id: int, *, share: float, seed: int
) -> int:
    """Criteria on every line rule of ``share`` of the fleet's lines; the lines' count."""
    started = time.perf_counter()
    actor = Actor(name="bench", channel=Channel.CLI)
    holidays = [
        Holiday(
            label="Noël",
            first=datetime(2026, 12, 25).date(),
            last=datetime(2026, 12, 25).date(),
            yearly=True,
        )
    ]
    office = await services.schedules.create(
        actor, fleet_id, name="Bureau", ranges=OFFICE, holidays=holidays, with_opposite=True
    )
    schedules = [s.id for s in await services.schedules.in_fleet(fleet_id)]
    assert office.id in schedules
    rng = random.Random(seed)
    async with engine.begin() as conn:
        ids = list(
            (await conn.scalars(select(LineRow.id).where(LineRow.fleet_id == fleet_id))).all()
        )
        chosen = rng.sample(ids, round(len(ids) * share))
        now = datetime.now(UTC)
        rows = []
        for line_id in chosen:
            for target in LINE_TARGETS:
                for position in range(1, rng.choice((1, 2)) + 1):
                    callers, numbers = rng.choice(CALLERS)
                    rows.append(
                        {
                            "fleet_id": fleet_id,
                            "line_id": line_id,
                            "group_id": None,
                            "target": target,
                            "position": position,
                            "name": f"Critère {position}",
                            "active": True,
                            "schedule_id": rng.choice([*schedules, None]),
                            "callers": callers,
                            "numbers": numbers,
                            "updated_at": now,
                        }
                    )
        await conn.execute(insert(CriteriaRow), rows)
    out(
        f"criteria: {len(rows)} (1 or 2 a rule) on every rule of {len(chosen)} lines "
        f"({share:.0%}), "
        f"2 schedules, in {time.perf_counter() - started:.1f} s"
    )
    return len(chosen)
