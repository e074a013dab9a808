"""The SMS a change sends follows who acted, not the channel (issue 13, defects found trying
it): an employee connecting itself in the user portal hears nothing, the manager's change
and the manager acting as the line are told as the manager's."""

from __future__ import annotations

from fleet.app import SERVICES
from fleet.services.audit import AuditFilter
from fleet.services.container import Services
from tests.test_portal import Site, csrf, sign_in, site

__all__ = ["site"]


def services_of(site: Site) -> Services:
    services: Services = site.client.app[SERVICES]
    return services


async def texts_waiting(site: Site) -> list[str]:
    return [sms.text for sms in await services_of(site).outbox.pending()]


async def test_an_employee_connecting_itself_in_the_user_portal_gets_no_sms(site: Site) -> None:
    await sign_in(site.client, "salarie")
    token = await csrf(site.client, "/portal/me")
    for action in ("connect", "disconnect"):
        response = await site.client.post(
            f"/portal/me/groups/{site.group_id}/{action}", data={"csrf": token}
        )
        assert response.status == 200
    assert await texts_waiting(site) == []
    journal = await services_of(site).audit.search(AuditFilter(fleet_id=site.world.fleet.id))
    assert journal.items[0].actor == "salarie", "the change itself is journalled"


async def test_the_managers_change_and_the_manager_acting_as_the_line_are_told(
    site: Site,
) -> None:
    await sign_in(site.client)
    fleet = site.world.fleet.id
    token = await csrf(site.client, "/portal/")
    base = f"/portal/fleets/{fleet}/groups/{site.group_id}"
    member = site.world.line(0).id
    await site.client.post(f"{base}/connect", data={"csrf": token, "line_id": str(member)})
    line = f"/portal/fleets/{fleet}/lines/{member}"
    await site.client.post(f"{line}/act", data={"csrf": token})
    await site.client.post(f"/portal/me/groups/{site.group_id}/disconnect", data={"csrf": token})
    assert await texts_waiting(site) == [
        "Votre gestionnaire vous a connecté au groupe Com.",
        "Votre gestionnaire vous a déconnecté du groupe Com.",
    ]


async def test_a_forwarding_saved_unchanged_sends_nothing_and_journals_nothing(
    site: Site,
) -> None:
    services = services_of(site)
    await sign_in(site.client)
    line = site.world.line(0)
    url = f"/portal/fleets/{site.world.fleet.id}/lines/{line.id}/forwarding"
    token = await csrf(site.client, url)
    form = {"csrf": token, "busy.active": "on", "busy.destination": "0145678910"}
    where = AuditFilter(fleet_id=site.world.fleet.id)
    before = (await services.audit.search(where)).total
    for _ in range(2):
        response = await site.client.post(url, data=form, allow_redirects=False)
        assert response.status == 302
    assert await texts_waiting(site) == [
        "Votre gestionnaire a modifié vos renvois : Occupation 0145678910"
    ]
    assert (await services.audit.search(where)).total == before + 1
    form["busy.destination"] = "0145678911"  # a real change is still told and journalled
    await site.client.post(url, data=form, allow_redirects=False)
    assert len(await texts_waiting(site)) == 2
    assert (await services.audit.search(where)).total == before + 2
