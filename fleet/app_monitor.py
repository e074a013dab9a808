"""The activity monitor in the composition root (issue 16 item 8): once the call exchange
runs, the portal's monitor pages and API read an ``ActivityMonitor`` built on the engine's
state (``callgroups.activity.EngineActivity``, the ``LiveActivity`` port), the fleets' and
schedules' services, and the fleet owners (issue 15; every fleet is this process's when
ownership is not kept: SQLite, or the simulated network)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from callgroups.activity import EngineActivity
from fleet.app_keys import DIRECTORY, OWNERS, SERVICES
from fleet.core.ownership import EVERYTHING_MINE, OwnerMap
from fleet.exchange import Exchange
from fleet.services.monitor import ActivityMonitor
from portal.api_monitor import MONITOR


def setup(app: web.Application, *, exchange: Callable[[web.Application], Exchange[Any]]) -> None:
    """Add the monitor after the call exchange (and the fleet owners, when kept);
    ``exchange`` finds the running exchange on the application."""

    async def monitor(app: web.Application) -> AsyncIterator[None]:
        attach(app, exchange(app))
        yield

    app.cleanup_ctx.append(monitor)


def attach(app: web.Application, exchange: Exchange[Any]) -> None:
    services = app[SERVICES]

    def owners() -> OwnerMap:
        keeper = app.get(OWNERS)
        return keeper.current if keeper is not None else EVERYTHING_MINE

    app[MONITOR] = ActivityMonitor(
        live=EngineActivity(
            engine=exchange.engine, hunter=exchange.groups, directory=app[DIRECTORY]
        ),
        fleets=services.fleets,
        schedules=services.schedules,
        criteria=services.criteria,
        owners=owners,
    )
