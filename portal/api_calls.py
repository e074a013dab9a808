"""The REST API's call logs and audit journal of a fleet (read only).

The call log of the fleet and of one of its lines, newest first, filtered by ``number`` (a
party), ``since`` / ``until`` (dates or times; a date is a day in the fleet's time zone,
``until`` included) and ``outcome``; paged by keyset: ``limit`` records, and ``next_cursor``
to pass as ``cursor`` for the next page (null on the last). As CSV (``Accept: text/csv`` or
``?format=csv``): every record of the filter, UTF-8, ``;``-separated, national numbers with
their leading 0, times in the fleet's time zone. The audit journal of the fleet, newest first,
paged by ``offset`` / ``limit``. Times in JSON are ISO-8601 with the fleet's offset."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fleet.core import model
from fleet.services.audit import PAGE_MAX as AUDIT_PAGE_MAX
from fleet.services.audit import AuditFilter
from fleet.services.calls import PAGE_MAX, CallCursor, CallFilter
from portal import calllog
from portal.api import Problem, _fleet_id, _manager, _query_int
from portal.openapi import OFFSET_MAX
from portal.pages import SERVICES, line_of


def _wants_csv(request: web.Request) -> bool:
    fmt = request.query.get("format")
    if fmt is not None and fmt not in ("json", "csv"):
        raise Problem(400, "invalid_query", "format: json or csv", "format")
    if fmt is not None:
        return fmt == "csv"
    accepted = request.headers.get("Accept", "")
    return calllog.CSV_TYPE in accepted and "application/json" not in accepted


async def _log(request: web.Request, fleet: model.Fleet, line: str | None) -> web.StreamResponse:
    limit = _query_int(request, "limit", 50, 1, PAGE_MAX)
    try:
        where = calllog.parse_filter(request.query, fleet.id, fleet.timezone, line=line)
        cursor = request.query.get("cursor")
        after = calllog.decode_cursor(cursor) if cursor is not None else None
    except calllog.FilterError as exc:  # of the documented shape, but no day or no cursor
        raise Problem(422, "invalid_query", exc.detail, exc.field) from exc
    calls = request.app[SERVICES].calls
    if _wants_csv(request):
        return await _csv(request, fleet, where, after)
    page = await calls.log(where, after=after, limit=limit)
    return web.json_response(
        {
            "items": [calllog.record_json(r, fleet.timezone) for r in page.items],
            "next_cursor": calllog.encode_cursor(page.next) if page.next else None,
        }
    )


async def _csv(
    request: web.Request, fleet: model.Fleet, where: CallFilter, after: CallCursor | None
) -> web.StreamResponse:
    """Every record of the filter from the cursor on (a refusal comes before any byte)."""
    services = request.app[SERVICES]
    page = await services.calls.log(where, after=after, limit=calllog.CSV_PAGE)
    return await calllog.stream_csv(request, services, fleet, where, page.items, page.next)


async def fleet_calls(request: web.Request) -> web.StreamResponse:
    account = await _manager(request)
    fleet = await request.app[SERVICES].fleets.get(_fleet_id(request, account))
    return await _log(request, fleet, None)


async def line_calls(request: web.Request) -> web.StreamResponse:
    account = await _manager(request)
    fleet = await request.app[SERVICES].fleets.get(_fleet_id(request, account))
    found = await line_of(request, fleet.id)
    return await _log(request, fleet, found.line.msisdn.value)


def entry_json(entry: model.AuditEntry, timezone: str) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.astimezone(calllog.zone(timezone)).isoformat(),
        "actor": entry.actor,
        "channel": entry.channel.value,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "action": entry.action.value,
        "before": entry.before,
        "after": entry.after,
    }


async def audit(request: web.Request) -> web.Response:
    account = await _manager(request)
    services = request.app[SERVICES]
    fleet = await services.fleets.get(_fleet_id(request, account))
    offset = _query_int(request, "offset", 0, 0, OFFSET_MAX)
    limit = _query_int(request, "limit", 50, 1, AUDIT_PAGE_MAX)
    found = await services.audit.search(AuditFilter(fleet_id=fleet.id), offset=offset, limit=limit)
    return web.json_response(
        {
            "total": found.total,
            "offset": found.offset,
            "limit": found.limit,
            "items": [entry_json(e, fleet.timezone) for e in found.items],
        }
    )


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/fleets/{fleet_id}/calls", fleet_calls),
    ("GET", "/api/fleets/{fleet_id}/lines/{line_id}/calls", line_calls),
    ("GET", "/api/fleets/{fleet_id}/audit", audit),
]


def setup(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
