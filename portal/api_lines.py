"""The REST API's lines of a fleet: listed and searched (keyset paging:
``portal.api_linepage``), read with their services, their
details and settings changed, their forwardings and incoming-call list set. A line answers
with its ``ETag`` (the version of the line with its services); a change of the line, of a
forwarding or of the incoming list that sends ``If-Match`` with another version is refused
with 412 and changes nothing. Registered by ``portal.setup`` next to ``portal.api``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.linesettings import BY_NAME
from fleet.core.values import ForwardingKind, RingMode
from portal import etags
from portal.api import Problem, _actor, _body, _bool, _fleet_id, _manager, _setting
from portal.api_linepage import lines
from portal.pages import SERVICES, line_of
from portal.resources import forwarding_json, incoming_json, services_json

# -- versions -----------------------------------------------------------------------------


async def _line_version(request: web.Request, fleet_id: int) -> tuple[model.LineServices, str]:
    found = await line_of(request, fleet_id)
    return found, etags.etag(services_json(found))


@asynccontextmanager
async def _guarded_line(request: web.Request, fleet_id: int) -> AsyncIterator[model.Line]:
    """The line of the path, held for a change of it or of its services: ``If-Match``
    checked against the line's version under the line's lock, kept until the change is made."""
    line_id = int(request.match_info["line_id"])  # checked by _fleet_id
    async with etags.locks(request).held(f"line:{line_id}"):
        found, current = await _line_version(request, fleet_id)
        if not etags.matches(etags.if_match(request), current):
            raise Problem(
                412, "precondition_failed", "the line was changed meanwhile: read it again"
            )
        yield found.line


async def _with_line_etag(request: web.Request, fleet_id: int, body: Any) -> web.Response:
    """An answer carrying the line's version after the change."""
    _, current = await _line_version(request, fleet_id)
    return web.json_response(body, headers={"ETag": current})


async def line(request: web.Request) -> web.Response:
    account = await _manager(request)
    found, current = await _line_version(request, _fleet_id(request, account))
    return web.json_response(services_json(found), headers={"ETag": current})


LINE_TEXTS = ("employee_name", "short_number", "email", "language")
LINE_NULLABLE = ("short_number", "email")


async def patch_line(request: web.Request) -> web.Response:
    """Change a line's details: any of its texts and settings (the PABX option among them)."""
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    data = await _body(request)
    unknown = sorted(set(data) - {*LINE_TEXTS, *BY_NAME})
    if unknown:
        raise Problem(422, "invalid_value", f"{unknown[0]}: not a field of a line", unknown[0])
    changes: dict[str, Any] = {}
    for name in LINE_TEXTS:
        if name in data:
            value = data[name]
            if not isinstance(value, str) and not (value is None and name in LINE_NULLABLE):
                wanted = "a string or null" if name in LINE_NULLABLE else "a string"
                raise Problem(422, "invalid_value", f"{name}: {wanted}", name)
            changes[name] = value
    settings = {s: _setting(data, s) for name, s in BY_NAME.items() if name in data}
    async with _guarded_line(request, fleet_id) as target:
        await request.app[SERVICES].lines.update(
            _actor(account), target.id, settings=settings, **changes
        )
    found, current = await _line_version(request, fleet_id)
    return web.json_response(services_json(found), headers={"ETag": current})


def _kind(request: web.Request) -> ForwardingKind:
    try:
        return ForwardingKind(request.match_info["kind"])
    except ValueError as exc:
        raise Problem(404, "not_found", "forwarding kind: not found") from exc


async def put_forwarding(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    kind = _kind(request)
    data = await _body(request)
    timer = data.get("no_reply_timer")
    if timer is not None and (not isinstance(timer, int) or isinstance(timer, bool)):
        raise Problem(422, "no_reply_timer_invalid", "no_reply_timer: an integer", "no_reply_timer")
    destination = data.get("destination")
    if destination is not None and not isinstance(destination, str):
        raise Problem(422, "number_invalid", "destination: a string", "destination")
    goal = data.get("target")
    if goal is not None and not isinstance(goal, str):
        raise Problem(422, "forwarding_target_invalid", "target: a string", "target")
    active = _bool(data, "active", True)
    async with _guarded_line(request, fleet_id) as target:
        rule = await request.app[SERVICES].forwarding.set(
            _actor(account),
            target.id,
            kind,
            destination=destination,
            active=active,
            no_reply_timer=timer,
            target=goal,
        )
    return await _with_line_etag(request, fleet_id, forwarding_json(rule))


async def delete_forwarding(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    kind = _kind(request)
    async with _guarded_line(request, fleet_id) as target:
        await request.app[SERVICES].forwarding.erase(_actor(account), target.id, kind)
    _, current = await _line_version(request, fleet_id)
    return web.Response(status=204, headers={"ETag": current})


async def put_incoming(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    data = await _body(request)
    entries = data.get("entries")  # required: a missing list must not erase the entries
    ring_time = data.get("ring_time", 15)
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise Problem(422, "number_invalid", "entries: a list of numbers", "entries")
    for index, entry in enumerate(entries):  # the portal's blank fields; here, a missing number
        if not entry.strip():
            raise DomainError(ErrorCode.NUMBER_REQUIRED, field=f"entries.{index}")
    if not isinstance(ring_time, int) or isinstance(ring_time, bool):
        raise Problem(422, "ring_time_invalid", "ring_time: an integer", "ring_time")
    mode = data.get("mode", RingMode.SIMULTANEOUS.value)
    if not isinstance(mode, str):
        modes = " or ".join(m.value for m in RingMode)
        raise Problem(422, "list_mode_invalid", f"mode: {modes}", "mode")
    active = _bool(data, "active", True)
    async with _guarded_line(request, fleet_id) as target:
        plan = await request.app[SERVICES].incoming.save(
            _actor(account),
            target.id,
            entries=entries,
            mode=mode,
            ring_time=ring_time,
            active=active,
        )
    return await _with_line_etag(request, fleet_id, incoming_json(plan))


BASE = "/api/fleets/{fleet_id}/lines"
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", BASE, lines),
    ("GET", BASE + "/{line_id}", line),
    ("PATCH", BASE + "/{line_id}", patch_line),
    ("PUT", BASE + "/{line_id}/forwardings/{kind}", put_forwarding),
    ("DELETE", BASE + "/{line_id}/forwardings/{kind}", delete_forwarding),
    ("PUT", BASE + "/{line_id}/incoming-list", put_incoming),
]


def setup(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
