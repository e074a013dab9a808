"""The role matrix of the REST API's provisioning routes (issue 13): the operator passes every
new route on any fleet; a fleet manager only its fleets, and never an operators' route; an
employee and no one refused; nothing written on any refusal."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.values import Actor, Channel
from fleet.services.contacts import ContactInput
from tests.conftest import dump
from tests.test_api_operator import Api, rest
from tests.world import PASSWORD

__all__ = ["rest"]  # the fixture, shared with tests/test_api_operator.py

# -- the role matrix ----------------------------------------------------------------------------

OPERATOR_ONLY = "operator_only"
MANAGED = "managed"  # a manager passes on its own fleet


def _matrix(rest: Api) -> list[tuple[str, str, object, str]]:
    """Every new route, on the manager's own fleet, with a body that would succeed."""
    w = rest.built.world
    own, line, fixed = rest.fleet, w.line(5).id, w.fixed.id
    return [
        ("POST", "/api/fleets", {"name": "Nouvelle"}, OPERATOR_ONLY),
        ("GET", f"/api/fleets/{own}", None, MANAGED),
        ("PATCH", f"/api/fleets/{own}", {"name": "Renommée"}, OPERATOR_ONLY),
        ("DELETE", f"/api/fleets/{own}?confirm=true", None, OPERATOR_ONLY),
        (
            "POST",
            f"/api/fleets/{own}/lines",
            {"msisdn": "0644000001", "employee_name": "N"},
            OPERATOR_ONLY,
        ),
        ("DELETE", f"/api/fleets/{own}/lines/{line}?confirm=true", None, OPERATOR_ONLY),
        ("GET", f"/api/fleets/{own}/fixed-numbers", None, MANAGED),
        (
            "POST",
            f"/api/fleets/{own}/fixed-numbers",
            {"number": "0145678919", "label": "L", "trunk": "trunk-siege"},
            OPERATOR_ONLY,
        ),
        ("GET", f"/api/fleets/{own}/fixed-numbers/{fixed}", None, MANAGED),
        ("PATCH", f"/api/fleets/{own}/fixed-numbers/{fixed}", {"label": "L2"}, MANAGED),
        ("DELETE", f"/api/fleets/{own}/fixed-numbers/{fixed}", None, OPERATOR_ONLY),
        ("GET", f"/api/fleets/{own}/accounts", None, MANAGED),
        (
            "POST",
            f"/api/fleets/{own}/accounts",
            {"role": "manager", "login": "mgr2", "password": PASSWORD, "display_name": "M"},
            OPERATOR_ONLY,
        ),
        (
            "POST",
            f"/api/fleets/{own}/accounts",
            {"role": "employee", "login": "emp2", "password": PASSWORD, "line_id": w.line(6).id},
            MANAGED,
        ),
        ("GET", "/api/operators", None, OPERATOR_ONLY),
        (
            "POST",
            "/api/operators",
            {"login": "ops3", "password": PASSWORD, "display_name": "O"},
            OPERATOR_ONLY,
        ),
        ("GET", f"/api/operators/{rest.operator_id}", None, OPERATOR_ONLY),
        ("PATCH", f"/api/operators/{rest.operator_id}", {"active": True}, OPERATOR_ONLY),
        (
            "POST",
            f"/api/operators/{rest.operator_id}/password",
            {"password": PASSWORD},
            OPERATOR_ONLY,
        ),
        ("DELETE", f"/api/operators/{rest.operator_id}", None, OPERATOR_ONLY),
    ]


async def _account_routes(rest: Api) -> list[tuple[str, str, object, str]]:
    """The routes on one account: the manager's own (operator only) and an employee's."""
    own = rest.fleet
    chef = (await rest.services.accounts.get_by_login("chef")).id
    salarie = (await rest.services.accounts.get_by_login("salarie")).id
    found: list[tuple[str, str, object, str]] = []
    for account, who in ((chef, OPERATOR_ONLY), (salarie, MANAGED)):
        url = f"/api/fleets/{own}/accounts/{account}"
        found += [
            ("GET", url, None, MANAGED),  # a manager reads every account of its fleet
            ("PATCH", url, {"active": False}, who),
            ("POST", f"{url}/password", {"password": "un-nouveau-secret"}, who),
            ("DELETE", url, None, who),
        ]
    return found


async def _schedule_routes(rest: Api) -> list[tuple[str, str, object, str]]:
    """The schedules' routes (issue 16), on a schedule of the manager's fleet."""
    own = rest.fleet
    actor = Actor(name="setup", channel=Channel.CLI)
    shop = await rest.services.schedules.create(actor, own, name="Magasin")
    url = f"/api/fleets/{own}/schedules"
    ranges = [{"day": "monday", "start": "09:00", "end": "12:00"}]
    return [
        ("GET", url, None, MANAGED),
        ("POST", url, {"name": "Bureau", "ranges": ranges}, MANAGED),
        ("GET", f"{url}/{shop.id}", None, MANAGED),
        ("GET", f"{url}/{shop.id}/verdict", None, MANAGED),
        ("PATCH", f"{url}/{shop.id}", {"ranges": ranges}, MANAGED),
        ("DELETE", f"{url}/{shop.id}", None, MANAGED),
    ]


def _monitor_routes(rest: Api) -> list[tuple[str, str, object, str]]:
    """The activity monitor's routes (issue 16 item 8), on the manager's fleet and group."""
    url = f"/api/fleets/{rest.fleet}"
    return [
        ("GET", f"{url}/monitor", None, MANAGED),
        ("GET", f"{url}/groups/{rest.built.group_id}/monitor", None, MANAGED),
    ]


