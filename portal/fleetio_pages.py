"""The manager portal's import and export of a fleet (``fleet.services.fleetio``): export
links (CSV of the lines, JSON of the whole configuration), an upload that previews what the
file would create or change and every faulty row, then a confirmation that imports it; and
the printable configuration page (seed 003: "imprimer la configuration")."""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from fleet.core.values import Language
from fleet.services.fleetio import decode
from fleet.services.fleetio_spec import Format, ImportReport
from portal import api_fleetio
from portal.pages import SERVICES, actor, fleet_id_of, manager, render
from portal.security import check_csrf

MEDIA = {Format.CSV: "text/csv", Format.JSON: "application/json"}


async def transfer(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    fleet = await request.app[SERVICES].fleets.get(fleet_id)
    return await render(request, "transfer.html", account, fleet=fleet, report=None)


async def export(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    try:
        fmt = Format(request.match_info["format"])
    except ValueError:
        raise web.HTTPNotFound() from None
    body = await request.app[SERVICES].fleetio.export(fleet_id, fmt)
    return web.Response(
        body=body,
        content_type=MEDIA[fmt],
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="fleet-{fleet_id}.{fmt.value}"'},
    )


async def upload(request: web.Request) -> web.Response:
    """``preview`` (the file from the upload) or ``confirm`` (the file sent back by the
    preview page): checked whole each time; written only on ``confirm`` when every row
    passes."""
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    data = await request.clone(client_max_size=api_fleetio.IMPORT_MAX_BYTES).post()
    check_csrf(await get_session(request), data.get("csrf"))
    confirm = data.get("step") == "confirm"
    upload = data.get("file")
    if confirm:
        content = str(data.get("content", "")).encode("utf-8")
        name = str(data.get("name", ""))
    elif isinstance(upload, web.FileField):
        with upload.file:  # a large upload is spooled to a temporary file: close it
            content, name = upload.file.read(), upload.filename or ""
    else:
        content, name = b"", ""
    fmt = Format.JSON if name.lower().endswith(".json") else Format.CSV
    services = request.app[SERVICES]
    report: ImportReport = await services.fleetio.import_file(
        actor(account), fleet_id, decode(content, fmt), dry_run=not confirm
    )
    language = account.language
    if request.query.get("lang") in ("fr", "en"):
        language = Language(request.query["lang"])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""  # faulty anyway: nothing to send back
    return await render(
        request,
        "transfer.html",
        account,
        status=422 if report.faults else 200,
        fleet=await services.fleets.get(fleet_id),
        report=report,
        faults=[(str(f.where), f.error.message(language)) for f in report.faults],
        content=text,
        name=name,
        confirmed=confirm,
    )


async def printable(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    config = await request.app[SERVICES].fleetio.configuration(fleet_id)
    names = {g.id: g.name for g in config.groups}
    return await render(request, "print.html", account, config=config, group_names=names)


def routes(app: web.Application) -> None:
    app.router.add_get("/portal/fleets/{fleet_id}/transfer", transfer)
    app.router.add_post("/portal/fleets/{fleet_id}/transfer", upload)
    app.router.add_get("/portal/fleets/{fleet_id}/export.{format}", export)
    app.router.add_get("/portal/fleets/{fleet_id}/print", printable)
