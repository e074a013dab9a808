"""HTTP control of the live simulated network (``fleetpbx demo``): place calls from
handsets, answer, hold, #1, the conference key, hang up, and read the timeline.

Errors are ``application/problem+json`` with a code; this module is the one table that
maps this edge's errors to HTTP statuses."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from fleet.core.countries import Country, country
from fleet.core.numbering import E164
from simulators.handsets import HANDSET_ACTIONS, HandsetState
from simulators.live import LiveSimulator
from simulators.smppwire import MAX_PAYLOAD, encode_text
from simulators.smsc import NoMenu, SmscSimulator, UssdRejected

LIVE = web.AppKey("live_simulator", LiveSimulator)
SMSC = web.AppKey("smsc_simulator", SmscSimulator)
ACTIONS = HANDSET_ACTIONS


class BadRequest(Exception):
    def __init__(self, code: str, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.code, self.detail, self.status = code, detail, status


def problem(exc: BadRequest) -> web.Response:
    body = {
        "type": "about:blank",
        "title": exc.code,
        "status": exc.status,
        "detail": exc.detail,
        "code": exc.code,
    }
    return web.Response(
        status=exc.status, text=json.dumps(body), content_type="application/problem+json"
    )


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's body as a JSON object, or a BadRequest ``invalid_json``."""
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest("invalid_json", "the body must be a JSON object") from exc
    if not isinstance(data, dict):
        raise BadRequest("invalid_json", "the body must be a JSON object")
    return data


def _number(live: LiveSimulator, raw: object, field: str, *, known: bool = True) -> E164:
    if raw is None or raw == "":
        raise BadRequest("missing_field", f"{field}: required (a phone number)")
    number = live.engine.policy.classify(str(raw))[1]
    if number is None:
        raise BadRequest("invalid_number", f"{field}: {raw!r} is not a phone number")
    if known and number.value not in live.network.handsets:
        raise BadRequest("unknown_handset", f"{field}: no handset {number.national()}", 404)
    return number


def _handsets(live: LiveSimulator) -> list[dict[str, Any]]:
    return [
        {
            "number": h.number.national(),
            "name": h.name,
            "state": h.state.value,
            "ringing": bool(h.ringing),
            "screen": h.screen,
            "in_call": bool(h.legs),
        }
        for h in live.network.handsets.values()
    ]


async def overview(request: web.Request) -> web.Response:
    live = request.app[LIVE]
    live.sync_handsets()
    return web.json_response(
        {"active_calls": live.engine.active_calls, "handsets": _handsets(live)}
    )


async def dial(request: web.Request) -> web.Response:
    live = request.app[LIVE]
    try:
        data = await json_body(request)
        live.sync_handsets()
        caller = data.get("from")
        number = _number(live, caller, "from", known=False) if caller else None
        if number is not None and number.value not in live.network.handsets:
            live.network.add(number, f"Extérieur {number.national()}")
        dialled = str(data.get("to") or "").strip()
        if not dialled:
            raise BadRequest("missing_field", "to: the dialled number is required")
    except BadRequest as exc:
        return problem(exc)
    call_id = live.network.dial(number, dialled)
    return web.json_response({"call_id": call_id}, status=201)


async def action(request: web.Request) -> web.Response:
    live = request.app[LIVE]
    name = request.match_info["action"]
    try:
        if name not in ACTIONS:
            raise BadRequest("unknown_action", f"one of {', '.join(ACTIONS)}", 404)
        number = _number(live, (await json_body(request)).get("number"), "number")
    except BadRequest as exc:
        return problem(exc)
    refusal = live.network.act(name, number)
    return web.json_response({"ok": refusal is None, "refused": refusal.value if refusal else None})


def _visited(raw: object, state: HandsetState) -> Country | None:
    """The ``country`` of a handset ``abroad`` (ISO alpha-2, e.g. ``ES``), if given."""
    if raw is None:
        return None
    if state is not HandsetState.ABROAD or not isinstance(raw, str):
        raise BadRequest("invalid_country", "country: an ISO code (ES), only with abroad")
    try:
        return country(raw)
    except ValueError as exc:
        raise BadRequest("invalid_country", str(exc)) from None


