"""The REST API's SIP trunks of a fleet (DESIGN §8): listed, added, read, changed and
removed by the fleet's manager, with the state the keepalive last found. The Digest secret
may be given (``secret``) and is never answered back: ``has_secret`` says whether there is
one. A trunk answers its ``ETag`` (the version of its settings, not of the state the keepalive
finds); a change or a removal with a stale ``If-Match`` is refused with 412 and writes nothing
(``portal.api_versions``). Registered by ``portal.setup`` next to ``portal.api``'s routes."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from aiohttp import web

from fleet.core import model
from fleet.core.values import UNSET
from portal.api import Problem, _actor, _body, _fleet_id, _manager
from portal.api_versions import answer, held, trunk_version
from portal.pages import SERVICES

TEXTS = ("name", "mode", "transport", "history")  # strings
NULLABLE = ("host", "username", "realm", "secret")  # strings or null
FIELDS = (*TEXTS, *NULLABLE, "port")


def trunk_json(view: model.TrunkView) -> dict[str, Any]:
    trunk = view.trunk
    return {
        "id": trunk.id,
        "name": trunk.name,
        "mode": trunk.mode.value,
        "host": trunk.host,
        "port": trunk.port,
        "transport": trunk.transport.value,
        "username": trunk.username,
        "realm": trunk.realm,
        "has_secret": view.has_secret,
        "history": trunk.history.value,
        "state": trunk.state.value,
        "state_since": view.state_since.isoformat() if view.state_since else None,
    }


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    """The trunk's fields of a body, each of its JSON type."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise Problem(422, "invalid_value", f"{unknown[0]}: not a field of a trunk", unknown[0])
    for name in TEXTS:
        if name in data and not isinstance(data[name], str):
            raise Problem(422, "invalid_value", f"{name}: a string", name)
    for name in NULLABLE:
        if name in data and not isinstance(data[name], str | None):
            raise Problem(422, "invalid_value", f"{name}: a string or null", name)
    port = data.get("port")
    if (
        "port" in data
        and port is not None
        and (isinstance(port, bool) or not isinstance(port, int))
    ):
        raise Problem(422, "invalid_value", "port: an integer or null", "port")
    return dict(data)


async def _trunk_in(request: web.Request, fleet_id: int) -> model.TrunkView:
    view = await request.app[SERVICES].trunks.get(int(request.match_info["trunk_id"]))
    if view.trunk.fleet_id != fleet_id:
        raise Problem(404, "not_found", "trunk: not found")
    return view


def respond(view: model.TrunkView, status: int = 200) -> web.Response:
    representation = trunk_json(view)
    return answer(representation, status=status, versioned=trunk_version(representation))


def _held(request: web.Request, fleet_id: int) -> AbstractAsyncContextManager[model.TrunkView]:
    """The trunk of the path, held for a change with its version checked (``If-Match``)."""
    return held(
        request,
        f"trunk:{request.match_info['trunk_id']}",
        lambda: _trunk_in(request, fleet_id),
        lambda view: trunk_version(trunk_json(view)),
        "trunk",
    )


async def trunks(request: web.Request) -> web.Response:
    account = await _manager(request)
    found = await request.app[SERVICES].trunks.in_fleet(_fleet_id(request, account))
    return web.json_response([trunk_json(v) for v in found])


async def post_trunk(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    fields = _fields(await _body(request))
    if "name" not in fields:
        raise Problem(422, "invalid_value", "name: a string", "name")
    added = await request.app[SERVICES].trunks.add(_actor(account), fleet_id, **fields)
    response = respond(added, 201)
    response.headers["Location"] = f"/api/fleets/{fleet_id}/trunks/{added.trunk.id}"
    return response


async def trunk(request: web.Request) -> web.Response:
    account = await _manager(request)
    return respond(await _trunk_in(request, _fleet_id(request, account)))


async def patch_trunk(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    await _trunk_in(request, fleet_id)  # not found before a faulty body
    fields = _fields(await _body(request))
    changes = {name: fields.get(name, UNSET) for name in FIELDS}
    async with _held(request, fleet_id) as view:
        changed = await request.app[SERVICES].trunks.update(
            _actor(account), view.trunk.id, **changes
        )
    return respond(changed)


async def delete_trunk(request: web.Request) -> web.Response:
    account = await _manager(request)
    async with _held(request, _fleet_id(request, account)) as view:
        await request.app[SERVICES].trunks.remove(_actor(account), view.trunk.id)
    return web.Response(status=204)


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/fleets/{fleet_id}/trunks", trunks),
    ("POST", "/api/fleets/{fleet_id}/trunks", post_trunk),
    ("GET", "/api/fleets/{fleet_id}/trunks/{trunk_id}", trunk),
    ("PATCH", "/api/fleets/{fleet_id}/trunks/{trunk_id}", patch_trunk),
    ("DELETE", "/api/fleets/{fleet_id}/trunks/{trunk_id}", delete_trunk),
]


def setup(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
