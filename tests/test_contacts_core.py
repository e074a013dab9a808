"""The rules of the company directory's contacts and abbreviated numbers (pure; seeds 000,
002 and 003): the range of seed 002 scaled to the fleet's short-number length, the ``##``
form of seed 003, names and texts, and what the routing table makes of them."""

from __future__ import annotations

import pytest

from fleet.core import contacts
from fleet.core.calls.shortdial import short_dial
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.values import Language
from tests.memory import memory_world


@pytest.mark.parametrize(
    ("length", "low", "high"),
    [(2, 70, 86), (3, 700, 869), (4, 7000, 8699), (6, 700000, 869999)],
)
def test_the_range_is_seed_002s_scaled_to_the_short_number_length(
    length: int, low: int, high: int
) -> None:
    assert contacts.abbreviated_range(length) == (low, high)
    assert contacts.abbreviated(str(low), length=length) == str(low)
    assert contacts.abbreviated(str(high), length=length) == str(high)
    for outside in (low - 1, high + 1):
        with pytest.raises(DomainError) as caught:
            contacts.abbreviated(str(outside), length=length)
        assert caught.value.code is ErrorCode.CONTACT_ABBREVIATED_INVALID


@pytest.mark.parametrize("raw", ["70", "70001", "7a01", "７００１", "*700", "#7001#", "+7001"])
def test_an_abbreviated_number_is_digits_of_the_fleets_length(raw: str) -> None:
    with pytest.raises(DomainError) as caught:
        contacts.abbreviated(raw, length=4)
    assert (caught.value.code, caught.value.field) == (
        ErrorCode.CONTACT_ABBREVIATED_INVALID,
        "abbreviated",
    )
    assert "7000" in caught.value.message(Language.FR)
    assert "8699" in caught.value.message(Language.EN)


def test_blank_means_no_abbreviated_number_and_seed_003s_prefix_is_accepted() -> None:
    assert contacts.abbreviated("  ", length=4) is None
    assert contacts.abbreviated(None, length=4) is None
    assert contacts.abbreviated(" ##7050 ", length=4) == "7050"


def test_names_and_texts_are_checked_and_tidied() -> None:
    assert contacts.name("  Garage   Martin ") == "Garage Martin"
    for bad in ("", "   ", "x" * (contacts.NAME_MAX + 1)):
        with pytest.raises(DomainError) as caught:
            contacts.name(bad)
        assert caught.value.code is ErrorCode.CONTACT_NAME_INVALID
    assert contacts.optional_text("", field="company", max_len=10) == ""
    with pytest.raises(DomainError) as caught:
        contacts.optional_text("x" * 11, field="notes", max_len=10)
    assert (caught.value.code, caught.value.field) == (ErrorCode.CONTACT_TEXT_TOO_LONG, "notes")


@pytest.mark.parametrize(
    ("digits", "found"), [("##7001", "7001"), ("##", None), ("##70a", None), ("7001", None)]
)
def test_the_double_hash_form_names_an_abbreviated_number(digits: str, found: str | None) -> None:
    assert contacts.dialled_abbreviated(digits) == found


def test_the_routing_table_translates_abbreviated_numbers_of_the_callers_fleet_only() -> None:
    world = memory_world()
    table = world.fleets.table
    contact = world.fleets.add_contact(world.fleet.id, "0478000001", "Garage", abbreviated="7001")
    assert short_dial(table, world.fleet.id, "7001").abbreviated == "7001"
    assert short_dial(table, world.fleet.id, "##7001").number == contact.number
    assert short_dial(table, world.other_fleet.id, "7001").number is None
    assert short_dial(table, world.fleet.id, "##2001").number is None  # ## is for contacts only
    line = short_dial(table, world.fleet.id, "2001")
    assert (line.number, line.abbreviated) == (world.lines[0].msisdn, None)
    world.fleets.remove_contact(contact)
    assert short_dial(table, world.fleet.id, "7001").number is None


def test_a_fleet_read_again_keeps_its_contacts() -> None:
    world = memory_world()
    table = world.fleets.table
    contact = world.fleets.add_contact(world.fleet.id, "0478000001", "Garage", abbreviated="7001")
    table.put_fleet(world.fleet, lines=world.lines, contacts=[contact])
    assert table.abbreviated(world.fleet.id, "7001") == contact.number
    table.put_fleet(world.fleet, lines=world.lines)
    assert table.abbreviated(world.fleet.id, "7001") is None
