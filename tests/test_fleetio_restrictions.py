"""The bulk import (CSV and JSON) checks each line's forwardings and incoming-call list
against the line's barring programs and restriction profile (issue 16), as the single-line
services do: a refused destination is a fault of its row with its field, and nothing is
written (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.errors import DomainError, ErrorCode
from fleet.core.linesettings import BAOC, BOIC, RESTRICTION_PROFILE, LineSetting
from fleet.core.values import Actor, ForwardingKind, Language, RestrictionProfile
from fleet.services.container import Services
from fleet.services.fleetio_spec import Format, ImportReport, report_dict
from tests.test_fleetio import empty_fleet, line_count, run

HEADER = (
    "msisdn;employee_name;pabx_option;restriction_profile;barring_all_outgoing;"
    "barring_outgoing_international;forward_unconditional;forward_unconditional_active;"
    "forward_busy"
)


def refusals(report: ImportReport) -> list[tuple[str, ErrorCode, str | None]]:
    return [(str(f.where), f.error.code, f.error.field) for f in report.faults]


async def test_csv_rows_forwarding_where_their_line_may_not_call_are_refused_and_nothing_written(
    services: Services, actor: Actor, engine: AsyncEngine
) -> None:
    fleet_id = await empty_fleet(services, actor)
    text = (
        f"{HEADER}\n"
        "0611000001;Profil national;yes;national;;;;;0611000009\n"  # a mobile: not national
        "0611000002;Tout barré;yes;;yes;;0145678910;;\n"  # BAOC: every forwarding
        "0611000003;Barré aussi;yes;;yes;;0611000004;no;\n"  # the fleet's own line too
        "0611000004;Permis;yes;national;;;0145678910;;\n"  # national fixed: allowed
    )
    report = await run(services, actor, fleet_id, text)
    assert not report.applied
    assert refusals(report) == [
        ("2", ErrorCode.DESTINATION_RESTRICTED, "forward_busy"),
        ("3", ErrorCode.DESTINATION_BARRED, "forward_unconditional"),
        ("4", ErrorCode.DESTINATION_BARRED, "forward_unconditional"),
    ]
    assert await line_count(engine, fleet_id) == 0
    shown = report_dict(report, Language.EN)["faults"]
    assert shown[0]["line"] == 2 and shown[0]["field"] == "forward_busy"
    assert "National fixed only" in shown[0]["message"]
    assert "06 11 00 00 09" in shown[0]["message"]
    assert "(33)" in shown[1]["message"]


async def test_the_import_refuses_what_the_lines_service_refuses(
    services: Services, actor: Actor
) -> None:
    """One verdict for both: the same destinations, set one by one on a line by the
    forwarding service and by an import of that line with the same profile and programs."""
    fleet_id = await empty_fleet(services, actor)
    await services.trunks.add(actor, fleet_id, name="pbx", host="pbx.example")
    await services.fleets.add_fixed_number(
        actor, fleet_id, number="0145000001", label="Accueil", trunk="pbx"
    )
    seed = await run(services, actor, fleet_id, f"{HEADER}\n0611000001;Témoin;yes;;;;;;\n")
    assert seed.applied, refusals(seed)
    line = await services.lines.get_by_msisdn("0611000001")
    destinations = ("0145000001", "0145678910", "0611000009", "0899123456", "0044201234567")
    cases = [
        (RestrictionProfile.VPN, ""),
        (RestrictionProfile.NATIONAL, ""),
        (RestrictionProfile.FRANCE, ""),
        (RestrictionProfile.UNRESTRICTED, "international"),
        (RestrictionProfile.NO_PREMIUM, "all"),
    ]
    verdicts: set[ErrorCode | None] = set()
    for profile, barred in cases:
        settings: dict[LineSetting[Any], Any] = {
            RESTRICTION_PROFILE: profile,
            BAOC: barred == "all",
            BOIC: barred == "international",
        }
        for destination in destinations:
            await services.lines.update(actor, line.id, settings=settings)
            try:
                await services.forwarding.set(
                    actor, line.id, "unconditional", destination=destination
                )
                by_service = None
                await services.forwarding.erase(actor, line.id, "unconditional")
            except DomainError as exc:
                by_service = exc.code
            row = (
                f"0611000001;Témoin;yes;{profile.value};{_yes(barred == 'all')};"
                f"{_yes(barred == 'international')};{destination};;"
            )
            report = await run(services, actor, fleet_id, f"{HEADER}\n{row}\n", dry_run=True)
            by_import = report.faults[0].error.code if report.faults else None
            assert by_import == by_service, (profile, barred, destination)
            verdicts.add(by_service)
    assert verdicts >= {None, ErrorCode.DESTINATION_RESTRICTED, ErrorCode.DESTINATION_BARRED}


def _yes(value: bool) -> str:
    return "yes" if value else "no"


async def test_a_forwarding_the_file_leaves_as_it_is_is_kept_when_the_profile_tightens(
    services: Services, actor: Actor
) -> None:
    """As when a manager tightens a profile: the forwarding stays (the engine does not
    follow it); changing it, or switching it on, in the same file is refused."""
    fleet_id = await empty_fleet(services, actor)
    first = (
        f"{HEADER}\n"
        "0611000001;Léa;yes;;;;0611000009;yes;\n"
        "0611000002;Marc;yes;;;;0611000009;no;\n"
        "0611000003;Paul;yes;;;;0611000009;yes;\n"
    )
    assert (await run(services, actor, fleet_id, first)).applied
    tightened = (
        f"{HEADER}\n"
        "0611000001;Léa;yes;national;;;0611000009;yes;\n"  # as it is
        "0611000002;Marc;yes;national;;;0611000009;no;\n"  # as it is, off
        "0611000003;Paul;yes;national;;;0611000009;no;\n"  # switched off
    )
    report = await run(services, actor, fleet_id, tightened)
    assert report.applied, refusals(report)
    lea = await services.lines.services("0611000001")
    kept = lea.forwarding(ForwardingKind.UNCONDITIONAL)
    assert kept is not None and kept.active
    changed = (
        f"{HEADER}\n"
        "0611000001;Léa;yes;national;;;0611000008;yes;\n"  # another destination
        "0611000002;Marc;yes;national;;;0611000009;yes;\n"  # switched on
        "0611000003;Paul;yes;national;;;0145678910;yes;\n"  # national fixed: allowed
    )
    refused = await run(services, actor, fleet_id, changed)
    assert refusals(refused) == [
        ("2", ErrorCode.DESTINATION_RESTRICTED, "forward_unconditional"),
        ("3", ErrorCode.DESTINATION_RESTRICTED, "forward_unconditional"),
    ]
    paul = await services.lines.services("0611000003")
    left = paul.forwarding(ForwardingKind.UNCONDITIONAL)
    assert left is not None and left.destination is not None and not left.active
    assert left.destination.national_digits() == "0611000009", "nothing written"


def _line(msisdn: str, profile: str, **more: object) -> dict[str, object]:
    return {
        "msisdn": msisdn,
        "employee_name": f"Ligne {msisdn[-2:]}",
        "pabx_option": True,
        "restriction_profile": profile,
        **more,
    }


@pytest.mark.parametrize(
    ("profile", "refused"),
    [("emergency", True), ("vpn", False)],
    ids=["emergency_only", "vpn"],
)
async def test_json_list_entries_are_checked_against_the_lines_profile(
    services: Services, actor: Actor, engine: AsyncEngine, profile: str, refused: bool
) -> None:
    fleet_id = await empty_fleet(services, actor)
    listed = {"active": True, "mode": "cascade", "ring_time": 15}
    document = {
        "trunks": [{"name": "pbx", "host": "pbx.example"}],
        "fixed_numbers": [{"number": "0145000001", "label": "Accueil", "trunk": "pbx"}],
        "lines": [
            _line(
                "0611000001",
                profile,
                incoming_list={**listed, "entries": ["0611000002", "0145000001"]},
            ),
            _line("0611000002", "unrestricted"),
        ],
    }
    report = await run(services, actor, fleet_id, json.dumps(document), Format.JSON)
    if refused:
        assert refusals(report) == [
            ("lines[0]", ErrorCode.DESTINATION_RESTRICTED, "entries.0"),
            ("lines[0]", ErrorCode.DESTINATION_RESTRICTED, "entries.1"),
        ]
        assert await line_count(engine, fleet_id) == 0
    else:  # the file's own line and fixed number are the fleet's
        assert report.applied, refusals(report)
        assert await line_count(engine, fleet_id) == 2


async def test_json_barring_bars_forwardings_to_the_fleet_but_not_its_list_entries(
    services: Services, actor: Actor
) -> None:
    """BAOC bars every forwarding to a number, the fleet's own lines included; a list's
    entry of the fleet is the fleet's own ringing, not an outgoing call."""
    fleet_id = await empty_fleet(services, actor)
    listed = {"active": True, "mode": "cascade", "ring_time": 15, "entries": ["0611000002"]}
    forwarding = {"kind": "busy", "destination": "0611000002", "active": True}
    document = {
        "lines": [
            _line(
                "0611000001",
                "unrestricted",
                barring_all_outgoing=True,
                incoming_list=listed,
                forwardings=[forwarding],
            ),
            _line("0611000002", "unrestricted"),
        ],
    }
    report = await run(services, actor, fleet_id, json.dumps(document), Format.JSON)
    assert refusals(report) == [("lines[0]", ErrorCode.DESTINATION_BARRED, "forward_busy")]
    del document["lines"][0]["forwardings"]
    again = await run(services, actor, fleet_id, json.dumps(document), Format.JSON)
    assert again.applied, refusals(again)


async def test_a_list_entry_outside_the_fleet_is_reported_once_not_in_the_vpn(
    services: Services, actor: Actor
) -> None:
    fleet_id = await empty_fleet(services, actor)
    listed = {"active": True, "mode": "cascade", "ring_time": 15, "entries": ["0145678910"]}
    document = {"lines": [_line("0611000001", "emergency", incoming_list=listed)]}
    report = await run(services, actor, fleet_id, json.dumps(document), Format.JSON)
    assert [code for _, code, _ in refusals(report)] == [ErrorCode.NUMBER_NOT_IN_VPN]
