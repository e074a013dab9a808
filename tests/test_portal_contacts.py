"""The company directory's pages: the manager's directory (search, pages, contacts added,
edited, deleted after a confirmation, imported from and exported to CSV — a refused file lists
every refused row and adds nothing), the employee's read-only directory, and who may see what
(an employee, a manager not acting, a signed-out visitor, another fleet, no CSRF token);
French and English."""

from __future__ import annotations

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES
from fleet.core.values import Actor, Channel
from fleet.services.contacts import ContactInput
from fleet.services.container import Services
from portal import contacts_pages
from tests.conftest import dump
from tests.test_portal import Site, csrf, sign_in, site, text

__all__ = ["site"]

SETUP = Actor(name="setup", channel=Channel.CLI)
GARAGE = ContactInput(name="Garage Martin", number="0478000001", abbreviated="7001")


def services_of(site: Site) -> Services:
    services: Services = site.client.app[SERVICES]
    return services


def base(site: Site) -> str:
    return f"/portal/fleets/{site.world.fleet.id}"


async def test_the_directory_lists_lines_and_contacts_and_is_searched(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contacts_pages, "PAGE_SIZE", 10)
    await services_of(site).contacts.create(SETUP, site.world.fleet.id, GARAGE)
    await sign_in(site.client)
    page = await text(await site.client.get(f"{base(site)}/directory"))
    assert "Annuaire de l'entreprise" in page and "Garage Martin" in page
    assert "04 78 00 00 01" in page and "Salarié 1" in page and "Contact externe" in page
    found = await text(await site.client.get(f"{base(site)}/directory", params={"q": "7001"}))
    assert "Garage Martin" in found and "Salarié 1" not in found and "1 entrée" in found
    second = await text(await site.client.get(f"{base(site)}/directory", params={"page": "2"}))
    assert "Page 2 / 2" in second
    english = await text(await site.client.get(f"{base(site)}/directory?lang=en"))
    assert "Company directory" in english and "External contact" in english


async def test_a_contact_is_added_edited_and_deleted_after_confirmation(site: Site) -> None:
    services = services_of(site)
    await sign_in(site.client)
    editor = await text(await site.client.get(f"{base(site)}/contacts/new"))
    assert "de 7000 à 8699" in editor
    token = await csrf(site.client, f"{base(site)}/contacts/new")
    response = await site.client.post(
        f"{base(site)}/contacts/new",
        data={"csrf": token, "name": "Garage", "number": "04 78 00 00 01", "abbreviated": "7001"},
        allow_redirects=False,
    )
    assert response.status == 302, await text(response)
    (contact,) = await services.contacts.in_fleet(site.world.fleet.id)
    url = f"{base(site)}/contacts/{contact.id}"
    assert 'value="04 78 00 00 01"' in await text(await site.client.get(url))
    response = await site.client.post(
        url,
        data={"csrf": token, "name": "Garage Martin", "number": "0478000001", "notes": "clé"},
        allow_redirects=False,
    )
    assert response.status == 302
    changed = await services.contacts.get(contact.id)
    assert (changed.name, changed.abbreviated, changed.notes) == ("Garage Martin", None, "clé")
    assert "Supprimer le contact « Garage Martin »" in await text(
        await site.client.get(f"{url}/delete")
    )
    assert await services.contacts.in_fleet(site.world.fleet.id)  # not yet
    response = await site.client.post(f"{url}/delete", data={"csrf": token}, allow_redirects=False)
    assert response.status == 302
    assert await services.contacts.in_fleet(site.world.fleet.id) == []


async def test_a_refused_form_comes_back_as_typed_with_the_reason(
    site: Site, engine: AsyncEngine
) -> None:
    await sign_in(site.client)
    token = await csrf(site.client, f"{base(site)}/contacts/new")
    before = await dump(engine)
    response = await site.client.post(
        f"{base(site)}/contacts/new",
        data={"csrf": token, "name": "Garage", "number": "0478000001", "abbreviated": "2001"},
    )
    page = await text(response)
    assert response.status == 400
    assert 'role="alert"' in page and "Numéro abrégé invalide : un nombre de 7000 à 8699." in page
    assert 'value="Garage"' in page and 'aria-invalid="true"' in page
    assert await dump(engine) == before


