"""Two ``fleetpbx demo --in-process`` services on one PostgreSQL database (issue 15, change
notification): what one commits reaches the other's caches through ``NOTIFY`` — a
forwarding set through A's REST API, or through A's manager portal (its forms, CSRF token),
is what B's feature codes (read from B's routing cache) answer next and B's next call uses; one
set by USSD on B is what A answers; a manager whose fleet A removed is refused by B (whose
account cache held him) at its next request once B has heard A's changes.
A listener whose backend is terminated connects again and reads its caches again (a change
made meanwhile outside the service is then seen); so does ``fleetpbx cache reload``.

Without notifications both tests of changes made through A fail: B's routing cache never
reads the fleet again (its USSD keeps answering the old forwarding), and B would serve the
manager from its account cache for ``RECHECK`` seconds. The second test waits for a later
change of A to show on B (notifications are applied in commit order), then asserts that
B's very next request refuses the manager. Skipped on SQLite (one process)."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import re
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from fleet.config import load_settings
from fleet.core.clock import SystemClock
from fleet.core.values import Actor, Channel, ForwardingKind
from fleet.db.engine import create_engine, is_sqlite, session_factory
from fleet.demo import MANAGER_LOGIN, MANAGER_PASSWORD
from fleet.services.base import ServiceContext
from fleet.services.change_listen import APPLICATION_NAME
from fleet.services.container import Services
from tests.polling import eventually
from tests.service_process import FLEETPBX, ServiceProcess, scratch_database

pytestmark = pytest.mark.slow
log = logging.getLogger(__name__)

LINE = "+33611000002"  # a line of the demo fleet
CONVERGED_WITHIN = 30.0  # seconds: generous (a busy machine); a change usually takes ms
OUTSIDE = Actor(name="sql", channel=Channel.CLI)


@pytest.fixture
def postgres_server(database_url: str) -> str:
    if is_sqlite(database_url):
        pytest.skip(
            "runs two services on PostgreSQL: set FLEETPBX_TEST_DATABASE_URL="
            "postgresql+asyncpg://… (CI runs the suite on PostgreSQL too)"
        )
    return database_url


SESSION_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()


@asynccontextmanager
async def two_services(
    tmp_path: Path, server: str
) -> AsyncIterator[tuple[ServiceProcess, ServiceProcess, str]]:
    async with scratch_database(server) as url:
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        shared = {"session_key": SESSION_KEY}  # sessions and tokens good on both
        async with (
            ServiceProcess(workdir=tmp_path / "a", database_url=url, settings=shared) as a,
            ServiceProcess(workdir=tmp_path / "b", database_url=url, settings=shared) as b,
        ):
            await a.start()  # migrates and creates the demo fleet
            await b.start()  # finds them
            yield a, b, url
            await a.stop()
            await b.stop()


@asynccontextmanager
async def outside_services(url: str) -> AsyncIterator[Services]:
    """Services that announce nothing: changes made as SQL by an operator would be."""
    settings = load_settings(cli={"database_url": url}, env={})
    engine = create_engine(url, pool_size=2)
    context = ServiceContext(
        sessions=session_factory(engine), clock=SystemClock(), policy=settings.number_policy()
    )
    services = Services.build(context=context)
    try:
        yield services
    finally:
        services.accounts.passwords.close()
        await engine.dispose()


class Api:
    """The REST API of one service, as one account."""

    def __init__(self, http: aiohttp.ClientSession, service: ServiceProcess) -> None:
        self._http = http
        self.base = service.base
        self._token = ""

    async def login(self, login: str, password: str) -> None:
        body = await self.call("POST", "/api/login", {"login": login, "password": password})
        self._token = body["token"]

    async def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, status: int = 0
    ) -> Any:
        status_seen, answer = await self.request(method, path, body)
        assert (status_seen == status) if status else status_seen < 300, (status_seen, answer)
        return answer

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        async with self._http.request(
            method, self.base + path, json=body, headers=headers
        ) as response:
            answer = await response.json() if response.content_type.endswith("json") else None
            return response.status, answer


async def ussd(service: ServiceProcess, number: str, code: str) -> str:
    answer = await service.post("/sim/ussd", {"from": number, "text": code})
    return str(answer["answer"])


def digits(shown: str) -> str:
    return re.sub(r"\D", "", shown)


async def demo_line(api: Api) -> tuple[int, int]:
    [fleet] = await api.call("GET", "/api/fleets")
    found = await api.call("GET", f"/api/fleets/{fleet['id']}/lines?limit=100")
    items = found["items"] if isinstance(found, dict) else found
    [line] = [line for line in items if line["msisdn"] == LINE]
    return fleet["id"], line["id"]


async def forwarded_to(service: ServiceProcess, national: str) -> bool:
    return national[1:] in digits(await ussd(service, LINE, "*#21#"))


async def timeline_shows(service: ServiceProcess, wanted: str) -> bool:
    found = await service.get("/sim/timeline")
    return any(wanted in digits(entry["text"]) for entry in found["timeline"])


def logged(service: ServiceProcess, event: str, **fields: str) -> bool:
    lines = service.log.read_text(errors="replace").splitlines()
    return any(
        f'"event": "{event}"' in line and all(f'"{k}": "{v}"' in line for k, v in fields.items())
        for line in lines
    )


async def test_a_forwarding_set_through_one_process_is_used_by_the_others_calls_and_codes(
    postgres_server: str, tmp_path: Path
) -> None:
    async with (
        two_services(tmp_path, postgres_server) as (a, b, _url),
        aiohttp.ClientSession() as http,
    ):
        on_a = Api(http, a)
        await on_a.login(MANAGER_LOGIN, MANAGER_PASSWORD)
        fleet_id, line_id = await demo_line(on_a)
        on_b = Api(http, b)
        on_b._token = on_a._token  # a token A gave is good on B (the same session_key)
        assert await demo_line(on_b) == (fleet_id, line_id)
        assert not await forwarded_to(b, "0145000999")  # B has it in its routing cache

        path = f"/api/fleets/{fleet_id}/lines/{line_id}/forwardings/unconditional"
        await on_a.call("PUT", path, {"destination": "0145000999", "active": True})
        changed = time.monotonic()
        await eventually(
            lambda: forwarded_to(b, "0145000999"),
            within=CONVERGED_WITHIN,
            every=0.01,
            what="B's *#21# answering A's forwarding",
        )
        log.info("B answered A's forwarding %.3f s after A's answer", time.monotonic() - changed)
        await b.post("/sim/dial", {"from": "+33699000001", "to": LINE})  # B's next call
        await eventually(
            lambda: timeline_shows(b, "145000999"),
            within=CONVERGED_WITHIN,
            what="B's call forwarded as A set it",
        )

        await on_a.call("DELETE", path)  # and erased: B follows again
        await eventually(
            lambda: _not(forwarded_to(b, "0145000999")),
            within=CONVERGED_WITHIN,
            every=0.01,
            what="B's *#21# without the erased forwarding",
        )

        # the other way: set by the handset's USSD on B, used by A
        await ussd(b, LINE, "**21*0145000444#")
        changed = time.monotonic()
        await eventually(
            lambda: forwarded_to(a, "0145000444"),
            within=CONVERGED_WITHIN,
            every=0.01,
            what="A's *#21# answering B's USSD",
        )
        log.info("A answered B's forwarding %.3f s after B's answer", time.monotonic() - changed)
        shown = await on_a.call("GET", f"/api/fleets/{fleet_id}/lines/{line_id}")
        assert {"kind": "unconditional", "destination": "+33145000444"}.items() <= next(
            f for f in shown["forwardings"] if f["kind"] == "unconditional"
        ).items()

        # set by the manager on A's portal (signed in with the form, its CSRF token): B's
        # *#21# answers it and B's next call is forwarded there
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            portal = Portal(browser, a.base)
            await portal.sign_in(MANAGER_LOGIN, MANAGER_PASSWORD)
            page = f"/portal/fleets/{fleet_id}/lines/{line_id}/forwarding"
            await portal.submit(
                page, {"unconditional.active": "on", "unconditional.destination": "0145000777"}
            )
        changed = time.monotonic()
        await eventually(
            lambda: forwarded_to(b, "0145000777"),
            within=CONVERGED_WITHIN,
            every=0.01,
            what="B's *#21# answering the forwarding set on A's portal",
        )
        log.info("B answered A's portal %.3f s after A's answer", time.monotonic() - changed)
        await b.post("/sim/dial", {"from": "+33699000001", "to": LINE})
        await eventually(
            lambda: timeline_shows(b, "145000777"),
            within=CONVERGED_WITHIN,
            what="B's call forwarded as A's portal set it",
        )


class Portal:
    """The manager portal of one service, through its HTML forms (cookies, CSRF token)."""

    def __init__(self, browser: aiohttp.ClientSession, base: str) -> None:
        self._browser = browser
        self.base = base

    async def csrf(self, path: str) -> str:
        async with self._browser.get(self.base + path) as response:
            assert response.status == 200, (path, response.status)
            page = await response.text()
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found, page
        return found.group(1)

    async def submit(self, path: str, data: dict[str, str]) -> str:
        """Post the form of ``path`` (its CSRF token added); the page it redirects to."""
        token = await self.csrf(path)
        async with self._browser.post(
            self.base + path, data=data | {"csrf": token}, allow_redirects=False
        ) as response:
            assert response.status in (302, 303), (response.status, await response.text())
            return response.headers["Location"]

    async def sign_in(self, login: str, password: str) -> None:
        assert await self.submit("/portal/login", {"login": login, "password": password})


async def _not(held: Any) -> bool:
    return not await held


async def test_a_manager_whose_fleet_is_removed_on_one_process_is_refused_by_the_other(
    postgres_server: str, tmp_path: Path
) -> None:
    async with (
        two_services(tmp_path, postgres_server) as (a, b, url),
        aiohttp.ClientSession() as http,
    ):
        async with outside_services(url) as services:
            fleet = await services.fleets.create(OUTSIDE, name="Éphémère", short_number_length=3)
            await services.accounts.create_manager(
                OUTSIDE,
                login="chef.ephemere",
                password="un-mot-de-passe-solide",
                display_name="Chef",
                fleet_ids=[fleet.id],
            )
            await services.accounts.create_operator(
                OUTSIDE, login="exploitant", password="un-autre-mot-de-passe", display_name="Op"
            )
        manager_on_b = Api(http, b)
        await manager_on_b.login("chef.ephemere", "un-mot-de-passe-solide")
        assert await manager_on_b.call("GET", "/api/fleets") == [
            {"id": fleet.id, "name": "Éphémère"}
        ]  # B's account cache holds the manager now

        operator_on_a = Api(http, a)
        await operator_on_a.login("exploitant", "un-autre-mot-de-passe")
        await operator_on_a.call("DELETE", f"/api/fleets/{fleet.id}?confirm=true", status=204)

        # a later change on A, seen by B: notifications are applied in commit order, so B
        # has heard the removal too; B would otherwise serve its cached account (RECHECK)
        on_a = Api(http, a)
        await on_a.login(MANAGER_LOGIN, MANAGER_PASSWORD)
        demo_fleet, line_id = await demo_line(on_a)
        path = f"/api/fleets/{demo_fleet}/lines/{line_id}/forwardings/unconditional"
        await on_a.call("PUT", path, {"destination": "0145000555", "active": True})
        await eventually(
            lambda: forwarded_to(b, "0145000555"),
            within=CONVERGED_WITHIN,
            every=0.01,
            what="B hearing A's later change",
        )
        status, _ = await manager_on_b.request("GET", "/api/fleets")
        assert status == 401
        status, _ = await manager_on_b.request("GET", f"/api/fleets/{fleet.id}/lines")
        assert status == 401


async def test_a_listener_cut_off_reconnects_and_reads_its_caches_again(
    postgres_server: str, tmp_path: Path
) -> None:
    """A forwarding changed outside the service (nothing announced) stays unseen by B until
    B's listening connection is terminated: B connects again, reads everything again and
    answers the change; ``fleetpbx cache reload`` does the same without a cut."""
    async with two_services(tmp_path, postgres_server) as (a, b, url):
        async with outside_services(url) as services:
            line = await services.lines.get_by_msisdn(LINE)
            await services.forwarding.set(
                OUTSIDE, line.id, ForwardingKind.BUSY, destination="0145000777", active=True
            )
        assert "145000777" not in digits(await ussd(b, LINE, "*#67#"))  # nobody told B

        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                ended = await conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND application_name LIKE :name"
                    ),
                    {"name": f"{APPLICATION_NAME}%"},
                )
                assert len(ended.all()) == 2  # A's and B's
        finally:
            await engine.dispose()
        await eventually(
            lambda: logged(b, "cache_reloaded", reason="listener reconnected"),
            within=CONVERGED_WITHIN,
            what="B reloaded after reconnecting",
        )
        assert "145000777" in digits(await ussd(b, LINE, "*#67#"))
        assert "145000777" in digits(await ussd(a, LINE, "*#67#"))

        async with outside_services(url) as services:
            line = await services.lines.get_by_msisdn(LINE)
            await services.forwarding.set(
                OUTSIDE, line.id, ForwardingKind.BUSY, destination="0145000888", active=True
            )
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLEETPBX_")}
        done = await asyncio.to_thread(
            subprocess.run,
            [FLEETPBX, "cache", "reload"],
            env=env | {"FLEETPBX_DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        for service in (a, b):
            await eventually(
                lambda s=service: _has(s, "145000888"),  # type: ignore[misc]
                within=CONVERGED_WITHIN,
                what="the reload requested by the command",
            )
        assert logged(b, "cache_reloaded", reason="reload requested")


async def _has(service: ServiceProcess, wanted: str) -> bool:
    return wanted in digits(await ussd(service, LINE, "*#67#"))
