"""The operator's portal pages: every fleet after sign-in; a fleet created; its lines added
and removed after a confirmation page saying what goes with them; fixed numbers added and
removed; accounts created, disabled, given a new password; a fleet removed after the same
confirmation; every manager page of any fleet open to an operator; a manager and an
employee kept out of the operator's pages, with nothing written."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES, build_app
from fleet.config import load_settings
from fleet.core.values import Actor, Channel
from fleet.services.container import Services
from tests.conftest import dump
from tests.test_portal import csrf, sign_in, text
from tests.world import PASSWORD, World, build_accounts

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]
SETUP = Actor(name="setup", channel=Channel.CLI)


@dataclass
class Site:
    client: Client
    world: World
    services: Services


@pytest.fixture
async def site(aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine) -> Site:
    app = build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    client = await aiohttp_client(app)
    services = app[SERVICES]
    built = await build_accounts(services, SETUP)
    await services.accounts.create_operator(
        SETUP, login="ops", password=PASSWORD, display_name="Opérateur", language="en"
    )
    return Site(client, built.world, services)


async def _post(client: Client, path: str, data: dict[str, str], page: str) -> ClientResponse:
    token = await csrf(client, page)
    return await client.post(path, data={**data, "csrf": token}, allow_redirects=False)


async def test_an_operator_lands_on_every_fleet_and_creates_one(site: Site) -> None:
    client = site.client
    token = await csrf(client)
    signed = await client.post(
        "/portal/login",
        data={"login": "ops", "password": PASSWORD, "csrf": token},
        allow_redirects=False,
    )
    assert signed.headers["Location"] == "/portal/operator"
    assert (await client.get("/portal/", allow_redirects=False)).headers[
        "Location"
    ] == "/portal/operator"
    page = await text(await client.get("/portal/operator"))
    assert "Every fleet" in page and "Taxis Express" in page and "Autre Société" in page
    created = await _post(
        client,
        "/portal/operator/fleets",
        {"name": "Ambulances", "short_number_length": "3", "language": "fr", "timezone": ""},
        "/portal/operator",
    )
    assert created.status == 302
    fleet_page = await text(await client.get(created.headers["Location"]))
    assert "<h1>Ambulances</h1>" in fleet_page
    refused = await _post(
        client,
        "/portal/operator/fleets",
        {"name": "", "timezone": "Mars/Olympus"},
        "/portal/operator",
    )
    assert refused.status == 422


async def test_an_operator_fills_a_fleet_and_removes_a_line_after_confirming(
    site: Site, engine: AsyncEngine
) -> None:
    client = site.client
    await sign_in(client, "ops")
    base = f"/portal/operator/fleets/{site.world.fleet.id}"
    added = await _post(
        client,
        f"{base}/lines",
        {
            "msisdn": "0644000001",
            "employee_name": "Zoé Neuve",
            "short_number": "2050",
            "email": "zoe@example.com",
            "language": "",
            "pabx_option": "on",
        },
        base,
    )
    assert added.status == 302 and added.headers["Location"].endswith("done=line_added")
    page = await text(await client.get(f"{base}?q=Zoé"))
    assert "Zoé Neuve" in page and "06 44 00 00 01" in page
    clash = await _post(
        client, f"{base}/lines", {"msisdn": "0644000001", "employee_name": "Deux"}, base
    )
    assert clash.status == 409
    assert "Deux" in await text(clash)  # what was typed is kept
    fixed = await _post(
        client,
        f"{base}/fixed",
        {"number": "0145678912", "label": "Standard", "trunk": "trunk-siege"},
        base,
    )
    assert fixed.status == 302
    numbers = await site.services.fleets.fixed_numbers(site.world.fleet.id)
    standard = next(f for f in numbers if f.label == "Standard")
    removed = await _post(client, f"{base}/fixed/{standard.id}/remove", {}, base)
    assert removed.status == 302
    account = await _post(
        client,
        f"{base}/accounts",
        {"role": "employee", "login": "zoe", "password": PASSWORD, "line": "0644000001"},
        base,
    )
    assert account.status == 302
    line = await site.services.lines.get_by_msisdn("0644000001")
    confirm = await text(await client.get(f"{base}/lines/{line.id}/remove"))
    assert "Confirm the removal" in confirm
    assert re.search(r"1</strong> employee account removed : zoe<", confirm), confirm
    assert "<strong>06 44 00 00 01 Zoé Neuve</strong>" in confirm
    before = await dump(engine)
    assert await dump(engine) == before  # the confirmation page removes nothing
    gone = await _post(
        client, f"{base}/lines/{line.id}/remove", {}, f"{base}/lines/{line.id}/remove"
    )
    assert gone.status == 302 and gone.headers["Location"].endswith("done=line_removed")
    assert "Zoé Neuve" not in await text(await client.get(base))


async def test_an_operator_creates_a_manager_disables_it_and_gives_it_a_new_password(
    site: Site,
) -> None:
    client = site.client
    await sign_in(client, "ops")
    base = f"/portal/operator/fleets/{site.world.fleet.id}"
    made = await _post(
        client,
        f"{base}/accounts",
        {"role": "manager", "login": "chef2", "password": PASSWORD, "display_name": "Chef Deux"},
        base,
    )
    assert made.status == 302
    chef2 = await site.services.accounts.get_by_login("chef2")
    assert chef2.fleet_ids == (site.world.fleet.id,)
    off = await _post(client, f"{base}/accounts/{chef2.id}/active", {"active": "0"}, base)
    assert off.status == 302
    assert not (await site.services.accounts.get_by_login("chef2")).active
    weak = await _post(client, f"{base}/accounts/{chef2.id}/password", {"password": "x"}, base)
    assert weak.status == 422
    new = await _post(
        client, f"{base}/accounts/{chef2.id}/password", {"password": "un-nouveau-secret"}, base
    )
    assert new.status == 302


async def test_a_fleet_is_removed_after_a_confirmation_page_listing_what_it_holds(
    site: Site,
) -> None:
    client = site.client
    await sign_in(client, "ops")
    base = f"/portal/operator/fleets/{site.world.fleet.id}"
    confirm = await text(await client.get(f"{base}/remove"))
    assert "13</strong> mobile lines removed" in confirm and "and 3 more" in confirm
    assert "1</strong> manager who loses the fleet : chef<" in confirm
    gone = await _post(client, f"{base}/remove", {}, f"{base}/remove")
    assert gone.headers["Location"] == "/portal/operator?done=fleet_removed"
    assert [f.name for f in await site.services.fleets.all()] == ["Autre Société"]


async def test_an_operator_opens_every_manager_page_of_any_fleet(site: Site) -> None:
    client = site.client
    await sign_in(client, "ops")
    for fleet in (site.world.fleet, site.world.other_fleet):
        for page in ("lines", "groups", "fixed", "audit"):
            response = await client.get(f"/portal/fleets/{fleet.id}/{page}")
            assert response.status == 200, (fleet.name, page)
    line = site.world.foreign
    assert (await client.get(f"/portal/fleets/{line.fleet_id}/lines/{line.id}")).status == 200
    assert (await client.get("/portal/fleets/999999/lines")).status == 404


@pytest.mark.parametrize("login", ["chef", "salarie"])
async def test_a_manager_or_an_employee_is_kept_out_of_the_operator_pages(
    site: Site, engine: AsyncEngine, login: str
) -> None:
    client = site.client
    await sign_in(client, login)
    fleet = site.world.fleet.id
    line = site.world.line(0).id
    before = await dump(engine)
    ops = await site.services.accounts.get_by_login("ops")
    for path in (
        "/portal/operator",
        "/portal/operator/accounts",
        f"/portal/operator/fleets/{fleet}",
        f"/portal/operator/fleets/{fleet}/remove",
        f"/portal/operator/fleets/{fleet}/lines/{line}/remove",
    ):
        assert (await client.get(path)).status == 403, path
    token = await csrf(client, "/portal/password")
    for path, data in (
        ("/portal/operator/fleets", {"name": "Intruse"}),
        (f"/portal/operator/fleets/{fleet}/lines", {"msisdn": "0644000009", "employee_name": "X"}),
        (f"/portal/operator/fleets/{fleet}/lines/{line}/remove", {}),
        (f"/portal/operator/fleets/{fleet}/remove", {}),
        (
            f"/portal/operator/fleets/{fleet}/accounts",
            {"role": "manager", "login": "intrus", "password": PASSWORD},
        ),
        (
            f"/portal/operator/fleets/{fleet}/settings",
            {"name": "Intruse", "short_number_length": "4", "language": "fr"},
        ),
        (
            "/portal/operator/accounts",
            {"login": "intrus", "password": PASSWORD, "display_name": "Intrus"},
        ),
        (f"/portal/operator/accounts/{ops.id}/active", {"active": "0"}),
        (f"/portal/operator/accounts/{ops.id}/password", {"password": "un-nouveau-secret"}),
    ):
        response = await client.post(path, data={**data, "csrf": token}, allow_redirects=False)
        assert response.status == 403, path
    assert await dump(engine) == before


async def test_without_signing_in_the_operator_pages_send_to_the_sign_in(
    site: Site, engine: AsyncEngine
) -> None:
    for path in ("/portal/operator", "/portal/operator/accounts"):
        response = await site.client.get(path, allow_redirects=False)
        assert response.headers["Location"] == "/portal/login", path
    ops = await site.services.accounts.get_by_login("ops")
    fleet = site.world.fleet.id
    token = await csrf(site.client)
    before = await dump(engine)
    for path, data in (
        (f"/portal/operator/fleets/{fleet}/settings", {"name": "Anonyme"}),
        ("/portal/operator/accounts", {"login": "anonyme", "password": PASSWORD}),
        (f"/portal/operator/accounts/{ops.id}/active", {"active": "0"}),
        (f"/portal/operator/accounts/{ops.id}/password", {"password": "un-nouveau-secret"}),
    ):
        response = await site.client.post(path, data={**data, "csrf": token}, allow_redirects=False)
        assert response.status in (302, 303) and response.headers["Location"] == "/portal/login"
    assert await dump(engine) == before
