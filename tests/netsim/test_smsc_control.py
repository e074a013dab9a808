"""netsim's SMSC control (``GET /smsc``, ``POST /smsc/misbehaviours``) on its own, with the
SMSC listening and nothing bound to it: the state shown, a misbehaviour switched on and off,
bad switches refused and changing nothing, and netsim without its SMSC."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from simulators.netsim.smsc_control import add_smsc_routes
from simulators.netsim.smsc_gateway import SMSC_GATEWAY, SmscSettings, smsc_resource
from simulators.smsc import Misbehaviour

Client = TestClient[web.Request, web.Application]


def _app(*, with_smsc: bool) -> web.Application:
    app = web.Application()
    if with_smsc:
        app.cleanup_ctx.append(smsc_resource(SmscSettings(port=0), attach=lambda _a, _g: None))
    add_smsc_routes(app)
    return app


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    async with TestClient(TestServer(_app(with_smsc=True))) as test_client:
        yield test_client


async def test_the_smsc_shows_its_port_its_bind_and_no_misbehaviour_at_first(
    client: Client,
) -> None:
    response = await client.get("/smsc")
    assert response.status == 200
    shown = await response.json()
    smsc = client.app[SMSC_GATEWAY].smsc
    assert shown == {
        "bound": False,
        "port": smsc.port,
        "binds": 0,
        "misbehaviours": [],
        "available": [m.value for m in Misbehaviour],
    }


async def test_a_misbehaviour_is_switched_on_then_off(client: Client) -> None:
    smsc = client.app[SMSC_GATEWAY].smsc
    on = await client.post("/smsc/misbehaviours", json={"name": "black_hole", "on": True})
    assert on.status == 200
    assert (await on.json())["misbehaviours"] == ["black_hole"]
    assert smsc.misbehaviours == {Misbehaviour.BLACK_HOLE}
    await client.post("/smsc/misbehaviours", json={"name": "slow_response", "on": True})
    assert (await (await client.get("/smsc")).json())["misbehaviours"] == [
        "black_hole",
        "slow_response",
    ]
    off = await client.post("/smsc/misbehaviours", json={"name": "black_hole", "on": False})
    assert (await off.json())["misbehaviours"] == ["slow_response"]
    assert smsc.misbehaviours == {Misbehaviour.SLOW_RESPONSE}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "pigeon", "on": True}, "unknown_misbehaviour"),
        ({"name": "BLACK_HOLE", "on": True}, "unknown_misbehaviour"),
        ({"on": True}, "missing_field"),
        ({"name": "black_hole"}, "invalid_field"),
        ({"name": "black_hole", "on": "yes"}, "invalid_field"),
        ({"name": "black_hole", "on": 1}, "invalid_field"),
    ],
)
async def test_a_bad_switch_is_refused_as_a_problem_and_changes_nothing(
    client: Client, body: dict[str, object], code: str
) -> None:
    response = await client.post("/smsc/misbehaviours", json=body)
    assert response.status == 400
    assert response.content_type == "application/problem+json"
    assert (await response.json())["code"] == code
    assert client.app[SMSC_GATEWAY].smsc.misbehaviours == set()


async def test_a_body_that_is_no_json_object_is_refused() -> None:
    async with TestClient(TestServer(_app(with_smsc=True))) as client:
        response = await client.post("/smsc/misbehaviours", data=b"[1]")
        assert response.status == 400
        assert (await response.json())["code"] == "invalid_json"


async def test_a_netsim_without_its_smsc_says_so() -> None:
    async with TestClient(TestServer(_app(with_smsc=False))) as client:
        for response in (
            await client.get("/smsc"),
            await client.post("/smsc/misbehaviours", json={"name": "black_hole", "on": True}),
        ):
            assert response.status == 503
            assert (await response.json())["code"] == "smsc_off"
