"""Sessions and tokens that end (issue 10, defect 4) and HTTP hardening (defect 7), over
HTTP: a sign-out, a password change, a disabled account or a removed fleet end every portal
session and API token of the account at once; nothing private is stored by a browser; HSTS
and Secure cookies behind TLS; the bearer scheme in any case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiohttp import ClientSession, DummyCookieJar, web
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES, build_app
from fleet.config import load_settings
from fleet.core.values import Actor, Channel
from fleet.services.container import Services
from tests.test_portal import csrf, sign_in
from tests.world import PASSWORD, Accounts, build_accounts

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]
ACTOR = Actor(name="setup", channel=Channel.CLI)
COOKIE = "fleetpbx_session"


@dataclass
class Site:
    client: Client
    accounts: Accounts

    @property
    def services(self) -> Services:
        return self.client.app[SERVICES]

    def cookie(self) -> str:
        """The session cookie the browser holds now."""
        return self.client.session.cookie_jar.filter_cookies(self.client.make_url("/"))[
            COOKIE
        ].value

    async def status_with(self, path: str, cookie: str) -> int:
        """The status of ``path`` for another browser holding ``cookie`` (a copy of one)."""
        async with ClientSession(cookie_jar=DummyCookieJar()) as other:
            url = self.client.make_url(path)
            headers = {"Cookie": f"{COOKIE}={cookie}"}
            async with other.get(url, headers=headers, allow_redirects=False) as response:
                return response.status

    async def token(self, login: str = "chef") -> dict[str, str]:
        answer = await self.client.post("/api/login", json={"login": login, "password": PASSWORD})
        assert answer.status == 200, await answer.text()
        return {"Authorization": f"Bearer {(await answer.json())['token']}"}

    async def api_status(self, headers: dict[str, str]) -> int:
        return (await self.client.get("/api/fleets", headers=headers)).status


SiteFactory = Callable[..., Awaitable[Site]]


@pytest.fixture
def make_site(aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine) -> SiteFactory:
    async def make(**settings: object) -> Site:
        options = {"database_url": database_url, **settings}
        app = build_app(settings=load_settings(cli=options, env={}))
        client = await aiohttp_client(app)
        return Site(client, await build_accounts(app[SERVICES], ACTOR))

    return make


async def test_a_cookie_replayed_after_sign_out_is_refused(make_site: SiteFactory) -> None:
    site = await make_site()
    await sign_in(site.client)
    cookie = site.cookie()
    assert await site.status_with("/portal/", cookie) == 200
    await site.client.post("/portal/logout", data={"csrf": await csrf(site.client, "/portal/")})
    assert await site.status_with("/portal/", cookie) == 302


async def test_signing_out_of_the_portal_ends_the_api_tokens_too(make_site: SiteFactory) -> None:
    site = await make_site()
    token = await site.token()
    await sign_in(site.client)
    await site.client.post("/portal/logout", data={"csrf": await csrf(site.client, "/portal/")})
    assert await site.api_status(token) == 401


async def test_api_logout_ends_every_token_and_session_and_is_documented(
    make_site: SiteFactory,
) -> None:
    site = await make_site()
    first, second = await site.token(), await site.token()
    await sign_in(site.client)
    cookie = site.cookie()
    response = await site.client.post("/api/logout", headers=first)
    assert response.status == 204
    assert await site.api_status(first) == 401 and await site.api_status(second) == 401
    assert await site.status_with("/portal/", cookie) == 302
    again = await site.client.post("/api/logout", headers=first)
    assert again.status == 401 and again.content_type == "application/problem+json"
    document = await (await site.client.get("/api/openapi.json")).json()
    assert "204" in document["paths"]["/api/logout"]["post"]["responses"]


async def test_a_password_change_ends_every_other_session_and_token(
    make_site: SiteFactory,
) -> None:
    site = await make_site()
    token = await site.token()
    await sign_in(site.client)
    elsewhere = site.cookie()  # the same account signed in from another browser
    await sign_in(site.client)
    response = await site.client.post(
        "/portal/password",
        data={
            "csrf": await csrf(site.client, "/portal/password"),
            "old_password": PASSWORD,
            "new_password": "nouveau-secret",
            "confirm": "nouveau-secret",
        },
    )
    assert response.status == 200
    assert await site.status_with("/portal/", elsewhere) == 302
    assert await site.api_status(token) == 401
    assert (await site.client.get("/portal/", allow_redirects=False)).status == 200  # this one


async def test_a_password_reset_or_a_disabled_account_ends_its_sessions_and_tokens(
    make_site: SiteFactory,
) -> None:
    site = await make_site()
    chef = await site.services.accounts.get_by_login("chef")
    token = await site.token()
    await sign_in(site.client)
    cookie = site.cookie()
    await site.services.accounts.reset_password(ACTOR, chef.id, "remis-a-zero")
    assert await site.api_status(token) == 401
    assert await site.status_with("/portal/", cookie) == 302
    await site.services.accounts.reset_password(ACTOR, chef.id, PASSWORD)
    token = await site.token()
    await sign_in(site.client)
    cookie = site.cookie()
    await site.services.accounts.set_active(ACTOR, chef.id, False)
    assert await site.api_status(token) == 401
    assert await site.status_with("/portal/", cookie) == 302
    await site.services.accounts.set_active(ACTOR, chef.id, True)
    assert await site.api_status(token) == 401  # enabled again: the old ones stay ended
    assert await site.api_status(await site.token()) == 200


async def test_removing_a_fleet_ends_the_sessions_of_its_managers(make_site: SiteFactory) -> None:
    site = await make_site()
    world = site.accounts.world
    await site.services.accounts.create_manager(
        ACTOR,
        login="chef2",
        password=PASSWORD,
        display_name="Chef des deux",
        fleet_ids=[world.fleet.id, world.other_fleet.id],
    )
    token = await site.token("chef2")
    await sign_in(site.client, "chef2")
    cookie = site.cookie()
    others = await site.token("chef")  # a manager of the fleet that stays
    await site.services.fleets.delete(ACTOR, world.other_fleet.id)
    assert await site.api_status(token) == 401
    assert await site.status_with("/portal/", cookie) == 302
    assert await site.api_status(others) == 200
    assert await site.api_status(await site.token("chef2")) == 200  # its other fleet is left


async def test_the_bearer_scheme_is_matched_in_any_case(make_site: SiteFactory) -> None:
    site = await make_site()
    credentials = (await site.token())["Authorization"].split(" ", 1)[1]
    for scheme in ("bearer", "BEARER", "Bearer"):
        assert await site.api_status({"Authorization": f"{scheme} {credentials}"}) == 200
    assert await site.api_status({"Authorization": f"Basic {credentials}"}) == 401


async def test_private_pages_and_api_answers_are_never_stored(make_site: SiteFactory) -> None:
    site = await make_site()
    token = await site.token()
    await sign_in(site.client)
    fleet = site.accounts.world.fleet.id
    answers = [
        await site.client.get("/portal/"),
        await site.client.get(f"/portal/fleets/{fleet}/groups"),
        await site.client.get("/portal/login"),
        await site.client.get("/api/fleets", headers=token),
        await site.client.get(f"/api/fleets/{fleet}/lines", headers=token),
        await site.client.get("/api/fleets"),  # refused: 401
        await site.client.post("/api/login", json={"login": "chef", "password": "x"}),
    ]
    for response in answers:
        assert response.headers.get("Cache-Control") == "no-store", response.url


async def test_behind_tls_answers_carry_hsts_and_the_cookie_is_secure(
    make_site: SiteFactory,
) -> None:
    site = await make_site(cookie_secure=True)
    for path in ("/portal/login", "/healthz", "/api/fleets"):
        response = await site.client.get(path)
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000", path
    login = await site.client.get("/portal/login")
    assert login.cookies[COOKIE]["secure"]


async def test_without_tls_there_is_no_hsts(make_site: SiteFactory) -> None:
    site = await make_site()
    response = await site.client.get("/portal/login")
    assert "Strict-Transport-Security" not in response.headers
    assert not response.cookies[COOKIE]["secure"]
