"""Routing criteria as configuration (issue 16 item 2): the service's rules (a schedule of
the same fleet, the number list's limits), the journal and the change hub, the routing cache
that applies them and reads them with the fleet, and a schedule in use that cannot be
deleted; on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from fleet.core import model
from fleet.core.changes import ChangeEvent, CriteriaChange
from fleet.core.criteria import MAX_NUMBERS, CallerFilter, Criteria, CriteriaTarget, RuleCriteria
from fleet.core.errors import ErrorCode
from fleet.core.numbering import E164
from fleet.core.schedules import Schedule, TimeRange, Weekday
from fleet.core.values import Actor, Language
from fleet.services.audit import AuditFilter
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from tests.service_fixtures import fails, fleet, heard, line, reception

__all__ = ["fleet", "heard", "line", "reception"]

MORNING = TimeRange(day=Weekday.MONDAY, start=9 * 60, end=12 * 60)


@pytest.fixture
async def office(services: Services, actor: Actor, fleet: model.Fleet) -> Schedule:
    return await services.schedules.create(
        actor, fleet.id, name="Bureau", ranges=[MORNING], with_opposite=True
    )


async def test_criteria_are_set_read_back_journalled_and_announced(
    services: Services,
    actor: Actor,
    line: model.Line,
    office: Schedule,
    heard: list[ChangeEvent],
) -> None:
    heard.clear()
    saved = await services.criteria.set_line(
        actor,
        line.id,
        "forwarding_busy",
        schedule_id=office.id,
        callers="numbers",
        numbers=["06 99 00 00 02", "+33699000003", "0699000002"],
    )
    wanted = Criteria(
        schedule_id=office.id,
        callers=CallerFilter.NUMBERS,
        numbers=(E164("+33699000002"), E164("+33699000003")),
    )
    assert saved == wanted
    assert await services.criteria.of_line(line.id) == (
        RuleCriteria(target=CriteriaTarget.BUSY, criteria=(wanted,)),
    )
    [event] = heard
    assert event.change == CriteriaChange(
        fleet_id=line.fleet_id,
        target=CriteriaTarget.BUSY,
        line_id=line.id,
        before=(),
        after=(wanted,),
    )
    journal = await services.audit.search(AuditFilter(entity="routing_criteria"))
    assert [(e.entity_id, e.action.value) for e in journal.items] == [
        (f"{line.id}:forwarding_busy", "create")
    ]


async def test_the_same_criteria_saved_again_change_nothing_and_clearing_removes_them(
    services: Services, actor: Actor, line: model.Line, heard: list[ChangeEvent]
) -> None:
    await services.criteria.set_line(actor, line.id, "dnd", callers="hidden")
    await services.criteria.set_line(actor, line.id, "dnd", callers="hidden")
    assert len(heard) == 1
    await services.criteria.clear_line(actor, line.id, "dnd")
    assert await services.criteria.of_line(line.id) == ()
    assert heard[-1].change == CriteriaChange(
        fleet_id=line.fleet_id,
        target=CriteriaTarget.DND,
        line_id=line.id,
        before=(Criteria(callers=CallerFilter.HIDDEN),),
        after=(),
    )
    await services.criteria.clear_line(actor, line.id, "dnd")  # nothing to clear
    assert len(heard) == 2


async def test_criteria_that_always_match_are_the_same_as_none(
    services: Services, actor: Actor, line: model.Line
) -> None:
    await services.criteria.set_line(actor, line.id, "incoming_list", callers="inside_vpn")
    await services.criteria.set_line(actor, line.id, "incoming_list", callers="any")
    assert await services.criteria.of_line(line.id) == ()


@pytest.mark.parametrize(
    ("target", "callers", "numbers", "code"),
    [
        ("incoming_list", "numbers", [], ErrorCode.CRITERIA_NUMBERS_INVALID),
        (
            "incoming_list",
            "numbers",
            [f"06990000{i:02d}" for i in range(MAX_NUMBERS + 1)],
            ErrorCode.CRITERIA_NUMBERS_INVALID,
        ),
        ("incoming_list", "hidden", ["0699000001"], ErrorCode.CRITERIA_NUMBERS_UNEXPECTED),
        ("incoming_list", "numbers", ["12"], ErrorCode.NUMBER_INVALID),
        ("incoming_list", "everybody", [], ErrorCode.CRITERIA_CALLERS_INVALID),
        ("voicemail", "any", [], ErrorCode.CRITERIA_TARGET_INVALID),
        ("group", "hidden", [], ErrorCode.CRITERIA_TARGET_INVALID),
    ],
)
async def test_malformed_criteria_are_refused_and_nothing_is_written(
    services: Services,
    actor: Actor,
    line: model.Line,
    target: str,
    callers: str,
    numbers: list[str],
    code: ErrorCode,
) -> None:
    await fails(
        code, services.criteria.set_line(actor, line.id, target, callers=callers, numbers=numbers)
    )
    assert await services.criteria.of_line(line.id) == ()


async def test_a_schedule_of_another_fleet_or_none_is_refused(
    services: Services, actor: Actor, line: model.Line
) -> None:
    other = await services.fleets.create(actor, name="Autre", short_number_length=4)
    theirs = await services.schedules.create(actor, other.id, name="Leur bureau")
    for schedule_id in (theirs.id, 99999):
        error = await fails(
            ErrorCode.CRITERIA_SCHEDULE_UNKNOWN,
            services.criteria.set_line(actor, line.id, "dnd", schedule_id=schedule_id),
        )
        assert error.field == "schedule_id"
    assert await services.criteria.of_line(line.id) == ()


async def test_an_unknown_line_or_group_is_not_found(services: Services, actor: Actor) -> None:
    await fails(ErrorCode.NOT_FOUND, services.criteria.set_line(actor, 99999, "dnd"))
    await fails(ErrorCode.NOT_FOUND, services.criteria.of_line(99999))
    await fails(ErrorCode.NOT_FOUND, services.criteria.set_group(actor, 99999))


async def test_a_schedule_in_use_is_not_deleted_and_the_refusal_names_its_users(
    services: Services, actor: Actor, line: model.Line, office: Schedule
) -> None:
    [_, opposite] = await services.schedules.in_fleet(line.fleet_id)
    assert opposite.opposite_of == office.id
    await services.criteria.set_line(actor, line.id, "dnd", schedule_id=opposite.id)
    for schedule in (office, opposite):  # the source goes with its opposite
        error = await fails(
            ErrorCode.SCHEDULE_IN_USE, services.schedules.delete(actor, schedule.id)
        )
        assert "Alice Martin (06 11 00 00 01): dnd" in error.message(Language.EN)
    assert len(await services.schedules.in_fleet(line.fleet_id)) == 2
    await services.criteria.clear_line(actor, line.id, "dnd")
    await services.schedules.delete(actor, office.id)
    assert await services.schedules.in_fleet(line.fleet_id) == []


async def test_a_groups_criteria_are_set_and_go_with_the_group(
    services: Services, actor: Actor, office: Schedule, reception: model.CallGroup
) -> None:
    await services.criteria.set_group(actor, reception.id, schedule_id=office.id)
    assert await services.criteria.of_group(reception.id) == (Criteria(schedule_id=office.id),)
    error = await fails(ErrorCode.SCHEDULE_IN_USE, services.schedules.delete(actor, office.id))
    assert "Accueil (group)" in error.message(Language.FR)
    await services.groups.delete(actor, reception.id)
    await services.schedules.delete(actor, office.id)


async def test_the_routing_cache_applies_criteria_and_schedules_and_reads_them_again(
    services: Services, actor: Actor, line: model.Line, office: Schedule
) -> None:
    directory = await CachedDirectory.open(services=services)
    try:
        await services.criteria.set_line(
            actor, line.id, "incoming_list", schedule_id=office.id, callers="outside_vpn"
        )
        held = directory.line(line.id)
        assert held is not None
        wanted = Criteria(schedule_id=office.id, callers=CallerFilter.OUTSIDE_VPN)
        assert held.criteria_of(CriteriaTarget.INCOMING_LIST) == (wanted,)
        found = directory.schedule(line.fleet_id, office.id)
        assert found is not None and found[0] == office and found[1].key == "Europe/Paris"
        renamed = await services.schedules.update(actor, office.id, name="Bureau central")
        found = directory.schedule(line.fleet_id, office.id)
        assert found is not None and found[0] == renamed
        fresh = CachedDirectory(services=services)
        await fresh.load_all()
        again = fresh.line(line.id)
        assert again is not None and again.criteria == held.criteria
        assert fresh.schedule(line.fleet_id, office.id) == directory.schedule(
            line.fleet_id, office.id
        )
        await services.lines.update(actor, line.id, employee_name="Alice Dupont")
        kept = directory.line(line.id)
        assert kept is not None and kept.criteria == held.criteria  # a line change keeps them
    finally:
        directory.close()


async def test_deleting_a_line_takes_its_criteria_along(
    services: Services, actor: Actor, line: model.Line, office: Schedule
) -> None:
    await services.criteria.set_line(actor, line.id, "dnd", schedule_id=office.id)
    await services.lines.delete(actor, line.id)
    await services.schedules.delete(actor, office.id)  # no longer in use
    assert await services.schedules.in_fleet(line.fleet_id) == []
