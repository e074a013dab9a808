"""The one wiring point: settings -> engine -> services -> aiohttp application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import structlog
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.config import Settings
from fleet.core.clock import Clock, SystemClock
from fleet.db import migrate
from fleet.db.engine import create_engine, ping, session_factory
from fleet.services.base import ServiceContext
from fleet.services.container import Services
from simulators import http as sim_http
from simulators import live as sim_live

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
ENGINE = web.AppKey("engine", AsyncEngine)
SERVICES = web.AppKey("services", Services)

HEALTH_TIMEOUT = 2.0

log = structlog.get_logger("fleet.app")


def build_services(*, engine: AsyncEngine, settings: Settings, clock: Clock) -> Services:
    context = ServiceContext(
        sessions=session_factory(engine), clock=clock, policy=settings.number_policy()
    )
    return Services.build(context=context)


def build_app(*, settings: Settings, clock: Clock | None = None) -> web.Application:
    app = web.Application()
    app[SETTINGS] = settings
    app[CLOCK] = clock or SystemClock()
    app.cleanup_ctx.append(_database)
    if settings.simulator:
        app.cleanup_ctx.append(_simulator)
        sim_http.routes(app)
    app.router.add_get("/", index)
    app.router.add_get("/healthz", healthz)
    return app


async def _simulator(app: web.Application) -> AsyncIterator[None]:
    """The simulated mobile network and the call engine, in real time (demo)."""
    live = await sim_live.start(services=app[SERVICES], policy=app[SETTINGS].number_policy())
    app[sim_http.LIVE] = live
    log.info("simulator_ready", handsets=len(live.network.handsets))
    yield
    await live.close()


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine(settings.database_url)
    app[ENGINE] = engine
    app[SERVICES] = build_services(engine=engine, settings=settings, clock=app[CLOCK])
    log.info("database_ready", url=settings.redacted()["database_url"])
    yield
    await engine.dispose()


async def index(request: web.Request) -> web.Response:
    endpoints = {"health": "/healthz"}
    if request.app[SETTINGS].simulator:
        endpoints |= {
            "simulator": "/sim",
            "dial": "POST /sim/dial",
            "handset actions": "POST /sim/{answer,hang_up,hold,retrieve,transfer,conference}",
            "handset state": "POST /sim/state",
            "timeline": "/sim/timeline",
        }
    return web.json_response({"service": "fleetpbx", "endpoints": endpoints})


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers and its schema is current, 503 otherwise."""
    engine = request.app[ENGINE]
    try:
        await asyncio.wait_for(ping(engine), HEALTH_TIMEOUT)
    except Exception as exc:  # any failure of the database is "down" here
        log.warning("health_database_down", error=repr(exc))
        return web.json_response({"status": "down", "database": "down"}, status=503)
    revision = await migrate.revision_of(engine)
    expected = migrate.head()
    if revision != expected:
        return web.json_response(
            {"status": "down", "database": "ok", "schema": revision, "expected": expected},
            status=503,
        )
    return web.json_response({"status": "ok", "database": "ok", "schema": revision})
