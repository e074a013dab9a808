"""The employee's own presented number on the user portal (issue 16, seed 002 §2.8): the page
offers the line's allowed choices (its line, the main number once there is one, its groups);
a choice is saved and journalled as the employee's; the manager's lock (the line setting
``presented_user_choice``, on the line's form) turns the page into a notice and refuses a post
writing nothing; a manager acting as the user is not held by it; the signed-out, a manager not
acting and a post without its CSRF token are kept out."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.linesettings import PRESENTED_USER_CHOICE
from fleet.core.presented import LINE_NUMBER, PresentedKind, PresentedNumber
from fleet.core.values import Actor, Channel
from fleet.services.audit import AuditFilter
from tests.conftest import dump
from tests.test_portal import Site, csrf, sign_in, site, text
from tests.test_portal_presented import configuration, services_of

__all__ = ["site"]

URL = "/portal/me/presented"
SETUP = Actor(name="setup", channel=Channel.CLI)


async def _lock(site: Site, line: int = 0) -> None:
    services = services_of(site)
    await services.lines.update(
        SETUP, site.world.line(line).id, settings={PRESENTED_USER_CHOICE: False}
    )


async def test_the_employee_chooses_among_the_allowed_numbers_journalled(site: Site) -> None:
    services = services_of(site)
    await services.presented.set_main_number(SETUP, site.world.fleet.id, "0145678910")
    await sign_in(site.client, "salarie")
    assert 'href="/portal/me/presented"' in await text(await site.client.get("/portal/me"))
    page = await text(await site.client.get(URL))
    group = f"group:{site.group_id}"
    for value in ("line", "main", group):
        assert f'option value="{value}"' in page, value
    assert "01 45 67 89 10" in page and "*82#" in page
    token = await csrf(site.client, URL)
    saved = await site.client.post(URL, data={"csrf": token, "presented": group})
    assert saved.status == 200 and saved.url.path == URL and saved.url.query["saved"] == "1"
    assert '<p role="status">' in await text(saved)
    line_id = site.world.line(0).id
    wanted = PresentedNumber.of(PresentedKind.GROUP, site.group_id)
    assert (await services.lines.get(line_id)).presented == wanted
    entries = await services.audit.search(
        AuditFilter(fleet_id=site.world.fleet.id, entity="line", entity_id=str(line_id))
    )
    newest = entries.items[0]
    assert (newest.actor, newest.channel) == ("salarie", Channel.PORTAL)
    assert newest.after is not None and newest.after["presented"]["kind"] == "group"


async def test_a_refused_choice_comes_back_with_the_reason_writing_nothing(
    site: Site, engine: AsyncEngine
) -> None:
    await sign_in(site.client, "salarie")
    token = await csrf(site.client, URL)
    before = configuration(await dump(engine))
    refused = await site.client.post(URL, data={"csrf": token, "presented": "main"})
    assert refused.status == 400
    page = await text(refused)
    assert "pas de numéro principal" in page and 'id="my-presented-form"' in page
    assert (await site.client.post(URL, data={"csrf": token, "presented": "x"})).status == 400
    assert configuration(await dump(engine)) == before


async def test_the_managers_lock_shows_a_notice_and_refuses_a_choice(
    site: Site, engine: AsyncEngine
) -> None:
    await sign_in(site.client)  # the manager's line form carries the switch
    line_page = await text(
        await site.client.get(f"/portal/fleets/{site.world.fleet.id}/lines/{site.world.line(0).id}")
    )
    assert 'name="presented_user_choice"' in line_page
    assert "L'utilisateur choisit son numéro présenté" in line_page
    await _lock(site)
    await sign_in(site.client, "salarie")
    page = await text(await site.client.get(URL))
    assert 'id="presented-locked"' in page and "fixé par le gestionnaire" in page
    assert "<select" not in page and "06 11 00 00 01" in page
    token = await csrf(site.client, "/portal/me")
    before = configuration(await dump(engine))
    refused = await site.client.post(URL, data={"csrf": token, "presented": "line"})
    assert refused.status == 400
    assert "fixé par le gestionnaire de la flotte" in await text(refused)
    assert configuration(await dump(engine)) == before
    assert (await services_of(site).lines.get(site.world.line(0).id)).presented == LINE_NUMBER


async def test_a_manager_acting_as_the_user_is_not_held_by_the_lock(site: Site) -> None:
    await _lock(site)
    line = site.world.line(0)
    await sign_in(site.client)
    token = await csrf(site.client, f"/portal/fleets/{site.world.fleet.id}/lines/{line.id}")
    acted = await site.client.post(
        f"/portal/fleets/{site.world.fleet.id}/lines/{line.id}/act", data={"csrf": token}
    )
    assert acted.status == 200
    page = await text(await site.client.get(URL))
    assert "<select" in page and 'id="presented-locked"' not in page
    group = f"group:{site.group_id}"
    saved = await site.client.post(URL, data={"csrf": token, "presented": group})
    assert saved.status == 200
    assert (await services_of(site).lines.get(line.id)).presented.group_id == site.group_id
    entries = await services_of(site).audit.search(
        AuditFilter(fleet_id=site.world.fleet.id, entity="line", entity_id=str(line.id))
    )
    assert entries.items[0].actor == "chef → 0611000001"


async def test_the_signed_out_a_manager_not_acting_and_no_csrf_token_are_kept_out(
    site: Site, engine: AsyncEngine
) -> None:
    before = configuration(await dump(engine))
    response = await site.client.get(URL, allow_redirects=False)
    assert response.status in (302, 303, 401)
    response = await site.client.post(URL, data={"presented": "line"}, allow_redirects=False)
    assert response.status in (302, 303, 400, 401, 403)
    await sign_in(site.client)  # a manager, not acting as anyone
    assert (await site.client.get(URL)).status == 403
    token = await csrf(site.client, "/portal/")
    response = await site.client.post(URL, data={"csrf": token, "presented": "line"})
    assert response.status == 403
    await sign_in(site.client, "salarie")
    response = await site.client.post(URL, data={"presented": "line"})  # no CSRF token
    assert response.status in (400, 403)
    assert configuration(await dump(engine)) == before
