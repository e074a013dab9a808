"""The REST API's SIP trunks: listed with their state, added, read, changed and removed by
the fleet's manager; the secret accepted and never answered back; another fleet's trunks
out of reach; the domain's refusals as problems."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.trunks import TrunkState
from fleet.core.values import Actor, Channel
from portal import api_trunks
from portal.openapi import document
from tests.api_fixtures import Api, ClientFactory, manager_api
from tests.conftest import TRUNK_SECRET_KEY, dump


@pytest.fixture
async def rest(aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine) -> Api:
    return await manager_api(
        aiohttp_client,
        collection="trunks",
        database_url=database_url,
        sip_trunk_secret_key=TRUNK_SECRET_KEY,
    )


def test_the_openapi_document_lists_the_trunk_routes() -> None:
    paths = document()["paths"]
    for method, path, _ in api_trunks.ROUTES:
        assert method.lower() in paths[path], (method, path)


async def test_a_manager_lists_adds_reads_changes_and_removes_trunks(rest: Api) -> None:
    listed = await (await rest.client.get(rest.base, headers=rest.headers)).json()
    assert [(t["name"], t["state"], t["has_secret"]) for t in listed] == [
        ("trunk-siege", "unknown", False)
    ]
    body = {
        "name": "trunk-lyon",
        "mode": "registration",
        "username": "lyon-pbx",
        "realm": "fleet.example",
        "secret": "s3cret",
        "transport": "tls",
    }
    added = await rest.client.post(rest.base, json=body, headers=rest.headers)
    assert added.status == 201
    shown = await added.json()
    assert "secret" not in shown and shown["has_secret"] is True
    assert (shown["mode"], shown["host"], shown["state"]) == ("registration", None, "unknown")
    url = f"{rest.base}/{shown['id']}"
    assert await (await rest.client.get(url, headers=rest.headers)).json() == shown
    patched = await rest.client.patch(
        url, json={"history": "history_info", "realm": "pbx.example"}, headers=rest.headers
    )
    assert patched.status == 200
    assert ((await patched.json())["history"], (await patched.json())["realm"]) == (
        "history_info",
        "pbx.example",
    )
    await rest.services.trunks.set_state(shown["id"], TrunkState.OUT_OF_SERVICE)
    state = await (await rest.client.get(url, headers=rest.headers)).json()
    assert state["state"] == "out_of_service" and state["state_since"]
    assert (await rest.client.delete(url, headers=rest.headers)).status == 204
    assert (await rest.client.get(url, headers=rest.headers)).status == 404


async def test_a_trunk_serving_fixed_numbers_is_not_removed_and_the_problem_names_them(
    rest: Api,
) -> None:
    siege = (await rest.services.trunks.in_fleet(rest.world.fleet.id))[0]
    response = await rest.client.delete(f"{rest.base}/{siege.trunk.id}", headers=rest.headers)
    assert response.status == 409
    problem = await response.json()
    assert problem["code"] == "trunk_in_use" and "01 45 67 89 10" in problem["detail"]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"name": "t2"}, "trunk_host_required", "host"),
        ({"name": "t2", "host": "pbx", "port": 70000}, "trunk_port_invalid", "port"),
        ({"name": "t2", "host": "pbx", "port": "5060"}, "invalid_value", "port"),
        ({"name": "t2", "host": "pbx", "colour": "red"}, "invalid_value", "colour"),
        ({"host": "pbx"}, "invalid_value", "name"),
        ({"name": "t2", "mode": "registration"}, "trunk_credentials_required", "username"),
    ],
)
async def test_a_trunk_breaking_a_rule_is_a_422_problem_and_writes_nothing(
    rest: Api, engine: AsyncEngine, body: dict[str, object], code: str, field: str
) -> None:
    before = await dump(engine)
    response = await rest.client.post(rest.base, json=body, headers=rest.headers)
    assert response.status == 422
    problem = await response.json()
    assert (problem["code"], problem.get("field")) == (code, field)
    after = await dump(engine)
    assert {k: v for k, v in after.items() if k != "audit_log"} == {
        k: v for k, v in before.items() if k != "audit_log"
    }


async def test_another_fleets_trunks_are_out_of_reach(rest: Api) -> None:
    other = rest.world.other_fleet.id
    theirs = await rest.services.trunks.add(
        Actor(name="setup", channel=Channel.CLI), other, name="t", host="192.0.2.8"
    )
    assert (await rest.client.get(f"/api/fleets/{other}/trunks", headers=rest.headers)).status in (
        403,
        404,
    )
    through_mine = f"{rest.base}/{theirs.trunk.id}"
    for method in ("GET", "PATCH", "DELETE"):
        response = await rest.client.request(
            method, through_mine, json={} if method == "PATCH" else None, headers=rest.headers
        )
        assert response.status == 404, method
    assert (await rest.services.trunks.get(theirs.trunk.id)) == theirs
