"""Signing in under attack over HTTP (issue 10, defect 3): the API's login and the portal's
sign-in share the login guard's limits (per account and source address, per address) and
the bounded password pool; the event loop keeps serving while passwords are verified; the
source address comes from X-Forwarded-For only behind a configured trusted proxy."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES, build_app
from fleet.config import load_settings
from fleet.core.clock import Clock, ManualClock
from fleet.core.values import Actor, Channel
from fleet.services.passwords import PasswordPool
from tests.polling import eventually
from tests.test_logins import WatchedHasher
from tests.test_portal import csrf
from tests.world import PASSWORD, build_accounts

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]
Start = Callable[..., Awaitable[Client]]
ATTACKER, USER = "198.51.100.7", "203.0.113.20"


@pytest.fixture
def start(aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine) -> Start:
    async def make(clock: Clock | None = None, **settings: object) -> Client:
        options = {"database_url": database_url, **settings}
        app = build_app(settings=load_settings(cli=options, env={}), clock=clock)
        client = await aiohttp_client(app)
        await build_accounts(app[SERVICES], Actor(name="setup", channel=Channel.CLI))
        return client

    return make


def login(client: Client, password: str, *, login: str = "chef", source: str | None = None) -> Any:
    headers = {"X-Forwarded-For": source} if source else None
    return client.post("/api/login", json={"login": login, "password": password}, headers=headers)


async def test_forty_api_logins_at_once_get_five_verified_then_the_right_one_is_refused(
    start: Start,
) -> None:
    client = await start()
    answers = await asyncio.gather(*(login(client, f"faux-{i}") for i in range(40)))
    problems = [await answer.json() for answer in answers]
    codes = Counter(p["code"] for p in problems)
    assert codes["password_wrong"] == 5, codes
    assert set(codes) <= {"password_wrong", "account_locked", "login_throttled", "login_busy"}
    for answer, problem in zip(answers, problems, strict=True):
        status = {"password_wrong": 403, "account_locked": 403}.get(problem["code"])
        assert answer.status == (status or (429 if problem["code"] == "login_throttled" else 503))
        if answer.status in (429, 503):
            assert int(answer.headers["Retry-After"]) >= 1
    right = await login(client, PASSWORD)
    assert right.status == 403 and (await right.json())["code"] == "account_locked"


async def test_wrong_passwords_from_one_address_leave_the_manager_open_from_another(
    start: Start,
) -> None:
    client = await start(trusted_proxies="127.0.0.1")
    for _ in range(5):
        assert (await login(client, "faux", source=ATTACKER)).status == 403
    locked = await login(client, PASSWORD, source=ATTACKER)
    assert (await locked.json())["code"] == "account_locked"
    assert (await login(client, PASSWORD, source=USER)).status == 200
    token = await csrf(client)  # the portal's sign-in: the same limits, the same addresses
    form = {"login": "chef", "password": PASSWORD, "csrf": token}
    refused = await client.post("/portal/login", data=form, headers={"X-Forwarded-For": ATTACKER})
    assert refused.status == 401 and "bloqué" in await refused.text()
    signed = await client.post(
        "/portal/login", data=form, headers={"X-Forwarded-For": USER}, allow_redirects=False
    )
    assert signed.status == 302


async def test_without_a_trusted_proxy_x_forwarded_for_is_not_believed(start: Start) -> None:
    client = await start()
    for i in range(5):
        assert (await login(client, "faux", source=f"192.0.2.{i}")).status == 403
    locked = await login(client, PASSWORD, source=USER)  # still the connection's peer
    assert (await locked.json())["code"] == "account_locked"


async def test_an_address_with_too_many_failures_waits_429_with_retry_after(
    start: Start,
) -> None:
    clock = ManualClock()  # the service's time stands still: the delay never runs out
    client = await start(clock=clock)
    for i in range(11):  # ten free failures; the eleventh imposes a delay of 1 s
        assert (await login(client, "faux", login=f"inconnu{i}")).status == 403
    throttled = await login(client, PASSWORD)
    problem = await throttled.json()
    assert throttled.status == 429 and throttled.headers["Retry-After"] == "1"
    assert problem["code"] == "login_throttled"
    token = await csrf(client)
    page = await client.post(
        "/portal/login", data={"login": "chef", "password": PASSWORD, "csrf": token}
    )
    assert page.status == 429 and page.headers["Retry-After"] == "1"
    assert "réessayez dans 1 s" in await page.text()
    clock.advance(1)
    assert (await login(client, PASSWORD)).status == 200


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> WatchedHasher:
    """The service's password pool: one worker, one waiting place, passwords verified by a
    hasher the test can hold."""
    watched = WatchedHasher()

    def pool(*, workers: int, queue: int) -> PasswordPool:
        return PasswordPool(workers=1, queue=1, hasher=watched)

    monkeypatch.setattr("fleet.app.PasswordPool", pool)
    return watched


async def test_health_and_pages_answer_while_a_password_is_being_verified(
    start: Start, hasher: WatchedHasher
) -> None:
    client = await start()
    hasher.hold = True
    signing_in = asyncio.create_task(login(client, PASSWORD))
    await eventually(hasher.entered.is_set, what="a verification under way")
    health = await client.get("/healthz")
    assert health.status == 200 and (await client.get("/portal/login")).status == 200
    assert not signing_in.done()
    hasher.release.set()
    assert (await signing_in).status == 200


async def test_past_the_pool_bound_the_api_login_answers_503_with_retry_after(
    start: Start, hasher: WatchedHasher
) -> None:
    client = await start()
    hasher.hold = True
    held = [asyncio.create_task(login(client, PASSWORD)) for _ in range(2)]
    await eventually(hasher.entered.is_set, what="a verification under way")
    pool = client.app[SERVICES].accounts.passwords
    await eventually(lambda: pool.admitted == 2, what="both sign-ins admitted")
    busy = await login(client, PASSWORD)
    assert busy.status == 503 and busy.headers["Retry-After"] == "1"
    assert (await busy.json())["code"] == "login_busy"
    hasher.release.set()
    assert [(await task).status for task in held] == [200, 200]
