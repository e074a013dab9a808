"""Outgoing call barring where a line's forwardings and incoming-call list are set (TS 22.088;
issue 16 item 5): a forwarding is an outgoing leg of the line, so with BAOC (33) every
forwarding to a number, with BOIC (331) or BOIC-exHC (332) one abroad, is refused with
``destination_barred`` (French and English) and nothing is written — registering it or
switching on one registered before (BOIC's forwardings abroad are refused by the numbering
policy already). An incoming-call list's entries are the fleet's own numbers: BAOC leaves
them alone. The barring lock and a new barring password reach the portal's journal.
The engine's side (a forwarding set before the barring is not followed) is
``tests/test_engine_barring_legs.py``."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES
from fleet.core import model
from fleet.core.barring import SETTINGS, Barring
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.values import Actor, Channel, ForwardingKind, Language
from fleet.services.container import Services
from tests.conftest import dump
from tests.test_portal import Site, sign_in, site, text
from tests.world import World, build_world

__all__ = ["site"]  # the portal's fixture


@pytest.fixture
async def world(services: Services, actor: Actor) -> World:
    return await build_world(services, actor)


async def bar(services: Services, actor: Actor, line_id: int, program: Barring) -> None:
    await services.lines.update(actor, line_id, settings={SETTINGS[program]: True})


async def test_baoc_refuses_every_forwarding_to_a_number_with_its_reason(
    services: Services, actor: Actor, world: World, engine: AsyncEngine
) -> None:
    line = world.line(1)
    await bar(services, actor, line.id, Barring.BAOC)
    before = await dump(engine)
    for destination in ("06 99 00 00 01", "0146000000", "0611000003"):  # the fleet's too
        with pytest.raises(DomainError) as refused:
            await services.forwarding.set(actor, line.id, "busy", destination=destination)
        assert (refused.value.code, refused.value.field) == (
            ErrorCode.DESTINATION_BARRED,
            "destination",
        )
    assert refused.value.message(Language.FR) == (
        "La restriction de tous les appels sortants (33) de la ligne interdit le numéro "
        "06 11 00 00 03."
    )
    assert refused.value.message(Language.EN) == (
        "The line's barring of all outgoing calls (33) does not allow number 06 11 00 00 03."
    )
    assert await dump(engine) == before
    await services.lines.update(actor, line.id, settings={SETTINGS[Barring.BAOC]: False})
    assert (await services.forwarding.set(actor, line.id, "busy", destination="0146000000")).active


@pytest.mark.parametrize("program", [Barring.BOIC, Barring.BOIC_EXHC])
async def test_an_international_barring_leaves_forwardings_at_home_alone(
    services: Services, actor: Actor, world: World, program: Barring
) -> None:
    line = world.line(1)
    await bar(services, actor, line.id, program)
    for destination in ("0699000001", "0146000000", "0611000003"):
        rule = await services.forwarding.set(actor, line.id, "no_reply", destination=destination)
        assert rule.destination is not None
    with pytest.raises(DomainError) as refused:  # abroad: the numbering policy's refusal first
        await services.forwarding.set(actor, line.id, "no_reply", destination="+442071234567")
    assert refused.value.code is ErrorCode.NUMBER_INTERNATIONAL_NOT_ALLOWED


async def test_a_forwarding_registered_before_the_barring_cannot_be_switched_on(
    services: Services, actor: Actor, world: World
) -> None:
    line = world.line(1)
    await services.forwarding.set(
        actor, line.id, "unconditional", destination="0699000001", active=False
    )
    await bar(services, actor, line.id, Barring.BAOC)  # activating a barring keeps it
    kept = {f.kind: f for f in await services.forwarding.of_line(line.id)}
    assert kept[ForwardingKind.UNCONDITIONAL].destination is not None
    with pytest.raises(DomainError) as refused:
        await services.forwarding.activate(actor, line.id, "unconditional")
    assert refused.value.code is ErrorCode.DESTINATION_BARRED
    assert await services.forwarding.deactivate(actor, line.id, "unconditional") is not None


async def test_baoc_leaves_an_incoming_list_of_the_fleets_own_numbers_alone(
    services: Services, actor: Actor, world: World
) -> None:
    line = world.line(1)
    await bar(services, actor, line.id, Barring.BAOC)
    saved = await services.incoming.save(actor, line.id, entries=["0611000003", "0145678910"])
    assert len(saved.entries) == 2, "the fleet's own line and fixed number"
    with pytest.raises(DomainError) as refused:  # outside the fleet: never a list's entry
        await services.incoming.save(actor, line.id, entries=["0611000003", "0699000001"])
    assert (refused.value.code, refused.value.field) == (ErrorCode.NUMBER_NOT_IN_VPN, "entries.1")


async def test_an_incoming_barring_refuses_no_forwarding(
    services: Services, actor: Actor, world: World
) -> None:
    line = world.line(1)
    await bar(services, actor, line.id, Barring.BAIC)
    await bar(services, actor, line.id, Barring.BAIC_ROAM)
    rule = await services.forwarding.set(actor, line.id, "busy", destination="0699000001")
    assert rule.active


async def test_the_portals_journal_shows_the_barring_lock_and_the_new_password(
    site: Site,
) -> None:
    services = site.client.app[SERVICES]
    locked, changed = site.world.line(0), site.world.line(1)
    for _ in range(3):
        with pytest.raises(DomainError):
            await services.barring.check(handset(locked), locked.id, "9999")
    await services.barring.change(handset(changed), changed.id, "0000", "4826", "4826")
    await sign_in(site.client)
    audit = f"/portal/fleets/{site.world.fleet.id}/audit"
    page = await text(await site.client.get(audit, params={"channel": "ussd"}))
    rows = re.findall(r"<tr><td>.*?</tr>", page, flags=re.S)
    assert len(rows) == 2
    assert "barring_password" in rows[0] and "changed" in rows[0]
    assert "barring_locked_until" in rows[1] and "wrong_passwords" in rows[1]
    assert all(f"line {line.id}" in row for row, line in zip(rows, (changed, locked), strict=True))
    assert "9999" not in page and "4826" not in page and "argon2" not in page


def handset(line: model.Line) -> Actor:
    return Actor(name=line.msisdn.national_digits(), channel=Channel.USSD, line_id=line.id)
