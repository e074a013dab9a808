"""A refused change on a group's page is said on that page, in the user's language only
(issue 13, defects found trying it)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES
from fleet.core.errors import not_found
from fleet.core.values import Actor, Channel, Language
from fleet.services.container import Services
from tests.conftest import dump
from tests.test_portal import Site, csrf, sign_in, site, text

__all__ = ["site"]

SETUP = Actor(name="setup", channel=Channel.CLI)


def services_of(site: Site) -> Services:
    services: Services = site.client.app[SERVICES]
    return services


def test_what_was_not_found_is_named_in_one_language() -> None:
    error = not_found("line", "0699999999", field="member")
    assert error.message(Language.FR) == "Ligne introuvable : 0699999999."
    assert error.message(Language.EN) == "Line not found: 0699999999."
    assert error.field == "member" and error.params["entity"] == "line"
    assert not_found("call_group", 3).message(Language.FR) == "Groupe d'appel introuvable : 3."
    assert not_found("trunk", "t9").message(Language.EN) == "SIP trunk not found: t9."


async def test_adding_an_unknown_member_says_so_in_the_managers_language(site: Site) -> None:
    await sign_in(site.client)
    url = f"/portal/fleets/{site.world.fleet.id}/groups/{site.group_id}"
    token = await csrf(site.client, url)
    response = await site.client.post(f"{url}/members", data={"csrf": token, "member": "0699"})
    page = await text(response)
    assert response.status == 400 and "Ligne introuvable : 0699." in page
    assert "ligne / line" not in page and "line introuvable" not in page.lower()
    english = await site.client.post(
        f"{url}/members?lang=en", data={"csrf": token, "member": "0699"}
    )
    assert "Line not found: 0699." in await text(english)


async def test_refusing_to_remove_the_member_carrying_the_groups_number_shows_the_group(
    site: Site, engine: AsyncEngine
) -> None:
    services = services_of(site)
    carrier = site.world.line(3)
    group = await services.groups.create(
        SETUP,
        site.world.fleet.id,
        number=carrier.msisdn.value,
        name="Porteur",
        user_code="1111",
        admin_code="2222",
    )
    assert carrier.id in {m.line_id for m in group.members}
    await sign_in(site.client)
    url = f"/portal/fleets/{site.world.fleet.id}/groups/{group.id}"
    token = await csrf(site.client, url)
    before = await dump(engine)
    response = await site.client.post(
        f"{url}/members/remove", data={"csrf": token, "line_id": str(carrier.id)}
    )
    page = await text(response)
    assert response.status == 409
    assert response.content_type == "text/html"
    assert 'id="members-error" role="alert"' in page
    assert "porte le numéro du groupe : elle doit rester membre" in page
    assert "Membres du groupe d'appel : Porteur" in page and 'id="members"' in page
    assert await dump(engine) == before
