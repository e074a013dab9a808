"""The REST API's schedules: created (with the opposite), listed, read, changed, deleted by
the fleet's manager; the verdict at an instant; another fleet's schedules out of reach; the
domain's refusals as problems that write nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.values import Actor, Channel
from fleet.services.audit import AuditFilter
from portal import api_schedules
from portal.openapi import document
from tests.api_fixtures import Api, ClientFactory, manager_api
from tests.conftest import dump

SHOP: dict[str, Any] = {
    "name": "Horaire du magasin",
    "ranges": [
        {"day": "monday", "start": "13:00", "end": "17:00"},
        {"day": "monday", "start": "09:00", "end": "12:00"},
    ],
    "holidays": [{"label": "Noël", "first": "2026-12-25", "yearly": True}],
    "with_opposite": True,
}


@pytest.fixture
async def rest(aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine) -> Api:
    return await manager_api(aiohttp_client, collection="schedules", database_url=database_url)


def test_the_openapi_document_lists_the_schedule_routes() -> None:
    paths = document()["paths"]
    for method, path, _ in api_schedules.ROUTES:
        assert method.lower() in paths[path], (method, path)


async def test_a_schedule_and_its_opposite_go_through_the_api(rest: Api) -> None:
    created = await rest.client.post(rest.base, json=SHOP, headers=rest.headers)
    assert created.status == 201, await created.text()
    body = await created.json()
    assert created.headers["Location"] == f"{rest.base}/{body['id']}"
    assert body["ranges"] == [
        {"day": "monday", "start": "09:00", "end": "12:00"},
        {"day": "monday", "start": "13:00", "end": "17:00"},
    ]
    assert body["holidays"] == [
        {"label": "Noël", "first": "2026-12-25", "last": "2026-12-25", "yearly": True}
    ]
    listed = await (await rest.client.get(rest.base, headers=rest.headers)).json()
    assert [(s["name"], s["opposite_of"]) for s in listed] == [
        ("Horaire du magasin", None),
        ("non-horaire du magasin", body["id"]),
    ]
    url = f"{rest.base}/{body['id']}"
    changed = await rest.client.patch(url, json={"name": "Magasin"}, headers=rest.headers)
    assert changed.status == 200 and (await changed.json())["name"] == "Magasin"
    assert (await (await rest.client.get(url, headers=rest.headers)).json())["name"] == "Magasin"
    journal = await rest.services.audit.search(AuditFilter(channel=Channel.API))
    assert {e.entity for e in journal.items} == {"schedule"}
    assert (await rest.client.delete(url, headers=rest.headers)).status == 204
    assert await (await rest.client.get(rest.base, headers=rest.headers)).json() == []


@pytest.mark.parametrize(
    ("at", "open_", "rule"),
    [
        ("2026-12-07T09:30:00+01:00", True, "range"),
        ("2026-12-07T11:30:00Z", False, "outside"),  # 12:30 in Paris: lunch
        ("2027-12-25T10:00:00+01:00", False, "holiday"),
    ],
)
async def test_the_verdict_says_open_or_closed_and_why(
    rest: Api, at: str, open_: bool, rule: str
) -> None:
    created = await (await rest.client.post(rest.base, json=SHOP, headers=rest.headers)).json()
    response = await rest.client.get(
        f"{rest.base}/{created['id']}/verdict", params={"at": at}, headers=rest.headers
    )
    verdict = await response.json()
    assert (verdict["open"], verdict["rule"]) == (open_, rule)


async def test_a_naive_or_bad_instant_is_refused(rest: Api) -> None:
    created = await (await rest.client.post(rest.base, json=SHOP, headers=rest.headers)).json()
    for at in ("2026-12-07T09:30:00", "demain"):
        response = await rest.client.get(
            f"{rest.base}/{created['id']}/verdict", params={"at": at}, headers=rest.headers
        )
        assert response.status == 422 and (await response.json())["field"] == "at"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"name": "x", "ranges": [{"day": "monday", "start": "12:00", "end": "09:00"}]},
            422,
            "schedule_range_invalid",
        ),
        (
            {
                "name": "x",
                "ranges": [
                    {"day": "friday", "start": "09:00", "end": "12:00"},
                    {"day": "friday", "start": "11:00", "end": "13:00"},
                ],
            },
            422,
            "schedule_ranges_overlap",
        ),
        ({"name": "x", "ranges": [{"day": "monday", "start": "9h", "end": "12:00"}]}, 422, None),
        ({"name": "x", "ranges": [{"day": "lundi", "start": "09:00", "end": "12:00"}]}, 422, None),
        ({"name": "x", "ranges": [{"day": [None], "start": "09:00", "end": "12:00"}]}, 422, None),
        ({"name": "x", "ranges": [{"day": "monday", "start": 9, "end": "12:00"}]}, 422, None),
        ({"name": "x", "holidays": [{"first": "2026-12-25", "yearly": "oui"}]}, 422, None),
        ({"name": "x", "holidays": [{"first": "20261225"}]}, 422, "invalid_value"),
        (
            {"name": "x", "holidays": [{"first": "2026-12-26", "last": "2026-12-25"}]},
            422,
            "schedule_holiday_invalid",
        ),
        ({"name": ""}, 422, "schedule_name_invalid"),
        ({"name": "x", "colour": "red"}, 422, "invalid_value"),
        ({"ranges": []}, 422, "invalid_value"),
    ],
)
async def test_a_refused_schedule_is_a_problem_and_writes_nothing(
    rest: Api, engine: AsyncEngine, body: dict[str, Any], status: int, code: str | None
) -> None:
    before = await dump(engine)
    response = await rest.client.post(rest.base, json=body, headers=rest.headers)
    assert response.status == status
    assert response.content_type == "application/problem+json"
    if code is not None:
        assert (await response.json())["code"] == code
    assert await dump(engine) == before


async def test_an_opposite_schedule_refuses_ranges_of_its_own(rest: Api) -> None:
    await rest.client.post(rest.base, json=SHOP, headers=rest.headers)
    listed = await (await rest.client.get(rest.base, headers=rest.headers)).json()
    opposite = next(s for s in listed if s["opposite_of"] is not None)
    response = await rest.client.patch(
        f"{rest.base}/{opposite['id']}", json={"ranges": []}, headers=rest.headers
    )
    assert response.status == 422
    assert (await response.json())["code"] == "schedule_opposite_fixed"


async def test_another_fleets_schedules_are_out_of_reach(rest: Api, engine: AsyncEngine) -> None:
    other = await rest.services.schedules.create(
        Actor(name="setup", channel=Channel.CLI), rest.world.other_fleet.id, name="Ailleurs"
    )
    before = await dump(engine)
    theirs = f"/api/fleets/{rest.world.other_fleet.id}/schedules"
    assert (await rest.client.get(theirs, headers=rest.headers)).status in (403, 404)
    for method in ("GET", "PATCH", "DELETE"):
        response = await rest.client.request(
            method, f"{rest.base}/{other.id}", json={"name": "à moi"}, headers=rest.headers
        )
        assert response.status == 404, method
    assert await dump(engine) == before
