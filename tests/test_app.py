"""The aiohttp application: /healthz checks the database and its schema."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestClient

from fleet.app import DIRECTORY, ENGINE, EXCHANGE, SERVICES, build_app
from fleet.config import load_settings
from fleet.core.numbering import E164
from fleet.db import migrate
from fleet.db.engine import is_sqlite
from tests.polling import eventually

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


async def test_healthz_is_ok_when_the_database_is_migrated(
    aiohttp_client: ClientFactory, database_url: str
) -> None:
    app = build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    client = await aiohttp_client(app)
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {
        "status": "ok",
        "database": "ok",
        "schema": migrate.head(),
        "call_records": {"backlog": 0, "refused": 0, "writer": "ok", "journal": "ok"},
    }
    assert app[SERVICES] is not None and app[ENGINE] is not None


def readme_healthz_example() -> object:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    found = re.search(r"`GET /healthz` — 200 `(\{.*?\})`", readme, re.DOTALL)
    assert found, "README: the /healthz example"
    return json.loads(found.group(1))


async def test_the_readmes_healthz_example_is_what_the_service_answers(
    aiohttp_client: ClientFactory, database_url: str
) -> None:
    example = readme_healthz_example()
    client = await aiohttp_client(
        build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    )
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == example


async def test_healthz_is_503_when_the_database_is_down(aiohttp_client: ClientFactory) -> None:
    url = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    client = await aiohttp_client(
        build_app(settings=load_settings(cli={"database_url": url}, env={}))
    )
    response = await client.get("/healthz")
    assert response.status == 503
    assert (await response.json())["database"] == "down"


async def test_healthz_is_503_when_the_schema_is_not_migrated(
    aiohttp_client: ClientFactory, tmp_path: object
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/empty.db"
    assert is_sqlite(url)
    client = await aiohttp_client(
        build_app(settings=load_settings(cli={"database_url": url}, env={}))
    )
    response = await client.get("/healthz")
    assert response.status == 503
    body = await response.json()
    assert body["schema"] is None and body["expected"] == migrate.head()


async def test_the_routing_cache_loads_once_the_database_is_ready(
    aiohttp_client: ClientFactory, tmp_path: object
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/late.db"
    app = build_app(settings=load_settings(cli={"database_url": url}, env={}))
    await aiohttp_client(app)  # starts although there is no schema yet
    assert not app[DIRECTORY].loaded
    await migrate.upgrade(url)
    await eventually(lambda: app[DIRECTORY].loaded, within=10.0, what="the cache loaded")


async def test_index_lists_the_endpoints(aiohttp_client: ClientFactory, database_url: str) -> None:
    client = await aiohttp_client(
        build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    )
    response = await client.get("/")
    assert (await response.json())["endpoints"]["health"] == "/healthz"


@pytest.mark.parametrize("path", ["/nope", "/healthz/x"])
async def test_unknown_paths_are_404(
    aiohttp_client: ClientFactory, database_url: str, path: str
) -> None:
    client = await aiohttp_client(
        build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    )
    assert (await client.get(path)).status == 404


def test_settling_the_heap_freezes_what_survives_a_collection() -> None:
    from fleet import heap

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    Cycle()  # garbage: collected, not frozen
    kept = Cycle()
    try:
        frozen = heap.settle()
        assert frozen == gc.get_freeze_count() > 0
        assert gc.is_tracked(kept) and not any(type(o) is Cycle for o in gc.get_objects())
    finally:
        gc.unfreeze()


async def test_the_service_runs_the_call_engine_without_the_simulator(
    aiohttp_client: ClientFactory, database_url: str
) -> None:
    settings = load_settings(cli={"database_url": database_url}, env={})
    assert not settings.simulator
    with structlog.testing.capture_logs() as logs:
        app = build_app(settings=settings)
        client = await aiohttp_client(app)
    started = [entry for entry in logs if entry["event"] == "call_engine_started"]
    assert started == [
        {"event": "call_engine_started", "network": "simulated", "log_level": "info"}
    ]
    exchange = app[EXCHANGE]
    await eventually(lambda: app[DIRECTORY].loaded, what="the routing cache loaded")
    caller = E164("+33699000001")
    exchange.network.add(caller, "Client")
    call_id = exchange.network.dial(caller, "0699000002")
    assert exchange.engine.call(call_id) is not None
    exchange.network.hang_up(caller)
    assert exchange.engine.active_calls == 0
    assert (await client.get("/sim")).status == 404  # the demo's control is not served


async def test_the_heap_settles_once_the_routing_cache_is_loaded(
    aiohttp_client: ClientFactory, tmp_path: object
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/late.db"
    app = build_app(settings=load_settings(cli={"database_url": url}, env={}), settle_heap=True)
    frozen_before = gc.get_freeze_count()
    try:
        await aiohttp_client(app)  # no schema yet: the cache cannot load
        assert not app[DIRECTORY].loaded
        assert gc.get_freeze_count() == frozen_before
        await migrate.upgrade(url)
        await eventually(lambda: gc.get_freeze_count() > frozen_before, what="the heap frozen")
        assert app[DIRECTORY].loaded
    finally:
        gc.unfreeze()
