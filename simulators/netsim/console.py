"""netsim's live web console, on its control port: ``GET /`` the page (a fleet's handsets as
cards with their controls, the outside handsets, the calls in progress, the timeline of
FleetPBX's routing decisions), ``GET /console/cards/{e164}`` one card (a handset that came
since the page was drawn), ``GET /console/events`` the live changes as server-sent events,
``/console/static/`` its script and style. The controls use the JSON control API as it is.

Thin handlers: read the query (fleet, language), build the views (``console_views``), render
(Jinja2). The stream subscribes to the :class:`~simulators.netsim.hub.Hub` and sends, for each
batch of changes, what they touch rendered anew."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
import structlog
from aiohttp import web

from fleet.core.model import Fleet
from fleet.core.values import Language
from fleet.services.container import Services
from simulators.netsim import console_texts, console_views
from simulators.netsim.console_smsc import smsc_lines
from simulators.netsim.control import NETSIM
from simulators.netsim.handset import Answering, HandsetState
from simulators.netsim.hub import Change, Hub, Overflowed, Topic
from simulators.netsim.legs import LegKind, NetCall
from simulators.netsim.network import Netsim
from simulators.netsim.timeline import Timeline

log = structlog.get_logger("simulators.netsim.console")

HERE = Path(__file__).parent
HUB = web.AppKey("netsim_console_hub", Hub)
TIMELINE = web.AppKey("netsim_console_timeline", Timeline)
CONSOLE_SERVICES = web.AppKey("netsim_console_services", Services)
KEEPALIVE = 15.0  # seconds between comments on a quiet stream (proxies close idle ones)


def setup(app: web.Application, *, services: Services) -> None:
    """The console on netsim's application (its hub exists before netsim is assembled; the
    timeline reads through ``services``)."""
    hub = Hub()
    loop_time = lambda: asyncio.get_running_loop().time()  # noqa: E731
    app[HUB] = hub
    app[CONSOLE_SERVICES] = services
    app[TIMELINE] = Timeline(calls=services.calls, hub=hub, now=loop_time, sleep=asyncio.sleep)
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    app.router.add_get("/", page)
    app.router.add_get("/console/cards/{e164}", one_card)
    app.router.add_get("/console/events", events)
    app.router.add_static("/console/static", HERE / "static")
    app.cleanup_ctx.append(_timeline)
    app.on_shutdown.append(_close_streams)


def watch(app: web.Application, netsim: Netsim) -> None:
    """Tell the console's hub what changes in ``netsim``; a call through FleetPBX that ended
    while a console watched sends the timeline looking for its records."""
    hub, timeline = app[HUB], app[TIMELINE]
    netsim.hub = hub

    def call_changed(call: NetCall) -> None:
        hub.call(call.id)
        for e164 in console_views.handsets_of(call):
            hub.handset(e164)
        if (
            hub.subscribers  # someone watches: no database read for calls nobody sees
            and all(leg.ended for leg in call.legs)
            and any(leg.kind is not LegKind.HANDSET for leg in call.legs)
        ):
            timeline.call_ended(call.icid)

    netsim.calls.on_change = call_changed


async def _timeline(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.get_running_loop().create_task(app[TIMELINE].run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _close_streams(app: web.Application) -> None:
    app[HUB].close()


# -- the page -------------------------------------------------------------------------------


async def _fleets(request: web.Request) -> dict[int, Fleet]:
    return {f.id: f for f in await request.app[CONSOLE_SERVICES].fleets.all()}


def _chosen(request: web.Request, fleets: dict[int, Fleet]) -> int | None:
    text = request.query.get("fleet", "")
    if text.isdigit() and int(text) in fleets:
        return int(text)
    if text:
        raise web.HTTPNotFound(text=f"no fleet {text}")
    return min(fleets) if fleets else None


def _language(request: web.Request) -> Language:
    return console_texts.language_of(
        request.query.get("lang"), request.headers.get("Accept-Language")
    )


async def page(request: web.Request) -> web.Response:
    netsim = request.app[NETSIM]
    language = _language(request)
    t = console_texts.texts(language)
    fleets = await _fleets(request)
    fleet_id = _chosen(request, fleets)
    mine, outside = console_views.fleet_cards(netsim, fleet_id, t)
    records = [
        console_views.timeline_item(r, netsim, fleets, language)
        for r in request.app[TIMELINE].newest()
        if r.fleet_id in (None, fleet_id)
    ]
    other = Language.EN if language is Language.FR else Language.FR
    return aiohttp_jinja2.render_template(
        "console.html",
        request,
        {
            "t": t,
            "lang": language.value,
            "other_lang": other.value,
            "other_lang_name": "English" if other is Language.EN else "Français",
            "fleets": sorted(fleets.values(), key=lambda f: f.name),
            "fleet_id": fleet_id,
            "cards": mine,
            "outside": outside,
            "calls": console_views.calls(netsim, t),
            "records": records,
            "smsc": smsc_lines(request.app, t),
            **_controls(t),
            "errors": {k[6:]: v for k, v in t.items() if k.startswith("error_")},
        },
    )


def _controls(t: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """The choices of a card's selectors: the handset states and behaviours, labelled."""
    return {
        "states": [(s.value, t[f"state_{s.value}"]) for s in HandsetState],
        "answers": [(a.value, t[f"answer_{a.value}"]) for a in Answering],
    }


