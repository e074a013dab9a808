"""netsim's control API for in-call keys (:mod:`.incall`): ``POST /keys`` presses keys on a
handset's call, ``GET /keys/{number}`` tells the outcome FleetPBX NOTIFYed of the handset's
latest REFER. Registered by :func:`add_incall_routes` (which also builds the keys' service on
netsim's user agent once netsim runs); thin handlers, this module's own error table."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from simulators.http import BadRequest, json_body
from simulators.netsim.agent import NetsimAgent
from simulators.netsim.control import NETSIM, _errors, _json
from simulators.netsim.handset import Handset
from simulators.netsim.incall import InCallKeys, KeyMethod

INCALL = web.AppKey("netsim_incall", InCallKeys)


def _text(body: dict[str, object], name: str, default: str | None = None) -> str:
    value = body.get(name, default)
    if value is None or value == "":
        raise BadRequest("missing_field", f"{name}: required")
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise BadRequest("invalid_field", f"{name}: a string")
    return str(value)


def _handset(request: web.Request, number: str) -> Handset:
    return request.app[NETSIM].handset(number)


async def press(request: web.Request) -> web.Response:
    body = await json_body(request)
    handset = _handset(request, _text(body, "number"))
    keys = _text(body, "keys")
    text = _text(body, "method", KeyMethod.INFO.value)
    try:
        method = KeyMethod(text)
    except ValueError:
        choices = ", ".join(m.value for m in KeyMethod)
        raise BadRequest("invalid_method", f"method: one of {choices}") from None
    pressed = request.app[INCALL].press(handset, keys, method)
    shown = pressed.view() | {"handset": request.app[NETSIM].handset_view(handset)}
    return _json(shown)


async def outcome(request: web.Request) -> web.Response:
    handset = _handset(request, request.match_info["number"])
    refer = request.app[INCALL].refer_outcomes.get(handset.number.value)
    return _json({"number": handset.national, "refer_outcome": refer})


async def _keys(app: web.Application) -> AsyncIterator[None]:
    netsim = app[NETSIM]
    ua = netsim.scscf.ua
    assert isinstance(ua, NetsimAgent)  # the one netsim's application builds
    keys = InCallKeys(ua=ua, fleetpbx=netsim.scscf.fleetpbx)
    ua.on_in_dialog = keys.in_dialog

    def refer_view(handset: Handset) -> dict[str, object]:
        return {"refer_outcome": keys.refer_outcomes.get(handset.number.value)}

    def changed(number: str) -> None:  # a REFER's outcome: the console is told
        if netsim.hub is not None:
            netsim.hub.handset(number)

    netsim.views.append(refer_view)
    keys.changed = changed
    app[INCALL] = keys
    yield


def add_incall_routes(app: web.Application) -> None:
    """The routes, and the keys' service built after netsim's network (``cleanup_ctx``)."""
    app.cleanup_ctx.append(_keys)
    app.router.add_route("POST", "/keys", _errors(press))
    app.router.add_route("GET", "/keys/{number}", _errors(outcome))
