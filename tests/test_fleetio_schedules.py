"""The schedules in the fleet's JSON (issue 16 item 1): exported with their periods, holidays
and opposite, imported by name into another fleet (the opposite recreated), the same file
twice writing nothing, and every fault reported with its place and nothing written."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.errors import ErrorCode
from fleet.core.schedules import MAX_SCHEDULES_PER_FLEET, Holiday, TimeRange, Weekday
from fleet.core.values import Actor
from fleet.services.container import Services
from fleet.services.fleetio_spec import Format
from tests.test_fleetio import accounts, empty_fleet, faults, journal_size, line_count, run
from tests.world import Accounts

__all__ = ["accounts"]

MORNING = TimeRange(day=Weekday.MONDAY, start=8 * 60, end=12 * 60)
AFTERNOON = TimeRange(day=Weekday.MONDAY, start=13 * 60 + 30, end=18 * 60)
SATURDAY = TimeRange(day=Weekday.SATURDAY, start=9 * 60, end=24 * 60)
CHRISTMAS = Holiday(label="Noël", first=date(2026, 12, 25), last=date(2026, 12, 26), yearly=True)


async def _shop(services: Services, actor: Actor, fleet_id: int) -> None:
    await services.schedules.create(
        actor,
        fleet_id,
        name="Magasin",
        ranges=(MORNING, AFTERNOON, SATURDAY),
        holidays=(CHRISTMAS,),
        with_opposite=True,
    )
    await services.schedules.create(actor, fleet_id, name="Astreinte")


def _document(*schedules: dict[str, Any]) -> str:
    return json.dumps({"schedules": list(schedules)})


async def test_the_export_writes_each_schedule_with_its_periods_holidays_and_opposite(
    services: Services, actor: Actor
) -> None:
    fleet_id = await empty_fleet(services, actor)
    await _shop(services, actor, fleet_id)
    exported = json.loads(await services.fleetio.export(fleet_id, Format.JSON))
    assert exported["schedules"] == [
        {"name": "Astreinte", "opposite": None, "periods": [], "holidays": []},
        {
            "name": "Magasin",
            "opposite": "non-magasin",
            "periods": [
                {"day": "monday", "start": "08:00", "end": "12:00"},
                {"day": "monday", "start": "13:30", "end": "18:00"},
                {"day": "saturday", "start": "09:00", "end": "24:00"},
            ],
            "holidays": [
                {"label": "Noël", "first": "2026-12-25", "last": "2026-12-26", "yearly": True}
            ],
        },
    ]


async def test_a_copy_into_another_fleet_recreates_the_schedules_and_again_writes_nothing(
    services: Services, actor: Actor, engine: AsyncEngine
) -> None:
    source = await empty_fleet(services, actor, "Source")
    await _shop(services, actor, source)
    exported = await services.fleetio.export(source, Format.JSON)
    target = await empty_fleet(services, actor, "Copie")
    report = await run(services, actor, target, exported, Format.JSON)
    assert report.applied, faults(report)
    assert [(c.entity, c.key, c.action.value) for c in report.changes] == [
        ("schedule", "Astreinte", "create"),
        ("schedule", "Magasin", "create"),
        ("schedule", "non-magasin", "create"),
    ]
    copied = await services.schedules.in_fleet(target)
    by_name = {s.name: s for s in copied}
    assert by_name["non-magasin"].opposite_of == by_name["Magasin"].id
    assert by_name["non-magasin"].ranges == (MORNING, AFTERNOON, SATURDAY)
    again = json.loads(await services.fleetio.export(target, Format.JSON))
    assert again["schedules"] == json.loads(exported)["schedules"]
    before = await journal_size(engine)
    twice = await run(services, actor, target, exported, Format.JSON)
    assert twice.changes == () and not twice.faults and twice.unchanged == 2
    assert await journal_size(engine) == before


async def test_an_existing_schedule_takes_the_files_periods_and_its_opposite_follows(
    services: Services, actor: Actor, engine: AsyncEngine
) -> None:
    fleet_id = await empty_fleet(services, actor)
    await _shop(services, actor, fleet_id)
    before = await journal_size(engine)
    text = _document(
        {
            "name": "magasin",
            "opposite": "Fermeture",
            "periods": [{"day": "friday", "start": "10:00", "end": "11:00"}],
        },
        {"name": "Astreinte", "opposite": "non-astreinte", "holidays": []},
    )
    report = await run(services, actor, fleet_id, text, Format.JSON)
    assert report.applied, faults(report)
    assert [(c.key, c.action.value, c.fields) for c in report.changes] == [
        ("magasin", "update", ("name", "ranges")),
        ("Fermeture", "update", ("name",)),
        ("non-astreinte", "create", ()),
    ]
    by_name = {s.name: s for s in await services.schedules.in_fleet(fleet_id)}
    friday = (TimeRange(day=Weekday.FRIDAY, start=600, end=660),)
    # its holidays, absent from the file, are left as they are
    assert by_name["magasin"].ranges == friday and by_name["magasin"].holidays == (CHRISTMAS,)
    assert by_name["Fermeture"].ranges == friday
    assert by_name["Fermeture"].opposite_of == by_name["magasin"].id
    assert by_name["non-astreinte"].opposite_of == by_name["Astreinte"].id
    # the source, its opposite (its content and its name), the new opposite
    assert await journal_size(engine) == before + 3
    again = await run(services, actor, fleet_id, text, Format.JSON)
    assert again.changes == () and await journal_size(engine) == before + 3


async def test_every_faulty_schedule_is_reported_with_its_place_and_nothing_is_written(
    services: Services, actor: Actor, accounts: Accounts, engine: AsyncEngine
) -> None:
    fleet_id = accounts.world.fleet.id
    await _shop(services, actor, fleet_id)
    document = {
        "schedules": [
            {"name": "Jours", "periods": [{"day": "lundi", "start": "08:00", "end": "09:00"}]},
            {"name": "Soir", "periods": [{"day": "monday", "start": "19:00", "end": "18:00"}]},
            {"name": "Soir"},
            {"name": "non-magasin"},
            {"name": "Nuit", "opposite": "Astreinte"},
            {"name": "Fêtes", "holidays": [{"label": "Été", "first": "2026-08-31"}]},
        ],
        "lines": [{"msisdn": "0611000099", "employee_name": "Nouveau"}],
    }
    lines, journal = await line_count(engine, fleet_id), await journal_size(engine)
    report = await run(services, actor, fleet_id, json.dumps(document), Format.JSON)
    assert faults(report) == [
        ("schedules[0].periods[0]", ErrorCode.IMPORT_VALUE_INVALID),
        ("schedules[5].holidays[0]", ErrorCode.IMPORT_COLUMN_MISSING),
        ("schedules[1]", ErrorCode.SCHEDULE_RANGE_INVALID),
        ("schedules[3]", ErrorCode.SCHEDULE_OPPOSITE_FIXED),
        ("schedules[4]", ErrorCode.SCHEDULE_NAME_IN_USE),
    ]
    assert not report.applied
    assert await line_count(engine, fleet_id) == lines
    assert await journal_size(engine) == journal
    names = [s.name for s in await services.schedules.in_fleet(fleet_id)]
    assert names == ["Astreinte", "Magasin", "non-magasin"]


async def test_a_name_twice_in_the_file_and_the_fleets_limit_are_refused(
    services: Services, actor: Actor
) -> None:
    fleet_id = await empty_fleet(services, actor)
    await _shop(services, actor, fleet_id)  # three schedules
    twice = _document({"name": "Soir"}, {"name": "soir"}, {"name": "Jour", "opposite": "Soir"})
    report = await run(services, actor, fleet_id, twice, Format.JSON)
    assert faults(report) == [
        ("schedules[1]", ErrorCode.IMPORT_DUPLICATE),
        ("schedules[2]", ErrorCode.IMPORT_DUPLICATE),
    ]
    room = MAX_SCHEDULES_PER_FLEET - 3
    many = _document(*({"name": f"H{i}"} for i in range(room + 1)))
    full = await run(services, actor, fleet_id, many, Format.JSON)
    assert faults(full) == [("schedules", ErrorCode.SCHEDULE_LIMIT_REACHED)]
    exact = await run(
        services, actor, fleet_id, _document(*({"name": f"H{i}"} for i in range(room))), Format.JSON
    )
    assert exact.applied, faults(exact)
    assert len(await services.schedules.in_fleet(fleet_id)) == MAX_SCHEDULES_PER_FLEET
