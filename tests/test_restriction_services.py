"""Restriction profiles in the services (issue 16): a forwarding, its activation or an
incoming-call list entry the line's profile forbids is refused with a clear domain error
(``destination_restricted``, French and English) and writes nothing; the profile itself is
a line setting the manager changes (journalled), carried by the bulk export and import."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.errors import DomainError, ErrorCode
from fleet.core.linesettings import RESTRICTION_PROFILE
from fleet.core.values import Actor, ForwardingKind, Language, RestrictionProfile
from fleet.services.container import Services
from fleet.services.fleetio import decode
from fleet.services.fleetio_spec import Format
from tests.conftest import dump
from tests.world import World, build_world

P = RestrictionProfile


@pytest.fixture
async def world(services: Services, actor: Actor) -> World:
    return await build_world(services, actor)


async def restrict(services: Services, actor: Actor, line_id: int, value: P) -> None:
    await services.lines.update(actor, line_id, settings={RESTRICTION_PROFILE: value})


async def test_a_forwarding_the_profile_forbids_is_refused_with_its_reason(
    services: Services, actor: Actor, world: World, engine: AsyncEngine
) -> None:
    line = world.line(1)
    await restrict(services, actor, line.id, P.NATIONAL)
    before = await dump(engine)
    with pytest.raises(DomainError) as refused:
        await services.forwarding.set(actor, line.id, "busy", destination="06 99 00 00 01")
    error = refused.value
    assert (error.code, error.field) == (ErrorCode.DESTINATION_RESTRICTED, "destination")
    assert error.message(Language.FR) == (
        "Le profil de restriction de la ligne (« National seul ») interdit le numéro "
        "06 99 00 00 01."
    )
    assert error.message(Language.EN) == (
        "The line's restriction profile ('National fixed only') does not allow number "
        "06 99 00 00 01."
    )
    assert await dump(engine) == before
    allowed = await services.forwarding.set(actor, line.id, "busy", destination="0146000000")
    assert allowed.active and allowed.destination is not None
    colleague = await services.forwarding.set(actor, line.id, "no_reply", destination="0611000003")
    assert colleague.destination is not None, "a line of the fleet is in its VPN"


async def test_the_fleets_own_numbers_are_refused_only_by_the_emergency_profile(
    services: Services, actor: Actor, world: World
) -> None:
    line = world.line(1)
    await restrict(services, actor, line.id, P.VPN)
    await services.forwarding.set(actor, line.id, "busy", destination="0145678910")  # fixed
    with pytest.raises(DomainError) as refused:
        await services.forwarding.set(actor, line.id, "busy", destination="0622000001")
    assert refused.value.code is ErrorCode.DESTINATION_RESTRICTED, "another fleet's line"
    await restrict(services, actor, line.id, P.EMERGENCY)
    with pytest.raises(DomainError):
        await services.forwarding.set(actor, line.id, "unconditional", destination="0611000003")


async def test_a_forwarding_set_before_the_profile_was_tightened_cannot_be_switched_on(
    services: Services, actor: Actor, world: World
) -> None:
    line = world.line(1)
    await services.forwarding.set(
        actor, line.id, "unconditional", destination="0699000001", active=False
    )
    await restrict(services, actor, line.id, P.NATIONAL)  # tightening keeps what is set
    kept = {f.kind: f for f in await services.forwarding.of_line(line.id)}
    assert kept[ForwardingKind.UNCONDITIONAL].destination is not None
    with pytest.raises(DomainError) as refused:
        await services.forwarding.activate(actor, line.id, "unconditional")
    assert refused.value.code is ErrorCode.DESTINATION_RESTRICTED
    assert await services.forwarding.deactivate(actor, line.id, "unconditional") is not None
    await restrict(services, actor, line.id, P.FRANCE)
    switched = await services.forwarding.activate(actor, line.id, "unconditional")
    assert switched.active


async def test_an_incoming_list_entry_the_profile_forbids_is_refused_by_its_index(
    services: Services, actor: Actor, world: World, engine: AsyncEngine
) -> None:
    line = world.line(1)
    await restrict(services, actor, line.id, P.EMERGENCY)
    before = await dump(engine)
    with pytest.raises(DomainError) as refused:
        await services.incoming.save(actor, line.id, entries=["0611000003", "0145678910"])
    assert (refused.value.code, refused.value.field) == (
        ErrorCode.DESTINATION_RESTRICTED,
        "entries.0",
    )
    assert await dump(engine) == before
    await restrict(services, actor, line.id, P.VPN)
    saved = await services.incoming.save(actor, line.id, entries=["0611000003", "0145678910"])
    assert len(saved.entries) == 2


async def test_the_profile_is_journalled_and_carried_by_the_bulk_export_and_import(
    services: Services, actor: Actor, world: World
) -> None:
    line = world.line(1)
    await restrict(services, actor, line.id, P.NO_PREMIUM)
    csv_text = (await services.fleetio.export(world.fleet.id, Format.CSV)).decode("utf-8-sig")
    header, *rows = csv_text.splitlines()
    column = header.split(";").index("restriction_profile")
    row = next(r for r in rows if r.startswith(line.msisdn.national_digits()))
    assert row.split(";")[column] == "no_premium"
    exported = json.loads(await services.fleetio.export(world.fleet.id, Format.JSON))
    (entry,) = [e for e in exported["lines"] if e["msisdn"] == line.msisdn.national_digits()]
    assert entry["restriction_profile"] == "no_premium"
    text = "msisdn;restriction_profile\n0611000002;France\n0611000003;vpn\n"
    report = await services.fleetio.import_file(
        actor, world.fleet.id, decode(text.encode(), Format.CSV), dry_run=False
    )
    assert report.applied and not report.faults
    assert RESTRICTION_PROFILE.of(await services.lines.get(world.line(1).id)) is P.FRANCE
    assert RESTRICTION_PROFILE.of(await services.lines.get(world.line(2).id)) is P.VPN
    bad = "msisdn;restriction_profile\n0611000002;partout\n"
    refused = await services.fleetio.import_file(
        actor, world.fleet.id, decode(bad.encode(), Format.CSV), dry_run=False
    )
    assert not refused.applied
    assert [f.error.code for f in refused.faults] == [ErrorCode.IMPORT_VALUE_INVALID]
    document = {"lines": [{"msisdn": "0611000002", "restriction_profile": "partout"}]}
    as_json = await services.fleetio.import_file(
        actor, world.fleet.id, decode(json.dumps(document).encode(), Format.JSON), dry_run=False
    )
    assert [f.error.code for f in as_json.faults] == [ErrorCode.IMPORT_VALUE_INVALID]
