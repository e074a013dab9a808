"""Several criteria per rule as configuration (issue 16 item 2, seed 001 "Liste de
critères"): the whole list replaced, one criterion added, changed and removed (the later
ones move up), each change journalled once and applied by the routing cache in order; the
limits (``MAX_CRITERIA`` a rule, a name's length), a schedule of another fleet and an
unknown criterion refused with nothing written; migration 0021 keeps the rows already there
as the first criterion of their rule, and its downgrade keeps each rule's first. On SQLite
and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core import model
from fleet.core.changes import ChangeEvent, CriteriaChange
from fleet.core.criteria import MAX_CRITERIA, MAX_NAME, CallerFilter, Criteria, CriteriaTarget
from fleet.core.errors import ErrorCode
from fleet.core.numbering import E164
from fleet.core.schedules import Schedule, TimeRange, Weekday
from fleet.core.values import Actor, Language
from fleet.db import migrate
from fleet.services.audit import AuditFilter
from fleet.services.container import Services
from fleet.services.criteria import RuleRef
from fleet.services.directory import CachedDirectory
from tests.conftest import dump
from tests.service_fixtures import fails, fleet, heard, line, reception

__all__ = ["fleet", "heard", "line", "reception"]

MORNING = TimeRange(day=Weekday.MONDAY, start=9 * 60, end=12 * 60)
VIP = Criteria(name="VIP", callers=CallerFilter.NUMBERS, numbers=(E164("+33699000002"),))
HIDDEN = Criteria(name="Masqués", active=False, callers=CallerFilter.HIDDEN)


@pytest.fixture
async def office(services: Services, actor: Actor, line: model.Line) -> Schedule:
    return await services.schedules.create(actor, line.fleet_id, name="Bureau", ranges=[MORNING])


async def test_a_rules_list_is_replaced_read_back_in_order_and_journalled_once(
    services: Services, actor: Actor, line: model.Line, office: Schedule, heard: list[ChangeEvent]
) -> None:
    rule = RuleRef.of_line(line.id, "forwarding_busy")
    bureau = Criteria(name="Bureau", schedule_id=office.id)
    heard.clear()
    saved = await services.criteria.replace(actor, rule, [bureau, VIP, HIDDEN])
    assert saved == (bureau, VIP, HIDDEN)
    assert await services.criteria.of_rule(rule) == saved
    [held] = await services.criteria.of_line(line.id)
    assert (held.target, held.criteria) == (CriteriaTarget.BUSY, saved)
    [event] = heard
    assert event.change == CriteriaChange(
        fleet_id=line.fleet_id, target=CriteriaTarget.BUSY, line_id=line.id, before=(), after=saved
    )
    await services.criteria.replace(actor, rule, [bureau, VIP, HIDDEN])  # the same: nothing
    assert len(heard) == 1
    journal = await services.audit.search(AuditFilter(entity="routing_criteria"))
    assert [(e.entity_id, e.action.value) for e in journal.items] == [
        (f"{line.id}:forwarding_busy", "create")
    ]
    after: Any = journal.items[0].after  # the list, as JSON
    assert [c["name"] for c in after] == ["Bureau", "VIP", "Masqués"]


async def test_criteria_are_added_changed_and_removed_the_later_ones_moving_up(
    services: Services, actor: Actor, line: model.Line, office: Schedule
) -> None:
    rule = RuleRef.of_line(line.id, "incoming_list")
    bureau = Criteria(name="Bureau", schedule_id=office.id)
    assert await services.criteria.add(actor, rule, bureau) == (bureau,)
    assert await services.criteria.add(actor, rule, VIP) == (bureau, VIP)
    assert await services.criteria.add(actor, rule, HIDDEN) == (bureau, VIP, HIDDEN)
    switched_on = Criteria(name="Masqués", callers=CallerFilter.HIDDEN)
    edited = await services.criteria.edit(actor, rule, 3, switched_on)
    assert edited == (bureau, VIP, switched_on)
    assert await services.criteria.remove(actor, rule, 1) == (VIP, switched_on)
    assert await services.criteria.of_rule(rule) == (VIP, switched_on)
    journal = await services.audit.search(AuditFilter(entity="routing_criteria"))
    assert [e.action.value for e in journal.items] == ["update"] * 4 + ["create"]  # newest first
    assert await services.criteria.remove(actor, rule, 1) == (switched_on,)
    assert await services.criteria.remove(actor, rule, 1) == ()
    latest = await services.audit.search(AuditFilter(entity="routing_criteria"))
    assert latest.items[0].action.value == "delete"


async def test_an_unknown_criterion_is_not_found_and_nothing_is_written(
    services: Services, actor: Actor, line: model.Line, engine: AsyncEngine
) -> None:
    rule = RuleRef.of_line(line.id, "dnd")
    await services.criteria.add(actor, rule, VIP)
    before = await dump(engine)
    for number in (0, 2):
        await fails(ErrorCode.NOT_FOUND, services.criteria.edit(actor, rule, number, HIDDEN))
        await fails(ErrorCode.NOT_FOUND, services.criteria.remove(actor, rule, number))
    assert await dump(engine) == before


async def test_more_criteria_than_the_limit_or_a_long_name_are_refused(
    services: Services, actor: Actor, line: model.Line, engine: AsyncEngine
) -> None:
    rule = RuleRef.of_line(line.id, "dnd")
    full = [Criteria(name=f"#{i}", callers=CallerFilter.HIDDEN) for i in range(MAX_CRITERIA)]
    await services.criteria.replace(actor, rule, full)
    before = await dump(engine)
    error = await fails(ErrorCode.CRITERIA_TOO_MANY, services.criteria.add(actor, rule, VIP))
    assert error.message(Language.FR) == (
        f"Une règle a {MAX_CRITERIA} critères au plus : retirez-en un d'abord."
    )
    await fails(ErrorCode.CRITERIA_TOO_MANY, services.criteria.replace(actor, rule, [*full, VIP]))
    error = await fails(
        ErrorCode.CRITERIA_NAME_INVALID,
        _check(services, name="x" * (MAX_NAME + 1)),
    )
    assert error.field == "name"
    assert await dump(engine) == before


async def _check(services: Services, *, name: str) -> Criteria:
    return services.criteria.check(None, "any", [], name=name)


async def test_a_schedule_of_another_fleet_in_any_criterion_is_refused(
    services: Services, actor: Actor, line: model.Line, engine: AsyncEngine
) -> None:
    other = await services.fleets.create(actor, name="Autre", short_number_length=4)
    theirs = await services.schedules.create(actor, other.id, name="Leur bureau")
    rule = RuleRef.of_line(line.id, "dnd")
    before = await dump(engine)
    await fails(
        ErrorCode.CRITERIA_SCHEDULE_UNKNOWN,
        services.criteria.replace(actor, rule, [VIP, Criteria(schedule_id=theirs.id)]),
    )
    assert await dump(engine) == before


async def test_a_schedule_in_two_criteria_of_a_rule_names_the_rule_once(
    services: Services, actor: Actor, line: model.Line, office: Schedule
) -> None:
    rule = RuleRef.of_line(line.id, "dnd")
    twice = [Criteria(schedule_id=office.id), Criteria(schedule_id=office.id, name="2")]
    await services.criteria.replace(actor, rule, twice)
    error = await fails(ErrorCode.SCHEDULE_IN_USE, services.schedules.delete(actor, office.id))
    assert error.message(Language.EN).count("Alice Martin (06 11 00 00 01): dnd") == 1


async def test_a_groups_criteria_are_a_list_too(
    services: Services, actor: Actor, office: Schedule, reception: model.CallGroup
) -> None:
    rule = RuleRef.of_group(reception.id)
    bureau = Criteria(schedule_id=office.id)
    await services.criteria.replace(actor, rule, [bureau, VIP])
    assert await services.criteria.of_group(reception.id) == (bureau, VIP)
    await services.criteria.remove(actor, rule, 1)
    assert await services.criteria.of_group(reception.id) == (VIP,)


async def test_the_routing_cache_holds_a_rules_criteria_in_order(
    services: Services, actor: Actor, line: model.Line, office: Schedule
) -> None:
    directory = await CachedDirectory.open(services=services)
    try:
        rule = RuleRef.of_line(line.id, "incoming_list")
        bureau = Criteria(name="Bureau", schedule_id=office.id)
        await services.criteria.replace(actor, rule, [bureau, VIP])
        await services.criteria.edit(actor, rule, 1, HIDDEN)
        held = directory.line(line.id)
        assert held is not None
        assert held.criteria_of(CriteriaTarget.INCOMING_LIST) == (HIDDEN, VIP)
        fresh = CachedDirectory(services=services)
        await fresh.load_all()
        again = fresh.line(line.id)
        assert again is not None and again.criteria == held.criteria
    finally:
        directory.close()


async def _rows(engine: AsyncEngine) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        result = await conn.execute(
            sa.text("SELECT target, callers FROM routing_criteria ORDER BY target")
        )
        return [tuple(row) for row in result.all()]


async def test_migration_0021_keeps_the_rows_there_as_each_rules_first_criterion(
    services: Services,
    actor: Actor,
    line: model.Line,
    office: Schedule,
    engine: AsyncEngine,
    database_url: str,
) -> None:
    await services.criteria.set_line(actor, line.id, "dnd", callers="hidden")
    several = RuleRef.of_line(line.id, "incoming_list")
    await services.criteria.replace(actor, several, [Criteria(schedule_id=office.id), VIP])
    await migrate.downgrade(database_url, "0020")
    try:
        # the older schema: one row a rule, each rule's first criterion
        assert await _rows(engine) == [("dnd", "hidden"), ("incoming_list", "any")]
        async with engine.connect() as conn:
            columns = await conn.run_sync(
                lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("routing_criteria")}
            )
        assert not {"position", "name", "active"} & columns
    finally:
        await migrate.upgrade(database_url)
    held = {c.target: c.criteria for c in await services.criteria.of_line(line.id)}
    assert held == {
        CriteriaTarget.DND: (Criteria(callers=CallerFilter.HIDDEN),),
        CriteriaTarget.INCOMING_LIST: (Criteria(schedule_id=office.id),),
    }
    # the upgraded table takes several criteria a rule again
    again = await services.criteria.add(actor, RuleRef.of_line(line.id, "dnd"), VIP)
    assert again == (Criteria(callers=CallerFilter.HIDDEN), VIP)