def upload(token: str, content: bytes) -> aiohttp.FormData:
    data = aiohttp.FormData()
    data.add_field("csrf", token)
    data.add_field("file", content, filename="contacts.csv", content_type="text/csv")
    return data


async def test_a_csv_file_is_imported_whole_or_refused_with_every_row(
    site: Site, engine: AsyncEngine
) -> None:
    services = services_of(site)
    await sign_in(site.client)
    token = await csrf(site.client, f"{base(site)}/directory")
    before = await dump(engine)
    bad = "nom;numéro\nGarage;0478000001\n;0478000002\nTaxi;0899000001\n".encode()
    response = await site.client.post(f"{base(site)}/contacts/import", data=upload(token, bad))
    page = await text(response)
    assert response.status == 422
    assert "rien n'a été ajouté" in page and "ligne 3" in page and "ligne 4" in page
    assert await dump(engine) == before
    good = b"name,number\nGarage,0478000001\nTaxi,0478000003\n"
    response = await site.client.post(
        f"{base(site)}/contacts/import", data=upload(token, good), allow_redirects=False
    )
    assert response.status == 302
    assert "2 contacts ajoutés." in await text(await site.client.get(response.headers["Location"]))
    exported = await site.client.get(f"{base(site)}/contacts/export")
    assert exported.content_type == "text/csv"
    body = (await exported.read()).decode("utf-8-sig")
    assert body.splitlines()[1:] == ["Garage;0478000001;;;", "Taxi;0478000003;;;"]
    assert len(await services.contacts.in_fleet(site.world.fleet.id)) == 2


async def test_an_employee_reads_the_directory_and_changes_nothing(
    site: Site, engine: AsyncEngine
) -> None:
    garage = await services_of(site).contacts.create(SETUP, site.world.fleet.id, GARAGE)
    await sign_in(site.client, "salarie")
    page = await text(await site.client.get("/portal/me/directory", params={"q": "garage"}))
    assert "Garage Martin" in page and "7001" in page
    assert "Ajouter contact" not in page and "contacts/import" not in page
    assert f"/contacts/{garage.id}/delete" not in page
    assert "/portal/me/directory" in await text(await site.client.get("/portal/me"))
    token = await csrf(site.client, "/portal/me/directory")
    before = await dump(engine)
    for path in (
        f"{base(site)}/directory",
        f"{base(site)}/contacts/new",
        f"{base(site)}/contacts/export",
        f"{base(site)}/contacts/{garage.id}",
    ):
        assert (await site.client.get(path)).status == 403, path
    for path in (f"{base(site)}/contacts/new", f"{base(site)}/contacts/{garage.id}/delete"):
        response = await site.client.post(path, data={"csrf": token, "name": "X"})
        assert response.status == 403, path
    assert await dump(engine) == before


async def test_who_may_not_reach_the_directory_pages(site: Site, engine: AsyncEngine) -> None:
    theirs = await services_of(site).contacts.create(
        SETUP, site.world.other_fleet.id, ContactInput(name="Ailleurs", number="0478000002")
    )
    for path in ("/portal/me/directory", f"{base(site)}/directory"):
        response = await site.client.get(path, allow_redirects=False)
        assert response.status == 302 and response.headers["Location"] == "/portal/login"
    await sign_in(site.client)
    assert (await site.client.get("/portal/me/directory")).status == 403  # not acting
    other = f"/portal/fleets/{site.world.other_fleet.id}"
    assert (await site.client.get(f"{other}/directory")).status == 404
    assert (await site.client.get(f"{base(site)}/contacts/{theirs.id}")).status == 404
    token = await csrf(site.client, f"{base(site)}/directory")
    before = await dump(engine)
    response = await site.client.post(
        f"{base(site)}/contacts/{theirs.id}/delete", data={"csrf": token}
    )
    assert response.status == 404
    no_token = await site.client.post(
        f"{base(site)}/contacts/new", data={"name": "X", "number": "0478000009"}
    )
    assert no_token.status in (400, 403)
    assert await dump(engine) == before
