"""The REST API's provisioning (issue 13): an operator creates, changes and removes fleets,
lines, fixed numbers and accounts on every fleet; a removal without ``confirm=true`` says
what it would take and removes nothing; the role matrix on every new route (operator
everywhere, a manager only its fleets and never the operator-only routes, an employee and
no one refused), with nothing written on any refusal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES, build_app
from fleet.config import load_settings
from fleet.core.values import Actor, Channel, ForwardingKind
from fleet.db.tables import AccountRow
from fleet.services.audit import AuditFilter
from fleet.services.container import Services
from portal import api, api_accounts, api_operator
from portal.openapi import document
from tests.conftest import dump
from tests.world import PASSWORD, Accounts, build_accounts

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]
SETUP = Actor(name="setup", channel=Channel.CLI)


@dataclass
class Api:
    client: Client
    built: Accounts
    services: Services
    operator: dict[str, str]
    manager: dict[str, str]
    employee: dict[str, str]
    operator_id: int

    @property
    def fleet(self) -> int:
        return self.built.world.fleet.id

    @property
    def other(self) -> int:
        return self.built.world.other_fleet.id


async def _token(client: Client, login: str) -> dict[str, str]:
    response = await client.post("/api/login", json={"login": login, "password": PASSWORD})
    assert response.status == 200, await response.text()
    return {"Authorization": f"Bearer {(await response.json())['token']}"}


@pytest.fixture
async def rest(aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine) -> Api:
    app = build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    client = await aiohttp_client(app)
    services = app[SERVICES]
    built = await build_accounts(services, SETUP)
    ops = await services.accounts.create_operator(
        SETUP, login="ops", password=PASSWORD, display_name="Opérateur"
    )
    salarie = await services.accounts.get_by_login("salarie")
    async with engine.connect() as conn:
        epoch = await conn.scalar(
            select(AccountRow.session_epoch).where(AccountRow.id == salarie.id)
        )
    assert isinstance(epoch, str)
    employee = {"Authorization": f"Bearer {api.issue_token(app[api.TOKEN_KEY], salarie.id, epoch)}"}
    return Api(
        client,
        built,
        services,
        await _token(client, "ops"),
        await _token(client, "chef"),
        employee,
        ops.id,
    )


def test_the_openapi_document_lists_every_provisioning_route() -> None:
    paths = document()["paths"]
    for method, path, _ in [*api_operator.ROUTES, *api_accounts.ROUTES]:
        assert method.lower() in paths[path], (method, path)
    assert "get" in paths["/api/fleets"] and "post" in paths["/api/fleets"]


async def test_an_operator_sets_up_a_company_from_nothing(rest: Api) -> None:
    c, ops = rest.client, rest.operator
    created = await c.post(
        "/api/fleets", json={"name": "Ambulances Rapides", "short_number_length": 3}, headers=ops
    )
    assert created.status == 201
    fleet = await created.json()
    base = f"/api/fleets/{fleet['id']}"
    assert (fleet["name"], fleet["short_number_length"], fleet["language"]) == (
        "Ambulances Rapides",
        3,
        "fr",
    )
    listed = await (await c.get("/api/fleets", headers=ops)).json()
    assert {f["name"] for f in listed} == {"Taxis Express", "Autre Société", "Ambulances Rapides"}
    renamed = await c.patch(base, json={"timezone": "Europe/Brussels"}, headers=ops)
    assert (await renamed.json())["timezone"] == "Europe/Brussels"
    lines = []
    for number, name, short in (("0633000001", "Alice", "101"), ("0633000002", "Bruno", "102")):
        added = await c.post(
            f"{base}/lines",
            json={
                "msisdn": number,
                "employee_name": name,
                "short_number": short,
                "email": f"{name.lower()}@example.com",
                "language": "en",
            },
            headers=ops,
        )
        assert added.status == 201, await added.text()
        lines.append(await added.json())
    assert lines[0]["pabx_option"] is True and lines[0]["language"] == "en"
    manager = await c.post(
        f"{base}/accounts",
        json={
            "role": "manager",
            "login": "amb.chef",
            "password": PASSWORD,
            "display_name": "Chef Ambulances",
        },
        headers=ops,
    )
    assert manager.status == 201
    assert (await manager.json())["fleet_ids"] == [fleet["id"]]
    employee = await c.post(
        f"{base}/accounts",
        json={
            "role": "employee",
            "login": "alice",
            "password": PASSWORD,
            "line_id": lines[0]["id"],
        },
        headers=ops,
    )
    assert employee.status == 201
    accounts = await (await c.get(f"{base}/accounts", headers=ops)).json()
    assert [(a["login"], a["role"]) for a in accounts] == [
        ("alice", "employee"),
        ("amb.chef", "manager"),
    ]
    their = await _token(c, "amb.chef")
    seen = await (await c.get(f"{base}/lines", headers=their)).json()
    assert [line["employee_name"] for line in seen["items"]] == ["Alice", "Bruno"]
    journal = await rest.services.audit.search(AuditFilter(fleet_id=fleet["id"]))
    made = {(e.entity, e.action.value, e.actor, e.channel) for e in journal.items}
    assert ("line", "create", "ops", Channel.API) in made
    assert ("fleet", "create", "ops", Channel.API) in made


async def test_removing_a_line_without_confirmation_says_what_it_takes_and_removes_nothing(
    rest: Api, engine: AsyncEngine
) -> None:
    line = rest.built.world.line(0)  # member of "Com", with the employee account "salarie"
    await rest.services.forwarding.set(
        SETUP,
        rest.built.world.line(3).id,
        ForwardingKind.BUSY,
        destination=line.msisdn.national_digits(),
        active=True,
        no_reply_timer=None,
    )
    url = f"/api/fleets/{rest.fleet}/lines/{line.id}"
    before = await dump(engine)
    asked = await rest.client.delete(url, headers=rest.operator)
    assert asked.status == 409 and asked.content_type == "application/problem+json"
    problem = await asked.json()
    assert problem["code"] == "confirmation_required"
    items = {i["kind"]: i for i in problem["impact"]["items"]}
    assert items["memberships"]["names"] == ["Com"]
    assert items["accounts_removed"]["names"] == ["salarie"]
    assert items["forwarded_to"]["count"] == 1
    assert await dump(engine) == before
    done = await rest.client.delete(url + "?confirm=true", headers=rest.operator)
    assert done.status == 204
    assert (await rest.client.get(url, headers=rest.operator)).status == 404


async def test_removing_a_fleet_without_confirmation_lists_everything_it_holds(
    rest: Api, engine: AsyncEngine
) -> None:
    url = f"/api/fleets/{rest.fleet}"
    before = await dump(engine)
    asked = await rest.client.delete(url + "?confirm=false", headers=rest.operator)
    assert asked.status == 409
    items = {i["kind"]: i for i in (await asked.json())["impact"]["items"]}
    assert items["lines"]["count"] == 13 and len(items["lines"]["names"]) == 10
    assert items["fixed_numbers"]["names"] == ["Accueil"]
    assert items["groups"]["names"] == ["Com"]
    assert items["trunks"]["names"] == ["trunk-siege"]
    assert items["accounts_removed"]["names"] == ["salarie"]
    assert items["managers_losing"]["names"] == ["chef"]
    assert await dump(engine) == before
    assert (await rest.client.delete(url + "?confirm=yes", headers=rest.operator)).status == 400
    assert (await rest.client.delete(url + "?confirm=true", headers=rest.operator)).status == 204
    listed = await (await rest.client.get("/api/fleets", headers=rest.operator)).json()
    assert [f["name"] for f in listed] == ["Autre Société"]


async def test_fixed_numbers_are_added_changed_and_removed(rest: Api) -> None:
    base = f"/api/fleets/{rest.fleet}/fixed-numbers"
    added = await rest.client.post(
        base,
        json={
            "number": "0145678911",
            "label": "Standard",
            "trunk": "trunk-siege",
            "short_number": "3000",
        },
        headers=rest.operator,
    )
    assert added.status == 201
    fixed = await added.json()
    changed = await rest.client.patch(
        f"{base}/{fixed['id']}", json={"label": "Standard 2"}, headers=rest.manager
    )
    assert (await changed.json())["label"] == "Standard 2"
    refused = await rest.client.post(
        base, json={"number": "0145678912", "label": "x", "trunk": "nope"}, headers=rest.operator
    )
    assert refused.status == 422 and (await refused.json())["code"] == "trunk_unknown"
    assert (await rest.client.delete(f"{base}/{fixed['id']}", headers=rest.operator)).status == 204
    listed = await (await rest.client.get(base, headers=rest.manager)).json()
    assert [f["label"] for f in listed] == ["Accueil"]


async def test_a_manager_gives_and_takes_its_employees_access(rest: Api) -> None:
    base = f"/api/fleets/{rest.fleet}/accounts"
    line = rest.built.world.line(4)
    created = await rest.client.post(
        base,
        json={"role": "employee", "login": "s.cinq", "password": PASSWORD, "line_id": line.id},
        headers=rest.manager,
    )
    assert created.status == 201
    account = await created.json()
    assert account["display_name"] == line.employee_name
    off = await rest.client.patch(
        f"{base}/{account['id']}", json={"active": False}, headers=rest.manager
    )
    assert (await off.json())["active"] is False
    reset = await rest.client.post(
        f"{base}/{account['id']}/password",
        json={"password": "un-autre-secret"},
        headers=rest.manager,
    )
    assert reset.status == 204
    assert (await rest.client.delete(f"{base}/{account['id']}", headers=rest.manager)).status == 204
    foreign = await rest.client.post(
        base,
        json={
            "role": "employee",
            "login": "x.y",
            "password": PASSWORD,
            "line_id": rest.built.world.foreign.id,
        },
        headers=rest.manager,
    )
    assert foreign.status == 422


async def test_no_one_disables_or_removes_its_own_account(rest: Api, engine: AsyncEngine) -> None:
    before = await dump(engine)
    url = f"/api/operators/{rest.operator_id}"
    off = await rest.client.patch(url, json={"active": False}, headers=rest.operator)
    assert off.status == 409 and (await off.json())["code"] == "account_self"
    assert (await rest.client.delete(url, headers=rest.operator)).status == 409
    assert await dump(engine) == before


async def test_an_operator_manages_the_operators_accounts(rest: Api) -> None:
    created = await rest.client.post(
        "/api/operators",
        json={"login": "ops2", "password": PASSWORD, "display_name": "Second"},
        headers=rest.operator,
    )
    assert created.status == 201
    second = await created.json()
    assert (second["role"], second["fleet_ids"]) == ("operator", [])
    listed = await (await rest.client.get("/api/operators", headers=rest.operator)).json()
    assert [a["login"] for a in listed] == ["ops", "ops2"]
    url = f"/api/operators/{second['id']}"
    assert (
        await rest.client.patch(url, json={"active": False}, headers=rest.operator)
    ).status == 200
    assert (
        await rest.client.post(
            f"{url}/password", json={"password": "encore-un-secret"}, headers=rest.operator
        )
    ).status == 204
    assert (await rest.client.delete(url, headers=rest.operator)).status == 204
    chef = (await rest.services.accounts.get_by_login("chef")).id
    assert (await rest.client.delete(f"/api/operators/{chef}", headers=rest.operator)).status == 404


async def test_enabling_an_active_account_changes_nothing_and_keeps_its_sessions(
    rest: Api, engine: AsyncEngine
) -> None:
    salarie = (await rest.services.accounts.get_by_login("salarie")).id
    before = await dump(engine)
    url = f"/api/fleets/{rest.fleet}/accounts/{salarie}"
    again = await rest.client.patch(url, json={"active": True}, headers=rest.manager)
    assert again.status == 200 and (await again.json())["active"] is True
    assert await dump(engine) == before
    mine = await rest.client.get(f"/api/fleets/{rest.fleet}", headers=rest.employee)
    assert mine.status == 403  # the employee's token still valid (401 otherwise), just refused
