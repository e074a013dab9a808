"""Versions of the provisioning API's resources (``ETag`` / ``If-Match``): a fleet, a fixed
number, a fleet's account, an operator's account, a SIP trunk, and a line's removal. Each read
answers an ``ETag``; a write with a stale ``If-Match`` is refused with 412 and writes nothing;
the current version (or none, or ``*``) lets it through, and a change gives the resource a
new version."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.trunks import TrunkState
from portal.openapi import document
from tests.conftest import dump
from tests.test_api_operator import SETUP, Api, rest
from tests.world import PASSWORD

__all__ = ["rest"]  # the fixture, shared with tests/test_api_operator.py
STALE = '"0123456789abcdef0123456789abcdef"'


@dataclass
class Kind:
    """A kind of resource: where to read it, its writes, and someone else's change of it."""

    name: str
    read: str
    writes: list[tuple[str, str, Any]]  # (method, path, body)
    meanwhile: Callable[[], Awaitable[object]]


async def _kinds(rest: Api) -> list[Kind]:
    s, w = rest.services, rest.built.world
    fleet = f"/api/fleets/{rest.fleet}"
    fixed = f"{fleet}/fixed-numbers/{w.fixed.id}"
    salarie = await s.accounts.get_by_login("salarie")
    account = f"{fleet}/accounts/{salarie.id}"
    ops2 = await s.accounts.create_operator(
        SETUP, login="ops2", password=PASSWORD, display_name="Deux"
    )
    operator = f"/api/operators/{ops2.id}"
    spare = await s.trunks.add(SETUP, rest.fleet, name="trunk-secours", host="pbx2.example")
    trunk = f"{fleet}/trunks/{spare.trunk.id}"
    line = w.line(4)
    line_path = f"{fleet}/lines/{line.id}"
    new_password = {"password": "un-nouveau-secret"}
    return [
        Kind(
            "fleet",
            fleet,
            [
                ("PATCH", fleet, {"name": "Taxis Express Lyon"}),
                ("DELETE", f"{fleet}?confirm=true", None),
            ],
            lambda: s.fleets.update(SETUP, rest.fleet, timezone="Europe/Brussels"),
        ),
        Kind(
            "fixed number",
            fixed,
            [("PATCH", fixed, {"label": "Standard"}), ("DELETE", fixed, None)],
            lambda: s.fleets.update_fixed_number(SETUP, w.fixed.id, label="Réception"),
        ),
        Kind(
            "account",
            account,
            [
                ("PATCH", account, {"active": False}),
                ("POST", f"{account}/password", new_password),
                ("DELETE", account, None),
            ],
            lambda: s.accounts.set_active(SETUP, salarie.id, False),
        ),
        Kind(
            "operator",
            operator,
            [
                ("PATCH", operator, {"active": False}),
                ("POST", f"{operator}/password", new_password),
                ("DELETE", operator, None),
            ],
            lambda: s.accounts.set_active(SETUP, ops2.id, False),
        ),
        Kind(
            "trunk",
            trunk,
            [("PATCH", trunk, {"port": 5070}), ("DELETE", trunk, None)],
            lambda: s.trunks.update(SETUP, spare.trunk.id, host="pbx3.example"),
        ),
        Kind(
            "line",
            line_path,
            [("DELETE", f"{line_path}?confirm=true", None)],
            lambda: s.lines.update(SETUP, line.id, email="autre@example.com"),
        ),
    ]


KINDS = ["fleet", "fixed number", "account", "operator", "trunk", "line"]


async def _kind(rest: Api, name: str) -> Kind:
    return next(k for k in await _kinds(rest) if k.name == name)


async def _etag(rest: Api, path: str) -> str:
    response = await rest.client.get(path, headers=rest.operator)
    assert response.status == 200, await response.text()
    return response.headers["ETag"]


async def _send(rest: Api, method: str, path: str, body: Any, if_match: str | None) -> Any:
    headers = dict(rest.operator)
    if if_match is not None:
        headers["If-Match"] = if_match
    return await rest.client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize("name", KINDS)
async def test_a_stale_if_match_is_refused_with_412_and_writes_nothing(
    rest: Api, engine: AsyncEngine, name: str
) -> None:
    kind = await _kind(rest, name)
    read = await _etag(rest, kind.read)
    await kind.meanwhile()  # someone else changes it: the version read is stale
    assert await _etag(rest, kind.read) != read
    before = await dump(engine)
    for method, path, body in kind.writes:
        for stale in (read, STALE, f"W/{read}"):
            response = await _send(rest, method, path, body, stale)
            problem = await response.json()
            assert (response.status, problem["code"]) == (412, "precondition_failed"), (
                method,
                path,
                problem,
            )
    assert await dump(engine) == before