def _presented_routes(rest: Api) -> list[tuple[str, str, object, str]]:
    """The presented number's routes (issue 16): the fleet's main number, a line's choice."""
    own, line = rest.fleet, rest.built.world.line(7).id
    main, presented = f"/api/fleets/{own}/main-number", f"/api/fleets/{own}/lines/{line}/presented"
    return [
        ("GET", main, None, MANAGED),
        ("PUT", main, {"main_number": "0145678910"}, MANAGED),
        ("GET", presented, None, MANAGED),
        ("PUT", presented, {"kind": "line"}, MANAGED),
    ]


async def _contact_routes(rest: Api) -> list[tuple[str, str, object, str]]:
    """The company directory's routes (issue 16), on a contact of the manager's fleet."""
    own = rest.fleet
    actor = Actor(name="setup", channel=Channel.CLI)
    garage = await rest.services.contacts.create(
        actor, own, ContactInput(name="Garage", number="0478000001")
    )
    url = f"/api/fleets/{own}/contacts"
    return [
        ("GET", url, None, MANAGED),
        ("POST", url, {"name": "Taxi", "number": "0478000002"}, MANAGED),
        ("GET", f"{url}/{garage.id}", None, MANAGED),
        ("PATCH", f"{url}/{garage.id}", {"notes": "clé"}, MANAGED),
        ("DELETE", f"{url}/{garage.id}", None, MANAGED),
        ("GET", f"/api/fleets/{own}/directory?q=gar", None, MANAGED),
    ]


async def _criteria_routes(rest: Api) -> list[tuple[str, str, object, str]]:
    """The routing criteria's routes (issue 16 item 2), on a line and a group of the
    manager's fleet."""
    own = rest.fleet
    line = rest.built.world.lines[1].id
    url = f"/api/fleets/{own}/lines/{line}/criteria"
    group = f"/api/fleets/{own}/groups/{rest.built.group_id}/criteria"
    return [
        ("GET", url, None, MANAGED),
        ("PUT", f"{url}/dnd", {"callers": "hidden"}, MANAGED),
        ("POST", f"{url}/dnd", {"callers": "inside_vpn"}, MANAGED),
        ("PUT", f"{url}/dnd/1", {"callers": "outside_vpn"}, MANAGED),
        ("DELETE", f"{url}/dnd/1", None, MANAGED),
        ("DELETE", f"{url}/dnd", None, MANAGED),
        ("GET", group, None, MANAGED),
        ("PUT", group, {"criteria": [{"callers": "outside_vpn"}]}, MANAGED),
        ("POST", group, {"name": "Masqués", "callers": "hidden"}, MANAGED),
        ("PUT", f"{group}/2", {"callers": "inside_vpn"}, MANAGED),
        ("DELETE", f"{group}/2", None, MANAGED),
        ("DELETE", group, None, MANAGED),
    ]


async def test_every_new_route_refuses_whom_it_must_and_writes_nothing(
    rest: Api, engine: AsyncEngine
) -> None:
    routes = [
        *_matrix(rest),
        *await _account_routes(rest),
        *await _schedule_routes(rest),
        *_monitor_routes(rest),
        *_presented_routes(rest),
        *await _contact_routes(rest),
        *await _criteria_routes(rest),
    ]
    covered = {(m, p.split("?")[0]) for m, p, _, _ in routes}
    assert len(covered) >= 15
    before = await dump(engine)
    for method, path, body, who in routes:
        for headers, expected in (
            ({}, 401),
            (rest.employee, 403),
            (rest.manager, 403 if who == OPERATOR_ONLY else None),
        ):
            if expected is None:
                continue
            response = await rest.client.request(method, path, json=body, headers=headers)
            assert response.status == expected, (method, path, headers, await response.text())
            assert response.content_type == "application/problem+json"
        # the manager on the same route of the other fleet: never there
        foreign = path.replace(f"/fleets/{rest.fleet}", f"/fleets/{rest.other}")
        if foreign != path and who == MANAGED:
            response = await rest.client.request(method, foreign, json=body, headers=rest.manager)
            assert response.status == 404, (method, foreign)
    assert await dump(engine) == before


async def test_the_operator_passes_every_new_route_on_any_fleet(rest: Api) -> None:
    # the other fleet too: an operator has no fleet of its own and manages them all
    w = rest.built.world
    other = rest.other
    reads: list[tuple[str, str, object]] = [
        ("GET", f"/api/fleets/{other}", None),
        ("GET", f"/api/fleets/{other}/accounts", None),
        ("GET", f"/api/fleets/{other}/lines", None),
        ("GET", f"/api/fleets/{other}/groups", None),
        ("GET", f"/api/fleets/{other}/monitor", None),
        ("GET", f"/api/fleets/{other}/groups/{rest.built.other_group_id}/monitor", None),
        ("PATCH", f"/api/fleets/{other}/lines/{w.foreign.id}", {"email": "a@example.com"}),
    ]
    for method, path, body in reads:
        response = await rest.client.request(method, path, json=body, headers=rest.operator)
        assert response.status == 200, (method, path, await response.text())
    routes = [
        *await _account_routes(rest),
        *await _schedule_routes(rest),
        *_monitor_routes(rest),
        *_presented_routes(rest),
        *await _contact_routes(rest),
        *await _criteria_routes(rest),
        *_matrix(rest),
    ]
    routes.sort(key=lambda r: r[1] == f"/api/fleets/{rest.fleet}?confirm=true")  # that last
    for method, path, body, _ in routes:
        if path.startswith("/api/operators/"):
            continue  # its own account: account_self (above)
        response = await rest.client.request(method, path, json=body, headers=rest.operator)
        assert response.status < 300, (method, path, await response.text())
