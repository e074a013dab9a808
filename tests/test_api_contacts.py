"""The REST API's company directory: a fleet's external contacts created, listed, read,
changed and removed by its manager; the directory searched a page at a time; another fleet's
contacts out of reach; the domain's refusals as problems that write nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.values import Actor, Channel
from fleet.services.audit import AuditFilter
from fleet.services.contacts import ContactInput
from portal import api_contacts
from portal.openapi import document
from tests.api_fixtures import Api, ClientFactory, manager_api
from tests.conftest import dump

GARAGE: dict[str, Any] = {
    "name": "Garage Martin",
    "company": "Martin SA",
    "number": "04 78 00 00 01",
    "abbreviated": "7001",
}


@pytest.fixture
async def rest(aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine) -> Api:
    return await manager_api(aiohttp_client, collection="contacts", database_url=database_url)


def test_the_openapi_document_lists_the_directory_routes() -> None:
    paths = document()["paths"]
    for method, path, _ in api_contacts.ROUTES:
        assert method.lower() in paths[path], (method, path)


async def test_a_contact_goes_through_the_api_and_its_journal(rest: Api) -> None:
    created = await rest.client.post(rest.base, json=GARAGE, headers=rest.headers)
    assert created.status == 201, await created.text()
    body = await created.json()
    assert created.headers["Location"] == f"{rest.base}/{body['id']}"
    assert body == {
        "id": body["id"],
        "name": "Garage Martin",
        "company": "Martin SA",
        "number": "+33478000001",
        "abbreviated": "7001",
        "notes": "",
    }
    listed = await (await rest.client.get(rest.base, headers=rest.headers)).json()
    assert [c["name"] for c in listed] == ["Garage Martin"]
    url = f"{rest.base}/{body['id']}"
    changed = await rest.client.patch(url, json={"abbreviated": None}, headers=rest.headers)
    assert changed.status == 200 and (await changed.json())["abbreviated"] is None
    assert (await (await rest.client.get(url, headers=rest.headers)).json())["abbreviated"] is None
    journal = await rest.services.audit.search(AuditFilter(channel=Channel.API))
    assert {e.entity for e in journal.items} == {"contact"}
    assert (await rest.client.delete(url, headers=rest.headers)).status == 204
    assert await (await rest.client.get(rest.base, headers=rest.headers)).json() == []


async def test_the_directory_is_searched_a_page_at_a_time(rest: Api) -> None:
    await rest.client.post(rest.base, json=GARAGE, headers=rest.headers)
    url = f"/api/fleets/{rest.world.fleet.id}/directory"
    response = await rest.client.get(url, params={"limit": "2"}, headers=rest.headers)
    assert response.status == 200
    page = await response.json()
    assert page["limit"] == 2 and len(page["entries"]) == 2 and page["total"] > 2
    found = await (await rest.client.get(url, params={"q": "garage"}, headers=rest.headers)).json()
    assert [(e["kind"], e["short_number"]) for e in found["entries"]] == [("contact", "7001")]
    by_number = await (
        await rest.client.get(url, params={"q": "06 11 00 00 01"}, headers=rest.headers)
    ).json()
    assert [e["kind"] for e in by_number["entries"]] == ["line"]
    for bad in ({"limit": "0"}, {"offset": "-1"}, {"q": "x" * 101}):
        response = await rest.client.get(url, params=bad, headers=rest.headers)
        assert response.status == 400, bad


async def test_another_fleets_contact_is_out_of_reach(rest: Api) -> None:
    theirs = await rest.services.contacts.create(
        Actor(name="setup", channel=Channel.CLI),
        rest.world.other_fleet.id,
        ContactInput(name="Ailleurs", number="0478000002"),
    )
    for method in ("GET", "PATCH", "DELETE"):
        response = await rest.client.request(
            method, f"{rest.base}/{theirs.id}", json={"notes": "x"}, headers=rest.headers
        )
        assert response.status == 404, method
    other = f"/api/fleets/{rest.world.other_fleet.id}/directory"
    assert (await rest.client.get(other, headers=rest.headers)).status in (403, 404)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "X", "number": "0899000001"}, 422, "number_special_not_allowed"),
        (
            {"name": "X", "number": "0478000009", "abbreviated": "2001"},
            422,
            "contact_abbreviated_invalid",
        ),
        ({"name": "", "number": "0478000009"}, 422, "contact_name_invalid"),
        ({"name": "X"}, 422, "invalid_value"),
        ({"name": "X", "number": 478000009}, 422, "invalid_value"),
        ({"name": "X", "number": "0478000009", "colour": "red"}, 422, "invalid_value"),
        ({"name": "X", "number": "04 78 00 00 01"}, 409, "contact_number_in_use"),
    ],
)
async def test_a_refused_contact_is_a_problem_and_writes_nothing(
    rest: Api, engine: AsyncEngine, body: dict[str, Any], status: int, code: str
) -> None:
    await rest.client.post(rest.base, json=GARAGE, headers=rest.headers)
    before = await dump(engine)
    response = await rest.client.post(rest.base, json=body, headers=rest.headers)
    assert response.status == status, await response.text()
    assert (await response.json())["code"] == code
    assert await dump(engine) == before
