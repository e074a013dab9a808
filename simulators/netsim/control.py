"""netsim's HTTP control API (JSON): the handsets, their state and behaviour, dialling,
answering, hanging up, hold and retrieve, the calls in progress with their legs, the media
server's report, reading the fleets again. Thin handlers: parse, act on :class:`Netsim`,
render. Errors are ``application/problem+json`` with a code; this module is the one table
mapping netsim's errors to HTTP statuses."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from fleet.core.countries import country
from simulators.http import BadRequest, json_body, problem
from simulators.netsim.handset import Answering, Behaviour, Handset, HandsetState
from simulators.netsim.handset_leg import HandsetError
from simulators.netsim.incall import BadKeys
from simulators.netsim.network import BadNumber, Netsim, UnknownHandset
from simulators.netsim.pbxs import AmbiguousPbx, PbxNotPlayed, UnknownPbx
from simulators.netsim.scscf import DialError, DialRefused
from simulators.netsim.smsc_gateway import (
    UssdError,
    UssdProblem,
    gateway_of,
    smpp_health,
    ussd_string,
)

NETSIM = web.AppKey("netsim", Netsim)
SIP_PORT = web.AppKey("netsim_sip_port", int)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

USSD_STATUS = {  # USSD's problems (simulators.netsim.smsc_gateway)
    UssdProblem.INVALID_USSD: 400,
    UssdProblem.INVALID_TEXT: 400,
    UssdProblem.NO_MENU: 409,
    UssdProblem.IN_PROGRESS: 409,
    UssdProblem.HANDSET_UNREACHABLE: 409,
    UssdProblem.SMSC_OFF: 503,
    UssdProblem.NOT_BOUND: 503,
    UssdProblem.REJECTED: 502,
    UssdProblem.TIMEOUT: 504,
}


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(data, ensure_ascii=False), content_type="application/json"
    )


def _errors(handler: Handler) -> Handler:
    """The one table: netsim's errors to problem documents."""

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except BadRequest as exc:
            return problem(exc)
        except BadNumber as exc:
            return problem(BadRequest("invalid_number", str(exc)))
        except UnknownHandset as exc:
            return problem(BadRequest("unknown_handset", f"no handset {exc}", 404))
        except HandsetError as exc:
            return problem(BadRequest("no_call", str(exc), 409))
        except DialRefused as exc:
            status = 409 if exc.code is DialError.HANDSET_UNREACHABLE else 400
            return problem(BadRequest(exc.code.value, exc.detail, status))
        except BadKeys as exc:
            return problem(BadRequest("invalid_keys", str(exc)))
        except UnknownPbx as exc:
            return problem(BadRequest("unknown_pbx", f"no trunk named {exc}", 404))
        except AmbiguousPbx as exc:
            detail = f"several fleets have a trunk named {exc}: say which with ?fleet=ID"
            return problem(BadRequest("ambiguous_pbx", detail, 409))
        except PbxNotPlayed as exc:
            return problem(BadRequest("pbx_not_played", str(exc), 409))
        except UssdError as exc:
            status = USSD_STATUS[exc.problem]
            return problem(BadRequest(exc.problem.value, exc.detail, status))

    return handle


def _field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None or value == "":
        raise BadRequest("missing_field", f"{name}: required")
    if not isinstance(value, str | int):
        raise BadRequest("invalid_field", f"{name}: a string")
    return str(value)


def _handset(request: web.Request, number: str, *, create: bool = False) -> Handset:
    return request.app[NETSIM].handset(number, create=create)


async def health(request: web.Request) -> web.Response:
    netsim = request.app[NETSIM]
    return _json(
        {
            "status": "ok",
            "sip_port": request.app[SIP_PORT],
            "handsets": len(netsim.handsets),
            "calls": len(netsim.calls.active),
            "sip_entries": netsim.scscf.book.held,  # 0 once every call has ended
            "smpp": smpp_health(request.app),  # the SMSC's port and FleetPBX's bind, or None
        }
    )


async def list_handsets(request: web.Request) -> web.Response:
    netsim = request.app[NETSIM]
    kind = request.query.get("kind")
    shown = [
        netsim.handset_view(h)
        for h in netsim.handsets.by_number.values()
        if kind is None or h.kind.value == kind
    ]
    return _json({"handsets": shown})


