"""The service's own HTTP endpoints: ``/`` (what is reachable) and ``/healthz``."""

from __future__ import annotations

import asyncio

import structlog
from aiohttp import web

from fleet.app_keys import ENGINE, OWNERS, RECORDS, SCHEMA_HEAD, SETTINGS
from fleet.db import migrate
from fleet.db.engine import ping

HEALTH_TIMEOUT = 2.0

log = structlog.get_logger("fleet.app")


async def index(request: web.Request) -> web.Response:
    endpoints = {"health": "/healthz", "metrics": "/metrics", "portal": "/portal/login"}
    if request.app[SETTINGS].simulator:
        endpoints |= {
            "simulator": "/sim",
            "dial": "POST /sim/dial",
            "handset actions": "POST /sim/{answer,hang_up,hold,retrieve,transfer,conference}",
            "handset state": "POST /sim/state",
            "timeline": "/sim/timeline",
            "handset USSD": "POST /sim/ussd",
            "handset SMS": "/sim/sms?number=",
        }
    return web.json_response({"service": "fleetpbx", "endpoints": endpoints})


async def healthz(request: web.Request) -> web.Response:
    """503 "down" when the database does not answer or its schema is not current; else 200,
    "ok", or "degraded" when call records wait to be written (more than
    ``records_backlog_degraded``), their writer's last attempt failed, or their journal
    cannot be written. The body always shows the call records' backlog."""
    engine = request.app[ENGINE]
    records, degraded = _records_health(request.app)
    try:
        await asyncio.wait_for(ping(engine), HEALTH_TIMEOUT)
    except Exception as exc:  # any failure of the database is "down" here
        log.warning("health_database_down", error=repr(exc))
        return web.json_response(
            {"status": "down", "database": "down", "call_records": records}, status=503
        )
    revision = await migrate.revision_of(engine)
    expected = request.app[SCHEMA_HEAD]
    if revision != expected:
        return web.json_response(
            {
                "status": "down",
                "database": "ok",
                "schema": revision,
                "expected": expected,
                "call_records": records,
            },
            status=503,
        )
    body: dict[str, object] = {
        "status": "degraded" if degraded else "ok",
        "database": "ok",
        "schema": revision,
        "call_records": records,
    }
    owners = request.app.get(OWNERS)
    if owners is not None:  # PostgreSQL + SIP: the fleets whose calls this process owns
        body["fleets_owned"] = sorted(owners.owned)
    return web.json_response(body)


def _records_health(app: web.Application) -> tuple[dict[str, object], bool]:
    """The call records' part of /healthz, and whether it makes the service degraded."""
    records = app.get(RECORDS)
    if records is None:
        return {}, False
    health = records.writer.health()
    writer = "failing" if health.failing or health.parked else "ok"
    journal = "failing" if health.journal_failing else "ok"
    degraded = (
        health.backlog > app[SETTINGS].records_backlog_degraded or writer != "ok" or journal != "ok"
    )
    body: dict[str, object] = {
        "backlog": health.backlog,
        "refused": health.parked,
        "writer": writer,
        "journal": journal,
    }
    return body, degraded
