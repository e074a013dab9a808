"""The REST API's activity monitor (issue 16 item 8): a fleet's live activity — each call
group's members and what they are doing, its queue and the longest wait, each schedule's
verdict now — or one group's. Read from the ``ActivityMonitor`` use case the composition
root attaches (``MONITOR``); on a process that does not own the fleet's calls (issue 15)
``live.source`` says where the live state is and ``groups`` is null, never empty. Registered
by ``portal.setup``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fleet.core import schedules as sch
from fleet.core.activity import FleetActivity, GroupActivity, ScheduleNow
from fleet.core.errors import DomainError
from fleet.services.monitor import ActivityMonitor
from portal.api import Problem, _fleet_id, _manager
from portal.pages import SERVICES

MONITOR = web.AppKey("portal_monitor", ActivityMonitor)  # set when the call exchange starts


def schedule_json(now: ScheduleNow) -> dict[str, Any]:
    return {
        "id": now.schedule_id,
        "name": now.name,
        "open": now.open,
        "rule": now.rule.value,
        "opposite_of": now.opposite_of,
        "range": (
            {
                "day": now.range.day.name.lower(),
                "start": sch.clock(now.range.start),
                "end": sch.clock(now.range.end),
            }
            if now.range is not None
            else None
        ),
        "holiday": now.holiday.label if now.holiday is not None else None,
    }


def group_json(group: GroupActivity, snapshot: FleetActivity) -> dict[str, Any]:
    wait = group.longest_wait(snapshot.at)
    return {
        "id": group.group_id,
        "name": group.name,
        "number": group.number.value,
        "short_number": group.short_number,
        "queue_length": group.queue_length,
        "queue_size": group.queue_size,
        "waiting_since": group.waiting_since.isoformat() if group.waiting_since else None,
        "longest_wait_seconds": int(wait.total_seconds()) if wait is not None else None,
        "schedule": schedule_json(group.schedule) if group.schedule is not None else None,
        "members": [
            {
                "line_id": m.line_id,
                "msisdn": m.msisdn.value,
                "name": m.employee_name,
                "position": m.position,
                "connected": m.connected,
                "state": m.state.value,
                "rest_until": m.rest_until.isoformat() if m.rest_until else None,
            }
            for m in group.members
        ],
    }


def monitor_json(snapshot: FleetActivity) -> dict[str, Any]:
    return {
        "fleet_id": snapshot.fleet_id,
        "at": snapshot.at.isoformat(),
        "local_time": snapshot.local.isoformat(),
        "timezone": snapshot.timezone,
        "live": {"source": snapshot.source.value, "owner_process": snapshot.owner_process},
        "groups": (
            [group_json(g, snapshot) for g in snapshot.groups]
            if snapshot.groups is not None
            else None
        ),
        "schedules": [schedule_json(s) for s in snapshot.schedules],
    }


async def _snapshot(request: web.Request) -> FleetActivity:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    try:
        return await request.app[MONITOR].snapshot(fleet_id)
    except DomainError as exc:
        raise Problem(404, "not_found", "fleet_id: not found") from exc


async def monitor(request: web.Request) -> web.Response:
    return web.json_response(monitor_json(await _snapshot(request)))


async def group_monitor(request: web.Request) -> web.Response:
    """One group's activity (the fleet's schedules with it); another fleet's group is not
    found, on every process."""
    snapshot = await _snapshot(request)
    group_id = int(request.match_info["group_id"])  # its form checked by ``_fleet_id``
    try:
        group = await request.app[SERVICES].groups.get(group_id)
    except DomainError as exc:
        raise Problem(404, "not_found", "group_id: not found") from exc
    if group.fleet_id != snapshot.fleet_id:
        raise Problem(404, "not_found", "group_id: not found")
    body = monitor_json(snapshot)
    if body["groups"] is not None:
        body["groups"] = [g for g in body["groups"] if g["id"] == group_id]
    return web.json_response(body)


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/fleets/{fleet_id}/monitor", monitor),
    ("GET", "/api/fleets/{fleet_id}/groups/{group_id}/monitor", group_monitor),
]


def setup(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
