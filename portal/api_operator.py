"""The REST API's provisioning of fleets (issue 13): fleets created, changed and removed,
mobile lines added and removed, fixed numbers added, changed and removed.

Who may: an operator (the carrier's staff) everything, on every fleet; a fleet manager reads
its fleet and its fixed numbers and changes a fixed number's label, trunk or short number,
but neither creates nor removes a fleet, a line or a fixed number (403). Removing a line or
a fleet without ``?confirm=true`` removes nothing and answers 409 with what the removal
would take (``impact``). A fleet and a fixed number answer their ``ETag``; a change or a
removal with a stale ``If-Match`` is refused with 412 (``portal.api_versions``), as is the
removal of a line whose version (``portal.api_lines``) is not the one sent. Registered by
``portal.setup`` next to ``portal.api``'s routes."""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from typing import Any

from aiohttp import web

from fleet.core import model
from fleet.core.impact import Impact
from fleet.core.linesettings import BY_NAME
from fleet.core.values import UNSET, Role
from portal.api import Problem, _actor, _body, _fleet_id, _manager, _setting
from portal.api_versions import answer, held
from portal.pages import SERVICES, line_of
from portal.resources import line_json, services_json

FLEET_FIELDS = {"name": str, "short_number_length": int, "language": str, "timezone": str}
LINE_TEXTS = ("msisdn", "employee_name", "short_number", "email", "language")
NULLABLE = ("short_number", "email")
FIXED_TEXTS = ("number", "label", "trunk", "short_number")


async def operator(request: web.Request) -> model.Account:
    """An operator's token; a fleet manager's is refused (403), as is any other."""
    account = await _manager(request)
    if account.role is not Role.OPERATOR:
        raise Problem(403, "forbidden", "operators only")
    return account


def fleet_json(fleet: model.Fleet) -> dict[str, Any]:
    return {
        "id": fleet.id,
        "name": fleet.name,
        "short_number_length": fleet.short_number_length,
        "language": fleet.language.value,
        "timezone": fleet.timezone,
    }


def fixed_json(fixed: model.FixedNumber) -> dict[str, Any]:
    return {
        "id": fixed.id,
        "number": fixed.number.value,
        "national": fixed.number.national(),
        "label": fixed.label,
        "trunk": fixed.trunk,
        "short_number": fixed.short_number,
    }


def impact_json(impact: Impact) -> dict[str, Any]:
    return {
        "subject": impact.subject,
        "name": impact.name,
        "items": [
            {"kind": i.kind.value, "count": i.count, "names": list(i.names)} for i in impact.items
        ],
    }


def confirm(request: web.Request) -> bool:
    text = request.query.get("confirm", "false")
    if text not in ("true", "false"):
        raise Problem(400, "invalid_query", "confirm: true or false", "confirm")
    return text == "true"


def confirmation_required(impact: Impact) -> web.Response:
    """The 409 problem of a removal asked without ``confirm=true``: what it would take."""
    said = "; ".join(f"{i.kind.value}: {i.count}" for i in impact.items) or "nothing else"
    body = {
        "type": "urn:fleetpbx:error:confirmation_required",
        "title": "confirmation_required",
        "status": 409,
        "detail": f"removing {impact.subject} {impact.name!r} also removes or leaves: {said}; "
        "repeat with ?confirm=true",
        "code": "confirmation_required",
        "impact": impact_json(impact),
    }
    return web.Response(
        status=409,
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/problem+json",
    )


