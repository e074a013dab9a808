"""The console's in-call keys without a browser: a card offers them (and the dial field's
"send the keys" button and its hint) only while its handset has a call to press keys in —
placing, talking or holding one, not ringing nor idle — as drawn and as the stream tells it;
the words in both languages; a REFER's outcome listed on the card as it comes. And the
console's SMSC section: drawn with a switch per misbehaviour, told when one is switched."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from fleet.core.values import Actor, Language
from fleet.services.container import Services
from simulators.netsim import console, console_texts, console_views
from simulators.netsim.control import NETSIM, add_routes
from simulators.netsim.handset import Answering, Behaviour, HandsetState
from simulators.netsim.handsets import FleetView
from simulators.netsim.network import Netsim
from simulators.netsim.smsc_gateway import SmscSettings
from simulators.netsim.ussd import add_ussd_routes
from simulators.smsc import Misbehaviour
from tests.netsim.virtual_netsim import Virtual, virtual
from tests.world import build_world

Client = TestClient[web.Request, web.Application]
CALLER, CALLEE = "+33699000011", "+33699000012"
FR, EN = console_texts.texts(Language.FR), console_texts.texts(Language.EN)


def _in_call(netsim: Netsim, e164: str) -> bool:
    card = console_views.card(netsim, e164, FR)
    assert card is not None
    return bool(card["in_call"])


def test_a_card_offers_the_keys_while_placing_talking_or_holding_a_call_not_ringing() -> None:
    built = virtual()
    netsim = built.netsim
    caller = netsim.handset(CALLER, create=True)
    callee = netsim.handset(CALLEE, create=True)
    for handset in (caller, callee):
        netsim.set_state(handset, HandsetState.ON)
    callee.behaviour = Behaviour(Answering.NEVER, 0)
    assert not _in_call(netsim, CALLER)
    netsim.dial(caller, "0699000012")
    built.clock.advance(0.5)
    assert _in_call(netsim, CALLER)  # placing the call: keys go on it
    assert not _in_call(netsim, CALLEE)  # ringing: nothing to press keys in yet
    netsim.answer(callee)
    built.clock.advance(0.5)
    assert _in_call(netsim, CALLER) and _in_call(netsim, CALLEE)
    netsim.hold(caller)
    built.clock.advance(0.5)
    assert _in_call(netsim, CALLER)  # holding it
    netsim.hang_up(callee)
    built.clock.advance(0.5)
    assert not _in_call(netsim, CALLER) and not _in_call(netsim, CALLEE)


def test_the_in_call_words_exist_in_french_and_in_english() -> None:
    keys = ("incall_keys", "transfer_key", "conference_key", "send_keys", "incall_hint")
    assert [FR[k] for k in keys[1:4]] == ["#1 Transférer", "#3 Conférence", "Envoyer les touches"]
    assert [EN[k] for k in keys[1:4]] == ["#1 Transfer", "#3 Conference", "Send the keys"]
    assert FR["keys_sent"].format("#1") == "Touches #1 envoyées."
    assert EN["error_invalid_keys"].startswith("Not valid keys")
    view: dict[str, object] = {"number": "06 11 00 00 01", "refer_outcome": "SIP/2.0 200 OK"}
    (extra,) = console_views.extras(view, FR)
    assert (extra.label, extra.lines) == ("Résultat du dernier REFER", ("SIP/2.0 200 OK",))
    assert console_views.extras(view | {"refer_outcome": None}, FR) == []


@pytest.fixture
async def console_on(services: Services, actor: Actor) -> AsyncIterator[tuple[Client, Virtual]]:
    """The console and the control API on netsim in virtual time (the test's clock moves it),
    its fleet handsets the test database's."""
    await build_world(services, actor)
    built = virtual()

    async def load() -> FleetView:
        return await FleetView.load(services)

    built.netsim.load_fleets = load
    await built.netsim.reload()
    app = web.Application()
    console.setup(app, services=services)
    app[NETSIM] = built.netsim
    console.watch(app, built.netsim)
    add_routes(app)
    add_ussd_routes(app, smsc=SmscSettings(port=0))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client, built


async def test_an_idle_card_is_drawn_without_the_keys_and_the_stream_says_when_they_come(
    console_on: tuple[Client, Virtual],
) -> None:
    http, built = console_on
    for number in (CALLER, CALLEE):
        answer = await http.post(f"/handsets/{number}/state", json={"state": "on"})
        assert answer.status == 200
    card_id = "h" + CALLER[1:]
    page = await (await http.get(f"/console/cards/{CALLER}?lang=fr")).text()
    assert f'id="{card_id}-incall" role="group"' in page
    assert f'aria-labelledby="{card_id}-incall-title" hidden' in page
    assert 'class="send-keys" hidden' in page
    assert "aria-describedby" not in page  # the hint is for a handset in a call
    async with http.get("/console/events?lang=en") as stream:
        await _event(stream, "hello", lambda d: True)
        idle = await _event(stream, "handset", lambda d: d["e164"] == CALLER)
        assert idle["in_call"] is False
        dialled = await http.post("/dial", json={"from": CALLER, "to": CALLEE})
        assert dialled.status == 201
        built.clock.advance(0.5)
        placing = await _event(stream, "handset", lambda d: d["e164"] == CALLER)
        assert placing["in_call"] is True
    drawn = await (await http.get(f"/console/cards/{CALLER}?lang=en")).text()
    assert f'aria-describedby="{card_id}-hint"' in drawn
    assert 'class="send-keys" hidden' not in drawn
    assert "#1 Transfer" in drawn and "In-call keys" in drawn
    hung_up = await http.post("/hang_up", json={"number": CALLER})
    assert hung_up.status == 200


async def test_the_smsc_section_shows_the_bind_and_a_switch_per_misbehaviour_kept_live(
    console_on: tuple[Client, Virtual],
) -> None:
    http, _built = console_on
    page = await (await http.get("/?lang=fr")).text()
    assert "FleetPBX n&#39;est pas lié (port " in page
    for misbehaviour in Misbehaviour:
        assert f'id="misbehaviour-{misbehaviour.value}" data-misbehaviour=' in page
    assert "Coupe la liaison, et chaque nouvelle" in page
    async with http.get("/console/events?lang=en") as stream:
        first = await _event(stream, "smsc", lambda d: True)
        assert (first["bound"], first["misbehaviours"]) == (False, [])
        assert "FleetPBX is not bound" in str(first["html"])
        switched = await http.post("/smsc/misbehaviours", json={"name": "black_hole", "on": True})
        assert switched.status == 200
        told = await _event(stream, "smsc", lambda d: True)
        assert told["misbehaviours"] == ["black_hole"]
    on = await (await http.get("/?lang=en")).text()
    assert 'data-misbehaviour="black_hole" checked' in on
    assert 'data-misbehaviour="drop_connection" checked' not in on


async def _event(
    stream: ClientResponse, name: str, wanted: Callable[[dict[str, object]], bool]
) -> dict[str, object]:
    """The data of the next server-sent event ``name`` that ``wanted`` accepts."""
    content = stream.content
    current = ""
    while True:
        line = (await asyncio.wait_for(content.readline(), 30)).decode().rstrip("\n")
        if line.startswith("event: "):
            current = line[7:]
        elif line.startswith("data: ") and current == name:
            data: dict[str, object] = json.loads(line[6:])
            if wanted(data):
                return data
