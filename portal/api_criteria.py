"""The REST API's routing criteria (issue 16 item 2): when a line's incoming-call list, each
of its forwardings and its do-not-disturb, and a group's routing apply — up to
``MAX_CRITERIA`` criteria per rule, in order (seed 001's "Liste de critères"), each named,
switched on or off, during a schedule of the fleet, for some callers. Read; the whole list
set (``PUT`` with ``criteria``; a body of one criterion's fields: that one alone); one
criterion added (``POST``), changed (``PUT .../{number}``) or removed (``DELETE
.../{number}``: the later ones move up); all removed (``DELETE``: the rule always applies
again) — by the fleet's manager. Registered by ``portal.setup``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fleet.core.criteria import LINE_TARGETS, Criteria, CriteriaTarget
from fleet.services.criteria import RuleRef
from portal.api import Problem, _actor, _body, _fleet_id, _manager
from portal.pages import SERVICES, group_of, line_in

FIELDS = ("name", "active", "schedule_id", "callers", "numbers")
TARGETS = {t.value: t for t in LINE_TARGETS}


def criterion_json(number: int, criterion: Criteria) -> dict[str, Any]:
    return {
        "number": number,
        "name": criterion.name,
        "active": criterion.active,
        "schedule_id": criterion.schedule_id,
        "callers": criterion.callers.value,
        "numbers": [n.value for n in criterion.numbers],
    }


def criteria_json(target: CriteriaTarget, criteria: tuple[Criteria, ...]) -> dict[str, Any]:
    """A rule's criteria in order; a rule without any applies always (``always`` true)."""
    return {
        "target": target.value,
        "always": not criteria,
        "criteria": [criterion_json(n, c) for n, c in enumerate(criteria, start=1)],
    }


def _invalid(field: str, expected: str) -> Problem:
    return Problem(422, "invalid_value", f"{field}: {expected}", field)


def _criterion(request: web.Request, data: object, at: str = "") -> Criteria:
    if not isinstance(data, dict):
        raise _invalid(at or "criteria", "an object")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise _invalid(at + unknown[0], "not a field of a criterion")
    schedule_id = data.get("schedule_id")
    if schedule_id is not None and (type(schedule_id) is not int or schedule_id <= 0):
        raise _invalid(at + "schedule_id", "a schedule's id or null")
    callers = data.get("callers", "any")
    if not isinstance(callers, str):
        raise _invalid(at + "callers", "any, numbers, hidden, inside_vpn or outside_vpn")
    numbers = data.get("numbers", [])
    if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
        raise _invalid(at + "numbers", "a list of numbers (strings)")
    name = data.get("name", "")
    if not isinstance(name, str):
        raise _invalid(at + "name", "a string")
    active = data.get("active", True)
    if not isinstance(active, bool):
        raise _invalid(at + "active", "true or false")
    return request.app[SERVICES].criteria.check(
        schedule_id, callers, numbers, name=name, active=active
    )


async def _rule(request: web.Request) -> tuple[RuleRef, Any]:
    """The rule of the path (a line's ``target``, or the group's) and the manager."""
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    if "line_id" in request.match_info:
        line = await line_in(request, fleet_id)
        found = TARGETS.get(request.match_info["target"])
        if found is None:
            raise Problem(404, "not_found", "target: not a rule of a line")
        return RuleRef(found, line_id=line.id), account
    group = await group_of(request, fleet_id)
    return RuleRef.of_group(group.id), account


def _number(request: web.Request) -> int:
    text = request.match_info["number"]
    if not text.isdigit() or not 0 < int(text) <= 1000:
        raise Problem(404, "not_found", "number: not a criterion of the rule")
    return int(text)


async def line_criteria(request: web.Request) -> web.Response:
    account = await _manager(request)
    line = await line_in(request, _fleet_id(request, account))
    held = {c.target: c.criteria for c in await request.app[SERVICES].criteria.of_line(line.id)}
    return web.json_response([criteria_json(t, held.get(t, ())) for t in LINE_TARGETS])


async def group_criteria(request: web.Request) -> web.Response:
    rule, _ = await _rule(request)
    found = await request.app[SERVICES].criteria.of_rule(rule)
    return web.json_response(criteria_json(rule.target, found))


async def put_criteria(request: web.Request) -> web.Response:
    rule, account = await _rule(request)
    data = await _body(request)
    service = request.app[SERVICES].criteria
    if "criteria" in data:
        unknown = sorted(set(data) - {"criteria"})
        if unknown:
            raise _invalid(unknown[0], "criteria goes alone")
        listed = data["criteria"]
        if not isinstance(listed, list):
            raise _invalid("criteria", "a list of criteria")
        wanted = [_criterion(request, one, f"criteria.{i}.") for i, one in enumerate(listed)]
        saved = await service.replace(_actor(account), rule, wanted)
    else:  # one criterion's fields: that criterion alone (always matching: none)
        one = _criterion(request, data)
        plain = one.always and one.active and not one.name
        saved = await service.replace(_actor(account), rule, () if plain else (one,))
    return web.json_response(criteria_json(rule.target, saved))


async def add_criterion(request: web.Request) -> web.Response:
    rule, account = await _rule(request)
    one = _criterion(request, await _body(request))
    saved = await request.app[SERVICES].criteria.add(_actor(account), rule, one)
    return web.json_response(criteria_json(rule.target, saved), status=201)


async def edit_criterion(request: web.Request) -> web.Response:
    rule, account = await _rule(request)
    number = _number(request)
    one = _criterion(request, await _body(request))
    saved = await request.app[SERVICES].criteria.edit(_actor(account), rule, number, one)
    return web.json_response(criteria_json(rule.target, saved))


async def remove_criterion(request: web.Request) -> web.Response:
    rule, account = await _rule(request)
    number = _number(request)
    await request.app[SERVICES].criteria.remove(_actor(account), rule, number)
    return web.Response(status=204)


async def delete_criteria(request: web.Request) -> web.Response:
    rule, account = await _rule(request)
    await request.app[SERVICES].criteria.replace(_actor(account), rule, ())
    return web.Response(status=204)


LINE = "/api/fleets/{fleet_id}/lines/{line_id}/criteria"
GROUP = "/api/fleets/{fleet_id}/groups/{group_id}/criteria"
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", LINE, line_criteria),
    ("PUT", LINE + "/{target}", put_criteria),
    ("POST", LINE + "/{target}", add_criterion),
    ("DELETE", LINE + "/{target}", delete_criteria),
    ("PUT", LINE + "/{target}/{number}", edit_criterion),
    ("DELETE", LINE + "/{target}/{number}", remove_criterion),
    ("GET", GROUP, group_criteria),
    ("PUT", GROUP, put_criteria),
    ("POST", GROUP, add_criterion),
    ("DELETE", GROUP, delete_criteria),
    ("PUT", GROUP + "/{number}", edit_criterion),
    ("DELETE", GROUP + "/{number}", remove_criterion),
]


def setup(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
