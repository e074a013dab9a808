"""Bulk import and export of a fleet: CSV lines and the JSON configuration (issue 13 item 2)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.errors import ErrorCode
from fleet.core.values import Actor, ForwardingKind, Language, NoAnswerAction
from fleet.db.tables import AuditRow, LineRow
from fleet.services.container import Services
from fleet.services.fleetio import decode
from fleet.services.fleetio_spec import Format, ImportReport
from tests.world import Accounts, build_accounts

HEADER = "msisdn;short_number;employee_name;email;language;pabx_option;forward_busy"


@pytest.fixture
async def accounts(services: Services, actor: Actor) -> Accounts:
    return await build_accounts(services, actor)


async def journal_size(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(AuditRow)) or 0)


async def line_count(engine: AsyncEngine, fleet_id: int) -> int:
    async with engine.connect() as connection:
        query = select(func.count()).select_from(LineRow).where(LineRow.fleet_id == fleet_id)
        return int(await connection.scalar(query) or 0)


async def run(
    services: Services,
    actor: Actor,
    fleet_id: int,
    text: str | bytes,
    fmt: Format = Format.CSV,
    *,
    dry_run: bool = False,
) -> ImportReport:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return await services.fleetio.import_file(actor, fleet_id, decode(data, fmt), dry_run=dry_run)


def faults(report: ImportReport) -> list[tuple[str, ErrorCode]]:
    return [(str(f.where), f.error.code) for f in report.faults]


async def empty_fleet(services: Services, actor: Actor, name: str = "Vide") -> int:
    return (await services.fleets.create(actor, name=name, short_number_length=4)).id


# -- CSV ------------------------------------------------------------------------------------


async def test_csv_creates_lines_with_their_services_and_keeps_the_leading_zero(
    services: Services, actor: Actor
) -> None:
    fleet_id = await empty_fleet(services, actor)
    text = (
        f"{HEADER}\n"
        "0611000001;2001;Léa Martin;lea@example.com;en;yes;0145678910\n"
        "06 11 00 00 02;2002;Marc Petit;;;oui;\n"
    )
    report = await run(services, actor, fleet_id, text)
    assert report.applied and not report.faults
    assert report.created == 2
    lea = await services.lines.services("0611000001")
    assert (lea.line.short_number, lea.line.employee_name, lea.line.language) == (
        "2001",
        "Léa Martin",
        Language.EN,
    )
    busy = lea.forwarding(ForwardingKind.BUSY)
    assert busy is not None and busy.destination is not None
    assert busy.destination.national_digits() == "0145678910"
    exported = (await services.fleetio.export(fleet_id, Format.CSV)).decode("utf-8-sig")
    assert "0611000001;2001;Léa Martin" in exported
    assert "0611000002;2002;Marc Petit" in exported


async def test_csv_round_trip_gives_the_same_export(
    services: Services, actor: Actor, accounts: Accounts
) -> None:
    world = accounts.world
    await services.forwarding.set(
        actor, world.line(2).id, "no_reply", destination="0145678910", no_reply_timer=25
    )
    await services.forwarding.set(
        actor, world.line(3).id, "unconditional", destination="0611000005", active=False
    )
    exported = await services.fleetio.export(world.fleet.id, Format.CSV)
    assert exported.startswith("\ufeff".encode())
    target = await empty_fleet(services, actor, "Copie")
    # the groups are the source fleet's: a copy into another fleet drops that column
    rows = [r.rsplit(";", 1)[0] for r in exported.decode("utf-8-sig").splitlines()]
    copy = "\n".join(
        r.replace("06110000", "06330000").replace("0145678910", "0145678911") for r in rows
    )
    report = await run(services, actor, target, copy)
    assert report.applied, faults(report)
    again = (await services.fleetio.export(target, Format.CSV)).decode("utf-8-sig")
    assert [r.rsplit(";", 1)[0] for r in again.splitlines()] == copy.splitlines()


async def test_the_same_file_twice_changes_nothing_the_second_time(
    services: Services, actor: Actor, accounts: Accounts, engine: AsyncEngine
) -> None:
    fleet_id = accounts.world.fleet.id
    exported = await services.fleetio.export(fleet_id, Format.CSV)
    before = await journal_size(engine)
    report = await run(services, actor, fleet_id, exported)
    assert not report.faults and not report.changes and not report.applied
    assert report.unchanged == 13
    assert await journal_size(engine) == before
    text = f"{HEADER}\n0611000001;2001;Nouveau nom;;;yes;0145678910\n"
    first = await run(services, actor, fleet_id, text)
    assert [c.entity for c in first.changes] == ["line", "forwarding"]
    middle = await journal_size(engine)
    assert middle == before + 2
    second = await run(services, actor, fleet_id, text)
    assert second.changes == () and await journal_size(engine) == middle


async def test_separator_comma_and_bom_are_read(services: Services, actor: Actor) -> None:
    fleet_id = await empty_fleet(services, actor)
    text = '\ufeffMSISDN,Employee_Name,short_number\n0611000001,"Dupont, Jean",2001\n'
    report = await run(services, actor, fleet_id, text)
    assert report.applied, faults(report)
    line = await services.lines.get_by_msisdn("0611000001")
    assert (line.employee_name, line.short_number) == ("Dupont, Jean", "2001")


async def test_every_faulty_row_is_reported_with_its_line_and_nothing_is_written(
    services: Services, actor: Actor, accounts: Accounts, engine: AsyncEngine
) -> None:
    fleet_id = accounts.world.fleet.id
    lines_before, journal_before = await line_count(engine, fleet_id), await journal_size(engine)
    text = (
        "msisdn;short_number;employee_name;pabx_option;forward_busy;groups\n"
        "0611009001;3001;Bon;yes;;\n"  # 2: fine
        "0612;3002;Numéro court;yes;;\n"  # 3: bad number
        "0611009003;3001;Doublon court;yes;;\n"  # 4: short number already in the file
        "0611009001;3004;Doublon;yes;;\n"  # 5: MSISDN already in the file
        "0611009005;99999;Hors plan;yes;;\n"  # 6: short number out of the plan
        "0611009006;2001;Pris;yes;;\n"  # 7: short number of another line
        "0611009007;3007;Renvoi;yes;0899123456;\n"  # 8: forbidden destination
        "0611009008;3008;Sans option;no;0145678910;\n"  # 9: forwarding without PABX
        "0611009009;3009;Groupe;yes;;Inconnu\n"  # 10: unknown group
        "0622000001;3010;Autre flotte;yes;;\n"  # 11: number of another fleet
        "0611009011;3011;;yes;;\n"  # 12: no name
        "0611009012;3012;Bool;peut-être;;\n"  # 13: not a boolean
    )
    report = await run(services, actor, fleet_id, text)
    assert not report.applied
    assert faults(report) == [
        ("3", ErrorCode.NUMBER_INVALID),
        ("4", ErrorCode.IMPORT_DUPLICATE),
        ("5", ErrorCode.IMPORT_DUPLICATE),
        ("6", ErrorCode.SHORT_NUMBER_INVALID),
        ("7", ErrorCode.SHORT_NUMBER_IN_USE),
        ("8", ErrorCode.NUMBER_SPECIAL_NOT_ALLOWED),
        ("9", ErrorCode.PABX_OPTION_REQUIRED),
        ("10", ErrorCode.IMPORT_GROUP_UNKNOWN),
        ("11", ErrorCode.NUMBER_IN_USE),
        ("12", ErrorCode.EMPLOYEE_NAME_INVALID),
        ("13", ErrorCode.IMPORT_VALUE_INVALID),
    ]
    fault = report.faults[0]
    assert fault.error.message(Language.FR) == "« 0612 » n'est pas un numéro valide."
    assert "valid" in fault.error.message(Language.EN)
    assert await line_count(engine, fleet_id) == lines_before
    assert await journal_size(engine) == journal_before


async def test_unknown_column_and_bad_encoding_are_refused(
    services: Services, actor: Actor
) -> None:
    fleet_id = await empty_fleet(services, actor)
    unknown = await run(
        services, actor, fleet_id, "msisdn;employee_name;colour\n0611000001;A;red\n"
    )
    assert faults(unknown) == [("1", ErrorCode.IMPORT_COLUMN_UNKNOWN)]
    latin1 = "msisdn;employee_name\n0611000001;Léa\n".encode("latin-1")
    encoding = await run(services, actor, fleet_id, latin1)
    assert faults(encoding) == [("2", ErrorCode.IMPORT_ENCODING_INVALID)]
    missing = await run(services, actor, fleet_id, "employee_name\nLéa\n")
    assert faults(missing) == [("1", ErrorCode.IMPORT_COLUMN_MISSING)]


async def test_an_existing_line_is_updated_and_lines_absent_from_the_file_are_left_alone(
    services: Services, actor: Actor, accounts: Accounts
) -> None:
    world = accounts.world
    text = "msisdn;employee_name;groups\n0611000003;Chef d'équipe;Com\n"
    preview = await run(services, actor, world.fleet.id, text, dry_run=True)
    assert not preview.applied
    assert [(c.entity, c.action.value) for c in preview.changes] == [
        ("line", "update"),
        ("members", "update"),
    ]
    assert (await services.lines.get(world.line(2).id)).employee_name == "Salarié 3"
    report = await run(services, actor, world.fleet.id, text)
    assert report.applied
    assert (await services.lines.get(world.line(2).id)).employee_name == "Chef d'équipe"
    group = await services.groups.get(accounts.group_id)
    assert [m.msisdn.national_digits() for m in group.members][-1] == "0611000003"
    assert (await services.lines.get(world.line(4).id)).employee_name == "Salarié 5"


async def test_ten_thousand_lines_are_imported(
    services: Services, actor: Actor, engine: AsyncEngine
) -> None:
    fleet_id = (await services.fleets.create(actor, name="Grande", short_number_length=5)).id
    rows = [f"06{40000000 + i:08d};{10000 + i};Salarié {i};yes" for i in range(10_000)]
    text = "msisdn;short_number;employee_name;call_waiting\n" + "\n".join(rows) + "\n"
    report = await run(services, actor, fleet_id, text)
    assert report.applied and report.created == 10_000
    assert await line_count(engine, fleet_id) == 10_000
    again = await run(services, actor, fleet_id, text)
    assert again.changes == () and again.unchanged == 10_000


# -- JSON -----------------------------------------------------------------------------------


async def test_json_round_trip_into_an_empty_fleet_gives_the_same_configuration(
    services: Services, actor: Actor, accounts: Accounts
) -> None:
    world = accounts.world
    await services.forwarding.set(actor, world.line(2).id, "busy", destination="0145678910")
    await services.incoming.save(
        actor, world.line(3).id, entries=["0611000004", "0145678910"], mode="cascade"
    )
    overflow = await services.groups.create(
        actor,
        world.fleet.id,
        number="0611000006",
        name="Renfort",
        user_code="1234",
        admin_code="5678",
        members=[world.line(6).id],
    )
    await services.groups.update(
        actor,
        accounts.group_id,
        no_answer_action="forward_to_group",
        no_answer_group_id=overflow.id,
    )
    await services.groups.set_connected(actor, accounts.group_id, world.line(1).id, True)
    exported = await services.fleetio.export(world.fleet.id, Format.JSON)
    # move the configuration to free numbers (numbers are unique across fleets)
    moved = exported.decode().replace("061100", "063300").replace("0145678910", "0145678911")
    moved = moved.replace("0609182236", "0609182237")
    target = await empty_fleet(services, actor, "Copie")
    report = await run(services, actor, target, moved, Format.JSON)
    assert report.applied, faults(report)
    copied = json.loads(await services.fleetio.export(target, Format.JSON))
    original = json.loads(moved)
    copied.pop("fleet"), original.pop("fleet")
    assert copied == original
    again = await run(services, actor, target, moved, Format.JSON)
    assert again.changes == () and not again.faults


async def test_json_faults_name_their_path(
    services: Services, actor: Actor, accounts: Accounts
) -> None:
    fleet_id = accounts.world.fleet.id
    document = {
        "lines": [
            {"msisdn": "0611000001", "employee_name": "A", "colour": "red"},
            {"msisdn": 611, "employee_name": "B"},
        ],
        "groups": [
            {
                "name": "Nouveau",
                "number": "0609000001",
                "user_code": "1111",
                "admin_code": "2222",
                "members": [{"msisdn": "0699999999"}],
                "no_answer_action": NoAnswerAction.FORWARD_TO_GROUP.value,
                "no_answer_group": "Personne",
            },
            {
                "name": "Ailleurs aussi",
                "number": "0622000001",  # a line of the other fleet
                "user_code": "1111",
                "admin_code": "2222",
            },
        ],
    }
    report = await run(services, actor, fleet_id, json.dumps(document), Format.JSON)
    assert faults(report) == [
        ("lines[0]", ErrorCode.IMPORT_COLUMN_UNKNOWN),
        ("lines[1]", ErrorCode.IMPORT_VALUE_INVALID),
        ("groups[0]", ErrorCode.IMPORT_LINE_UNKNOWN),
        ("groups[0]", ErrorCode.IMPORT_GROUP_UNKNOWN),
        ("groups[1]", ErrorCode.NUMBER_IN_USE),
    ]
    broken = await run(services, actor, fleet_id, "{not json", Format.JSON)
    assert faults(broken) == [("$", ErrorCode.IMPORT_FORMAT_INVALID)]
