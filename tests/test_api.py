"""The REST API: bearer tokens, problem+json errors with the domain code, the OpenAPI
document, and no access to another fleet on any route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES, build_app
from fleet.config import load_settings
from fleet.core.values import Actor, Channel
from fleet.services.audit import AuditFilter
from portal import (
    api,
    api_calls,
    api_contacts,
    api_criteria,
    api_groups,
    api_lines,
    api_monitor,
    api_presented,
    api_schedules,
    api_trunks,
)
from tests.conftest import dump
from tests.world import PASSWORD, World, build_accounts

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]


@dataclass
class Api:
    client: Client
    world: World
    group_id: int
    other_group_id: int
    headers: dict[str, str]


@pytest.fixture
async def rest(aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine) -> Api:
    app = build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    client = await aiohttp_client(app)
    services = app[SERVICES]
    actor = Actor(name="setup", channel=Channel.CLI)
    built = await build_accounts(services, actor)
    world, group_id, other_group_id = built.world, built.group_id, built.other_group_id
    response = await client.post("/api/login", json={"login": "chef", "password": PASSWORD})
    token = (await response.json())["token"]
    return Api(client, world, group_id, other_group_id, {"Authorization": f"Bearer {token}"})


async def test_the_openapi_document_is_valid_and_lists_every_route(rest: Api) -> None:
    document = await (await rest.client.get("/api/openapi.json")).json()
    validate(document)
    routes = [
        *api.ROUTES,
        *api_lines.ROUTES,
        *api_groups.ROUTES,
        *api_calls.ROUTES,
        *api_trunks.ROUTES,
        *api_schedules.ROUTES,
        *api_monitor.ROUTES,
        *api_presented.ROUTES,
        *api_contacts.ROUTES,
        *api_criteria.ROUTES,
    ]
    for method, path, _ in routes:
        assert method.lower() in document["paths"][path], (method, path)


async def test_without_a_valid_token_the_api_answers_401_problem(rest: Api) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer 1.9999999999.forged"},
        {"Authorization": "Basic x"},
    ):
        response = await rest.client.get("/api/fleets", headers=headers)
        assert response.status == 401
        assert response.content_type == "application/problem+json"
        assert (await response.json())["code"] == "unauthenticated"


async def test_wrong_passwords_and_employees_get_no_token(rest: Api) -> None:
    wrong = await rest.client.post("/api/login", json={"login": "chef", "password": "x"})
    assert wrong.status == 403 and (await wrong.json())["code"] == "password_wrong"
    employee = await rest.client.post("/api/login", json={"login": "salarie", "password": PASSWORD})
    assert employee.status == 403


async def test_tokens_expire() -> None:
    token = api.issue_token(b"k" * 32, 7, "epoch", now=1000.0)
    assert api.read_token(b"k" * 32, token, now=1000.0 + api.TOKEN_AGE - 1) == (7, "epoch")
    assert api.read_token(b"k" * 32, token, now=1000.0 + api.TOKEN_AGE + 1) is None
    assert api.read_token(b"x" * 32, token, now=1000.0) is None


async def test_a_forwarding_is_changed_through_the_api(rest: Api) -> None:
    url = f"/api/fleets/{rest.world.fleet.id}/lines/{rest.world.line(1).id}"
    response = await rest.client.put(
        f"{url}/forwardings/busy", json={"destination": "01 45 67 89 10"}, headers=rest.headers
    )
    assert response.status == 200
    assert await response.json() == {
        "kind": "busy",
        "target": "number",
        "destination": "+33145678910",
        "active": True,
        "no_reply_timer": None,
    }
    line = await (await rest.client.get(url, headers=rest.headers)).json()
    assert line["forwardings"][0]["destination"] == "+33145678910"
    journal = await rest.client.app[SERVICES].audit.search(AuditFilter(channel=Channel.API))
    assert journal.total == 1 and journal.items[0].actor == "chef"
    assert (await rest.client.delete(f"{url}/forwardings/busy", headers=rest.headers)).status == 204


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"destination": "0899123456"}, 422, "number_special_not_allowed"),
        ({"destination": "1234"}, 422, "number_short_not_allowed"),
        ({"destination": 612}, 422, "number_invalid"),
        ({"destination": "0145678910", "no_reply_timer": 40}, 422, "no_reply_timer_not_applicable"),
    ],
)
async def test_a_refused_change_is_a_problem_with_the_domain_code_and_writes_nothing(
    rest: Api, engine: AsyncEngine, body: dict[str, object], status: int, code: str
) -> None:
    url = f"/api/fleets/{rest.world.fleet.id}/lines/{rest.world.line(1).id}/forwardings/busy"
    before = await dump(engine)
    response = await rest.client.put(url, json=body, headers=rest.headers)
    assert response.status == status
    problem = await response.json()
    assert problem["code"] == code and problem["status"] == status and problem["detail"]
    assert await dump(engine) == before


async def test_a_line_is_changed_through_the_api_and_refusals_write_nothing(
    rest: Api, engine: AsyncEngine
) -> None:
    url = f"/api/fleets/{rest.world.fleet.id}/lines/{rest.world.line(4).id}"
    change = {"employee_name": "Nouveau", "short_number": None, "pabx_option": False, "clir": True}
    response = await rest.client.patch(url, json=change, headers=rest.headers)
    assert response.status == 200, await response.text()
    line = await response.json()
    assert (line["employee_name"], line["short_number"], line["pabx_option"], line["clir"]) == (
        "Nouveau",
        None,
        False,
        True,
    )
    before = await dump(engine)
    for body, code, field in (
        ({"short_number": "2002"}, "short_number_in_use", "short_number"),  # line 2's
        ({"language": "de"}, "language_invalid", "language"),
        ({"pabx_option": "yes"}, "invalid_value", "pabx_option"),
        ({"msisdn": "0611000099"}, "invalid_value", "msisdn"),
    ):
        refused = await rest.client.patch(url, json=body, headers=rest.headers)
        problem = await refused.json()
        assert refused.status in (409, 422) and problem["code"] == code, problem
        assert problem["field"] == field
    assert await dump(engine) == before


async def test_lists_groups_and_connections(rest: Api) -> None:
    fleet = rest.world.fleet.id
    lines = await (
        await rest.client.get(
            f"/api/fleets/{fleet}/lines", params={"q": "2012"}, headers=rest.headers
        )
    ).json()
    assert lines["total"] == 1 and lines["items"][0]["short_number"] == "2012"
    plan = await rest.client.put(
        f"/api/fleets/{fleet}/lines/{rest.world.line(0).id}/incoming-list",
        json={"entries": ["0611000001", "0145678910"], "mode": "cascade"},
        headers=rest.headers,
    )
    assert (await plan.json())["mode"] == "cascade"
    six = await rest.client.put(
        f"/api/fleets/{fleet}/lines/{rest.world.line(0).id}/incoming-list",
        json={"entries": [f"061100000{i}" for i in range(1, 7)]},
        headers=rest.headers,
    )
    assert six.status == 422 and (await six.json())["code"] == "list_too_long"
    connection = (
        f"/api/fleets/{fleet}/groups/{rest.group_id}/members/{rest.world.line(1).id}/connection"
    )
    group = await (
        await rest.client.put(connection, json={"connected": True}, headers=rest.headers)
    ).json()
    assert group["any_connected"] and group["members"][1]["connected"]
    assert [
        g["name"]
        for g in await (
            await rest.client.get(f"/api/fleets/{fleet}/groups", headers=rest.headers)
        ).json()
    ] == ["Com"]


async def test_no_route_reaches_another_fleet(rest: Api, engine: AsyncEngine) -> None:
    own, other = rest.world.fleet.id, rest.world.other_fleet.id
    foreign_line, own_line = rest.world.foreign.id, rest.world.line(0).id
    calls: list[tuple[str, str, object]] = [
        ("GET", f"/api/fleets/{other}/lines", None),
        ("GET", f"/api/fleets/{other}/lines/{foreign_line}", None),
        ("GET", f"/api/fleets/{own}/lines/{foreign_line}", None),
        (
            "PUT",
            f"/api/fleets/{other}/lines/{foreign_line}/forwardings/busy",
            {"destination": "0145678910"},
        ),
        (
            "PUT",
            f"/api/fleets/{own}/lines/{foreign_line}/forwardings/busy",
            {"destination": "0145678910"},
        ),
        ("DELETE", f"/api/fleets/{own}/lines/{foreign_line}/forwardings/busy", None),
        ("PATCH", f"/api/fleets/{own}/lines/{foreign_line}", {"call_waiting": False}),
        ("PATCH", f"/api/fleets/{other}/lines/{foreign_line}", {"call_waiting": False}),
        ("PUT", f"/api/fleets/{own}/lines/{foreign_line}/incoming-list", {"entries": []}),
        ("GET", f"/api/fleets/{other}/groups", None),
        ("GET", f"/api/fleets/{other}", None),
        ("GET", f"/api/fleets/{other}/fixed-numbers", None),
        ("GET", f"/api/fleets/{other}/accounts", None),
        (
            "POST",
            f"/api/fleets/{other}/accounts",
            {
                "role": "employee",
                "login": "intrus",
                "password": "un-mot-de-passe",
                "line_id": foreign_line,
            },
        ),
        ("GET", f"/api/fleets/{own}/groups/{rest.other_group_id}", None),
        (
            "PUT",
            f"/api/fleets/{other}/groups/{rest.other_group_id}/members/{foreign_line}/connection",
            {"connected": True},
        ),
        (
            "PUT",
            f"/api/fleets/{own}/groups/{rest.other_group_id}/members/{foreign_line}/connection",
            {"connected": True},
        ),
        (
            "PUT",
            f"/api/fleets/{own}/groups/{rest.group_id}/members/{foreign_line}/connection",
            {"connected": True},
        ),
        (
            "PUT",
            f"/api/fleets/{own}/lines/{own_line}/forwardings/always",
            {"destination": "0145678910"},
        ),
    ]
    before = await dump(engine)
    for method, path, body in calls:
        response = await rest.client.request(method, path, json=body, headers=rest.headers)
        assert response.status == 404, (method, path)
        assert response.content_type == "application/problem+json"
    assert await dump(engine) == before
