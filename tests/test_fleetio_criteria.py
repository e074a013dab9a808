"""The routing criteria in the fleet's JSON (issue 16 item 2): exported per line rule and per
group, each rule's criteria in order with the schedule by name, imported after the
schedules, lines and groups (a copy into another fleet, several named criteria and one
switched off), the same file twice writing nothing, a file of one criterion per rule still
read, and each fault with nothing written."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.criteria import MAX_CRITERIA, CallerFilter, Criteria, CriteriaTarget
from fleet.core.errors import ErrorCode
from fleet.core.numbering import E164
from fleet.core.values import Actor
from fleet.services.container import Services
from fleet.services.criteria import RuleRef
from fleet.services.fleetio_spec import Format
from tests.test_fleetio import accounts, empty_fleet, faults, journal_size, run
from tests.world import Accounts

__all__ = ["accounts"]


async def _criteria(services: Services, actor: Actor, accounts: Accounts) -> int:
    world = accounts.world
    office = await services.schedules.create(
        actor, world.fleet.id, name="Bureau", with_opposite=True
    )
    await services.criteria.set_line(
        actor, world.line(1).id, CriteriaTarget.DND, schedule_id=office.id
    )
    await services.criteria.set_line(
        actor,
        world.line(2).id,
        CriteriaTarget.BUSY,
        callers=CallerFilter.NUMBERS,
        numbers=["0145678910"],
    )
    await services.criteria.set_group(
        actor, accounts.group_id, schedule_id=office.id, callers=CallerFilter.HIDDEN
    )
    return office.id


async def test_the_export_writes_each_rules_criteria_with_the_schedule_by_name(
    services: Services, actor: Actor, accounts: Accounts
) -> None:
    await _criteria(services, actor, accounts)
    exported = json.loads(await services.fleetio.export(accounts.world.fleet.id, Format.JSON))
    one = {"name": "", "active": True}
    assert exported["criteria"] == [
        {
            "group": "Com",
            "rule": "group",
            "criteria": [{**one, "schedule": "Bureau", "callers": "hidden", "numbers": []}],
        },
        {
            "line": "0611000002",
            "rule": "dnd",
            "criteria": [{**one, "schedule": "Bureau", "callers": "any", "numbers": []}],
        },
        {
            "line": "0611000003",
            "rule": "forwarding_busy",
            "criteria": [
                {**one, "schedule": None, "callers": "numbers", "numbers": ["0145678910"]}
            ],
        },
    ]


async def test_a_copy_into_another_fleet_carries_the_criteria_and_again_writes_nothing(
    services: Services, actor: Actor, accounts: Accounts, engine: AsyncEngine
) -> None:
    await _criteria(services, actor, accounts)
    exported = await services.fleetio.export(accounts.world.fleet.id, Format.JSON)
    moved = exported.decode().replace("061100", "063300").replace("0609182236", "0609182237")
    moved = moved.replace("0145678910", "0145678911")
    target = await empty_fleet(services, actor, "Copie")
    report = await run(services, actor, target, moved, Format.JSON)
    assert report.applied, faults(report)
    assert [c.key for c in report.changes if c.entity == "routing_criteria"] == [
        "Com group",
        "06 33 00 00 02 dnd",
        "06 33 00 00 03 forwarding_busy",
    ]
    copied = json.loads(await services.fleetio.export(target, Format.JSON))
    assert copied["criteria"] == json.loads(moved)["criteria"]
    line = await services.lines.get_by_msisdn("0633000002")
    rules = await services.criteria.of_line(line.id)
    schedules = {s.name: s.id for s in await services.schedules.in_fleet(target)}
    assert [(r.target, r.criteria[0].schedule_id) for r in rules] == [
        (CriteriaTarget.DND, schedules["Bureau"])
    ]
    before = await journal_size(engine)
    again = await run(services, actor, target, moved, Format.JSON)
    assert again.changes == () and not again.faults
    assert await journal_size(engine) == before


async def test_criteria_that_always_apply_remove_the_rules_criteria(
    services: Services, actor: Actor, accounts: Accounts
) -> None:
    await _criteria(services, actor, accounts)
    world = accounts.world
    text = json.dumps({"criteria": [{"line": "0611000002", "rule": "dnd", "callers": "any"}]})
    report = await run(services, actor, world.fleet.id, text, Format.JSON)
    assert report.applied, faults(report)
    assert await services.criteria.of_line(world.line(1).id) == ()


async def test_every_faulty_criteria_is_reported_with_its_place_and_nothing_is_written(
    services: Services, actor: Actor, accounts: Accounts, engine: AsyncEngine
) -> None:
    await _criteria(services, actor, accounts)
    fleet_id = accounts.world.fleet.id
    document = {
        "schedules": [{"name": "Soir"}],
        "criteria": [
            {"line": "0611000001", "rule": "dnd", "schedule": "Soir"},  # good
            {"line": "0611000001", "rule": "dnd", "callers": "hidden"},
            {"line": "0611000099", "rule": "dnd", "callers": "hidden"},
            {"group": "Nulle part", "rule": "group", "callers": "hidden"},
            {"group": "Com", "rule": "dnd", "callers": "hidden"},
            {"line": "0611000001", "rule": "forwarding_busy", "schedule": "Inconnu"},
            {"line": "0611000001", "rule": "incoming_list", "callers": "numbers"},
            {"line": "0611000001", "rule": "forwarding_no_reply", "callers": "partout"},
            {"rule": "dnd"},
        ],
    }
    journal = await journal_size(engine)
    report = await run(services, actor, fleet_id, json.dumps(document), Format.JSON)
    assert faults(report) == [
        ("criteria[8]", ErrorCode.IMPORT_VALUE_INVALID),
        ("criteria[1]", ErrorCode.IMPORT_DUPLICATE),
        ("criteria[2]", ErrorCode.IMPORT_LINE_UNKNOWN),
        ("criteria[3]", ErrorCode.IMPORT_GROUP_UNKNOWN),
        ("criteria[4]", ErrorCode.CRITERIA_TARGET_INVALID),
        ("criteria[5]", ErrorCode.CRITERIA_SCHEDULE_UNKNOWN),
        ("criteria[6]", ErrorCode.CRITERIA_NUMBERS_INVALID),
        ("criteria[7]", ErrorCode.CRITERIA_CALLERS_INVALID),
    ]
    assert not report.applied and await journal_size(engine) == journal
    assert await services.criteria.of_line(accounts.world.line(0).id) == ()


async def test_several_criteria_a_rule_make_the_round_trip_in_order(
    services: Services, actor: Actor, accounts: Accounts, engine: AsyncEngine
) -> None:
    world = accounts.world
    office = await services.schedules.create(actor, world.fleet.id, name="Bureau")
    listed = [
        Criteria(name="Bureau", schedule_id=office.id),
        Criteria(name="VIP", callers=CallerFilter.NUMBERS, numbers=(E164("+33699000002"),)),
        Criteria(name="Masqués", active=False, callers=CallerFilter.HIDDEN),
    ]
    await services.criteria.replace(actor, RuleRef.of_line(world.line(1).id, "dnd"), listed)
    exported = await services.fleetio.export(world.fleet.id, Format.JSON)
    [entry] = json.loads(exported)["criteria"]
    assert [(c["name"], c["active"], c["schedule"]) for c in entry["criteria"]] == [
        ("Bureau", True, "Bureau"),
        ("VIP", True, None),
        ("Masqués", False, None),
    ]
    moved = exported.decode().replace("061100", "063300").replace("0609182236", "0609182237")
    moved = moved.replace("0145678910", "0145678911")
    target = await empty_fleet(services, actor, "Copie")
    report = await run(services, actor, target, moved, Format.JSON)
    assert report.applied, faults(report)
    line = await services.lines.get_by_msisdn("0633000002")
    schedule = {s.name: s.id for s in await services.schedules.in_fleet(target)}["Bureau"]
    [rule] = await services.criteria.of_line(line.id)
    assert rule.criteria == (Criteria(name="Bureau", schedule_id=schedule), *listed[1:])
    assert json.loads(await services.fleetio.export(target, Format.JSON))["criteria"] == [
        json.loads(moved)["criteria"][0]
    ]
    before = await journal_size(engine)
    again = await run(services, actor, target, moved, Format.JSON)
    assert again.changes == () and not again.faults
    assert await journal_size(engine) == before


async def test_a_file_of_one_criterion_a_rule_is_still_read(
    services: Services, actor: Actor, accounts: Accounts
) -> None:
    world = accounts.world
    text = json.dumps({"criteria": [{"line": "0611000002", "rule": "dnd", "callers": "hidden"}]})
    report = await run(services, actor, world.fleet.id, text, Format.JSON)
    assert report.applied, faults(report)
    [rule] = await services.criteria.of_line(world.line(1).id)
    assert rule.criteria == (Criteria(callers=CallerFilter.HIDDEN),)


async def test_too_many_criteria_or_a_criterion_beside_the_list_are_refused(
    services: Services, actor: Actor, accounts: Accounts, engine: AsyncEngine
) -> None:
    hidden = {"callers": "hidden"}
    document = {
        "criteria": [
            {"line": "0611000001", "rule": "dnd", "criteria": [hidden] * (MAX_CRITERIA + 1)},
            {"line": "0611000002", "rule": "dnd", "criteria": [hidden], "callers": "any"},
            {"line": "0611000003", "rule": "dnd", "criteria": [{"active": "oui"}]},
            {"line": "0611000004", "rule": "dnd", "criteria": [{**hidden, "name": "x" * 41}]},
        ]
    }
    journal = await journal_size(engine)
    report = await run(services, actor, accounts.world.fleet.id, json.dumps(document), Format.JSON)
    assert sorted(faults(report)) == [
        ("criteria[0]", ErrorCode.CRITERIA_TOO_MANY),
        ("criteria[1]", ErrorCode.IMPORT_VALUE_INVALID),
        ("criteria[2].criteria[0]", ErrorCode.IMPORT_VALUE_INVALID),
        ("criteria[3]", ErrorCode.CRITERIA_NAME_INVALID),
    ]
    assert not report.applied and await journal_size(engine) == journal


async def test_a_listed_criterion_that_always_matches_is_kept_by_the_round_trip(
    services: Services, actor: Actor, accounts: Accounts, engine: AsyncEngine
) -> None:
    world = accounts.world
    rule = RuleRef.of_line(world.line(1).id, "dnd")
    await services.criteria.add(actor, rule, Criteria())  # added on its own: kept
    exported = await services.fleetio.export(world.fleet.id, Format.JSON)
    [entry] = json.loads(exported)["criteria"]
    assert entry["criteria"] == [
        {"name": "", "active": True, "schedule": None, "callers": "any", "numbers": []}
    ]
    before = await journal_size(engine)
    again = await run(services, actor, world.fleet.id, exported.decode(), Format.JSON)
    assert again.changes == () and not again.faults
    assert await journal_size(engine) == before
    assert await services.criteria.of_rule(rule) == (Criteria(),)
