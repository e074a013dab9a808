"""The presented number in the manager portal (issue 16 item 4): the line's page shows the
choice; its own page offers a select of the allowed choices (the line, the main number once
there is one, the line's groups); the fleet's main number page; a refused choice comes back
with the reason and nothing written; employees, the signed-out and another fleet's manager
are kept out; the journal names the portal."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES
from fleet.core.presented import PresentedKind, PresentedNumber
from fleet.core.values import Channel
from fleet.services.audit import AuditFilter
from fleet.services.container import Services
from portal.presented_pages import choice_value, parse_value
from tests.conftest import dump
from tests.test_portal import Site, csrf, sign_in, site, text

__all__ = ["site"]


def services_of(site: Site) -> Services:
    services: Services = site.client.app[SERVICES]
    return services


def configuration(tables: Mapping[str, object]) -> dict[str, object]:
    """The tables but the sign-ins' (signing in as each role writes those)."""
    return {name: rows for name, rows in tables.items() if not name.startswith("login")}


def urls(site: Site, line: int = 0) -> tuple[str, str]:
    fleet = site.world.fleet.id
    return (
        f"/portal/fleets/{fleet}/main-number",
        f"/portal/fleets/{fleet}/lines/{site.world.line(line).id}/presented",
    )


def test_a_choice_is_an_options_value_and_back() -> None:
    for choice in (
        PresentedNumber(),
        PresentedNumber(PresentedKind.MAIN),
        PresentedNumber.of(PresentedKind.GROUP, 7),
    ):
        assert parse_value(choice_value(choice)) == choice
    for wrong in ("", "group", "group:x", "group:0", "main:3", "secret"):
        assert parse_value(wrong) is None


async def test_the_manager_sets_the_main_number_then_chooses_it_for_a_line(site: Site) -> None:
    main, presented = urls(site)
    await sign_in(site.client)
    page = await text(await site.client.get(presented))
    assert 'option value="line"' in page and f'value="group:{site.group_id}"' in page
    assert 'value="main"' not in page  # no main number yet
    token = await csrf(site.client, main)
    saved = await site.client.post(main, data={"csrf": token, "main_number": "01 45 67 89 10"})
    assert saved.status == 200 and 'value="01 45 67 89 10"' in await text(saved)
    page = await text(await site.client.get(presented))
    assert 'value="main"' in page and "01 45 67 89 10" in page
    token = await csrf(site.client, presented)
    response = await site.client.post(presented, data={"csrf": token, "presented": "main"})
    assert response.status == 200, await response.text()
    line = await services_of(site).lines.get(site.world.line(0).id)
    assert line.presented == PresentedNumber(PresentedKind.MAIN)
    line_page = await text(await site.client.get(presented.removesuffix("/presented")))
    assert "Le numéro principal de l'entreprise" in line_page
    entries = await services_of(site).audit.search(
        AuditFilter(fleet_id=site.world.fleet.id, entity="line")
    )
    assert entries.items[0].channel is Channel.PORTAL


async def test_a_group_of_the_line_is_offered_and_chosen(site: Site) -> None:
    _, presented = urls(site)
    await sign_in(site.client)
    value = f"group:{site.group_id}"
    assert f'value="{value}"' in await text(await site.client.get(presented))
    token = await csrf(site.client, presented)
    response = await site.client.post(presented, data={"csrf": token, "presented": value})
    assert response.status == 200
    line = await services_of(site).lines.get(site.world.line(0).id)
    assert line.presented == PresentedNumber.of(PresentedKind.GROUP, site.group_id)


async def test_refused_choices_come_back_with_the_reason_writing_nothing(
    site: Site, engine: AsyncEngine
) -> None:
    main, presented = urls(site, 11)  # line 12: in no group
    await sign_in(site.client)
    token = await csrf(site.client, presented)
    before = await dump(engine)
    refused = await site.client.post(presented, data={"csrf": token, "presented": "main"})
    assert refused.status == 400
    assert "pas de numéro principal" in await text(refused)
    group = f"group:{site.group_id}"
    refused = await site.client.post(presented, data={"csrf": token, "presented": group})
    assert refused.status == 400
    assert "n'est pas membre" in await text(refused)
    malformed = await site.client.post(presented, data={"csrf": token, "presented": "x"})
    assert malformed.status == 400
    refused = await site.client.post(main, data={"csrf": token, "main_number": "0699887766"})
    assert refused.status == 400
    page = await text(refused)
    assert "0699887766" in page and "numéro de la flotte" in page
    assert await dump(engine) == before


async def test_employees_the_signed_out_and_other_fleets_are_kept_out(
    site: Site, engine: AsyncEngine
) -> None:
    main, presented = urls(site)
    other_fleet = site.world.other_fleet.id
    theirs = (
        f"/portal/fleets/{other_fleet}/main-number",
        f"/portal/fleets/{other_fleet}/lines/{site.world.foreign.id}/presented",
    )
    before = configuration(await dump(engine))
    for path in (main, presented):
        response = await site.client.get(path, allow_redirects=False)
        assert response.status in (302, 303, 401), path
    await sign_in(site.client, "salarie")
    for path in (main, presented):
        assert (await site.client.get(path)).status == 403, path
    token = await csrf(site.client, "/portal/me")
    for path, data in ((main, {"main_number": ""}), (presented, {"presented": "line"})):
        response = await site.client.post(path, data={"csrf": token, **data})
        assert response.status == 403, path
    await sign_in(site.client)
    for path in theirs:
        assert (await site.client.get(path)).status == 404, path
    token = await csrf(site.client, main)
    for path, data in zip(theirs, ({"main_number": ""}, {"presented": "line"}), strict=True):
        response = await site.client.post(path, data={"csrf": token, **data})
        assert response.status == 404, path
    response = await site.client.post(presented, data={"presented": "line"})  # no CSRF token
    assert response.status in (400, 403)
    assert configuration(await dump(engine)) == before
