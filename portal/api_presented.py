"""The REST API's presented number (issue 16 item 4): the fleet's main number, read and set
by its manager; a line's choice of what its outgoing calls present (``line``, ``main``, or
``group`` with the group's id), read with the choices it is allowed, and set. A refused
choice (no main number yet, a group the line is no member of) is a problem writing nothing.
Registered by ``portal.setup``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import E164
from fleet.core.presented import PresentedKind, PresentedNumber
from portal.api import Problem, _actor, _body, _fleet_id, _manager
from portal.pages import SERVICES, line_of

KINDS = ", ".join(k.value for k in PresentedKind)


def choice_json(choice: PresentedNumber, number: E164 | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": choice.kind.value, "group_id": choice.group_id}
    if number is not None:
        out["number"] = number.value
    return out


def main_number_json(fleet: model.Fleet) -> dict[str, Any]:
    main = fleet.main_number
    return {
        "main_number": main.value if main else None,
        "national": main.national() if main else None,
    }


async def get_main_number(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet = await request.app[SERVICES].fleets.get(_fleet_id(request, account))
    return web.json_response(main_number_json(fleet))


async def put_main_number(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    data = await _body(request)
    if set(data) != {"main_number"}:
        raise Problem(422, "invalid_value", "main_number: the only field", "main_number")
    number = data["main_number"]
    if number is not None and not isinstance(number, str):
        raise Problem(422, "invalid_value", "main_number: a string or null", "main_number")
    fleet = await request.app[SERVICES].presented.set_main_number(_actor(account), fleet_id, number)
    return web.json_response(main_number_json(fleet))


async def _presented_json(request: web.Request, line: model.Line) -> dict[str, Any]:
    choices = await request.app[SERVICES].presented.choices(line.id)
    return {
        **choice_json(line.presented),
        "choices": [choice_json(choice, number) for choice, number in choices],
    }


async def get_presented(request: web.Request) -> web.Response:
    account = await _manager(request)
    found = await line_of(request, _fleet_id(request, account))
    return web.json_response(await _presented_json(request, found.line))


def parse_choice(data: dict[str, Any]) -> PresentedNumber:
    """A choice from its JSON (``kind``, and ``group_id`` for a group)."""
    unknown = sorted(set(data) - {"kind", "group_id"})
    if unknown:
        raise Problem(422, "invalid_value", f"{unknown[0]}: not a field", unknown[0])
    kind, group_id = data.get("kind"), data.get("group_id")
    if not isinstance(kind, str) or kind not in {k.value for k in PresentedKind}:
        raise DomainError(
            ErrorCode.PRESENTED_CHOICE_INVALID, field="kind", value=str(kind), allowed=KINDS
        )
    if PresentedKind(kind) is PresentedKind.GROUP:
        if not isinstance(group_id, int) or isinstance(group_id, bool) or group_id < 1:
            raise Problem(422, "invalid_value", "group_id: the group's id", "group_id")
        return PresentedNumber.of(PresentedKind.GROUP, group_id)
    if group_id is not None:
        raise Problem(422, "invalid_value", "group_id: only with the kind group", "group_id")
    return PresentedNumber(PresentedKind(kind))


async def put_presented(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    choice = parse_choice(await _body(request))
    found = await line_of(request, fleet_id)
    line = await request.app[SERVICES].presented.choose(_actor(account), found.line.id, choice)
    return web.json_response(await _presented_json(request, line))


ROUTES = [
    ("GET", "/api/fleets/{fleet_id}/main-number", get_main_number),
    ("PUT", "/api/fleets/{fleet_id}/main-number", put_main_number),
    ("GET", "/api/fleets/{fleet_id}/lines/{line_id}/presented", get_presented),
    ("PUT", "/api/fleets/{fleet_id}/lines/{line_id}/presented", put_presented),
]


def setup(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
