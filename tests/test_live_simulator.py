"""The demo's live simulated network, driven over HTTP in real time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from fleet import demo
from fleet.app import GATEWAY, RECORDS, SERVICES, build_app
from fleet.config import load_settings
from fleet.core.values import Actor, CallOutcome, Channel
from tests.polling import eventually

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]


async def handset(client: Client, number: str) -> dict[str, Any]:
    data = await (await client.get("/sim")).json()
    return next(h for h in data["handsets"] if h["number"] == number)


async def seed_demo(aiohttp_client: ClientFactory, database_url: str) -> None:
    """The demo fleet, created before the simulator loads the routing cache (as
    ``fleetpbx demo`` does before serving)."""
    seeding = build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    seed_client = await aiohttp_client(seeding)
    await demo.ensure_demo(seeding[SERVICES])
    await seed_client.close()


async def _client(aiohttp_client: ClientFactory, database_url: str) -> Client:
    settings = load_settings(cli={"database_url": database_url, "simulator": True}, env={})
    return await aiohttp_client(build_app(settings=settings))


async def test_a_call_placed_over_http_rings_is_answered_and_recorded(
    aiohttp_client: ClientFactory, database_url: str, engine: object
) -> None:
    await seed_demo(aiohttp_client, database_url)

    client = await _client(aiohttp_client, database_url)
    response = await client.post(
        "/sim/dial", json={"from": "06 99 00 00 01", "to": "06 11 00 00 01"}
    )
    assert response.status == 201
    call_id = (await response.json())["call_id"]

    async def ringing() -> bool:
        return bool((await handset(client, "06 11 00 00 01"))["ringing"])

    await eventually(ringing)
    assert (await client.post("/sim/answer", json={"number": "0611000001"})).status == 200
    assert (await handset(client, "06 11 00 00 01"))["in_call"]
    await client.post("/sim/hang_up", json={"number": "0699000001"})
    await client.app[RECORDS].flush()
    record = await client.app[SERVICES].calls.get(call_id)
    assert record.outcome is CallOutcome.ANSWERED
    lines = (await (await client.get("/sim/timeline")).json())["timeline"]
    assert any("Monsieur A answers" in line["text"] for line in lines)


async def test_bad_requests_get_a_problem_document(
    aiohttp_client: ClientFactory, database_url: str, engine: object
) -> None:
    client = await _client(aiohttp_client, database_url)
    cases = [
        ("/sim/dial", {"from": "nope", "to": "1"}, 400, "invalid_number"),
        ("/sim/dial", {"from": "0699000001"}, 400, "missing_field"),
        ("/sim/answer", {"number": "0699999999"}, 404, "unknown_handset"),
        ("/sim/fly", {"number": "0699999999"}, 404, "unknown_action"),
        ("/sim/state", {"number": "0699999999", "state": "x"}, 404, "unknown_handset"),
    ]
    for path, body, status, code in cases:
        response = await client.post(path, json=body)
        assert response.status == status, (path, await response.text())
        assert response.content_type == "application/problem+json"
        assert (await response.json())["code"] == code
    response = await client.post("/sim/dial", data=b"not json")
    assert (await response.json())["code"] == "invalid_json"
    index = await (await client.get("/")).json()
    assert index["endpoints"]["simulator"] == "/sim"


async def test_a_handset_dials_a_feature_code_through_the_smsc_simulator(
    aiohttp_client: ClientFactory, database_url: str, engine: object
) -> None:
    await seed_demo(aiohttp_client, database_url)

    client = await _client(aiohttp_client, database_url)
    gateway = client.app[GATEWAY]

    async def bound() -> bool:
        return gateway.bound

    await eventually(bound)
    response = await client.post(
        "/sim/ussd", json={"from": "06 11 00 00 01", "text": "**67*0145678910#"}
    )
    assert await response.json() == {
        "answer": "Renvoi sur occupation activé vers 01 45 67 89 10.",
        "menu": False,
        "refused": False,
    }
    wrong = {"from": "0611000002", "text": "*55*0609182236*0000#"}
    refused = await (await client.post("/sim/ussd", json=wrong)).json()
    assert refused["refused"] and not refused["menu"], refused
    menu = await (
        await client.post("/sim/ussd", json={"from": "0611000001", "text": "*700#"})
    ).json()
    assert menu["menu"] and "1 Renvois" in menu["answer"]
    reply = {"from": "0611000001", "text": "0", "reply": True}
    assert (await (await client.post("/sim/ussd", json=reply)).json())["answer"] == "Au revoir."
    # a manager's change reaches the handset as an SMS through the same bind
    group = await client.app[SERVICES].groups.get_by_number("0609182236")
    manager = Actor(name="gestionnaire", channel=Channel.PORTAL)
    await client.app[SERVICES].groups.set_connected(
        manager, group.id, group.members[1].line_id, False
    )

    async def delivered() -> bool:
        inbox = await (await client.get("/sim/sms", params={"number": "0611000001"})).json()
        return bool(inbox["sms"])

    await eventually(delivered)
    inbox = await (await client.get("/sim/sms", params={"number": "0611000001"})).json()
    assert inbox["sms"] == ["Votre gestionnaire vous a déconnecté du groupe Com."]


async def test_a_call_dialled_with_hash_31_shows_numero_masque_on_the_live_handset(
    aiohttp_client: ClientFactory, database_url: str, engine: object
) -> None:
    await seed_demo(aiohttp_client, database_url)

    client = await _client(aiohttp_client, database_url)
    response = await client.post("/sim/dial", json={"from": "06 11 00 00 01", "to": "#31#2003"})
    assert response.status == 201

    async def shows() -> bool:
        return bool((await handset(client, "06 11 00 00 03"))["screen"] == "Numéro masqué")

    await eventually(shows, what="Monsieur C's handset showing Numéro masqué")

    async def alerted() -> bool:
        lines = (await (await client.get("/sim/timeline")).json())["timeline"]
        return any("Monsieur C is ringing: Numéro masqué" in line["text"] for line in lines)

    await eventually(alerted, what="the timeline saying Monsieur C rings for a hidden number")
    await client.post("/sim/hang_up", json={"number": "0611000001"})
    await client.post("/sim/dial", json={"from": "06 11 00 00 01", "to": "2003"})

    async def shows_the_caller() -> bool:
        return bool((await handset(client, "06 11 00 00 03"))["screen"] == "06 11 00 00 01")

    await eventually(shows_the_caller, what="Monsieur C's handset showing the caller")
    await client.post("/sim/hang_up", json={"number": "0611000001"})


async def test_the_ussd_route_carries_long_text_and_answers_bad_requests_with_a_problem(
    aiohttp_client: ClientFactory, database_url: str, engine: object
) -> None:
    await seed_demo(aiohttp_client, database_url)
    client = await _client(aiohttp_client, database_url)
    gateway = client.app[GATEWAY]

    async def bound() -> bool:
        return gateway.bound

    await eventually(bound)
    # 300 octets: more than short_message holds, so it goes as message_payload
    long_code = "*21*" + "1" * 295 + "#"
    response = await client.post("/sim/ussd", json={"from": "0611000001", "text": long_code})
    assert response.status == 200, await response.text()
    assert (await response.json())[
        "answer"
    ] == "Code mal formé : *21*111111111111111111111111111111111111."
    cases = [
        ({"from": "0611000001"}, 400, "missing_field"),
        ({"from": "0611000001", "text": ["*#21#"]}, 400, "invalid_field"),
        ({"from": "0611000001", "text": "\ud800"}, 400, "invalid_text"),
        ({"from": "0611000001", "text": "1" * 70_000}, 400, "text_too_long"),
        ({"from": "nope", "text": "*#21#"}, 400, "invalid_number"),
        ({"number": "0611000001", "text": "*#21#"}, 400, "missing_field"),
        ({"from": "0611000001", "text": "1", "reply": True}, 409, "no_menu"),
    ]
    for body, status, code in cases:
        response = await client.post("/sim/ussd", json=body)
        assert response.status == status, (body, await response.text())
        assert response.content_type == "application/problem+json"
        assert (await response.json())["code"] == code
    response = await client.post("/sim/ussd", data=b"[1, 2")
    assert (response.status, (await response.json())["code"]) == (400, "invalid_json")
