"""The company directory's contacts as a fleet's configuration (issue 16 item 6): the
service's rules, the abbreviated numbers' collisions checked both ways with the fleet's short
numbers, the journal and the change hub, the routing cache, the CSV import (all or nothing,
every refused row reported) and export, and the directory's search; on SQLite and PostgreSQL
alike."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core import contacts as rules
from fleet.core import model
from fleet.core.changes import ChangeEvent, ContactChange
from fleet.core.errors import ErrorCode
from fleet.core.numbering import E164
from fleet.core.values import Actor
from fleet.services import contacts_csv
from fleet.services.audit import AuditFilter
from fleet.services.contacts import ContactInput
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from fleet.services.fleetio import decode
from fleet.services.fleetio_spec import Format
from fleet.services.phonebook import EntryKind
from tests.conftest import dump
from tests.service_fixtures import fails, heard

__all__ = ["heard"]

GARAGE = ContactInput(name="Garage Martin", number="04 78 00 00 01", abbreviated="7001")


@pytest.fixture
async def fleet(services: Services, actor: Actor) -> model.Fleet:
    fleet = await services.fleets.create(actor, name="Taxis Express", short_number_length=4)
    await services.lines.create(
        actor, fleet.id, msisdn="0611000001", employee_name="Alice Dupont", short_number="2001"
    )
    return fleet


async def test_a_contact_is_created_read_changed_and_deleted_with_its_journal(
    services: Services, actor: Actor, fleet: model.Fleet, heard: list[ChangeEvent]
) -> None:
    garage = await services.contacts.create(
        actor,
        fleet.id,
        ContactInput(
            name=" Garage  Martin ",
            number="0478000001",
            company="Martin SA",
            abbreviated="##7001",
            notes="clé",
        ),
    )
    assert (garage.name, garage.number, garage.abbreviated, garage.company, garage.notes) == (
        "Garage Martin",
        E164("+33478000001"),
        "7001",
        "Martin SA",
        "clé",
    )
    assert await services.contacts.get(garage.id) == garage
    assert await services.contacts.in_fleet(fleet.id) == [garage]
    changed = await services.contacts.update(actor, garage.id, abbreviated="", notes="")
    assert (changed.abbreviated, changed.notes, changed.name) == (None, "", "Garage Martin")
    again = await services.contacts.update(actor, garage.id, name="Garage Martin")
    assert again == changed
    await services.contacts.delete(actor, garage.id)
    assert await services.contacts.in_fleet(fleet.id) == []
    assert [type(e.change) for e in heard] == [ContactChange] * 3
    assert heard[0].change == ContactChange(
        fleet_id=fleet.id, contact_id=garage.id, before=None, after=garage
    )
    journal = await services.audit.search(AuditFilter(entity="contact"))
    assert sorted(e.action.value for e in journal.items) == ["create", "delete", "update"]
    await fails(ErrorCode.NOT_FOUND, services.contacts.get(garage.id))


@pytest.mark.parametrize(
    ("new", "code", "field"),
    [
        (ContactInput(name="", number="0478000001"), ErrorCode.CONTACT_NAME_INVALID, "name"),
        (
            ContactInput(name="X", number="0899000001"),
            ErrorCode.NUMBER_SPECIAL_NOT_ALLOWED,
            "number",
        ),
        (ContactInput(name="X", number="12"), ErrorCode.NUMBER_SHORT_NOT_ALLOWED, "number"),
        (
            ContactInput(name="X", number="0478000001", abbreviated="6999"),
            ErrorCode.CONTACT_ABBREVIATED_INVALID,
            "abbreviated",
        ),
        (
            ContactInput(name="X", number="0478000001", abbreviated="700"),
            ErrorCode.CONTACT_ABBREVIATED_INVALID,
            "abbreviated",
        ),
        (
            ContactInput(name="X", number="0478000001", company="c" * 81),
            ErrorCode.CONTACT_TEXT_TOO_LONG,
            "company",
        ),
    ],
)
async def test_a_refused_contact_writes_nothing(
    services: Services,
    actor: Actor,
    fleet: model.Fleet,
    engine: AsyncEngine,
    new: ContactInput,
    code: ErrorCode,
    field: str,
) -> None:
    before = await dump(engine)
    error = await fails(code, services.contacts.create(actor, fleet.id, new))
    assert error.field == field
    assert await dump(engine) == before


async def test_an_abbreviated_number_and_a_short_number_never_collide_either_way(
    services: Services, actor: Actor, fleet: model.Fleet
) -> None:
    await services.fleets.update(actor, fleet.id, short_number_length=4)
    line = await services.lines.create(
        actor, fleet.id, msisdn="0611000002", employee_name="Bruno", short_number="7002"
    )
    error = await fails(
        ErrorCode.SHORT_NUMBER_IN_USE,
        services.contacts.create(
            actor, fleet.id, ContactInput(name="X", number="0478000009", abbreviated="7002")
        ),
    )
    assert error.field == "abbreviated"
    await services.contacts.create(actor, fleet.id, GARAGE)
    await fails(
        ErrorCode.SHORT_NUMBER_IN_USE,
        services.lines.create(
            actor, fleet.id, msisdn="0611000003", employee_name="C", short_number="7001"
        ),
    )
    await fails(
        ErrorCode.SHORT_NUMBER_IN_USE,
        services.lines.update(actor, line.id, short_number="7001"),
    )
    await fails(
        ErrorCode.CONTACT_NUMBER_IN_USE,
        services.contacts.create(actor, fleet.id, ContactInput(name="Y", number="0478000001")),
    )
    await fails(
        ErrorCode.SHORT_NUMBER_LENGTH_LOCKED,
        services.fleets.update(actor, fleet.id, short_number_length=3),
    )


async def test_another_fleet_may_use_the_same_number_and_abbreviated_number(
    services: Services, actor: Actor, fleet: model.Fleet
) -> None:
    other = await services.fleets.create(actor, name="Autre", short_number_length=4)
    await services.contacts.create(actor, fleet.id, GARAGE)
    theirs = await services.contacts.create(actor, other.id, GARAGE)
    assert theirs.fleet_id == other.id


async def test_a_fleet_holds_a_limited_number_of_contacts(
    services: Services, actor: Actor, fleet: model.Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rules, "MAX_CONTACTS_PER_FLEET", 2)
    for i in range(2):
        await services.contacts.create(
            actor, fleet.id, ContactInput(name=f"C{i}", number=f"047800000{i}")
        )
    await fails(
        ErrorCode.CONTACT_LIMIT_REACHED,
        services.contacts.create(actor, fleet.id, ContactInput(name="C", number="0478000009")),
    )


async def test_the_routing_cache_learns_abbreviated_numbers_as_they_change(
    services: Services, actor: Actor, fleet: model.Fleet
) -> None:
    garage = await services.contacts.create(actor, fleet.id, GARAGE)
    cache = await CachedDirectory.open(services=services)
    try:
        assert cache.abbreviated(fleet.id, "7001") == E164("+33478000001")
        await services.contacts.update(actor, garage.id, abbreviated="7005")
        assert cache.abbreviated(fleet.id, "7001") is None
        assert cache.abbreviated(fleet.id, "7005") == E164("+33478000001")
        await services.contacts.delete(actor, garage.id)
        assert cache.abbreviated(fleet.id, "7005") is None
    finally:
        cache.close()


async def test_a_csv_import_writes_every_row_or_none_and_reports_each_refusal(
    services: Services, actor: Actor, fleet: model.Fleet, engine: AsyncEngine
) -> None:
    bad = (
        "Nom;Numéro de téléphone;numéro abrégé\n"
        "Garage;0478000001;7001\n"
        ";0478000002;\n"  # no name
        "Taxi;0478000003;2001\n"  # out of the range (a line's short number, too)
        "Bis;04 78 00 00 01;\n"  # twice in the file
    ).encode()
    rows, faults = contacts_csv.decode(bad, policy=services.contacts.policy)
    assert faults == []
    before = await dump(engine)
    outcome = await services.contacts.import_rows(actor, fleet.id, rows)
    assert outcome.created == 0
    assert [(f.row, f.error.code) for f in outcome.faults] == [
        (3, ErrorCode.CONTACT_NAME_INVALID),
        (4, ErrorCode.CONTACT_ABBREVIATED_INVALID),
        (5, ErrorCode.IMPORT_DUPLICATE),
    ]
    assert await dump(engine) == before
    good = "\ufeffname,number,company\nGarage,478000001,Martin SA\nTaxi,0478000003,\n".encode()
    rows, faults = contacts_csv.decode(good, policy=services.contacts.policy)
    outcome = await services.contacts.import_rows(actor, fleet.id, rows)
    assert (outcome.created, outcome.faults) == (2, ())
    listed = await services.contacts.in_fleet(fleet.id)
    assert [(c.name, c.number.value, c.company) for c in listed] == [
        ("Garage", "+33478000001", "Martin SA"),  # the leading 0 a spreadsheet dropped
        ("Taxi", "+33478000003", ""),
    ]
    exported = contacts_csv.encode(listed)
    assert exported.decode("utf-8-sig").splitlines() == [
        "name;number;company;abbreviated;notes",
        "Garage;0478000001;Martin SA;;",
        "Taxi;0478000003;;;",
    ]
    again, faults = contacts_csv.decode(exported, policy=services.contacts.policy)
    assert faults == [] and [r.number for _, r in again] == ["0478000001", "0478000003"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"name;number;age\nA;0478000001;3\n", ErrorCode.IMPORT_COLUMN_UNKNOWN),
        (b"name\nA\n", ErrorCode.IMPORT_COLUMN_MISSING),
        (b"name;number\nA;0478000001;x\n", ErrorCode.IMPORT_FORMAT_INVALID),
        (b"name;number\n\xff;0478000001\n", ErrorCode.IMPORT_ENCODING_INVALID),
    ],
)
def test_an_unreadable_file_is_refused_whole(data: bytes, code: ErrorCode) -> None:
    from fleet.core.numbering import NumberPolicy

    _, faults = contacts_csv.decode(data, policy=NumberPolicy())
    assert code in [f.error.code for f in faults]


async def test_the_directory_lists_lines_fixed_numbers_and_contacts_and_searches_them(
    services: Services, actor: Actor, fleet: model.Fleet
) -> None:
    await services.trunks.add(actor, fleet.id, name="t1", host="192.0.2.1")
    await services.fleets.add_fixed_number(
        actor, fleet.id, number="0145678910", label="Accueil", trunk="t1", short_number="2100"
    )
    await services.contacts.create(actor, fleet.id, GARAGE)
    await services.contacts.create(
        actor, fleet.id, ContactInput(name="Zoé", number="0478000002", company="Dupont & fils")
    )
    page = await services.phonebook.search(fleet.id)
    assert [(e.kind, e.name) for e in page.entries] == [
        (EntryKind.FIXED, "Accueil"),
        (EntryKind.LINE, "Alice Dupont"),
        (EntryKind.CONTACT, "Garage Martin"),
        (EntryKind.CONTACT, "Zoé"),
    ]
    assert page.total == 4 and not page.has_next
    found = await services.phonebook.search(fleet.id, "dupont")
    assert [e.name for e in found.entries] == ["Alice Dupont", "Zoé"]
    assert [e.name for e in (await services.phonebook.search(fleet.id, "04 78 00")).entries] == [
        "Garage Martin",
        "Zoé",
    ]
    assert [e.name for e in (await services.phonebook.search(fleet.id, "70")).entries] == [
        "Garage Martin"
    ]
    assert [e.name for e in (await services.phonebook.search(fleet.id, "%")).entries] == []
    second = await services.phonebook.search(fleet.id, offset=2, limit=2)
    assert [e.name for e in second.entries] == ["Garage Martin", "Zoé"]
    other = await services.fleets.create(actor, name="Autre")
    assert (await services.phonebook.search(other.id)).total == 0


async def test_a_line_import_cannot_take_a_contacts_abbreviated_number(
    services: Services, actor: Actor, fleet: model.Fleet, engine: AsyncEngine
) -> None:
    await services.contacts.create(actor, fleet.id, GARAGE)
    content = b"msisdn;employee_name;short_number\n0611000077;Nouvelle;7001\n"
    before = await dump(engine)
    report = await services.fleetio.import_file(
        actor, fleet.id, decode(content, Format.CSV), dry_run=False
    )
    assert [f.error.code for f in report.faults] == [ErrorCode.SHORT_NUMBER_IN_USE]
    assert not report.applied
    assert await dump(engine) == before
