"""netsim's SMSC control (``GET /smsc``, ``POST /smsc/misbehaviours``) on its own, with the
SMSC listening and nothing bound to it: the state shown, a misbehaviour switched on and off,
bad switches refused and changing nothing, the console told of a switch and of a bind or a
link's end, and netsim without its SMSC."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from simulators.netsim.smsc_control import add_smsc_routes
from simulators.netsim.smsc_gateway import SMSC_GATEWAY, SmscSettings, smsc_resource
from simulators.smppwire import BIND_TRANSCEIVER, Pdu, c_string
from simulators.smsc import Misbehaviour, SmscSimulator

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


async def test_the_gateway_is_told_when_a_misbehaviour_is_switched(client: Client) -> None:
    told: list[str] = []
    client.app[SMSC_GATEWAY].smsc_changed = lambda: told.append("changed")
    await client.post("/smsc/misbehaviours", json={"name": "partial_pdu", "on": True})
    await client.post("/smsc/misbehaviours", json={"name": "pigeon", "on": True})  # refused
    await client.post("/smsc/misbehaviours", json={"name": "partial_pdu", "on": False})
    assert told == ["changed", "changed"]


async def test_the_smsc_tells_when_an_esme_binds_and_when_its_link_ends() -> None:
    async with SmscSimulator(port=0) as smsc:
        told = asyncio.Queue[bool]()
        smsc.on_link.append(lambda: told.put_nowait(smsc.bound))
        reader, writer = await asyncio.open_connection("127.0.0.1", smsc.port)
        body = c_string(smsc.system_id) + c_string(smsc.password) + b"\x00\x34\x00\x00\x00"
        writer.write(Pdu(BIND_TRANSCEIVER, 0, 1, body).encode())
        await writer.drain()
        assert await asyncio.wait_for(told.get(), 30) is True  # bound
        await reader.readexactly(16)  # the bind_transceiver_resp's header
        writer.close()
        await writer.wait_closed()
        assert await asyncio.wait_for(told.get(), 30) is False  # the link gone


async def test_a_netsim_without_its_smsc_says_so() -> None:
    async with TestClient(TestServer(_app(with_smsc=False))) as client:
        for response in (
            await client.get("/smsc"),
            await client.post("/smsc/misbehaviours", json={"name": "black_hole", "on": True}),
        ):
            assert response.status == 503
            assert (await response.json())["code"] == "smsc_off"