async def show_handset(request: web.Request) -> web.Response:
    netsim = request.app[NETSIM]
    return _json(netsim.handset_view(_handset(request, request.match_info["number"])))


async def set_state(request: web.Request) -> web.Response:
    body = await json_body(request)
    handset = _handset(request, request.match_info["number"], create=True)
    text = _field(body, "state")
    try:
        state = HandsetState(text)
    except ValueError:
        choices = ", ".join(s.value for s in HandsetState)
        raise BadRequest("invalid_state", f"state: one of {choices}") from None
    raw = body.get("country")
    if raw is not None and (state is not HandsetState.ABROAD or not isinstance(raw, str)):
        raise BadRequest("invalid_country", "country: an ISO code (ES), only with abroad")
    try:
        visited = country(raw) if raw is not None else None
    except ValueError as exc:
        raise BadRequest("invalid_country", str(exc)) from None
    netsim = request.app[NETSIM]
    netsim.set_state(handset, state, country=visited)
    return _json(netsim.handset_view(handset))


async def set_behaviour(request: web.Request) -> web.Response:
    body = await json_body(request)
    handset = _handset(request, request.match_info["number"], create=True)
    text = _field(body, "answer")
    try:
        answering = Answering(text)
    except ValueError:
        choices = ", ".join(a.value for a in Answering)
        raise BadRequest("invalid_behaviour", f"answer: one of {choices}") from None
    seconds = body.get("seconds", handset.behaviour.seconds)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise BadRequest("invalid_behaviour", "seconds: a number")
    try:
        behaviour = Behaviour(answering, float(seconds))
    except ValueError as exc:
        raise BadRequest("invalid_behaviour", str(exc)) from None
    netsim = request.app[NETSIM]
    netsim.set_behaviour(handset, behaviour)
    return _json(netsim.handset_view(handset))


async def dial(request: web.Request) -> web.Response:
    body = await json_body(request)
    handset = _handset(request, _field(body, "from"), create=True)
    to = _field(body, "to")
    if (ussd := ussd_string(to)) is not None:  # a feature code or menu: USSD, not a call
        screen = await gateway_of(request.app).dial(handset, ussd)
        return _json({"number": handset.national, "ussd": screen.view()})
    call = request.app[NETSIM].dial(handset, to)
    return _json(call.view(), 201)


def _action(act: Callable[[Netsim, Handset], None]) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        body = await json_body(request)
        netsim = request.app[NETSIM]
        handset = _handset(request, _field(body, "number"))
        act(netsim, handset)
        return _json(netsim.handset_view(handset))

    return handle


async def list_calls(request: web.Request) -> web.Response:
    calls = request.app[NETSIM].calls
    shown: dict[str, object] = {"calls": [c.view() for c in calls.active.values()]}
    if request.query.get("ended"):
        shown["ended"] = [c.view() for c in calls.ended]
    return _json(shown)


async def media(request: web.Request) -> web.Response:
    return _json(request.app[NETSIM].media.view())


async def voicemail(request: web.Request) -> web.Response:
    """The voicemail platform: its number and the calls it took (404 without one)."""
    platform = request.app[NETSIM].voicemail
    if platform is None:
        return problem(
            BadRequest("no_voicemail", "no voicemail platform: set voicemail_number", 404)
        )
    return _json(platform.view())


async def reload(request: web.Request) -> web.Response:
    added, left = await request.app[NETSIM].reload()
    return _json({"added": added, "left": left, "handsets": len(request.app[NETSIM].handsets)})


def add_routes(app: web.Application) -> None:
    routes: list[tuple[str, str, Handler]] = [
        ("GET", "/healthz", health),
        ("GET", "/handsets", list_handsets),
        ("GET", "/handsets/{number}", show_handset),
        ("POST", "/handsets/{number}/state", set_state),
        ("POST", "/handsets/{number}/behaviour", set_behaviour),
        ("POST", "/dial", dial),
        ("POST", "/answer", _action(lambda n, h: n.answer(h))),
        ("POST", "/hang_up", _action(lambda n, h: n.hang_up(h))),
        ("POST", "/hold", _action(lambda n, h: n.hold(h))),
        ("POST", "/retrieve", _action(lambda n, h: n.hold(h, retrieve=True))),
        ("GET", "/calls", list_calls),
        ("GET", "/media", media),
        ("GET", "/voicemail", voicemail),
        ("POST", "/reload", reload),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, _errors(handler))
