"""The REST API's call groups and members, and the versions of every changeable resource:
a group's no-answer rule and maximum queue wait set through the API; ``ETag`` on every read;
a write with a stale ``If-Match`` refused with 412, changing nothing; and the role matrix of
the new routes (a manager only its fleets, employees and anonymous refused)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES, build_app
from fleet.config import load_settings
from fleet.core.values import Actor, Channel
from fleet.db.tables import AccountRow
from portal import api
from tests.conftest import dump
from tests.world import PASSWORD, World, build_accounts

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]
STALE = '"0123456789abcdef0123456789abcdef"'


@dataclass
class Api:
    client: Client
    world: World
    group_id: int
    other_group_id: int
    headers: dict[str, str]

    @property
    def groups(self) -> str:
        return f"/api/fleets/{self.world.fleet.id}/groups"

    @property
    def group(self) -> str:
        return f"{self.groups}/{self.group_id}"

    def line(self, index: int = 0) -> str:
        return f"/api/fleets/{self.world.fleet.id}/lines/{self.world.line(index).id}"

    async def etag(self, path: str) -> str:
        response = await self.client.get(path, headers=self.headers)
        assert response.status == 200, await response.text()
        return response.headers["ETag"]

    async def send(
        self, method: str, path: str, body: Any = None, if_match: str | None = None
    ) -> tuple[int, Any, str | None]:
        headers = dict(self.headers)
        if if_match is not None:
            headers["If-Match"] = if_match
        response = await self.client.request(method, path, json=body, headers=headers)
        data = await response.json() if response.status != 204 else None
        return response.status, data, response.headers.get("ETag")


@pytest.fixture
async def rest(aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine) -> Api:
    app = build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    client = await aiohttp_client(app)
    built = await build_accounts(app[SERVICES], Actor(name="setup", channel=Channel.CLI))
    response = await client.post("/api/login", json={"login": "chef", "password": PASSWORD})
    token = (await response.json())["token"]
    return Api(
        client,
        built.world,
        built.group_id,
        built.other_group_id,
        {"Authorization": f"Bearer {token}"},
    )


NEW_GROUP = {"number": "0609182240", "name": "Accueil", "user_code": "1234", "admin_code": "5678"}


async def test_a_group_is_created_with_its_no_answer_rule_and_read_with_its_version(
    rest: Api,
) -> None:
    body = {
        **NEW_GROUP,
        "max_queue_wait": 300,
        "no_answer_action": "forward_to_group",
        "no_answer_group_id": rest.group_id,
    }
    status, created, tag = await rest.send("POST", rest.groups, body)
    assert status == 201, created
    assert created["max_queue_wait"] == 300
    assert (created["no_answer_action"], created["no_answer_group_id"]) == (
        "forward_to_group",
        rest.group_id,
    )
    assert tag == await rest.etag(f"{rest.groups}/{created['id']}")


async def test_the_no_answer_rule_and_queue_wait_are_changed_and_the_version_follows(
    rest: Api,
) -> None:
    before = await rest.etag(rest.group)
    status, changed, after = await rest.send(
        "PATCH",
        rest.group,
        {
            "no_answer_action": "forward_to_number",
            "no_answer_number": "01 45 67 89 11",
            "max_queue_wait": 60,
        },
        if_match=before,
    )
    assert status == 200, changed
    assert (changed["no_answer_number"], changed["max_queue_wait"]) == ("+33145678911", 60)
    assert after is not None and after != before
    assert after == await rest.etag(rest.group)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"no_answer_action": "forward_to_group"}, "group_no_answer_invalid", "no_answer_group_id"),
        ({"no_answer_action": "forward_to_number"}, "group_no_answer_invalid", "no_answer_number"),
        (
            {"no_answer_action": "forward_to_number", "no_answer_number": "0899123456"},
            "number_special_not_allowed",
            "no_answer_number",
        ),
        ({"no_answer_action": "elsewhere"}, "group_no_answer_invalid", "no_answer_action"),
        ({"max_queue_wait": 5}, "group_max_wait_invalid", "max_queue_wait"),
        ({"max_queue_wait": "60"}, "invalid_value", "max_queue_wait"),
        ({"colour": "red"}, "invalid_value", "colour"),
    ],
)
async def test_a_refused_group_change_names_its_field_and_writes_nothing(
    rest: Api, engine: AsyncEngine, body: dict[str, Any], code: str, field: str
) -> None:
    before = await dump(engine)
    status, problem, _ = await rest.send("PATCH", rest.group, body)
    assert (status, problem["code"], problem.get("field")) == (422, code, field)
    assert await dump(engine) == before


async def test_a_group_cannot_overflow_to_itself_nor_to_another_fleets_group(
    rest: Api, engine: AsyncEngine
) -> None:
    before = await dump(engine)
    for target, code in (
        (rest.group_id, "group_no_answer_self"),
        (rest.other_group_id, "group_no_answer_invalid"),
    ):
        body = {"no_answer_action": "forward_to_group", "no_answer_group_id": target}
        status, problem, _ = await rest.send("PATCH", rest.group, body)
        assert (status, problem["code"], problem["field"]) == (422, code, "no_answer_group_id")
    assert await dump(engine) == before


async def test_members_are_added_connected_and_removed(rest: Api) -> None:
    third = rest.world.line(2).id
    status, group, tag = await rest.send(
        "POST", f"{rest.group}/members", {"line_id": third, "connected": True}
    )
    assert status == 201 and tag
    assert [m["line_id"] for m in group["members"]][-1] == third
    assert group["members"][-1]["connected"]
    status, group, tag2 = await rest.send(
        "PUT", f"{rest.group}/members/{third}/connection", {"connected": False}, if_match=tag
    )
    assert status == 200 and not group["members"][-1]["connected"]
    status, group, _ = await rest.send("DELETE", f"{rest.group}/members/{third}", if_match=tag2)
    assert status == 200 and third not in [m["line_id"] for m in group["members"]]


async def test_a_line_of_another_fleet_or_a_line_not_a_member_is_not_found(
    rest: Api, engine: AsyncEngine
) -> None:
    before = await dump(engine)
    status, problem, _ = await rest.send(
        "POST", f"{rest.group}/members", {"line_id": rest.world.foreign.id}
    )
    assert status == 404 and problem["code"] == "not_found"
    missing = rest.world.line(5).id
    status, _, _ = await rest.send("DELETE", f"{rest.group}/members/{missing}")
    assert status == 404
    assert await dump(engine) == before


async def test_a_group_is_deleted_with_its_current_version(rest: Api) -> None:
    status, created, tag = await rest.send("POST", rest.groups, NEW_GROUP)
    assert status == 201
    path = f"{rest.groups}/{created['id']}"
    assert (await rest.send("DELETE", path, if_match=tag))[0] == 204
    assert (await rest.send("GET", path))[0] == 404


async def test_a_group_another_group_overflows_to_is_not_deleted(rest: Api) -> None:
    body = {
        **NEW_GROUP,
        "no_answer_action": "forward_to_group",
        "no_answer_group_id": rest.group_id,
    }
    assert (await rest.send("POST", rest.groups, body))[0] == 201
    status, problem, _ = await rest.send("DELETE", rest.group)
    assert (status, problem["code"]) == (409, "group_is_overflow_target")


# -- 412: a stale version changes nothing, on every kind of resource -------------------------


def _writes(rest: Api) -> list[tuple[str, str, str, Any]]:
    """(what to read for the version, method, path, body) of each kind of change."""
    third, first = rest.world.line(2).id, rest.world.line(1).id
    forwarding = f"{rest.line()}/forwardings/busy"
    return [
        (rest.line(), "PATCH", rest.line(), {"employee_name": "Renommé"}),
        (rest.line(), "PUT", forwarding, {"destination": "0145678910"}),
        (rest.line(), "DELETE", f"{rest.line()}/forwardings/unconditional", None),
        (rest.line(), "PUT", f"{rest.line()}/incoming-list", {"entries": ["0611000002"]}),
        (rest.group, "PATCH", rest.group, {"max_queue_wait": 200}),
        (rest.group, "DELETE", rest.group, None),
        (rest.group, "POST", f"{rest.group}/members", {"line_id": third}),
        (rest.group, "DELETE", f"{rest.group}/members/{first}", None),
        (
            rest.group,
            "PUT",
            f"{rest.group}/members/{first}/connection",
            {"connected": True},
        ),
    ]


@pytest.mark.parametrize("index", range(9))
async def test_a_write_with_a_stale_if_match_is_refused_with_412_and_changes_nothing(
    rest: Api, engine: AsyncEngine, index: int
) -> None:
    resource, method, path, body = _writes(rest)[index]
    current = await rest.etag(resource)
    # someone else changes the resource meanwhile: the version read is stale
    if resource == rest.group:
        await rest.send("PATCH", rest.group, {"name": "Commercial"})
    else:
        await rest.send("PATCH", rest.line(), {"email": "autre@example.com"})
    assert await rest.etag(resource) != current
    before = await dump(engine)
    for stale in (current, STALE, f"W/{current}"):
        status, problem, _ = await rest.send(method, path, body, if_match=stale)
        assert (status, problem["code"]) == (412, "precondition_failed"), (method, path)
    assert await dump(engine) == before


@pytest.mark.parametrize("index", range(9))
async def test_a_write_with_the_current_version_or_without_if_match_is_made(
    rest: Api, index: int
) -> None:
    resource, method, path, body = _writes(rest)[index]
    if method == "DELETE" and path.endswith("/unconditional"):
        await rest.send("PUT", path, {"destination": "0145678910"})
    current = await rest.etag(resource)
    status, _, _ = await rest.send(method, path, body, if_match=f"{STALE}, {current}")
    assert status in (200, 201, 204)


async def test_any_version_matches_a_star(rest: Api) -> None:
    status, _, _ = await rest.send("PATCH", rest.group, {"max_queue_wait": 90}, if_match="*")
    assert status == 200


# -- the role matrix of the new routes ---------------------------------------------------------


def _new_routes(fleet_id: int, group_id: int, line_id: int) -> list[tuple[str, str, Any]]:
    base = f"/api/fleets/{fleet_id}/groups"
    return [
        ("POST", base, NEW_GROUP),
        ("PATCH", f"{base}/{group_id}", {"max_queue_wait": 200}),
        ("DELETE", f"{base}/{group_id}", None),
        ("POST", f"{base}/{group_id}/members", {"line_id": line_id}),
        ("DELETE", f"{base}/{group_id}/members/{line_id}", None),
        ("PUT", f"{base}/{group_id}/members/{line_id}/connection", {"connected": True}),
    ]


async def test_a_manager_reaches_no_group_of_another_fleet(rest: Api, engine: AsyncEngine) -> None:
    other = rest.world.other_fleet.id
    before = await dump(engine)
    for method, path, body in [
        *_new_routes(other, rest.other_group_id, rest.world.foreign.id),
        *_new_routes(rest.world.fleet.id, rest.other_group_id, rest.world.foreign.id)[1:],
    ]:
        status, problem, _ = await rest.send(method, path, body)
        assert status == 404 and problem["code"] == "not_found", (method, path)
    assert await dump(engine) == before


async def test_anonymous_and_employees_are_refused_and_nothing_is_written(
    rest: Api, engine: AsyncEngine
) -> None:
    services = rest.client.app[SERVICES]
    employee = await services.accounts.get_by_login("salarie")
    async with engine.connect() as conn:
        epoch = await conn.scalar(
            select(AccountRow.session_epoch).where(AccountRow.id == employee.id)
        )
    assert isinstance(epoch, str)
    forged = api.issue_token(rest.client.app[api.TOKEN_KEY], employee.id, epoch)
    line_id = rest.world.line(1).id
    before = await dump(engine)
    for headers, status in (({}, 401), ({"Authorization": f"Bearer {forged}"}, 403)):
        for method, path, body in _new_routes(rest.world.fleet.id, rest.group_id, line_id):
            response = await rest.client.request(method, path, json=body, headers=headers)
            assert response.status == status, (method, path)
            assert response.content_type == "application/problem+json"
    assert await dump(engine) == before
