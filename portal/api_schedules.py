"""The REST API's schedules of a fleet (issue 16 item 1): listed, created (with the opposite
schedule when asked), read, changed and deleted by the fleet's manager; a schedule's verdict
(open or closed, and which rule said so) at an instant. Times are ``HH:MM`` (``24:00`` ends a
day), days ``monday`` … ``sunday``, dates ISO. Registered by ``portal.setup``."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from aiohttp import web

from fleet.core import schedules as sch
from fleet.core.schedules import Holiday, Schedule, TimeRange, Verdict, Weekday
from fleet.core.values import UNSET
from portal.api import Problem, _actor, _body, _fleet_id, _manager
from portal.pages import SERVICES

NEW_FIELDS = ("name", "ranges", "holidays", "with_opposite")
CHANGE_FIELDS = ("name", "ranges", "holidays")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DAYS = {day.name.lower(): day for day in Weekday}


def schedule_json(schedule: Schedule) -> dict[str, Any]:
    return {
        "id": schedule.id,
        "name": schedule.name,
        "opposite_of": schedule.opposite_of,
        "ranges": [
            {"day": r.day.name.lower(), "start": sch.clock(r.start), "end": sch.clock(r.end)}
            for r in schedule.ranges
        ],
        "holidays": [
            {
                "label": h.label,
                "first": h.first.isoformat(),
                "last": h.last.isoformat(),
                "yearly": h.yearly,
            }
            for h in schedule.holidays
        ],
    }


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    return {
        "open": verdict.open,
        "rule": verdict.rule.value,
        "local_time": verdict.local.isoformat(),
        "inverted": verdict.inverted,
        "range": (
            {"start": sch.clock(verdict.range.start), "end": sch.clock(verdict.range.end)}
            if verdict.range
            else None
        ),
        "holiday": verdict.holiday.label if verdict.holiday else None,
    }


def _invalid(field: str, expected: str) -> Problem:
    return Problem(422, "invalid_value", f"{field}: {expected}", field)


def _object(item: Any, field: str, keys: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(item, dict) or not item.keys() <= keys or not required <= item.keys():
        raise _invalid(field, f"an object with {', '.join(sorted(required))}")
    return item


def _ranges(raw: Any) -> list[TimeRange]:
    if not isinstance(raw, list):
        raise _invalid("ranges", "a list")
    found = []
    for item in raw:
        entry = _object(item, "ranges", {"day", "start", "end"}, {"day", "start", "end"})
        day, start, end = entry["day"], entry["start"], entry["end"]
        if not isinstance(day, str) or day not in DAYS:
            raise _invalid("ranges", "day monday…sunday, start and end HH:MM")
        if not isinstance(start, str) or not isinstance(end, str):
            raise _invalid("ranges", "day monday…sunday, start and end HH:MM")
        found.append(
            TimeRange(
                day=DAYS[day],
                start=sch.parse_clock(start, field="ranges"),
                end=sch.parse_clock(end, field="ranges"),
            )
        )
    return found


def _date(raw: Any) -> date:
    if not isinstance(raw, str) or not ISO_DATE.fullmatch(raw):
        raise _invalid("holidays", "dates as YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise _invalid("holidays", "dates as YYYY-MM-DD") from exc


def _holidays(raw: Any) -> list[Holiday]:
    if not isinstance(raw, list):
        raise _invalid("holidays", "a list")
    found = []
    for item in raw:
        entry = _object(item, "holidays", {"label", "first", "last", "yearly"}, {"first"})
        label, yearly = entry.get("label", ""), entry.get("yearly", False)
        if not isinstance(label, str) or not isinstance(yearly, bool):
            raise _invalid("holidays", "a label (string) and yearly (boolean)")
        first = _date(entry["first"])
        last = _date(entry["last"]) if "last" in entry else first
        found.append(Holiday(label=label, first=first, last=last, yearly=yearly))
    return found


def _fields(data: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise _invalid(unknown[0], "not a field of a schedule")
    fields: dict[str, Any] = {}
    if "name" in data:
        if not isinstance(data["name"], str):
            raise _invalid("name", "a string")
        fields["name"] = data["name"]
    if "ranges" in data:
        fields["ranges"] = _ranges(data["ranges"])
    if "holidays" in data:
        fields["holidays"] = _holidays(data["holidays"])
    if "with_opposite" in data:
        if not isinstance(data["with_opposite"], bool):
            raise _invalid("with_opposite", "a boolean")
        fields["with_opposite"] = data["with_opposite"]
    return fields


async def _schedule_in(request: web.Request, fleet_id: int) -> Schedule:
    found = await request.app[SERVICES].schedules.get(int(request.match_info["schedule_id"]))
    if found.fleet_id != fleet_id:
        raise Problem(404, "not_found", "schedule: not found")
    return found


async def schedules(request: web.Request) -> web.Response:
    account = await _manager(request)
    found = await request.app[SERVICES].schedules.in_fleet(_fleet_id(request, account))
    return web.json_response([schedule_json(s) for s in found])


async def post_schedule(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    fields = _fields(await _body(request), NEW_FIELDS)
    if "name" not in fields:
        raise _invalid("name", "a string")
    created = await request.app[SERVICES].schedules.create(_actor(account), fleet_id, **fields)
    response = web.json_response(schedule_json(created), status=201)
    response.headers["Location"] = f"/api/fleets/{fleet_id}/schedules/{created.id}"
    return response


async def schedule(request: web.Request) -> web.Response:
    account = await _manager(request)
    return web.json_response(
        schedule_json(await _schedule_in(request, _fleet_id(request, account)))
    )


async def patch_schedule(request: web.Request) -> web.Response:
    account = await _manager(request)
    found = await _schedule_in(request, _fleet_id(request, account))
    fields = _fields(await _body(request), CHANGE_FIELDS)
    changes = {name: fields.get(name, UNSET) for name in CHANGE_FIELDS}
    changed = await request.app[SERVICES].schedules.update(_actor(account), found.id, **changes)
    return web.json_response(schedule_json(changed))


async def delete_schedule(request: web.Request) -> web.Response:
    account = await _manager(request)
    found = await _schedule_in(request, _fleet_id(request, account))
    await request.app[SERVICES].schedules.delete(_actor(account), found.id)
    return web.Response(status=204)


async def schedule_verdict(request: web.Request) -> web.Response:
    account = await _manager(request)
    found = await _schedule_in(request, _fleet_id(request, account))
    at: datetime | None = None
    if "at" in request.query:
        try:
            at = datetime.fromisoformat(request.query["at"])
        except ValueError as exc:
            raise _invalid("at", "an ISO 8601 instant with its offset") from exc
        if at.tzinfo is None or at.utcoffset() is None:
            raise _invalid("at", "an ISO 8601 instant with its offset")
    verdict = await request.app[SERVICES].schedules.verdict(found.id, at)
    return web.json_response(verdict_json(verdict))


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/fleets/{fleet_id}/schedules", schedules),
    ("POST", "/api/fleets/{fleet_id}/schedules", post_schedule),
    ("GET", "/api/fleets/{fleet_id}/schedules/{schedule_id}", schedule),
    ("PATCH", "/api/fleets/{fleet_id}/schedules/{schedule_id}", patch_schedule),
    ("DELETE", "/api/fleets/{fleet_id}/schedules/{schedule_id}", delete_schedule),
    ("GET", "/api/fleets/{fleet_id}/schedules/{schedule_id}/verdict", schedule_verdict),
]


def setup(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
