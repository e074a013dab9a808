"""Voicemail as a destination through every channel (issue 16 item 7), on SQLite and
PostgreSQL: the forwarding service (a target, the platform's number typed, the refusals
without a platform), a group's no-answer rule, the handset's code (``**67*<platform>#``), the
REST API, the manager's and the employee's forwarding forms, the journal, CSV and JSON import
and export. The engine is ``tests/test_engine_voicemail.py``."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES, build_app
from fleet.cli import main
from fleet.config import load_settings
from fleet.core.clock import ManualClock
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import NumberPolicy
from fleet.core.values import Actor, Channel, ForwardingKind, ForwardingTarget, NoAnswerAction
from fleet.core.voicemail import VoicemailPlatform
from fleet.db.engine import session_factory
from fleet.services.audit import AuditFilter
from fleet.services.base import ServiceContext
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from fleet.services.fleetio import decode
from fleet.services.fleetio_spec import Format
from fleet.services.trunksecrets import SecretBox
from tests.conftest import TRUNK_SECRET_KEY, dump
from tests.exchange import n
from tests.test_feature_codes import ME, Ussd, directory, handler, ussd, world
from tests.test_portal import ClientFactory, Site, csrf, sign_in, text
from tests.world import PASSWORD, World, build_accounts

__all__ = ["directory", "handler", "ussd", "world"]  # fixtures shared with those tests

PLATFORM = "0699999123"
BUSY = ForwardingKind.BUSY


@pytest.fixture
def services(engine: AsyncEngine, clock: ManualClock, policy: NumberPolicy) -> Services:
    """The services of a deployment whose voicemail platform is at ``PLATFORM``."""
    context = ServiceContext(
        sessions=session_factory(engine),
        clock=clock,
        policy=policy,
        voicemail=VoicemailPlatform(n(PLATFORM)),
    )
    return Services.build(context=context, trunk_secrets=SecretBox(key=TRUNK_SECRET_KEY))


def without_platform(engine: AsyncEngine, clock: ManualClock) -> Services:
    context = ServiceContext(sessions=session_factory(engine), clock=clock, policy=NumberPolicy())
    return Services.build(context=context, trunk_secrets=SecretBox(key=TRUNK_SECRET_KEY))


async def _site(factory: ClientFactory, database_url: str, *, platform: bool) -> Site:
    given = {"database_url": database_url, "voicemail_number": PLATFORM if platform else None}
    app = build_app(settings=load_settings(cli=given, env={}))
    client = await factory(app)
    built = await build_accounts(app[SERVICES], Actor(name="setup", channel=Channel.CLI))
    return Site(client, built.world, built.group_id, built.other_group_id)


# -- the deployment's configuration ------------------------------------------------------------


def test_check_config_shows_the_platform_and_a_bad_number_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLEETPBX_VOICEMAIL_NUMBER", "06 99 99 91 23")
    assert main(["check-config"]) == 0
    assert 'voicemail_number = "06 99 99 91 23"    # environment' in capsys.readouterr().out
    assert load_settings(env={"FLEETPBX_VOICEMAIL_NUMBER": "0699999123"}).voicemail() == (
        VoicemailPlatform(n(PLATFORM))
    )
    assert load_settings(env={}).voicemail().offered is False
    monkeypatch.setenv("FLEETPBX_VOICEMAIL_NUMBER", "0899123456")  # a premium number
    assert main(["check-config"]) == 2
    assert "voicemail_number" in capsys.readouterr().err


# -- the service --------------------------------------------------------------------------------


async def test_a_forwarding_to_voicemail_is_saved_once_and_journalled_once(
    services: Services, world: World, actor: Actor
) -> None:
    line = world.line(1).id
    rule = await services.forwarding.set(actor, line, BUSY, destination=None, target="voicemail")
    assert (rule.target, rule.destination, rule.active) == (ForwardingTarget.VOICEMAIL, None, True)
    again = await services.forwarding.set(actor, line, BUSY, destination=None, target="voicemail")
    assert again == rule
    journal = await services.audit.search(AuditFilter(entity="forwarding"))
    assert journal.total == 1
    assert journal.items[0].after is not None and journal.items[0].after["target"] == "voicemail"
    assert await services.forwarding.deactivate(actor, line, BUSY) is not None
    assert (await services.forwarding.activate(actor, line, BUSY)).active is True
    back = await services.forwarding.set(actor, line, BUSY, destination="0145678910")
    assert (back.target, back.destination) == (ForwardingTarget.NUMBER, n("0145678910"))


async def test_the_platform_s_number_typed_as_a_destination_is_the_voicemail(
    services: Services, world: World, actor: Actor
) -> None:
    rule = await services.forwarding.set(
        actor, world.line(1).id, ForwardingKind.NO_REPLY, destination="06 99 99 91 23"
    )
    assert (rule.target, rule.destination, rule.no_reply_timer) == (
        ForwardingTarget.VOICEMAIL,
        None,
        20,
    )


async def test_without_a_platform_voicemail_is_refused_and_nothing_is_written(
    services: Services, world: World, actor: Actor, engine: AsyncEngine, clock: ManualClock
) -> None:
    bare = without_platform(engine, clock)
    before = await dump(engine)
    with pytest.raises(DomainError) as refused:
        await bare.forwarding.set(
            actor, world.line(1).id, BUSY, destination=None, target="voicemail"
        )
    assert refused.value.code is ErrorCode.VOICEMAIL_NOT_CONFIGURED
    with pytest.raises(DomainError) as unknown:
        await services.forwarding.set(actor, world.line(1).id, BUSY, destination=None, target="fax")
    assert unknown.value.code is ErrorCode.FORWARDING_TARGET_INVALID
    assert await dump(engine) == before


async def test_a_group_s_no_answer_rule_goes_to_voicemail_only_with_a_platform(
    services: Services, world: World, actor: Actor, engine: AsyncEngine, clock: ManualClock
) -> None:
    group = (await services.groups.in_fleet(world.fleet.id))[0]
    before = await dump(engine)
    with pytest.raises(DomainError) as refused:
        await without_platform(engine, clock).groups.update(
            actor, group.id, no_answer_action=NoAnswerAction.FORWARD_TO_VOICEMAIL
        )
    assert refused.value.code is ErrorCode.VOICEMAIL_NOT_CONFIGURED
    assert await dump(engine) == before
    changed = await services.groups.update(
        actor, group.id, no_answer_action=NoAnswerAction.FORWARD_TO_VOICEMAIL
    )
    assert changed.no_answer_action is NoAnswerAction.FORWARD_TO_VOICEMAIL
    assert (changed.no_answer_number, changed.no_answer_group_id) == (None, None)


# -- the handset's code -------------------------------------------------------------------------


async def test_forwarding_to_the_platform_s_number_by_code_is_the_voicemail_everywhere(
    ussd: Ussd, services: Services, directory: CachedDirectory, world: World
) -> None:
    reply = await ussd(f"**67*{PLATFORM}#")
    assert reply.text == "Renvoi sur occupation activé vers la messagerie vocale."
    cached = directory.by_msisdn(n(ME))
    assert cached is not None
    rule = cached.forwarding(BUSY)
    assert rule is not None and rule.to_voicemail and rule.active
    assert (await ussd("*#67#")).text == "Renvoi sur occupation : actif vers la messagerie vocale"
    entry = (await services.audit.search(AuditFilter(entity="forwarding"))).items[0]
    assert entry.channel is Channel.USSD


# -- the REST API -------------------------------------------------------------------------------


async def _api(site: Site) -> dict[str, str]:
    response = await site.client.post("/api/login", json={"login": "chef", "password": PASSWORD})
    return {"Authorization": f"Bearer {(await response.json())['token']}"}


async def test_the_api_sets_a_forwarding_to_voicemail(
    aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine
) -> None:
    site = await _site(aiohttp_client, database_url, platform=True)
    headers = await _api(site)
    url = f"/api/fleets/{site.world.fleet.id}/lines/{site.world.line(1).id}"
    response = await site.client.put(
        f"{url}/forwardings/not_reachable", json={"target": "voicemail"}, headers=headers
    )
    assert response.status == 200, await response.text()
    assert await response.json() == {
        "kind": "not_reachable",
        "target": "voicemail",
        "destination": None,
        "active": True,
        "no_reply_timer": None,
    }
    line = await (await site.client.get(url, headers=headers)).json()
    assert [(f["kind"], f["target"]) for f in line["forwardings"]] == [
        ("not_reachable", "voicemail")
    ]
    bad = await site.client.put(f"{url}/forwardings/busy", json={"target": 3}, headers=headers)
    assert (bad.status, (await bad.json())["code"]) == (422, "forwarding_target_invalid")


async def test_the_api_refuses_voicemail_without_a_platform_and_writes_nothing(
    aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine
) -> None:
    site = await _site(aiohttp_client, database_url, platform=False)
    headers = await _api(site)
    url = f"/api/fleets/{site.world.fleet.id}/lines/{site.world.line(1).id}/forwardings/busy"
    before = await dump(engine)
    refused = await site.client.put(url, json={"target": "voicemail"}, headers=headers)
    assert (refused.status, (await refused.json())["code"]) == (422, "voicemail_not_configured")
    assert await dump(engine) == before


# -- the portals --------------------------------------------------------------------------------


async def test_the_manager_s_form_offers_voicemail_and_saves_it(
    aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine
) -> None:
    site = await _site(aiohttp_client, database_url, platform=True)
    await sign_in(site.client)
    base = f"/portal/fleets/{site.world.fleet.id}/lines/{site.world.line(1).id}"
    form = await text(await site.client.get(f"{base}/forwarding"))
    assert 'name="busy.target"' in form and "la messagerie vocale" in form
    token = await csrf(site.client, f"{base}/forwarding")
    sent = {"csrf": token, "busy.active": "on", "busy.target": "voicemail"}
    saved = await site.client.post(f"{base}/forwarding", data=sent, allow_redirects=False)
    assert saved.status == 302
    rules = await site.client.app[SERVICES].forwarding.of_line(site.world.line(1).id)
    assert [(r.kind, r.target, r.active) for r in rules] == [
        (BUSY, ForwardingTarget.VOICEMAIL, True)
    ]
    page = await text(await site.client.get(base))
    assert "<td>Sur occupation</td><td>Messagerie vocale</td>" in page
    shown = await text(await site.client.get(f"{base}/forwarding"))
    assert '<option value="voicemail" selected>' in shown
    group = f"/portal/fleets/{site.world.fleet.id}/groups/{site.group_id}/edit"
    assert "Renvoi vers la messagerie vocale du groupe" in await text(await site.client.get(group))


async def test_the_employee_s_form_sends_no_reply_to_voicemail(
    aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine
) -> None:
    site = await _site(aiohttp_client, database_url, platform=True)
    await sign_in(site.client, "salarie")
    token = await csrf(site.client, "/portal/me/forwarding")
    sent = {
        "csrf": token,
        "no_reply.active": "on",
        "no_reply.target": "voicemail",
        "no_reply.timer": "15",
    }
    saved = await site.client.post("/portal/me/forwarding", data=sent, allow_redirects=False)
    assert saved.status == 302
    rules = await site.client.app[SERVICES].forwarding.of_line(site.world.line(0).id)
    assert [(r.kind, r.target, r.no_reply_timer) for r in rules] == [
        (ForwardingKind.NO_REPLY, ForwardingTarget.VOICEMAIL, 15)
    ]
    journal = await site.client.app[SERVICES].audit.search(AuditFilter(entity="forwarding"))
    assert (journal.items[0].actor, journal.items[0].channel) == ("salarie", Channel.PORTAL)


async def test_without_a_platform_the_forms_offer_no_voicemail(
    aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine
) -> None:
    site = await _site(aiohttp_client, database_url, platform=False)
    await sign_in(site.client)
    base = f"/portal/fleets/{site.world.fleet.id}/lines/{site.world.line(1).id}"
    assert ".target" not in await text(await site.client.get(f"{base}/forwarding"))
    group = await text(
        await site.client.get(f"/portal/fleets/{site.world.fleet.id}/groups/{site.group_id}/edit")
    )
    assert "forward_to_number" in group and "forward_to_voicemail" not in group
    token = await csrf(site.client, f"{base}/forwarding")
    before = await dump(engine)
    sent = {"csrf": token, "busy.active": "on", "busy.target": "voicemail"}
    refused = await site.client.post(f"{base}/forwarding", data=sent)
    assert refused.status == 400
    assert "La messagerie vocale n'est pas proposée sur ce service." in await text(refused)
    assert await dump(engine) == before


# -- import and export --------------------------------------------------------------------------


async def test_csv_import_reads_messagerie_and_the_export_writes_voicemail_back(
    services: Services, actor: Actor
) -> None:
    fleet_id = (await services.fleets.create(actor, name="Vide", short_number_length=4)).id
    text_in = (
        "msisdn;employee_name;pabx_option;forward_busy;forward_no_reply;no_reply_timer\n"
        "0611000001;Léa Martin;oui;messagerie;voicemail;25\n"
    )
    report = await services.fleetio.import_file(
        actor, fleet_id, decode(text_in.encode(), Format.CSV), dry_run=False
    )
    assert report.applied and not report.faults, report.faults
    line = await services.lines.services("0611000001")
    assert [(f.kind, f.target, f.no_reply_timer) for f in line.forwardings] == [
        (BUSY, ForwardingTarget.VOICEMAIL, None),
        (ForwardingKind.NO_REPLY, ForwardingTarget.VOICEMAIL, 25),
    ]
    exported = (await services.fleetio.export(fleet_id, Format.CSV)).decode("utf-8-sig")
    header, row = exported.splitlines()
    cells = dict(zip(header.split(";"), row.split(";"), strict=True))
    assert (cells["forward_busy"], cells["forward_no_reply"]) == ("voicemail", "voicemail")
    again = await services.fleetio.import_file(
        actor, fleet_id, decode(exported.encode("utf-8-sig"), Format.CSV), dry_run=False
    )
    assert not again.faults and not again.changes


async def test_json_carries_the_target_and_an_import_without_a_platform_is_refused(
    services: Services, actor: Actor, world: World, engine: AsyncEngine, clock: ManualClock
) -> None:
    await services.forwarding.set(
        actor, world.line(2).id, BUSY, destination=None, target="voicemail"
    )
    exported = json.loads(await services.fleetio.export(world.fleet.id, Format.JSON))
    line = next(item for item in exported["lines"] if item["msisdn"] == "0611000003")
    assert line["forwardings"] == [
        {
            "kind": "busy",
            "target": "voicemail",
            "destination": None,
            "active": True,
            "no_reply_timer": None,
        }
    ]
    target = (await services.fleets.create(actor, name="Copie", short_number_length=4)).id
    copy = {
        **exported,
        "lines": [{**line, "msisdn": "0633000003", "incoming_list": None}],
        "groups": [],
        "fixed_numbers": [],
        "trunks": [],
    }
    data = json.dumps(copy).encode()
    before = await dump(engine)
    refused = await without_platform(engine, clock).fleetio.import_file(
        actor, target, decode(data, Format.JSON), dry_run=False
    )
    assert not refused.applied
    assert [f.error.code for f in refused.faults] == [ErrorCode.VOICEMAIL_NOT_CONFIGURED]
    assert await dump(engine) == before
    report = await services.fleetio.import_file(
        actor, target, decode(data, Format.JSON), dry_run=False
    )
    assert report.applied, [(str(f.where), f.error.code) for f in report.faults]
    copied = await services.lines.services("0633000003")
    assert [(f.kind, f.target) for f in copied.forwardings] == [(BUSY, ForwardingTarget.VOICEMAIL)]