def typed(data: dict[str, Any], fields: dict[str, type], nullable: tuple[str, ...] = ()) -> None:
    """Each known field of its JSON type (a boolean is not an integer); unknown ones refused."""
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise Problem(422, "invalid_value", f"{unknown[0]}: not a field here", unknown[0])
    for name, kind in fields.items():
        if name not in data or (data[name] is None and name in nullable):
            continue
        value = data[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            wanted = {str: "a string", int: "an integer", bool: "true or false"}[kind]
            raise Problem(422, "invalid_value", f"{name}: {wanted}", name)


def required(data: dict[str, Any], *names: str) -> None:
    for name in names:
        if name not in data:
            raise Problem(422, "invalid_value", f"{name}: required", name)


# -- fleets -----------------------------------------------------------------------------------


async def post_fleet(request: web.Request) -> web.Response:
    account = await operator(request)
    data = await _body(request)
    typed(data, FLEET_FIELDS)
    required(data, "name")
    created = await request.app[SERVICES].fleets.create(_actor(account), **data)
    location = {"Location": f"/api/fleets/{created.id}"}
    return answer(fleet_json(created), status=201, headers=location)


def _held_fleet(request: web.Request, fleet_id: int) -> AbstractAsyncContextManager[model.Fleet]:
    """The fleet, held for a change with its version checked (``If-Match``)."""
    fleets = request.app[SERVICES].fleets
    return held(request, f"fleet:{fleet_id}", lambda: fleets.get(fleet_id), fleet_json, "fleet")


async def get_fleet(request: web.Request) -> web.Response:
    account = await _manager(request)
    return answer(fleet_json(await request.app[SERVICES].fleets.get(_fleet_id(request, account))))


async def patch_fleet(request: web.Request) -> web.Response:
    account = await operator(request)
    fleet_id = _fleet_id(request, account)
    data = await _body(request)
    typed(data, FLEET_FIELDS)
    async with _held_fleet(request, fleet_id):
        changed = await request.app[SERVICES].fleets.update(_actor(account), fleet_id, **data)
    return answer(fleet_json(changed))


async def delete_fleet(request: web.Request) -> web.Response:
    account = await operator(request)
    fleet_id = _fleet_id(request, account)
    services = request.app[SERVICES]
    confirmed = confirm(request)
    async with _held_fleet(request, fleet_id):
        if not confirmed:
            return confirmation_required(await services.impact.of_fleet(fleet_id))
        await services.fleets.delete(_actor(account), fleet_id)
    return web.Response(status=204)


# -- lines ------------------------------------------------------------------------------------


async def post_line(request: web.Request) -> web.Response:
    account = await operator(request)
    fleet_id = _fleet_id(request, account)
    data = await _body(request)
    kinds = {n: bool if s.switch else str for n, s in BY_NAME.items()}
    typed(data, {**dict.fromkeys(LINE_TEXTS, str), **kinds}, NULLABLE)
    required(data, "msisdn", "employee_name")
    texts = {name: data[name] for name in LINE_TEXTS if name in data}
    settings = {s: _setting(data, s) for name, s in BY_NAME.items() if name in data}
    services = request.app[SERVICES]
    created = await services.lines.create(_actor(account), fleet_id, settings=settings, **texts)
    with_services = await services.lines.services_by_id(created.id)  # the line's version
    location = {"Location": f"/api/fleets/{fleet_id}/lines/{created.id}"}
    return answer(
        line_json(created), status=201, versioned=services_json(with_services), headers=location
    )


async def delete_line(request: web.Request) -> web.Response:
    """Remove a line; ``If-Match`` takes the line's version (``GET …/lines/{line_id}``)."""
    account = await operator(request)
    fleet_id = _fleet_id(request, account)
    services = request.app[SERVICES]
    confirmed = confirm(request)
    line_id = int(request.match_info["line_id"])  # checked by _fleet_id

    async def load() -> model.LineServices:
        return await line_of(request, fleet_id)

    async with held(request, f"line:{line_id}", load, services_json, "line") as target:
        if not confirmed:
            return confirmation_required(await services.impact.of_line(target.line.id))
        await services.lines.delete(_actor(account), target.line.id)
    return web.Response(status=204)


# -- fixed numbers ----------------------------------------------------------------------------


async def _fixed_in(request: web.Request, fleet_id: int) -> model.FixedNumber:
    fixed_id = int(request.match_info["fixed_id"])  # checked by _fleet_id
    found = await request.app[SERVICES].fleets.fixed_numbers(fleet_id)
    for fixed in found:
        if fixed.id == fixed_id:
            return fixed
    raise Problem(404, "not_found", "fixed number: not found")


def _held_fixed(
    request: web.Request, fleet_id: int
) -> AbstractAsyncContextManager[model.FixedNumber]:
    """The fixed number of the path, held for a change with its version checked."""
    key = f"fixed:{request.match_info['fixed_id']}"
    return held(request, key, lambda: _fixed_in(request, fleet_id), fixed_json, "fixed number")


async def get_fixed(request: web.Request) -> web.Response:
    account = await _manager(request)
    return answer(fixed_json(await _fixed_in(request, _fleet_id(request, account))))


async def fixed_numbers(request: web.Request) -> web.Response:
    account = await _manager(request)
    found = await request.app[SERVICES].fleets.fixed_numbers(_fleet_id(request, account))
    return web.json_response([fixed_json(f) for f in found])


async def post_fixed(request: web.Request) -> web.Response:
    account = await operator(request)
    fleet_id = _fleet_id(request, account)
    data = await _body(request)
    typed(data, dict.fromkeys(FIXED_TEXTS, str), ("short_number",))
    required(data, "number", "label", "trunk")
    created = await request.app[SERVICES].fleets.add_fixed_number(_actor(account), fleet_id, **data)
    location = {"Location": f"/api/fleets/{fleet_id}/fixed-numbers/{created.id}"}
    return answer(fixed_json(created), status=201, headers=location)


async def patch_fixed(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    await _fixed_in(request, fleet_id)  # not found before a faulty body
    data = await _body(request)
    typed(data, dict.fromkeys(FIXED_TEXTS[1:], str), ("short_number",))
    changes = {name: data.get(name, UNSET) for name in FIXED_TEXTS[1:]}
    async with _held_fixed(request, fleet_id) as fixed:
        changed = await request.app[SERVICES].fleets.update_fixed_number(
            _actor(account), fixed.id, **changes
        )
    return answer(fixed_json(changed))


async def delete_fixed(request: web.Request) -> web.Response:
    account = await operator(request)
    async with _held_fixed(request, _fleet_id(request, account)) as fixed:
        await request.app[SERVICES].fleets.remove_fixed_number(_actor(account), fixed.id)
    return web.Response(status=204)


ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/api/fleets", post_fleet),
    ("GET", "/api/fleets/{fleet_id}", get_fleet),
    ("PATCH", "/api/fleets/{fleet_id}", patch_fleet),
    ("DELETE", "/api/fleets/{fleet_id}", delete_fleet),
    ("POST", "/api/fleets/{fleet_id}/lines", post_line),
    ("DELETE", "/api/fleets/{fleet_id}/lines/{line_id}", delete_line),
    ("GET", "/api/fleets/{fleet_id}/fixed-numbers", fixed_numbers),
    ("POST", "/api/fleets/{fleet_id}/fixed-numbers", post_fixed),
    ("GET", "/api/fleets/{fleet_id}/fixed-numbers/{fixed_id}", get_fixed),
    ("PATCH", "/api/fleets/{fleet_id}/fixed-numbers/{fixed_id}", patch_fixed),
    ("DELETE", "/api/fleets/{fleet_id}/fixed-numbers/{fixed_id}", delete_fixed),
]


def setup(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
