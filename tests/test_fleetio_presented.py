"""The presented number in bulk import and export (issue 16 item 4): the ``presented`` column
(CSV) and field (JSON) — ``line``, ``main`` or a group's name — exported, imported, checked
against the fleet after the file, and carried by a JSON copy into another fleet whose groups
the same file creates."""

from __future__ import annotations

import json

from fleet.core.errors import ErrorCode
from fleet.core.presented import LINE_NUMBER, PresentedKind, PresentedNumber
from fleet.core.values import Actor
from fleet.services.container import Services
from fleet.services.fleetio_spec import Format
from tests.test_fleetio import accounts, empty_fleet, faults, run
from tests.world import Accounts

__all__ = ["accounts"]

HEADER = "msisdn;employee_name;presented"
MAIN = PresentedNumber(PresentedKind.MAIN)


async def test_the_csv_export_names_each_lines_choice(
    services: Services, actor: Actor, accounts: Accounts
) -> None:
    world = accounts.world
    await services.presented.set_main_number(actor, world.fleet.id, "0145678910")
    await services.presented.choose(actor, world.line(1).id, MAIN)
    group = PresentedNumber.of(PresentedKind.GROUP, accounts.group_id)
    await services.presented.choose(actor, world.line(0).id, group)
    exported = (await services.fleetio.export(world.fleet.id, Format.CSV)).decode("utf-8-sig")
    rows = [r.split(";") for r in exported.splitlines()]
    at = rows[0].index("presented")
    by_number = {r[0]: r[at] for r in rows[1:]}
    assert (by_number["0611000001"], by_number["0611000002"], by_number["0611000003"]) == (
        "Com",
        "main",
        "line",
    )


async def test_a_csv_sets_the_choices_and_the_same_file_again_changes_nothing(
    services: Services, actor: Actor, accounts: Accounts
) -> None:
    world = accounts.world
    await services.presented.set_main_number(actor, world.fleet.id, "0145678910")
    rows = ("0611000001;Salarié 1;com", "0611000002;Salarié 2;main", "0611000003;Salarié 3;line")
    text = "\n".join((HEADER, *rows)) + "\n"
    report = await run(services, actor, world.fleet.id, text)
    assert report.applied, faults(report)
    assert [(c.entity, c.fields) for c in report.changes] == [
        ("line", ("presented",)),
        ("line", ("presented",)),
    ]
    assert (await services.lines.get(world.line(0).id)).presented == PresentedNumber.of(
        PresentedKind.GROUP, accounts.group_id
    )
    assert (await services.lines.get(world.line(1).id)).presented == MAIN
    again = await run(services, actor, world.fleet.id, text)
    assert again.changes == () and not again.faults


async def test_refused_choices_are_faults_of_their_rows_and_nothing_is_written(
    services: Services, actor: Actor, accounts: Accounts
) -> None:
    world = accounts.world
    text = (
        f"{HEADER}\n"
        "0611000001;Salarié 1;main\n"  # the fleet has no main number
        "0611000005;Salarié 5;Com\n"  # not a member of Com
        "0611000006;Salarié 6;Nulle part\n"  # no such group
    )
    report = await run(services, actor, world.fleet.id, text)
    assert faults(report) == [
        ("2", ErrorCode.PRESENTED_NO_MAIN_NUMBER),
        ("3", ErrorCode.PRESENTED_NOT_A_MEMBER),
        ("4", ErrorCode.IMPORT_GROUP_UNKNOWN),
    ]
    assert not report.applied
    assert (await services.lines.get(world.line(0).id)).presented == LINE_NUMBER


async def test_the_groups_column_of_the_same_row_makes_the_line_a_member(
    services: Services, actor: Actor, accounts: Accounts
) -> None:
    world = accounts.world
    text = "msisdn;presented;groups\n0611000005;Com;Com\n"
    report = await run(services, actor, world.fleet.id, text)
    assert report.applied, faults(report)
    line = await services.lines.get(world.line(4).id)
    assert line.presented == PresentedNumber.of(PresentedKind.GROUP, accounts.group_id)


async def test_leaving_the_group_by_import_falls_back_to_the_line(
    services: Services, actor: Actor, accounts: Accounts
) -> None:
    world = accounts.world
    group = PresentedNumber.of(PresentedKind.GROUP, accounts.group_id)
    await services.presented.choose(actor, world.line(1).id, group)
    report = await run(services, actor, world.fleet.id, "msisdn;groups\n0611000002;\n")
    assert report.applied, faults(report)
    assert (await services.lines.get(world.line(1).id)).presented == LINE_NUMBER


async def test_a_json_copy_into_another_fleet_presents_the_group_the_file_creates(
    services: Services, actor: Actor, accounts: Accounts
) -> None:
    world = accounts.world
    group = PresentedNumber.of(PresentedKind.GROUP, accounts.group_id)
    await services.presented.choose(actor, world.line(0).id, group)
    exported = await services.fleetio.export(world.fleet.id, Format.JSON)
    lines = json.loads(exported)["lines"]
    assert [x["presented"] for x in lines if x["msisdn"] == "0611000001"] == ["Com"]
    moved = exported.decode().replace("061100", "063300").replace("0145678910", "0145678911")
    moved = moved.replace("0609182236", "0609182237")
    target = await empty_fleet(services, actor, "Copie")
    report = await run(services, actor, target, moved, Format.JSON)
    assert report.applied, faults(report)
    copied = json.loads(await services.fleetio.export(target, Format.JSON))
    original = json.loads(moved)
    copied.pop("fleet"), original.pop("fleet")
    assert copied == original
