"""The fleet's call log in the manager portal: searched by number, date range (days in the
fleet's time zone) and outcome, a page at a time (keyset: "next" carries where the page
ended), and exported as CSV with the same search."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from fleet.core import model
from fleet.core.errors import DomainError
from fleet.core.values import CallOutcome
from portal import calllog, calls_view
from portal.i18n import translator
from portal.pages import SERVICES, fleet_id_of, manager, render

PAGE = 50


def _filters(request: web.Request) -> dict[str, str]:
    return {name: request.query.get(name, "").strip() for name in calllog.FILTERS}


def _row(record: model.CallRecord, timezone: str) -> dict[str, str]:
    hidden = calllog.hidden_caller(record)
    json = calllog.record_json(record, timezone)
    duration = json["duration"]
    return {
        "when": calls_view.local_time(record.offered_at, timezone),
        "caller": "" if hidden else calls_view.number(record.caller),
        "hidden": "1" if hidden else "",
        "called": calls_view.number(record.called),
        "outcome": json["outcome"] or "",
        "duration": "" if duration is None else f"{duration // 60}:{duration % 60:02d}",
        "events": ",".join(json["events"]),
    }


async def calls(request: web.Request) -> web.Response:
    account = await manager(request)
    services = request.app[SERVICES]
    fleet = await services.fleets.get(fleet_id_of(request, account))
    filters = _filters(request)
    error, rows, following = None, [], None
    try:
        where = calllog.parse_filter(filters, fleet.id, fleet.timezone)
        cursor = request.query.get("cursor")
        after = calllog.decode_cursor(cursor) if cursor else None
        page = await services.calls.log(where, after=after, limit=PAGE)
    except calllog.FilterError as exc:
        error = f"{translator(account.language)['filter_invalid']} ({exc.field})"
    except DomainError as exc:
        error = exc.message(account.language)
    else:
        rows = [_row(record, fleet.timezone) for record in page.items]
        if page.next is not None:
            following = urlencode({**filters, "cursor": calllog.encode_cursor(page.next)})
    return await render(
        request,
        "fleet_calls.html",
        account,
        fleet=fleet,
        rows=rows,
        filters=filters,
        outcomes=[o.value for o in CallOutcome],
        error=error,
        next_query=following,
        first_query=urlencode(filters),
        first=not request.query.get("cursor"),
        status=400 if error else 200,
    )


async def calls_csv(request: web.Request) -> web.StreamResponse:
    account = await manager(request)
    services = request.app[SERVICES]
    fleet = await services.fleets.get(fleet_id_of(request, account))
    try:
        where = calllog.parse_filter(_filters(request), fleet.id, fleet.timezone)
        page = await services.calls.log(where, limit=calllog.CSV_PAGE)
    except (calllog.FilterError, DomainError) as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    return await calllog.stream_csv(request, services, fleet, where, page.items, page.next)


def routes(app: web.Application) -> None:
    app.router.add_get("/portal/fleets/{fleet_id}/calls", calls)
    app.router.add_get("/portal/fleets/{fleet_id}/calls.csv", calls_csv)
