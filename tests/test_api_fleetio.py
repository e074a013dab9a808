"""The REST API's bulk import and export: the fleet's managers only; a preview writes
nothing; faulty rows answered as 422 with every fault, in the caller's language."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES, build_app
from fleet.config import load_settings
from fleet.core.values import Actor, Channel
from fleet.db.tables import AccountRow
from fleet.services.container import Services
from portal import api, api_fleetio
from portal.openapi import document
from tests.conftest import dump
from tests.world import PASSWORD, Accounts, build_accounts

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]
CSV = "msisdn;short_number;employee_name\n0611009001;3001;Nouvelle\n"


@dataclass
class Api:
    client: Client
    accounts: Accounts
    services: Services

    @property
    def base(self) -> str:
        return f"/api/fleets/{self.accounts.world.fleet.id}"

    async def headers(self) -> dict[str, str]:
        response = await self.client.post(
            "/api/login", json={"login": "chef", "password": PASSWORD}
        )
        return {"Authorization": f"Bearer {(await response.json())['token']}"}

    async def employee_headers(self, engine: AsyncEngine) -> dict[str, str]:
        """An employee gets no token from /api/login: one signed with the service's key."""
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    select(AccountRow.id, AccountRow.session_epoch).where(
                        AccountRow.login == "salarie"
                    )
                )
            ).one()
        token = api.issue_token(self.client.app[api.TOKEN_KEY], row.id, row.session_epoch)
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def rest(aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine) -> Api:
    app = build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    client = await aiohttp_client(app)
    services = app[SERVICES]
    built = await build_accounts(services, Actor(name="setup", channel=Channel.CLI))
    return Api(client, built, services)


def test_the_openapi_document_lists_the_import_and_export_routes() -> None:
    paths = document()["paths"]
    for method, path, _ in api_fleetio.ROUTES:
        assert method.lower() in paths[path], (method, path)
    body = paths["/api/fleets/{fleet_id}/import"]["post"]["requestBody"]["content"]
    assert set(body) == {"text/csv", "application/json"}


async def test_a_manager_exports_csv_and_json(rest: Api) -> None:
    headers = await rest.headers()
    csv = await rest.client.get(f"{rest.base}/export?format=csv", headers=headers)
    assert csv.status == 200 and csv.content_type == "text/csv"
    text = (await csv.read()).decode("utf-8-sig")
    assert text.splitlines()[1].startswith("0611000001;2001;Salarié 1;")
    configuration = await rest.client.get(f"{rest.base}/export?format=json", headers=headers)
    document = await configuration.json()
    assert document["format"] == "fleetpbx.fleet"
    assert [g["name"] for g in document["groups"]] == ["Com"]
    assert "secret" not in str(document["trunks"])
    bad = await rest.client.get(f"{rest.base}/export?format=xls", headers=headers)
    assert bad.status == 400


async def test_a_preview_writes_nothing_and_the_import_applies(
    rest: Api, engine: AsyncEngine
) -> None:
    headers = {**await rest.headers(), "Content-Type": "text/csv"}
    before = await dump(engine)
    preview = await rest.client.post(f"{rest.base}/import?dry_run=true", data=CSV, headers=headers)
    assert preview.status == 200
    report = await preview.json()
    assert (report["applied"], report["created"]) == (False, 1)
    assert report["changes"][0] | {"fields": []} == {
        "line": 2,
        "path": None,
        "entity": "line",
        "key": "06 11 00 90 01",
        "action": "create",
        "fields": [],
    }
    assert await dump(engine) == before
    applied = await rest.client.post(f"{rest.base}/import", data=CSV, headers=headers)
    assert applied.status == 200 and (await applied.json())["applied"] is True
    assert (await rest.services.lines.get_by_msisdn("0611009001")).employee_name == "Nouvelle"


async def test_an_import_may_exceed_the_1_mib_of_other_requests_up_to_its_own_cap(
    rest: Api, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {**await rest.headers(), "Content-Type": "application/json"}
    exported = await rest.client.get(f"{rest.base}/export?format=json", headers=headers)
    padded = (await exported.text()) + " " * (3 * 1024 * 1024 // 2)  # JSON allows the spaces
    before = await dump(engine)
    body = padded.encode()
    again = await rest.client.post(f"{rest.base}/import", data=io.BytesIO(body), headers=headers)
    assert again.status == 200, await again.text()
    assert (await again.json())["created"] == 0  # the same configuration: nothing changes
    monkeypatch.setattr(api_fleetio, "IMPORT_MAX_BYTES", 1024 * 1024)
    refused = await rest.client.post(f"{rest.base}/import", data=io.BytesIO(body), headers=headers)
    assert refused.status == 413 and refused.content_type == "application/problem+json"
    assert await dump(engine) == before


async def test_faulty_rows_are_a_422_in_the_callers_language_and_nothing_is_written(
    rest: Api, engine: AsyncEngine
) -> None:
    headers = {**await rest.headers(), "Content-Type": "text/csv", "Accept-Language": "en"}
    before = await dump(engine)
    text = CSV + "0612;3002;Court\n0611009003;3001;Doublon\n"
    response = await rest.client.post(f"{rest.base}/import", data=text, headers=headers)
    assert response.status == 422 and response.content_type == "application/problem+json"
    problem = await response.json()
    assert (problem["status"], problem["code"], problem["applied"]) == (
        422,
        "import_rows_faulty",
        False,
    )
    faults = problem["faults"]
    assert [(f["line"], f["code"]) for f in faults] == [
        (3, "number_invalid"),
        (4, "import_duplicate"),
    ]
    assert faults[0]["message"] == "'0612' is not a valid number."
    assert await dump(engine) == before


async def test_employees_strangers_and_other_fleets_are_refused_and_nothing_is_written(
    rest: Api, engine: AsyncEngine
) -> None:
    employee = await rest.employee_headers(engine)
    other = f"/api/fleets/{rest.accounts.world.other_fleet.id}"
    manager = await rest.headers()
    before = await dump(engine)
    for path, headers, status in (
        (rest.base, employee, 403),
        (rest.base, {}, 401),
        (other, manager, 404),
    ):
        exported = await rest.client.get(f"{path}/export?format=csv", headers=headers)
        assert exported.status == status, path
        imported = await rest.client.post(f"{path}/import?format=csv", data=CSV, headers=headers)
        assert imported.status == status, path
    assert await dump(engine) == before