async def one_card(request: web.Request) -> web.Response:
    t = console_texts.texts(_language(request))
    card = console_views.card(request.app[NETSIM], request.match_info["e164"], t)
    if card is None:
        raise web.HTTPNotFound(text="no such handset")
    context = {"t": t, "c": card, **_controls(t)}
    return aiohttp_jinja2.render_template("_card.html", request, context)


# -- the stream -----------------------------------------------------------------------------


def _event(name: str, data: object) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: ``handset`` (a card's live part, its state and behaviour),
    ``calls`` (the calls in progress), ``record`` (a timeline entry), ``fleets``."""
    netsim = request.app[NETSIM]
    hub = request.app[HUB]
    language = _language(request)
    t = console_texts.texts(language)
    fleets = await _fleets(request)
    fleet_id = _chosen(request, fleets)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    with contextlib.suppress(ConnectionResetError), hub.subscribe() as subscription:
        # what changed between the page and this stream: everything once
        first = {Change(Topic.HANDSET, e164) for e164 in netsim.handsets.by_number}
        first.add(Change(Topic.CALL, ""))
        first.add(Change(Topic.SMSC))
        await response.write(_event("hello", {"subscribers": hub.subscribers}))
        changes: set[Change] = first
        while True:
            for name, data in _rendered(request, changes, fleet_id, fleets, language, t):
                await response.write(_event(name, data))
            try:
                changes = await asyncio.wait_for(subscription.batch(), KEEPALIVE)
            except TimeoutError:
                await response.write(b": still here\n\n")
                changes = set()
            except Overflowed:
                break
            if Change(Topic.CLOSED) in changes:
                break
            if Change(Topic.FLEETS) in changes:
                fleets = await _fleets(request)
    return response


def _rendered(
    request: web.Request,
    changes: set[Change],
    fleet_id: int | None,
    fleets: dict[int, Fleet],
    language: Language,
    t: dict[str, str],
) -> list[tuple[str, object]]:
    netsim = request.app[NETSIM]
    out: list[tuple[str, object]] = []
    handsets = sorted(c.key for c in changes if c.topic is Topic.HANDSET)
    if any(c.topic is Topic.FLEETS for c in changes):
        handsets = sorted(netsim.handsets.by_number)
        out.append(("fleets", {}))
    for e164 in handsets:
        if not console_views.belongs(netsim, e164, fleet_id):
            continue
        card = console_views.card(netsim, e164, t)
        if card is None:
            continue
        view = card["view"]
        assert isinstance(view, dict)
        live = aiohttp_jinja2.render_string("_live.html", request, {"t": t, "c": card})
        out.append(
            (
                "handset",
                {
                    "id": card["id"],
                    "e164": e164,
                    "kind": view["kind"],
                    "state": view["state"],
                    "answer": card["answer"],
                    "seconds": card["seconds"],
                    "in_call": card["in_call"],
                    "html": live,
                },
            )
        )
    if any(c.topic is Topic.CALL for c in changes):
        html = aiohttp_jinja2.render_string(
            "_calls.html", request, {"t": t, "calls": console_views.calls(netsim, t)}
        )
        out.append(("calls", {"html": html}))
    smsc = smsc_lines(request.app, t) if Change(Topic.SMSC) in changes else None
    if smsc is not None:
        html = aiohttp_jinja2.render_string("_smsc.html", request, {"t": t, "smsc": smsc})
        out.append(("smsc", {"bound": smsc.bound, "misbehaviours": list(smsc.on), "html": html}))
    timeline = request.app[TIMELINE]
    for change in sorted(c.key for c in changes if c.topic is Topic.RECORD):
        record = timeline.records.get(change)
        if record is None or record.fleet_id not in (None, fleet_id):
            continue
        item = console_views.timeline_item(record, netsim, fleets, language)
        html = aiohttp_jinja2.render_string("_record.html", request, {"t": t, "r": item})
        out.append(("record", {"id": item.id, "html": html}))
    return out
