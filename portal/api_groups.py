"""The REST API's call groups of a fleet (DESIGN §5): listed, created, read, changed (the
no-answer rule and the maximum queue wait among the rest) and deleted; members added,
removed, connected and disconnected. Every group answers with its ``ETag``; a change that
sends ``If-Match`` with another version is refused with 412 and changes nothing (a member's
change takes the group's version). Registered by ``portal.setup`` next to ``portal.api``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from fleet.core import model
from portal import etags
from portal.api import Problem, _actor, _body, _bool, _fleet_id, _manager
from portal.openapi import ID_MAX
from portal.pages import SERVICES, group_of
from portal.resources import group_json

TEXTS = ("number", "name", "user_code", "admin_code", "distribution", "no_answer_action")
INTEGERS = ("queue_size", "switchover_delay", "intercall_delay", "max_queue_wait")
NULLABLE_TEXTS = ("short_number", "no_answer_number")
FIELDS = (*TEXTS, *INTEGERS, *NULLABLE_TEXTS, "no_answer_group_id")
REQUIRED = ("number", "name", "user_code", "admin_code")


def respond(group: model.CallGroup, status: int = 200) -> web.Response:
    representation = group_json(group)
    return web.json_response(
        representation, status=status, headers={"ETag": etags.etag(representation)}
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    """A group's fields of a body, each of its JSON type (the rules are the service's)."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise Problem(422, "invalid_value", f"{unknown[0]}: not a field of a group", unknown[0])
    for name in TEXTS:
        if name in data and not isinstance(data[name], str):
            raise Problem(422, "invalid_value", f"{name}: a string", name)
    for name in NULLABLE_TEXTS:
        if name in data and not isinstance(data[name], str | None):
            raise Problem(422, "invalid_value", f"{name}: a string or null", name)
    for name in INTEGERS:
        if name in data and not _is_int(data[name]):
            raise Problem(422, "invalid_value", f"{name}: an integer", name)
    target = data.get("no_answer_group_id")
    if target is not None and not (_is_int(target) and 0 < target <= ID_MAX):
        field = "no_answer_group_id"
        raise Problem(422, "invalid_value", f"{field}: an integer or null", field)
    return dict(data)


@asynccontextmanager
async def guarded(request: web.Request, fleet_id: int) -> AsyncIterator[model.CallGroup]:
    """The group of the path, held for a change: ``If-Match`` checked against its version
    under the group's lock, kept until the change is made."""
    group_id = int(request.match_info["group_id"])  # checked by _fleet_id
    async with etags.locks(request).held(f"group:{group_id}"):
        group = await group_of(request, fleet_id)
        if not etags.matches(etags.if_match(request), etags.etag(group_json(group))):
            raise Problem(
                412, "precondition_failed", "the group was changed meanwhile: read it again"
            )
        yield group


async def groups(request: web.Request) -> web.Response:
    account = await _manager(request)
    found = await request.app[SERVICES].groups.in_fleet(_fleet_id(request, account))
    return web.json_response([group_json(g) for g in found])


async def post_group(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    fields = _fields(await _body(request))
    missing = [name for name in REQUIRED if name not in fields]
    if missing:
        raise Problem(422, "invalid_value", f"{missing[0]}: a string", missing[0])
    created = await request.app[SERVICES].groups.create(_actor(account), fleet_id, **fields)
    response = respond(created, 201)
    response.headers["Location"] = f"/api/fleets/{fleet_id}/groups/{created.id}"
    return response


async def group(request: web.Request) -> web.Response:
    account = await _manager(request)
    return respond(await group_of(request, _fleet_id(request, account)))


async def patch_group(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    fields = _fields(await _body(request))
    async with guarded(request, fleet_id) as held:
        changed = await request.app[SERVICES].groups.update(_actor(account), held.id, **fields)
    return respond(changed)


async def delete_group(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    async with guarded(request, fleet_id) as held:
        await request.app[SERVICES].groups.delete(_actor(account), held.id)
    return web.Response(status=204)


async def post_member(request: web.Request) -> web.Response:
    """Add a line of the fleet to the group (last in the hunting order)."""
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    data = await _body(request)
    unknown = sorted(set(data) - {"line_id", "connected"})
    if unknown:
        raise Problem(422, "invalid_value", f"{unknown[0]}: not a field of a member", unknown[0])
    line_id = data.get("line_id")
    if not isinstance(line_id, int) or isinstance(line_id, bool) or not 0 < line_id <= ID_MAX:
        raise Problem(422, "invalid_value", f"line_id: an integer from 1 to {ID_MAX}", "line_id")
    connected = _bool(data, "connected", False)
    services = request.app[SERVICES]
    async with guarded(request, fleet_id) as held:
        line = await services.lines.get(line_id)  # not found: 404
        if line.fleet_id != fleet_id:
            raise Problem(404, "not_found", "line: not found")
        changed = await services.groups.add_member(
            _actor(account), held.id, line.id, connected=connected
        )
    return respond(changed, 201)


def _member_of(held: model.CallGroup, request: web.Request) -> int:
    line_id = int(request.match_info["line_id"])  # checked by _fleet_id
    if line_id not in {m.line_id for m in held.members}:
        raise Problem(404, "not_found", "member: not found")
    return line_id


async def delete_member(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    async with guarded(request, fleet_id) as held:
        line_id = _member_of(held, request)
        changed = await request.app[SERVICES].groups.remove_member(
            _actor(account), held.id, line_id
        )
    return respond(changed)


async def put_connection(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    connected = _bool(await _body(request), "connected")
    async with guarded(request, fleet_id) as held:
        line_id = _member_of(held, request)
        changed = await request.app[SERVICES].groups.set_connected(
            _actor(account), held.id, line_id, connected
        )
    return respond(changed)


BASE = "/api/fleets/{fleet_id}/groups"
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", BASE, groups),
    ("POST", BASE, post_group),
    ("GET", BASE + "/{group_id}", group),
    ("PATCH", BASE + "/{group_id}", patch_group),
    ("DELETE", BASE + "/{group_id}", delete_group),
    ("POST", BASE + "/{group_id}/members", post_member),
    ("DELETE", BASE + "/{group_id}/members/{line_id}", delete_member),
    ("PUT", BASE + "/{group_id}/members/{line_id}/connection", put_connection),
]


def setup(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