async def state(request: web.Request) -> web.Response:
    live = request.app[LIVE]
    try:
        data = await json_body(request)
        number = _number(live, data.get("number"), "number")
        try:
            new_state = HandsetState(str(data.get("state")))
        except ValueError as exc:
            allowed = ", ".join(s.value for s in HandsetState)
            raise BadRequest("invalid_state", f"state: one of {allowed}") from exc
        visited = _visited(data.get("country"), new_state)
    except BadRequest as exc:
        return problem(exc)
    live.network.set_state(number, new_state, country=visited)
    return web.json_response({"ok": True})


async def timeline(request: web.Request) -> web.Response:
    live = request.app[LIVE]
    try:
        since = float(request.query.get("since", "0"))
    except ValueError:
        return problem(BadRequest("invalid_query", "since: a number of seconds"))
    lines = [{"at": round(e.at, 1), "text": e.text} for e in live.network.timeline if e.at >= since]
    calls = [
        {
            "call_id": r.call_id,
            "caller": r.caller,
            "called": r.called,
            "outcome": r.outcome.value if r.outcome else None,
            "cause": r.cause,
        }
        for r in reversed(live.records.latest)
    ]
    return web.json_response({"timeline": lines[-500:], "recent_calls": calls})


def _international(number: E164) -> str:
    return number.value.lstrip("+")


def _ussd_text(raw: object) -> str:
    """What the handset dials: a string that SMPP can carry (up to ``message_payload``'s
    64 KiB once encoded; more than ``short_message``'s 254 octets goes in it)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)  # a menu choice given as a number
    if raw is None:
        raise BadRequest("missing_field", "text: what the handset dials")
    if not isinstance(raw, str):
        raise BadRequest("invalid_field", "text: a string")
    text = raw.strip()
    if not text:
        raise BadRequest("missing_field", "text: what the handset dials")
    try:
        _coding, encoded = encode_text(text)
    except (UnicodeError, ValueError) as exc:
        raise BadRequest("invalid_text", "text: characters SMPP cannot carry") from exc
    if len(encoded) > MAX_PAYLOAD:
        raise BadRequest("text_too_long", f"text: at most {MAX_PAYLOAD} octets once encoded")
    return text


async def ussd(request: web.Request) -> web.Response:
    """A handset dials a code (or answers the menu it shows); returns what it then shows."""
    live, smsc = request.app[LIVE], request.app[SMSC]
    try:
        data = await json_body(request)
        number = _number(live, data.get("from"), "from", known=False)
        text = _ussd_text(data.get("text"))
    except BadRequest as exc:
        return problem(exc)
    msisdn = _international(number)
    try:
        if data.get("reply"):
            answer = await smsc.reply(msisdn, text)
        else:
            answer = await smsc.ussd(msisdn, text)
    except NoMenu as exc:
        return problem(BadRequest("no_menu", str(exc), 409))
    except UssdRejected as exc:
        return problem(BadRequest("ussd_rejected", f"the service refused it: {exc}", 503))
    except (ConnectionError, RuntimeError, TimeoutError) as exc:
        return problem(BadRequest("ussd_failed", str(exc) or type(exc).__name__, 503))
    screens = smsc.screens.get(msisdn) or []
    menu = bool(screens) and screens[-1].op == 2
    refused = bool(screens) and screens[-1].refused
    return web.json_response({"answer": answer, "menu": menu, "refused": refused})


async def sms(request: web.Request) -> web.Response:
    live, smsc = request.app[LIVE], request.app[SMSC]
    try:
        number = _number(live, request.query.get("number"), "number", known=False)
    except BadRequest as exc:
        return problem(exc)
    inbox = smsc.inbox.get(number.value, [])  # keyed "+33…" (international TON)
    return web.json_response({"number": number.national(), "sms": [m.text for m in inbox]})


def routes(app: web.Application) -> None:
    app.router.add_get("/sim", overview)
    app.router.add_post("/sim/dial", dial)
    app.router.add_post("/sim/state", state)
    app.router.add_get("/sim/timeline", timeline)
    app.router.add_post("/sim/ussd", ussd)
    app.router.add_get("/sim/sms", sms)
    app.router.add_post("/sim/{action}", action)
