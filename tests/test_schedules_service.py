"""Schedules as a fleet's configuration: the service's rules, the opposite schedule, the
journal and the change hub, evaluation in the fleet's zone; on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core import model
from fleet.core.changes import ChangeEvent, ScheduleChange
from fleet.core.errors import ErrorCode
from fleet.core.schedules import Holiday, Rule, TimeRange, Weekday
from fleet.core.values import Actor
from fleet.services.audit import AuditFilter
from fleet.services.container import Services
from tests.conftest import dump
from tests.service_fixtures import fails, fleet, heard

__all__ = ["fleet", "heard"]

MORNING = TimeRange(day=Weekday.MONDAY, start=9 * 60, end=12 * 60)
AFTERNOON = TimeRange(day=Weekday.MONDAY, start=13 * 60, end=17 * 60)
CHRISTMAS = Holiday(label="Noël", first=date(2026, 12, 25), last=date(2026, 12, 25), yearly=True)


async def test_a_schedule_is_created_listed_and_read_back(
    services: Services, actor: Actor, fleet: model.Fleet, heard: list[ChangeEvent]
) -> None:
    shop = await services.schedules.create(
        actor,
        fleet.id,
        name=" Magasin ",
        ranges=[AFTERNOON, MORNING],
        holidays=[CHRISTMAS],
    )
    assert (shop.name, shop.ranges, shop.holidays) == (
        "Magasin",
        (MORNING, AFTERNOON),
        (CHRISTMAS,),
    )
    assert await services.schedules.get(shop.id) == shop
    assert await services.schedules.in_fleet(fleet.id) == [shop]
    [event] = heard
    assert event.change == ScheduleChange(
        fleet_id=fleet.id, schedule_id=shop.id, before=None, after=shop
    )
    journal = await services.audit.search(AuditFilter(entity="schedule"))
    assert [e.action.value for e in journal.items] == ["create"]


async def test_the_opposite_schedule_follows_its_source_and_goes_with_it(
    services: Services, actor: Actor, fleet: model.Fleet, heard: list[ChangeEvent]
) -> None:
    shop = await services.schedules.create(
        actor, fleet.id, name="Horaire du magasin", ranges=[MORNING], with_opposite=True
    )
    [source, opposite] = await services.schedules.in_fleet(fleet.id)
    assert (source, opposite.name, opposite.opposite_of) == (
        shop,
        "non-horaire du magasin",
        shop.id,
    )
    assert opposite.ranges == (MORNING,)
    heard.clear()
    await services.schedules.update(actor, shop.id, ranges=[MORNING, AFTERNOON])
    assert (await services.schedules.get(opposite.id)).ranges == (MORNING, AFTERNOON)
    assert {e.change.schedule_id for e in heard if isinstance(e.change, ScheduleChange)} == {
        shop.id,
        opposite.id,
    }
    await fails(
        ErrorCode.SCHEDULE_OPPOSITE_FIXED,
        services.schedules.update(actor, opposite.id, ranges=[MORNING]),
    )
    renamed = await services.schedules.update(actor, opposite.id, name="Fermé")
    assert renamed.name == "Fermé" and renamed.opposite_of == shop.id
    heard.clear()
    await services.schedules.delete(actor, shop.id)
    assert await services.schedules.in_fleet(fleet.id) == []
    assert [e.change.after for e in heard] == [None, None]


async def test_deleting_the_opposite_keeps_its_source(
    services: Services, actor: Actor, fleet: model.Fleet
) -> None:
    shop = await services.schedules.create(
        actor, fleet.id, name="Magasin", ranges=[MORNING], with_opposite=True
    )
    [_, opposite] = await services.schedules.in_fleet(fleet.id)
    await services.schedules.delete(actor, opposite.id)
    assert await services.schedules.in_fleet(fleet.id) == [shop]


async def test_bad_input_is_refused_and_writes_nothing(
    services: Services, actor: Actor, fleet: model.Fleet, engine: AsyncEngine
) -> None:
    shop = await services.schedules.create(actor, fleet.id, name="Magasin", ranges=[MORNING])
    office = await services.schedules.create(actor, fleet.id, name="Bureau")
    before = await dump(engine)
    overlapping = TimeRange(day=Weekday.MONDAY, start=11 * 60, end=14 * 60)
    await fails(
        ErrorCode.SCHEDULE_RANGES_OVERLAP,
        services.schedules.update(actor, shop.id, ranges=[MORNING, overlapping]),
    )
    await fails(
        ErrorCode.SCHEDULE_NAME_IN_USE,
        services.schedules.create(actor, fleet.id, name="MAGASIN"),
    )
    await fails(
        ErrorCode.SCHEDULE_NAME_IN_USE,
        services.schedules.update(actor, office.id, name="magasin", ranges=[MORNING]),
    )
    await fails(
        ErrorCode.SCHEDULE_NAME_INVALID, services.schedules.create(actor, fleet.id, name="")
    )
    await fails(ErrorCode.NOT_FOUND, services.schedules.get(shop.id + 100))
    await fails(ErrorCode.NOT_FOUND, services.schedules.delete(actor, shop.id + 100))
    assert await dump(engine) == before


async def test_a_fleet_holds_at_most_twenty_schedules_opposites_included(
    services: Services, actor: Actor, fleet: model.Fleet, engine: AsyncEngine
) -> None:
    for index in range(19):
        await services.schedules.create(actor, fleet.id, name=f"Horaire {index}")
    before = await dump(engine)
    await fails(
        ErrorCode.SCHEDULE_LIMIT_REACHED,
        services.schedules.create(actor, fleet.id, name="Magasin", with_opposite=True),
    )
    assert await dump(engine) == before
    await services.schedules.create(actor, fleet.id, name="Magasin")
    assert len(await services.schedules.in_fleet(fleet.id)) == 20


async def test_an_unchanged_update_journals_nothing(
    services: Services, actor: Actor, fleet: model.Fleet, heard: list[ChangeEvent]
) -> None:
    shop = await services.schedules.create(actor, fleet.id, name="Magasin", ranges=[MORNING])
    heard.clear()
    assert await services.schedules.update(actor, shop.id, name="Magasin", ranges=[MORNING]) == shop
    assert heard == []


async def test_the_verdict_is_read_in_the_fleets_time_zone(
    services: Services, actor: Actor, fleet: model.Fleet
) -> None:
    shop = await services.schedules.create(
        actor, fleet.id, name="Magasin", ranges=[MORNING], holidays=[CHRISTMAS], with_opposite=True
    )
    monday_0830_utc = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)  # 09:30 in Paris
    verdict = await services.schedules.verdict(shop.id, monday_0830_utc)
    assert verdict.open and verdict.rule is Rule.RANGE
    await services.fleets.update(actor, fleet.id, timezone="Europe/London")
    assert not (await services.schedules.verdict(shop.id, monday_0830_utc)).open
    [_, opposite] = await services.schedules.in_fleet(fleet.id)
    assert (await services.schedules.verdict(opposite.id, monday_0830_utc)).open


async def test_deleting_the_fleet_deletes_its_schedules(
    services: Services, actor: Actor, fleet: model.Fleet
) -> None:
    shop = await services.schedules.create(
        actor, fleet.id, name="Magasin", ranges=[MORNING], holidays=[CHRISTMAS], with_opposite=True
    )
    await services.fleets.delete(actor, fleet.id)
    await fails(ErrorCode.NOT_FOUND, services.schedules.get(shop.id))