@pytest.mark.parametrize("name", KINDS)
async def test_the_current_version_lets_each_write_through(rest: Api, name: str) -> None:
    kind = await _kind(rest, name)
    for method, path, body in kind.writes:
        current = await _etag(rest, kind.read)
        response = await _send(rest, method, path, body, f"{STALE}, {current}")
        assert response.status in (200, 204), (method, path, await response.text())
        if method == "PATCH":  # a change: the answer carries the new version, the read's
            assert response.headers["ETag"] != current
            assert response.headers["ETag"] == await _etag(rest, kind.read)
        if method == "POST":  # a new password: not part of the version
            assert response.headers["ETag"] == current == await _etag(rest, kind.read)


async def test_without_if_match_or_with_a_star_the_write_is_made(rest: Api) -> None:
    fleet = f"/api/fleets/{rest.fleet}"
    first = await _send(rest, "PATCH", fleet, {"name": "Sans version"}, None)
    assert first.status == 200
    second = await _send(rest, "PATCH", fleet, {"name": "Toute version"}, "*")
    assert second.status == 200
    assert (await second.json())["name"] == "Toute version"


async def test_a_created_resource_answers_its_version_and_where_it_is(rest: Api) -> None:
    for path, body in (
        ("/api/fleets", {"name": "Ambulances"}),
        (
            f"/api/fleets/{rest.fleet}/fixed-numbers",
            {"number": "0145678919", "label": "Atelier", "trunk": "trunk-siege"},
        ),
        (f"/api/fleets/{rest.fleet}/trunks", {"name": "trunk-neuf", "host": "pbx9.example"}),
        ("/api/operators", {"login": "ops9", "password": PASSWORD, "display_name": "Neuf"}),
        (
            f"/api/fleets/{rest.fleet}/lines",
            {"msisdn": "0644000077", "employee_name": "Nouvelle Ligne"},
        ),
    ):
        created = await _send(rest, "POST", path, body, None)
        assert created.status == 201, await created.text()
        if "Location" in created.headers:
            assert created.headers["ETag"] == await _etag(rest, created.headers["Location"])
        else:
            assert created.headers["ETag"].startswith('"')


async def test_a_probe_changing_a_trunks_state_leaves_its_version(rest: Api) -> None:
    trunk = (await rest.services.trunks.in_fleet(rest.fleet))[0].trunk
    path = f"/api/fleets/{rest.fleet}/trunks/{trunk.id}"
    before = await _etag(rest, path)
    await rest.services.trunks.set_state(trunk.id, TrunkState.OUT_OF_SERVICE)
    shown = await (await rest.client.get(path, headers=rest.operator)).json()
    assert shown["state"] == "out_of_service"
    assert await _etag(rest, path) == before
    changed = await _send(rest, "PATCH", path, {"port": 5062}, before)
    assert changed.status == 200


async def test_a_manager_reads_an_account_of_its_fleet_but_not_of_another(rest: Api) -> None:
    chef = await rest.services.accounts.get_by_login("chef")
    own = await rest.client.get(
        f"/api/fleets/{rest.fleet}/accounts/{chef.id}", headers=rest.manager
    )
    assert own.status == 200 and "ETag" in own.headers
    foreign = await rest.client.get(
        f"/api/fleets/{rest.other}/accounts/{chef.id}", headers=rest.manager
    )
    assert foreign.status == 404
    operators = await rest.client.get(f"/api/operators/{rest.operator_id}", headers=rest.manager)
    assert operators.status == 403


def test_the_openapi_document_gives_every_versioned_route_its_headers() -> None:
    paths = document()["paths"]
    conditional = {
        "/api/fleets/{fleet_id}": ("patch", "delete"),
        "/api/fleets/{fleet_id}/lines/{line_id}": ("delete",),
        "/api/fleets/{fleet_id}/fixed-numbers/{fixed_id}": ("patch", "delete"),
        "/api/fleets/{fleet_id}/accounts/{account_id}": ("patch", "delete"),
        "/api/fleets/{fleet_id}/accounts/{account_id}/password": ("post",),
        "/api/operators/{account_id}": ("patch", "delete"),
        "/api/operators/{account_id}/password": ("post",),
        "/api/fleets/{fleet_id}/trunks/{trunk_id}": ("patch", "delete"),
    }
    for path, methods in conditional.items():
        for method in methods:
            operation = paths[path][method]
            names = [p["name"] for p in operation["parameters"]]
            assert "If-Match" in names and "412" in operation["responses"], (method, path)
        if "get" in paths[path]:
            ok = paths[path]["get"]["responses"]["200"]
            assert "ETag" in ok["headers"], path
