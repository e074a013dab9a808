"""The fleet's main number and the company directory's contacts in the fleet's JSON (issue 16):
exported (``fleet.main_number``, ``contacts``), copied into an empty fleet whose export is then
the same and whose second import writes nothing, an existing contact updated by its number and
the others left alone, and every fault reported with its place, nothing written."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.contacts import MAX_CONTACTS_PER_FLEET
from fleet.core.errors import ErrorCode
from fleet.core.presented import PresentedKind, PresentedNumber
from fleet.core.values import Actor
from fleet.services.contacts import ContactInput
from fleet.services.container import Services
from fleet.services.fleetio_spec import Format
from tests.conftest import dump
from tests.test_fleetio import accounts, empty_fleet, faults, journal_size, run
from tests.world import Accounts

__all__ = ["accounts"]

GARAGE = ContactInput(
    name="Garage Central", number="04 78 00 00 01", company="Garage", abbreviated="7001"
)
TAXI = ContactInput(name="Radio Taxi", number="0478000002", notes="nuit")


async def _directory(services: Services, actor: Actor, fleet_id: int) -> None:
    for contact in (GARAGE, TAXI):
        await services.contacts.create(actor, fleet_id, contact)


def _document(**sections: Any) -> str:
    return json.dumps(sections)


async def test_the_export_carries_the_main_number_and_the_contacts(
    services: Services, actor: Actor, accounts: Accounts
) -> None:
    world = accounts.world
    await services.presented.set_main_number(actor, world.fleet.id, "0145678910")
    await _directory(services, actor, world.fleet.id)
    exported = json.loads(await services.fleetio.export(world.fleet.id, Format.JSON))
    assert exported["fleet"]["main_number"] == "0145678910"
    assert exported["contacts"] == [
        {
            "name": "Garage Central",
            "number": "0478000001",
            "company": "Garage",
            "abbreviated": "7001",
            "notes": "",
        },
        {
            "name": "Radio Taxi",
            "number": "0478000002",
            "company": "",
            "abbreviated": None,
            "notes": "nuit",
        },
    ]


async def test_a_copy_into_an_empty_fleet_gives_the_same_data_and_again_writes_nothing(
    services: Services, actor: Actor, accounts: Accounts, engine: AsyncEngine
) -> None:
    world = accounts.world
    await services.presented.set_main_number(actor, world.fleet.id, "0145678910")
    main = PresentedNumber(PresentedKind.MAIN)
    await services.presented.choose(actor, world.line(4).id, main)
    await _directory(services, actor, world.fleet.id)
    exported = await services.fleetio.export(world.fleet.id, Format.JSON)
    moved = exported.decode().replace("061100", "063300").replace("0145678910", "0145678911")
    moved = moved.replace("0609182236", "0609182237")
    target = await empty_fleet(services, actor, "Copie")
    report = await run(services, actor, target, moved, Format.JSON)
    assert report.applied, faults(report)
    planned = [(c.entity, c.key) for c in report.changes if c.entity in ("fleet", "contact")]
    assert planned == [
        ("fleet", "Copie"),
        ("contact", "04 78 00 00 01"),
        ("contact", "04 78 00 00 02"),
    ]
    copied = json.loads(await services.fleetio.export(target, Format.JSON))
    original = json.loads(moved)
    assert copied["fleet"]["main_number"] == original["fleet"]["main_number"] == "0145678911"
    copied.pop("fleet"), original.pop("fleet")
    assert copied == original
    line = await services.lines.get_by_msisdn("0633000005")
    assert line.presented == main
    fleet = await services.fleets.get(target)
    assert fleet.main_number is not None and fleet.main_number.national() == "01 45 67 89 11"
    before = await journal_size(engine)
    again = await run(services, actor, target, moved, Format.JSON)
    assert again.changes == () and not again.faults
    assert await journal_size(engine) == before


async def test_a_contact_is_updated_by_its_number_and_the_others_are_left_alone(
    services: Services, actor: Actor, accounts: Accounts
) -> None:
    fleet_id = accounts.world.fleet.id
    await _directory(services, actor, fleet_id)
    document = _document(
        contacts=[
            {"number": "0478000001", "abbreviated": "", "notes": "fermé le lundi"},
            {"name": "Pharmacie", "number": "0478000003", "abbreviated": "##7003"},
        ]
    )
    report = await run(services, actor, fleet_id, document, Format.JSON)
    assert report.applied, faults(report)
    updated = next(c for c in report.changes if c.key == "04 78 00 00 01")
    assert set(updated.fields) == {"abbreviated", "notes"}
    found = {c.number.national_digits(): c for c in await services.contacts.in_fleet(fleet_id)}
    assert set(found) == {"0478000001", "0478000002", "0478000003"}
    garage = found["0478000001"]
    assert (garage.name, garage.company, garage.abbreviated) == ("Garage Central", "Garage", None)
    assert garage.notes == "fermé le lundi"
    assert found["0478000003"].abbreviated == "7003"
    assert found["0478000002"].notes == "nuit"  # not in the file: left alone


async def test_every_fault_is_reported_with_its_place_and_nothing_is_written(
    services: Services, actor: Actor, accounts: Accounts, engine: AsyncEngine
) -> None:
    world = accounts.world
    await _directory(services, actor, world.fleet.id)
    await services.lines.update(actor, world.line(11).id, short_number="7020")
    document = _document(
        fleet={"name": "ignoré", "main_number": "0699887766"},  # no number of the fleet
        lines=[{"msisdn": "0611000099", "employee_name": "Nouveau", "short_number": "7010"}],
        contacts=[
            {"name": "Doublon", "number": "0478000005"},
            {"name": "Doublon bis", "number": "04 78 00 00 05"},  # 1: number twice
            {"name": "Hors plage", "number": "0478000006", "abbreviated": "9001"},  # 2
            {"name": "Ligne", "number": "0478000007", "abbreviated": "7020"},  # 3: a line's
            {"name": "Pris", "number": "0478000008", "abbreviated": "7001"},  # 4: the garage's
            {"name": "Fichier", "number": "0478000009", "abbreviated": "7010"},  # 5: the file's
            {"number": "0478000010"},  # 6: a new contact without a name
            {"name": "Numéro", "number": "0899123456"},  # 7: not a destination
            {"name": "Clé", "number": "0478000011", "email": "x@y.fr"},  # 8: unknown key
            {"name": 3, "number": "0478000012"},  # 9: not a string
        ],
    )
    before = await dump(engine)
    report = await run(services, actor, world.fleet.id, document, Format.JSON)
    assert sorted(faults(report)) == sorted(
        [
            ("contacts[8]", ErrorCode.IMPORT_COLUMN_UNKNOWN),
            ("contacts[9]", ErrorCode.IMPORT_VALUE_INVALID),
            ("fleet", ErrorCode.MAIN_NUMBER_NOT_IN_FLEET),
            ("contacts[1]", ErrorCode.IMPORT_DUPLICATE),
            ("contacts[2]", ErrorCode.CONTACT_ABBREVIATED_INVALID),
            ("contacts[3]", ErrorCode.SHORT_NUMBER_IN_USE),
            ("contacts[4]", ErrorCode.SHORT_NUMBER_IN_USE),
            ("contacts[5]", ErrorCode.IMPORT_DUPLICATE),
            ("contacts[6]", ErrorCode.IMPORT_COLUMN_MISSING),
            ("contacts[7]", ErrorCode.NUMBER_SPECIAL_NOT_ALLOWED),
        ]
    )
    assert not report.applied
    wrong = await run(
        services, actor, world.fleet.id, _document(fleet={"main_number": 145}), Format.JSON
    )
    assert faults(wrong) == [("fleet", ErrorCode.IMPORT_VALUE_INVALID)]
    assert await dump(engine) == before


async def test_the_main_number_may_be_a_number_the_file_brings(
    services: Services, actor: Actor
) -> None:
    fleet_id = await empty_fleet(services, actor)
    document = _document(
        fleet={"main_number": "06 33 00 00 01"},
        lines=[{"msisdn": "0633000001", "employee_name": "Accueil", "presented": "main"}],
    )
    report = await run(services, actor, fleet_id, document, Format.JSON)
    assert report.applied, faults(report)
    fleet = await services.fleets.get(fleet_id)
    assert fleet.main_number is not None and fleet.main_number.national_digits() == "0633000001"
    line = await services.lines.get_by_msisdn("0633000001")
    assert line.presented == PresentedNumber(PresentedKind.MAIN)


async def test_the_directorys_limit_counts_the_file(services: Services, actor: Actor) -> None:
    fleet_id = await empty_fleet(services, actor)
    await services.contacts.create(actor, fleet_id, GARAGE)
    many = [
        {"name": f"C{i}", "number": f"0478{i:06d}"}
        for i in range(100, 100 + MAX_CONTACTS_PER_FLEET)
    ]
    report = await run(services, actor, fleet_id, _document(contacts=many), Format.JSON)
    assert faults(report) == [("contacts", ErrorCode.CONTACT_LIMIT_REACHED)]
    exact = await run(services, actor, fleet_id, _document(contacts=many[1:]), Format.JSON)
    assert exact.applied, faults(exact)
    assert len(await services.contacts.in_fleet(fleet_id)) == MAX_CONTACTS_PER_FLEET
