"""The REST API's routing criteria (issue 16 item 2): when a line's incoming-call list, each
of its forwardings and its do-not-disturb, and a group's routing apply — during a schedule
of the fleet, for some callers. Read, set (``PUT``) and removed (``DELETE``: the rule always
applies again) by the fleet's manager. Registered by ``portal.setup``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fleet.core.criteria import LINE_TARGETS, Criteria, CriteriaTarget
from portal.api import Problem, _actor, _body, _fleet_id, _manager
from portal.pages import SERVICES, group_of, line_in

FIELDS = ("schedule_id", "callers", "numbers")
TARGETS = {t.value: t for t in LINE_TARGETS}


def criteria_json(target: CriteriaTarget, criteria: Criteria | None) -> dict[str, Any]:
    """A rule's criteria; a rule without any applies always (``always`` true)."""
    found = criteria or Criteria()
    return {
        "target": target.value,
        "always": found.always,
        "schedule_id": found.schedule_id,
        "callers": found.callers.value,
        "numbers": [n.value for n in found.numbers],
    }


def _invalid(field: str, expected: str) -> Problem:
    return Problem(422, "invalid_value", f"{field}: {expected}", field)


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise _invalid(unknown[0], "not a field of criteria")
    fields: dict[str, Any] = {}
    schedule_id = data.get("schedule_id")
    if schedule_id is not None and (type(schedule_id) is not int or schedule_id <= 0):
        raise _invalid("schedule_id", "a schedule's id or null")
    fields["schedule_id"] = schedule_id
    callers = data.get("callers", "any")
    if not isinstance(callers, str):
        raise _invalid("callers", "any, numbers, hidden, inside_vpn or outside_vpn")
    fields["callers"] = callers
    numbers = data.get("numbers", [])
    if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
        raise _invalid("numbers", "a list of numbers (strings)")
    fields["numbers"] = numbers
    return fields


def _target(request: web.Request) -> CriteriaTarget:
    found = TARGETS.get(request.match_info["target"])
    if found is None:
        raise Problem(404, "not_found", "target: not a rule of a line")
    return found


async def line_criteria(request: web.Request) -> web.Response:
    account = await _manager(request)
    line = await line_in(request, _fleet_id(request, account))
    held = {c.target: c.criteria for c in await request.app[SERVICES].criteria.of_line(line.id)}
    return web.json_response([criteria_json(t, held.get(t)) for t in LINE_TARGETS])


async def put_line_criteria(request: web.Request) -> web.Response:
    account = await _manager(request)
    line = await line_in(request, _fleet_id(request, account))
    target = _target(request)
    fields = _fields(await _body(request))
    saved = await request.app[SERVICES].criteria.set_line(
        _actor(account), line.id, target, **fields
    )
    return web.json_response(criteria_json(target, None if saved.always else saved))


async def delete_line_criteria(request: web.Request) -> web.Response:
    account = await _manager(request)
    line = await line_in(request, _fleet_id(request, account))
    target = _target(request)
    await request.app[SERVICES].criteria.clear_line(_actor(account), line.id, target)
    return web.Response(status=204)


async def group_criteria(request: web.Request) -> web.Response:
    account = await _manager(request)
    group = await group_of(request, _fleet_id(request, account))
    found = await request.app[SERVICES].criteria.of_group(group.id)
    return web.json_response(criteria_json(CriteriaTarget.GROUP, found))


async def put_group_criteria(request: web.Request) -> web.Response:
    account = await _manager(request)
    group = await group_of(request, _fleet_id(request, account))
    fields = _fields(await _body(request))
    saved = await request.app[SERVICES].criteria.set_group(_actor(account), group.id, **fields)
    return web.json_response(criteria_json(CriteriaTarget.GROUP, None if saved.always else saved))


async def delete_group_criteria(request: web.Request) -> web.Response:
    account = await _manager(request)
    group = await group_of(request, _fleet_id(request, account))
    await request.app[SERVICES].criteria.clear_group(_actor(account), group.id)
    return web.Response(status=204)


LINE = "/api/fleets/{fleet_id}/lines/{line_id}/criteria"
GROUP = "/api/fleets/{fleet_id}/groups/{group_id}/criteria"
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", LINE, line_criteria),
    ("PUT", LINE + "/{target}", put_line_criteria),
    ("DELETE", LINE + "/{target}", delete_line_criteria),
    ("GET", GROUP, group_criteria),
    ("PUT", GROUP, put_group_criteria),
    ("DELETE", GROUP, delete_group_criteria),
]


def setup(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
