"""The fleet's audit journal for its manager: who changed what, through which channel,
before and after; filtered by entity, channel and actor, newest first."""

from __future__ import annotations

import json

from aiohttp import web

from fleet.core.values import Channel
from fleet.services.audit import AuditFilter
from portal.calls_view import local_time
from portal.pages import SERVICES, fleet_id_of, manager, render

PAGE = 50


async def journal(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    services = request.app[SERVICES]
    query = request.query
    channel = query.get("channel", "")
    try:
        page = max(1, int(query.get("page", "1")))
    except ValueError:
        page = 1
    where = AuditFilter(
        fleet_id=fleet_id,
        entity=query.get("entity") or None,
        actor=query.get("actor") or None,
        channel=Channel(channel) if channel in {c.value for c in Channel} else None,
    )
    found = await services.audit.search(where, offset=(page - 1) * PAGE, limit=PAGE)
    fleet = await services.fleets.get(fleet_id)
    rows = [
        {
            "at": local_time(entry.at, fleet.timezone),  # in the fleet's time zone
            "actor": entry.actor,
            "channel": entry.channel.value,
            "entity": f"{entry.entity} {entry.entity_id}",
            "action": entry.action.value,
            "before": json.dumps(entry.before, ensure_ascii=False) if entry.before else "",
            "after": json.dumps(entry.after, ensure_ascii=False) if entry.after else "",
        }
        for entry in found.items
    ]
    return await render(
        request,
        "audit.html",
        account,
        fleet=fleet,
        rows=rows,
        total=found.total,
        page=page,
        pages=max(1, -(-found.total // PAGE)),
        filters={"entity": where.entity or "", "actor": where.actor or "", "channel": channel},
        channels=[c.value for c in Channel],
    )


async def fixed_numbers(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    services = request.app[SERVICES]
    trunks = await services.trunks.in_fleet(fleet_id)
    return await render(
        request,
        "fixed.html",
        account,
        fleet=await services.fleets.get(fleet_id),
        numbers=await services.fleets.fixed_numbers(fleet_id),
        trunks=trunks,
        states={view.trunk.name: view.trunk.state.value for view in trunks},
    )


def routes(app: web.Application) -> None:
    app.router.add_get("/portal/fleets/{fleet_id}/audit", journal)
    app.router.add_get("/portal/fleets/{fleet_id}/fixed", fixed_numbers)
