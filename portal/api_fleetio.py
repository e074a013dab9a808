"""The REST API's bulk import and export of a fleet (``fleet.services.fleetio``): the fleet's
lines as CSV, or its whole configuration as JSON. The fleet's managers only. Registered by
``portal.setup`` next to ``portal.api``'s routes.

``GET /api/fleets/{fleet_id}/export?format=csv|json`` answers the file;
``POST /api/fleets/{fleet_id}/import?format=csv|json[&dry_run=true]`` takes the file as the
body (the format from ``format``, else from the Content-Type) and answers the report: 200
when applied (or previewed, or nothing to change); 422, a problem+json (code
``import_rows_faulty``) carrying the same report with every faulty row (nothing written).
An import's body may be up to ``IMPORT_MAX_BYTES`` (a 100,000-line fleet), not the 1 MiB of
every other request; over it, 413."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from fleet.core.values import Language
from fleet.services.fleetio import decode
from fleet.services.fleetio_spec import Format, report_dict
from portal.api import Problem, _actor, _fleet_id, _manager
from portal.pages import SERVICES

MEDIA = {Format.CSV: "text/csv", Format.JSON: "application/json"}
FAULTY = "import_rows_faulty"  # the problem's code: the faults are in ``faults``
BOOLEANS = {"true": True, "false": False, "1": True, "0": False}
IMPORT_MAX_BYTES = 64 * 1024 * 1024  # an import's body (API and portal upload)


def _format(request: web.Request, *, default: Format | None) -> Format:
    text = request.query.get("format")
    if text is None:
        by_type = {media: fmt for fmt, media in MEDIA.items()}
        found = by_type.get(request.content_type) or default
        if found is None:
            raise Problem(400, "invalid_query", "format: csv or json", "format")
        return found
    try:
        return Format(text)
    except ValueError:
        raise Problem(400, "invalid_query", "format: csv or json", "format") from None


def _language(request: web.Request, fallback: Language) -> Language:
    wanted = request.headers.get("Accept-Language", "")[:2].lower()
    return Language(wanted) if wanted in {"fr", "en"} else fallback


async def export(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    fmt = _format(request, default=Format.JSON)
    body = await request.app[SERVICES].fleetio.export(fleet_id, fmt)
    return web.Response(
        body=body,
        content_type=MEDIA[fmt],
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="fleet-{fleet_id}.{fmt.value}"'},
    )


async def import_(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    fmt = _format(request, default=None)
    text = request.query.get("dry_run", "false").lower()
    if text not in BOOLEANS:
        raise Problem(400, "invalid_query", "dry_run: true or false", "dry_run")
    data = await request.clone(client_max_size=IMPORT_MAX_BYTES).read()
    report = await request.app[SERVICES].fleetio.import_file(
        _actor(account), fleet_id, decode(data, fmt), dry_run=BOOLEANS[text]
    )
    language = _language(request, account.language)
    body = report_dict(report, language)
    if not report.faults:
        return web.Response(
            text=json.dumps(body, ensure_ascii=False), content_type="application/json"
        )
    # a refusal is a problem (RFC 9457) like every other, with the report as its extension
    detail = report.faults[0].error.message(language)
    problem = {
        "type": f"urn:fleetpbx:error:{FAULTY}",
        "title": FAULTY,
        "status": 422,
        "detail": f"{len(report.faults)} × {detail}" if len(report.faults) > 1 else detail,
        "code": FAULTY,
        **body,
    }
    return web.Response(
        status=422,
        text=json.dumps(problem, ensure_ascii=False),
        content_type="application/problem+json",
    )


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/fleets/{fleet_id}/export", export),
    ("POST", "/api/fleets/{fleet_id}/import", import_),
]


def setup(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
