"""netsim's web console without a browser: the event hub (coalescing, bounded queues, the end
of a stream), what netsim publishes, the timeline reading FleetPBX's records by ICID, the
page and its server-sent events over HTTP (netsim in virtual time, the fleets in the test
database), and the words: the why of a forwarding, the language chosen, the handset view's
fields the card does not know."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from fleet.core import model
from fleet.core.values import Actor, CallEventKind, CallOutcome, ForwardingKind, Language
from fleet.services.container import Services
from simulators.netsim import console, console_texts, console_views
from simulators.netsim.control import NETSIM, add_routes
from simulators.netsim.handset import HandsetState
from simulators.netsim.handsets import FleetView
from simulators.netsim.hub import Change, Hub, Overflowed, Topic
from simulators.netsim.timeline import Timeline
from tests.netsim.virtual_netsim import virtual
from tests.world import build_world

OUTSIDE_A = "+33699000001"
Client = TestClient[web.Request, web.Application]

# -- the hub ---------------------------------------------------------------------------------


async def test_a_subscriber_gets_a_burst_of_changes_once_each() -> None:
    hub = Hub()
    with hub.subscribe() as watcher:
        for _ in range(3):
            hub.handset(OUTSIDE_A)
        hub.call("n1")
        assert await watcher.batch() == {
            Change(Topic.HANDSET, OUTSIDE_A),
            Change(Topic.CALL, "n1"),
        }
    assert hub.subscribers == 0


async def test_a_subscriber_that_falls_behind_is_dropped_and_told() -> None:
    hub = Hub(queue_size=2)
    slow, other = hub.subscribe(), hub.subscribe()
    for key in ("a", "b", "c"):
        hub.call(key)
    assert hub.subscribers == 0  # both full: neither holds memory any more
    assert await slow.batch() == {Change(Topic.CALL, "a"), Change(Topic.CALL, "b")}
    with pytest.raises(Overflowed):
        await slow.batch()
    assert other.overflowed


async def test_closing_the_hub_ends_every_stream() -> None:
    hub = Hub()
    watcher = hub.subscribe()
    waiting = asyncio.ensure_future(watcher.batch())
    await asyncio.sleep(0)
    hub.close()
    assert await waiting == {Change(Topic.CLOSED)}
    assert hub.subscribers == 0


def test_a_hub_needs_room_for_one_change() -> None:
    with pytest.raises(ValueError, match="queue_size"):
        Hub(queue_size=0)


# -- what netsim publishes -------------------------------------------------------------------


async def test_netsim_publishes_a_handsets_state_and_each_change_of_a_call() -> None:
    built = virtual()
    netsim, hub = built.netsim, Hub()
    netsim.hub = hub
    netsim.calls.on_change = lambda call: hub.call(call.id)
    with hub.subscribe() as watcher:
        caller = netsim.handset(OUTSIDE_A, create=True)
        netsim.set_state(caller, HandsetState.ON)
        call = netsim.dial(caller, "0699000002")
        changes = await watcher.batch()
        assert Change(Topic.HANDSET, OUTSIDE_A) in changes
        assert Change(Topic.CALL, call.id) in changes
        netsim.hang_up(caller)
        assert Change(Topic.CALL, call.id) in await watcher.batch()


# -- the timeline ----------------------------------------------------------------------------


def _record(fleet_id: int | None, icid: str, call_id: str) -> model.CallRecord:
    at = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    return model.CallRecord(
        call_id=call_id,
        fleet_id=fleet_id,
        caller=OUTSIDE_A,
        called="+33611000003",
        offered_at=at,
        answered_at=at,
        released_at=at,
        outcome=CallOutcome.ANSWERED,
        correlation_id=icid,
        events=(
            model.CallEvent(seq=1, at=at, kind=CallEventKind.OFFERED, to_number="+33611000003"),
            model.CallEvent(
                seq=2,
                at=at,
                kind=CallEventKind.FORWARDED,
                forwarding_kind=ForwardingKind.NO_REPLY,
                from_number="+33611000003",
                to_number="+33611000004",
            ),
        ),
    )


async def test_the_timeline_reads_a_calls_records_once_written_then_stops(
    services: Services,
) -> None:
    clock = [100.0]
    hub = Hub()

    async def no_sleep(seconds: float) -> None:
        clock[0] += seconds

    timeline = Timeline(
        calls=services.calls, hub=hub, now=lambda: clock[0], sleep=no_sleep, delays=(1, 2, 4)
    )
    with hub.subscribe() as watcher:
        timeline.call_ended("icid-1")
        assert await timeline.read_due() == 0  # not due yet: nothing read
        clock[0] += 1
        assert await timeline.read_due() == 0  # FleetPBX has not written it yet
        await services.calls.save(_record(None, "icid-1", "c-1"))
        await services.calls.save(_record(None, "icid-other", "c-2"))
        clock[0] += 2
        assert await timeline.read_due() == 1
        assert await watcher.batch() == {Change(Topic.RECORD, "c-1")}
        assert list(timeline.records) == ["c-1"]  # the other call's record was not asked for
        clock[0] += 4
        assert await timeline.read_due() == 0
        assert timeline.waiting == 0  # found, then nothing new: no more reads


async def test_the_timeline_gives_up_on_a_call_without_records(services: Services) -> None:
    clock = [0.0]

    async def no_sleep(seconds: float) -> None:
        clock[0] += seconds

    timeline = Timeline(
        calls=services.calls, hub=Hub(), now=lambda: clock[0], sleep=no_sleep, delays=(1, 2)
    )
    timeline.call_ended("icid-never")
    for _ in range(2):
        clock[0] += 2
        await timeline.read_due()
    assert timeline.waiting == 0


# -- the page and the stream -----------------------------------------------------------------


@pytest.fixture
async def client(services: Services, actor: Actor) -> AsyncIterator[Client]:
    """The console's routes and the control API on netsim in virtual time, whose handsets
    are the test database's fleets."""
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
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_the_page_shows_the_first_fleets_handsets_in_the_browsers_language(
    client: Client,
) -> None:
    http = client
    response = await http.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.8"})
    page = await response.text()
    assert response.status == 200
    assert '<html lang="en">' in page
    assert "Salarié 3" in page and "06 11 00 00 03" in page
    assert 'id="fleet"' in page  # two fleets: a selector
    french = await (await http.get("/?lang=fr")).text()
    assert "Téléphones de la flotte" in french
    assert (await http.get("/?fleet=999")).status == 404


