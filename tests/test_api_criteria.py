"""The REST API's routing criteria (issue 16 item 2): a line's rules and a group's routing
set, read and removed by the fleet's manager; malformed bodies and domain refusals as
problems that write nothing; another fleet's lines, groups and schedules out of reach; a
schedule in use refused deletion with its users named."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES, build_app
from fleet.config import load_settings
from fleet.core.criteria import LINE_TARGETS
from fleet.core.schedules import Schedule, TimeRange, Weekday
from fleet.core.values import Actor, Channel
from fleet.services.audit import AuditFilter
from fleet.services.container import Services
from portal import api_criteria
from portal.openapi import document
from tests.conftest import dump
from tests.world import PASSWORD, World, build_accounts

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]
SETUP = Actor(name="setup", channel=Channel.CLI)


@dataclass
class Api:
    client: Client
    world: World
    services: Services
    headers: dict[str, str]
    group_id: int
    other_group_id: int
    office: Schedule

    def line(self, index: int = 1) -> str:
        return f"/api/fleets/{self.world.fleet.id}/lines/{self.world.lines[index].id}/criteria"

    @property
    def group(self) -> str:
        return f"/api/fleets/{self.world.fleet.id}/groups/{self.group_id}/criteria"


@pytest.fixture
async def rest(aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine) -> Api:
    app = build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    client = await aiohttp_client(app)
    services = app[SERVICES]
    built = await build_accounts(services, SETUP)
    office = await services.schedules.create(
        SETUP,
        built.world.fleet.id,
        name="Bureau",
        ranges=[TimeRange(day=Weekday.MONDAY, start=8 * 60, end=12 * 60)],
        with_opposite=True,
    )
    response = await client.post("/api/login", json={"login": "chef", "password": PASSWORD})
    token = (await response.json())["token"]
    return Api(
        client,
        built.world,
        services,
        {"Authorization": f"Bearer {token}"},
        built.group_id,
        built.other_group_id,
        office,
    )


def test_the_openapi_document_lists_the_criteria_routes() -> None:
    paths = document()["paths"]
    for method, path, _ in api_criteria.ROUTES:
        assert method.lower() in paths[path], (method, path)
    put = paths["/api/fleets/{fleet_id}/lines/{line_id}/criteria/{target}"]["put"]
    target = next(p for p in put["parameters"] if p["name"] == "target")
    assert target["schema"]["enum"] == [t.value for t in LINE_TARGETS]


async def test_a_lines_rules_get_criteria_through_the_api(rest: Api) -> None:
    url = rest.line()
    body = {"schedule_id": rest.office.id, "callers": "numbers", "numbers": ["06 99 00 00 01"]}
    response = await rest.client.put(f"{url}/incoming_list", json=body, headers=rest.headers)
    assert response.status == 200, await response.text()
    assert await response.json() == {
        "target": "incoming_list",
        "always": False,
        "criteria": [
            {
                "number": 1,
                "name": "",
                "active": True,
                "schedule_id": rest.office.id,
                "callers": "numbers",
                "numbers": ["+33699000001"],
            }
        ],
    }
    listed = await (await rest.client.get(url, headers=rest.headers)).json()
    assert [c["target"] for c in listed] == [t.value for t in LINE_TARGETS]
    assert [c["always"] for c in listed] == [t.value != "incoming_list" for t in LINE_TARGETS]
    journal = await rest.services.audit.search(AuditFilter(entity="routing_criteria"))
    assert [e.channel.value for e in journal.items] == ["api"]
    gone = await rest.client.delete(f"{url}/incoming_list", headers=rest.headers)
    assert gone.status == 204
    listed = await (await rest.client.get(url, headers=rest.headers)).json()
    assert all(c["always"] for c in listed)


async def test_dnd_only_outside_office_hours_uses_the_opposite_schedule(rest: Api) -> None:
    [_, opposite] = await rest.services.schedules.in_fleet(rest.world.fleet.id)
    response = await rest.client.put(
        f"{rest.line()}/dnd", json={"schedule_id": opposite.id}, headers=rest.headers
    )
    assert response.status == 200
    assert (await response.json())["criteria"][0]["schedule_id"] == opposite.id
    refused = await rest.client.delete(
        f"/api/fleets/{rest.world.fleet.id}/schedules/{rest.office.id}", headers=rest.headers
    )
    assert refused.status == 409
    problem = await refused.json()
    assert problem["code"] == "schedule_in_use" and ": dnd" in problem["detail"]


async def test_a_groups_routing_gets_criteria_through_the_api(rest: Api) -> None:
    body = {"schedule_id": rest.office.id}
    response = await rest.client.put(rest.group, json=body, headers=rest.headers)
    assert response.status == 200, await response.text()
    read = await (await rest.client.get(rest.group, headers=rest.headers)).json()
    [one] = read["criteria"]
    assert (read["target"], one["schedule_id"], one["callers"]) == ("group", rest.office.id, "any")
    assert (await rest.client.delete(rest.group, headers=rest.headers)).status == 204
    read = await (await rest.client.get(rest.group, headers=rest.headers)).json()
    assert read["always"] is True


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"callers": "everybody"}, 422, "criteria_callers_invalid"),
        ({"callers": "numbers"}, 422, "criteria_numbers_invalid"),
        ({"callers": "hidden", "numbers": ["0699000001"]}, 422, "criteria_numbers_unexpected"),
        ({"callers": "numbers", "numbers": ["12"]}, 422, "number_invalid"),
        ({"callers": "numbers", "numbers": "0699000001"}, 422, "invalid_value"),
        ({"callers": 3}, 422, "invalid_value"),
        ({"schedule_id": "1"}, 422, "invalid_value"),
        ({"schedule_id": True}, 422, "invalid_value"),
        ({"when": "always"}, 422, "invalid_value"),
        ({"schedule_id": 999999}, 422, "criteria_schedule_unknown"),
    ],
)
async def test_malformed_or_refused_criteria_are_problems_that_write_nothing(
    rest: Api, engine: AsyncEngine, body: dict[str, Any], status: int, code: str
) -> None:
    before = await dump(engine)
    response = await rest.client.put(f"{rest.line()}/dnd", json=body, headers=rest.headers)
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    assert (await response.json())["code"] == code
    assert await dump(engine) == before


async def test_another_fleets_lines_groups_and_schedules_are_out_of_reach(
    rest: Api, engine: AsyncEngine
) -> None:
    theirs = await rest.services.schedules.create(SETUP, rest.world.other_fleet.id, name="Leur")
    before = await dump(engine)
    fleet, other = rest.world.fleet.id, rest.world.other_fleet.id
    foreign = f"/api/fleets/{fleet}/lines/{rest.world.foreign.id}/criteria"
    for method, url, body in (
        ("GET", foreign, None),
        ("PUT", f"{foreign}/dnd", {"callers": "hidden"}),
        ("GET", f"/api/fleets/{other}/groups/{rest.other_group_id}/criteria", None),
        ("PUT", f"/api/fleets/{fleet}/groups/{rest.other_group_id}/criteria", {}),
        ("PUT", f"{rest.line()}/voicemail", {"callers": "hidden"}),
    ):
        response = await rest.client.request(method, url, json=body, headers=rest.headers)
        assert response.status in (403, 404), (method, url, response.status)
    response = await rest.client.put(
        f"{rest.line()}/dnd", json={"schedule_id": theirs.id}, headers=rest.headers
    )
    assert (await response.json())["code"] == "criteria_schedule_unknown"
    assert await dump(engine) == before


async def test_a_rules_list_is_set_then_a_criterion_added_changed_and_removed(
    rest: Api,
) -> None:
    url = f"{rest.line()}/forwarding_busy"
    body = {
        "criteria": [
            {"name": "Bureau", "schedule_id": rest.office.id},
            {"name": "Masqués", "callers": "hidden", "active": False},
        ]
    }
    response = await rest.client.put(url, json=body, headers=rest.headers)
    assert response.status == 200, await response.text()
    shown = await response.json()
    assert [(c["number"], c["name"], c["active"]) for c in shown["criteria"]] == [
        (1, "Bureau", True),
        (2, "Masqués", False),
    ]
    vip = {"name": "VIP", "callers": "numbers", "numbers": ["0699000002"]}
    added = await rest.client.post(url, json=vip, headers=rest.headers)
    assert added.status == 201, await added.text()
    assert [c["name"] for c in (await added.json())["criteria"]] == ["Bureau", "Masqués", "VIP"]
    edited = await rest.client.put(
        f"{url}/2", json={"name": "Masqués", "callers": "hidden"}, headers=rest.headers
    )
    assert edited.status == 200, await edited.text()
    assert (await edited.json())["criteria"][1]["active"] is True
    assert (await rest.client.delete(f"{url}/1", headers=rest.headers)).status == 204
    listed = await (await rest.client.get(rest.line(), headers=rest.headers)).json()
    [busy] = [r for r in listed if r["target"] == "forwarding_busy"]
    assert [(c["number"], c["name"]) for c in busy["criteria"]] == [(1, "Masqués"), (2, "VIP")]
    journal = await rest.services.audit.search(AuditFilter(entity="routing_criteria"))
    assert len(journal.items) == 4


async def test_a_groups_criteria_are_added_and_removed_one_by_one(rest: Api) -> None:
    first = await rest.client.post(rest.group, json={"callers": "hidden"}, headers=rest.headers)
    assert first.status == 201, await first.text()
    body = {"name": "Bureau", "schedule_id": rest.office.id}
    second = await rest.client.post(rest.group, json=body, headers=rest.headers)
    assert [c["name"] for c in (await second.json())["criteria"]] == ["", "Bureau"]
    assert (await rest.client.delete(f"{rest.group}/1", headers=rest.headers)).status == 204
    read = await (await rest.client.get(rest.group, headers=rest.headers)).json()
    assert [c["name"] for c in read["criteria"]] == ["Bureau"]


@pytest.mark.parametrize(
    ("method", "suffix", "body", "status", "code"),
    [
        ("PUT", "", {"criteria": [{"callers": "hidden"}] * 13}, 422, "criteria_too_many"),
        ("PUT", "", {"criteria": {"callers": "hidden"}}, 422, "invalid_value"),
        ("PUT", "", {"criteria": [], "callers": "hidden"}, 422, "invalid_value"),
        ("PUT", "", {"criteria": ["hidden"]}, 422, "invalid_value"),
        ("POST", "", {"name": "x" * 41}, 422, "criteria_name_invalid"),
        ("POST", "", {"active": "yes"}, 422, "invalid_value"),
        ("POST", "", {"name": 3}, 422, "invalid_value"),
        ("PUT", "/2", {"callers": "hidden"}, 404, "not_found"),
        ("DELETE", "/2", None, 404, "not_found"),
        ("DELETE", "/x", None, 404, "not_found"),
    ],
)
async def test_refused_lists_and_criteria_are_problems_that_write_nothing(
    rest: Api,
    engine: AsyncEngine,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
    status: int,
    code: str,
) -> None:
    url = f"{rest.line()}/dnd"
    await rest.client.post(url, json={"callers": "hidden"}, headers=rest.headers)
    before = await dump(engine)
    response = await rest.client.request(method, url + suffix, json=body, headers=rest.headers)
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    assert (await response.json())["code"] == code
    assert await dump(engine) == before
