"""The REST API tests' common set-up: the service built on the test database with the
accounts' world (``tests.world.build_accounts``) and logged in as the fleet's manager, with
the path of the fleet's collection a test module covers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from fleet.app import SERVICES, build_app
from fleet.config import load_settings
from fleet.core.values import Actor, Channel
from fleet.services.container import Services
from tests.world import PASSWORD, World, build_accounts

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]


@dataclass
class Api:
    """The REST API as the fleet's manager sees it (``manager_api``)."""

    client: Client
    world: World
    services: Services
    headers: dict[str, str]  # the manager's bearer token
    collection: str  # under the fleet: "contacts", "schedules"...

    @property
    def base(self) -> str:
        return f"/api/fleets/{self.world.fleet.id}/{self.collection}"


async def manager_api(
    aiohttp_client: ClientFactory, *, collection: str, database_url: str, **settings: Any
) -> Api:
    """The service on ``database_url`` (and these ``settings``), its accounts' world built,
    the fleet's manager logged in."""
    app = build_app(settings=load_settings(cli={"database_url": database_url, **settings}, env={}))
    client = await aiohttp_client(app)
    services = app[SERVICES]
    built = await build_accounts(services, Actor(name="setup", channel=Channel.CLI))
    response = await client.post("/api/login", json={"login": "chef", "password": PASSWORD})
    token = (await response.json())["token"]
    return Api(client, built.world, services, {"Authorization": f"Bearer {token}"}, collection)