async def test_the_stream_sends_a_snapshot_then_what_changes(
    client: Client,
) -> None:
    http = client
    async with http.get("/console/events?lang=en") as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        await _event(stream, "hello")
        snapshot = await _event(stream, "handset")
        assert str(snapshot["e164"]).startswith("+33")
        await _event(stream, "calls")
        answer = await http.post("/handsets/0611000003/state", json={"state": "off"})
        assert answer.status == 200
        changed = await _event(stream, "handset")
        assert (changed["e164"], changed["state"]) == ("+33611000003", "off")
        assert "Off" in str(changed["html"])
    card = await http.get("/console/cards/+33611000003?lang=fr")
    assert card.status == 200 and "Éteint" in await card.text()
    assert (await http.get("/console/cards/+33600000000")).status == 404


async def _event(stream: ClientResponse, name: str) -> dict[str, object]:
    """The data of the next server-sent event called ``name`` (others are passed over)."""
    content = stream.content
    current = ""
    while True:
        line = (await asyncio.wait_for(content.readline(), 30)).decode().rstrip("\n")
        if line.startswith("event: "):
            current = line[7:]
        elif line.startswith("data: ") and current == name:
            data: dict[str, object] = json.loads(line[6:])
            return data


# -- the words -------------------------------------------------------------------------------


def test_a_forwarding_says_why_in_french_and_in_english() -> None:
    event = _record(None, "i", "c").events[1]

    def party(number: str | None) -> str:
        return {"+33611000003": "Madame C", "+33611000004": "l'assistant"}.get(number or "", "?")

    assert console_texts.why(event, Language.FR, party=party) == (
        "Renvoyé de Madame C vers l'assistant : renvoi sur non-réponse"
    )
    assert console_texts.why(event, Language.EN, party=party) == (
        "Forwarded from Madame C to l'assistant: forwarding on no reply"
    )


@pytest.mark.parametrize(
    ("query", "accept", "language"),
    [
        (None, None, Language.FR),
        (None, "en-US,en;q=0.9", Language.EN),
        (None, "de-DE, fr;q=0.5, en;q=0.8", Language.EN),
        ("fr", "en", Language.FR),
        ("xx", "fr-CA", Language.FR),
    ],
)
def test_the_language_is_the_query_s_else_the_browser_s_else_french(
    query: str | None, accept: str | None, language: Language
) -> None:
    assert console_texts.language_of(query, accept) is language


def test_a_field_the_card_does_not_know_is_listed_as_it_comes() -> None:
    t = console_texts.texts(Language.FR)
    view: dict[str, object] = {
        "number": "06 11 00 00 03",
        "sms": [{"from": "FleetPBX", "text": "Bonjour"}],
        "keys": [],
        "flag": True,
    }
    extras = console_views.extras(view, t)
    assert [(e.key, e.label, e.lines) for e in extras] == [
        ("sms", "SMS reçus", ("from: FleetPBX, text: Bonjour",)),
        ("flag", "flag", ("✓",)),
    ]


def test_the_screen_shows_the_forwarder_and_the_last_ussd_dialogue() -> None:
    t = console_texts.texts(Language.FR)
    idle: dict[str, object] = {"ringing_from": None, "in_call_with": [], "held": []}
    ringing = idle | {"ringing_from": "06 99 00 00 01", "forwarded_from": "06 11 00 00 05"}
    assert console_views.screen_lines({"screen": ringing}, t) == [
        "Sonne : 06 99 00 00 01",
        "Renvoyé par 06 11 00 00 05",
    ]
    sent = {"sent": "*#21#", "state": "waiting", "text": ""}
    assert console_views.screen_lines({"screen": idle, "ussd": sent}, t) == [
        "Au repos",
        "*#21# envoyé…",
    ]
    menu = sent | {"state": "menu", "text": "1 Renvois\n2 Groupes\n"}
    assert console_views.screen_lines({"screen": idle, "ussd": menu}, t)[1:] == [
        "1 Renvois",
        "2 Groupes",
    ]
    failed = sent | {"state": "failed", "error": "no answer"}
    assert console_views.screen_lines({"screen": idle, "ussd": failed}, t)[1:] == [
        "*#21# : échec (no answer)"
    ]
