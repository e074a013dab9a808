"""Do-not-disturb through every channel (issue 16): the handset's code (``*26#``, ``#26#``,
``*#26#``) with the routing cache changed before the answer, the employee's own settings page
(and who may open it), the REST API, the audit journal, CSV and JSON import and export. The
engine's treatment of a call is ``tests/test_engine_dnd.py``; what every setting shares (the
manager's form, the OpenAPI schema, the type checks) is ``tests/test_line_settings.py``."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.linesettings import CALL_WAITING, CLIR, DND, DND_VPN_EXEMPT, PABX_OPTION
from fleet.core.values import Actor, Channel
from fleet.services.audit import AuditFilter
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from fleet.services.fleetio import decode
from fleet.services.fleetio_spec import Format
from portal.my_settings import EMPLOYEE_SETTINGS
from tests.conftest import dump
from tests.exchange import n
from tests.test_feature_codes import ME, Ussd, directory, handler, ussd, world
from tests.test_portal import Site, csrf, sign_in, site, text
from tests.test_portal_lines import line_url, services_of
from tests.world import PASSWORD, World

__all__ = ["directory", "handler", "site", "ussd", "world"]  # fixtures shared with those tests

SETTINGS_URL = "/portal/me/settings"


# -- the handset's code ------------------------------------------------------------------------


async def test_star_26_switches_dnd_on_and_the_routing_cache_knows_before_the_answer(
    ussd: Ussd, services: Services, directory: CachedDirectory, world: World
) -> None:
    assert (await ussd("*#26#")).text == "Ne pas déranger désactivé."
    assert (await ussd("*26#")).text == "Ne pas déranger activé."
    cached = directory.by_msisdn(n(ME))
    assert cached is not None and DND.of(cached.line) is True
    assert (await ussd("*#26#")).text == "Ne pas déranger activé."
    assert DND.of(await services.lines.get(world.line(0).id)) is True
    assert (await ussd("#26#")).text == "Ne pas déranger désactivé."
    cached = directory.by_msisdn(n(ME))
    assert cached is not None and DND.of(cached.line) is False
    journal = await services.audit.search(
        AuditFilter(entity="line", entity_id=str(world.line(0).id))
    )
    assert [e.channel for e in journal.items[:2]] == [Channel.USSD, Channel.USSD]
    assert [e.after["dnd"] for e in journal.items[:2] if e.after] == [False, True]


async def test_the_dnd_code_needs_the_pabx_option_and_changes_nothing_without_it(
    ussd: Ussd, services: Services, world: World, actor: Actor, engine: AsyncEngine
) -> None:
    await services.lines.update(actor, world.line(5).id, settings={PABX_OPTION: False})
    before = await dump(engine)
    reply = await ussd("*26#", line="0611000006")
    assert "activé" not in reply.text
    assert await dump(engine) == before


# -- the employee's own page -------------------------------------------------------------------


def test_the_employee_switches_are_dnd_its_exemption_call_waiting_and_the_hidden_number() -> None:
    assert set(EMPLOYEE_SETTINGS) == {DND, DND_VPN_EXEMPT, CALL_WAITING, CLIR}
    assert PABX_OPTION not in EMPLOYEE_SETTINGS  # the manager's


async def test_an_employee_switches_dnd_with_the_exemption_on_its_own_page(site: Site) -> None:
    await sign_in(site.client, "salarie")
    services = services_of(site)
    line = site.world.line(0)
    page = await text(await site.client.get(SETTINGS_URL))
    for setting in EMPLOYEE_SETTINGS:
        assert f'<label for="{setting.name}">{setting.label.fr}</label>' in page
    assert 'name="pabx_option"' not in page
    token = await csrf(site.client, SETTINGS_URL)
    ticked = {"csrf": token, "dnd": "on", "dnd_vpn_exempt": "on", "call_waiting": "on"}
    saved = await site.client.post(SETTINGS_URL, data=ticked, allow_redirects=False)
    assert saved.status == 302 and saved.headers["Location"] == f"{SETTINGS_URL}?saved=1"
    after = await services.lines.get(line.id)
    assert (after.dnd, after.dnd_vpn_exempt, after.call_waiting, after.clir) == (
        True,
        True,
        True,
        False,
    )
    assert after.pabx_option is line.pabx_option
    shown = await text(await site.client.get(f"{SETTINGS_URL}?saved=1"))
    assert "Modifications enregistrées." in shown
    assert 'id="dnd" name="dnd" checked' in shown
    home = await text(await site.client.get("/portal/me"))
    assert "« Ne pas déranger » est activé" in home
    journal = await services.audit.search(AuditFilter(entity="line", entity_id=str(line.id)))
    entry = journal.items[0]
    assert (entry.actor, entry.channel) == ("salarie", Channel.PORTAL)
    assert entry.after is not None and entry.after["dnd"] is True
    # unticked: off again, and the notice is gone
    await site.client.post(SETTINGS_URL, data={"csrf": token, "call_waiting": "on"})
    assert (await services.lines.get(line.id)).dnd is False
    assert "« Ne pas déranger » est activé" not in await text(await site.client.get("/portal/me"))


async def test_the_settings_page_in_english(site: Site) -> None:
    await sign_in(site.client, "salarie")
    page = await text(await site.client.get(f"{SETTINGS_URL}?lang=en"))
    assert "My settings" in page and "Do not disturb: colleagues exempt" in page


async def test_without_the_csrf_token_nothing_is_saved(site: Site, engine: AsyncEngine) -> None:
    await sign_in(site.client, "salarie")
    before = await dump(engine)
    refused = await site.client.post(SETTINGS_URL, data={"dnd": "on"}, allow_redirects=False)
    assert refused.status in (400, 403)
    assert await dump(engine) == before


async def test_a_manager_not_acting_as_a_user_has_no_settings_page(
    site: Site, engine: AsyncEngine
) -> None:
    await sign_in(site.client)
    assert (await site.client.get(SETTINGS_URL)).status == 403
    token = await csrf(site.client, "/portal/")
    before = await dump(engine)
    refused = await site.client.post(SETTINGS_URL, data={"csrf": token, "dnd": "on"})
    assert refused.status == 403
    assert await dump(engine) == before


async def test_a_signed_out_visitor_is_sent_to_the_login(site: Site) -> None:
    response = await site.client.get(SETTINGS_URL, allow_redirects=False)
    assert response.status in (302, 303) and "/portal/login" in response.headers["Location"]


async def test_a_manager_acting_as_the_user_switches_its_dnd_and_the_journal_says_so(
    site: Site,
) -> None:
    await sign_in(site.client)
    token = await csrf(site.client, line_url(site))
    acting = await site.client.post(
        f"{line_url(site)}/act", data={"csrf": token}, allow_redirects=False
    )
    assert acting.status == 302
    await site.client.post(SETTINGS_URL, data={"csrf": token, "dnd": "on"})
    line = site.world.line(0)
    assert (await services_of(site).lines.get(line.id)).dnd is True
    journal = await services_of(site).audit.search(
        AuditFilter(entity="line", entity_id=str(line.id))
    )
    assert journal.items[0].actor == "chef → 0611000001"


# -- the REST API -------------------------------------------------------------------------------


async def test_the_api_patches_dnd_and_its_exemption_together(site: Site) -> None:
    response = await site.client.post("/api/login", json={"login": "chef", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {(await response.json())['token']}"}
    url = f"/api/fleets/{site.world.fleet.id}/lines/{site.world.line(2).id}"
    changed = await site.client.patch(
        url, json={"dnd": True, "dnd_vpn_exempt": True}, headers=headers
    )
    assert changed.status == 200, await changed.text()
    body = await changed.json()
    assert (body["dnd"], body["dnd_vpn_exempt"]) == (True, True)
    shown = await (await site.client.get(url, headers=headers)).json()
    assert (shown["dnd"], shown["dnd_vpn_exempt"]) == (True, True)


async def test_an_employee_gets_no_api_token_its_page_is_the_portal(site: Site) -> None:
    response = await site.client.post("/api/login", json={"login": "salarie", "password": PASSWORD})
    assert response.status == 403


# -- import and export --------------------------------------------------------------------------


async def test_csv_import_sets_dnd_and_the_export_writes_it_back(
    services: Services, actor: Actor
) -> None:
    fleet_id = (await services.fleets.create(actor, name="Vide", short_number_length=4)).id
    text_in = (
        "msisdn;employee_name;dnd;dnd_vpn_exempt\n"
        "0611000001;Léa Martin;oui;oui\n"
        "0611000002;Marc Petit;yes;\n"
        "0611000003;Zoé Blanc;;\n"
    )
    report = await services.fleetio.import_file(
        actor, fleet_id, decode(text_in.encode(), Format.CSV), dry_run=False
    )
    assert report.applied and not report.faults
    lines = {
        m: await services.lines.services(m) for m in ("0611000001", "0611000002", "0611000003")
    }
    assert [(s.line.dnd, s.line.dnd_vpn_exempt) for s in lines.values()] == [
        (True, True),
        (True, False),
        (False, False),
    ]
    exported = (await services.fleetio.export(fleet_id, Format.CSV)).decode("utf-8-sig")
    header, *rows = exported.splitlines()
    columns = header.split(";")
    dnd, exempt = columns.index("dnd"), columns.index("dnd_vpn_exempt")
    by_number = {row.split(";")[0]: row.split(";") for row in rows}
    assert (by_number["0611000001"][dnd], by_number["0611000001"][exempt]) == ("yes", "yes")
    assert (by_number["0611000003"][dnd], by_number["0611000003"][exempt]) == ("no", "no")
    # the same file again writes nothing
    again = await services.fleetio.import_file(
        actor, fleet_id, decode(exported.encode("utf-8-sig"), Format.CSV), dry_run=False
    )
    assert not again.faults and not again.changes and again.unchanged == 3


@pytest.mark.parametrize("value", ["peut-être", "2"])
async def test_a_csv_dnd_that_is_no_yes_or_no_is_reported_and_nothing_is_written(
    services: Services, actor: Actor, engine: AsyncEngine, value: str
) -> None:
    fleet_id = (await services.fleets.create(actor, name="Vide", short_number_length=4)).id
    before = await dump(engine)
    text_in = f"msisdn;employee_name;dnd\n0611000001;Léa Martin;{value}\n"
    report = await services.fleetio.import_file(
        actor, fleet_id, decode(text_in.encode(), Format.CSV), dry_run=False
    )
    assert not report.applied and [str(f.where) for f in report.faults] == ["2"]
    assert await dump(engine) == before


async def test_json_export_carries_dnd_into_another_fleet(
    services: Services, actor: Actor, world: World
) -> None:
    await services.lines.update(actor, world.line(3).id, settings={DND: True, DND_VPN_EXEMPT: True})
    exported = json.loads(await services.fleetio.export(world.fleet.id, Format.JSON))
    line = next(item for item in exported["lines"] if item["msisdn"] == "0611000004")
    assert (line["dnd"], line["dnd_vpn_exempt"]) == (True, True)
    target = (await services.fleets.create(actor, name="Copie", short_number_length=4)).id
    copy = {
        **exported,
        "lines": [
            {**item, "msisdn": item["msisdn"].replace("06110000", "06330000")}
            for item in exported["lines"]
            if item["msisdn"].startswith("06110000")
        ],
        "groups": [],
        "fixed_numbers": [],
        "trunks": [],
    }
    for item in copy["lines"]:
        item["incoming_list"] = None
        item["forwardings"] = []
    report = await services.fleetio.import_file(
        actor, target, decode(json.dumps(copy).encode(), Format.JSON), dry_run=False
    )
    assert report.applied, [(str(f.where), f.error.code) for f in report.faults]
    copied = await services.lines.services("0633000004")
    assert (copied.line.dnd, copied.line.dnd_vpn_exempt) == (True, True)
