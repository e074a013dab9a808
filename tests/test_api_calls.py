"""The REST API's call logs (fleet and line: number, date range and outcome filters, keyset
paging, CSV) and audit journal, with times in the fleet's time zone; and their role matrix."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES, build_app
from fleet.config import load_settings
from fleet.core import model
from fleet.core.values import Actor, CallEventKind, CallOutcome, Channel, SessionCase
from tests.conftest import dump
from tests.world import PASSWORD, World, build_accounts

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]
# 23:30 UTC on 1 December is 00:30 on 2 December in Paris (UTC+1 in winter)
LATE = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


@dataclass
class Logs:
    client: Client
    world: World
    headers: dict[str, str]

    @property
    def fleet(self) -> str:
        return f"/api/fleets/{self.world.fleet.id}"

    async def get(self, path: str, **params: str) -> Any:
        response = await self.client.get(path, params=params, headers=self.headers)
        assert response.status == 200, await response.text()
        return await response.json()


def record(
    n: int, caller: str, called: str, at: datetime, outcome: CallOutcome, **more: Any
) -> model.CallRecord:
    answered = at + timedelta(seconds=5) if outcome is CallOutcome.ANSWERED else None
    return model.CallRecord(
        call_id=f"call-{n}",
        fleet_id=None,
        caller=caller,
        called=called,
        offered_at=at,
        answered_at=answered,
        released_at=at + timedelta(seconds=65),
        outcome=outcome,
        **more,
    )


@pytest.fixture
async def logs(aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine) -> Logs:
    app = build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    client = await aiohttp_client(app)
    services = app[SERVICES]
    built = await build_accounts(services, Actor(name="setup", channel=Channel.CLI))
    fleet = built.world.fleet.id
    one, two = built.world.line(0).msisdn.value, built.world.line(1).msisdn.value
    hidden = model.CallEvent(
        seq=1,
        at=LATE,
        kind=CallEventKind.OFFERED,
        to_number=two,
        detail={"presentation": "restricted"},
    )
    records = [
        record(1, one, "+33145678910", LATE - timedelta(hours=2), CallOutcome.ANSWERED),
        record(2, "+33145678910", one, LATE, CallOutcome.NO_ANSWER),
        record(3, one, two, LATE + timedelta(hours=1), CallOutcome.BUSY),
        record(
            4,
            "+33698765432",
            two,
            LATE + timedelta(hours=2),
            CallOutcome.ANSWERED,
            events=(hidden,),
        ),
        record(
            5,
            two,
            "+33145678910",
            LATE + timedelta(days=2),
            CallOutcome.ANSWERED,
            session_case=SessionCase.ORIGINATING,
            correlation_id="icid-5",
            caller_network_id="a5@core",
        ),
    ]
    for item in records:
        await services.calls.save(model.CallRecord(**{**_fields(item), "fleet_id": fleet}))
    other = record(6, built.world.foreign.msisdn.value, one, LATE, CallOutcome.ANSWERED)
    await services.calls.save(
        model.CallRecord(**{**_fields(other), "fleet_id": built.world.other_fleet.id})
    )
    response = await client.post("/api/login", json={"login": "chef", "password": PASSWORD})
    token = (await response.json())["token"]
    return Logs(client, built.world, {"Authorization": f"Bearer {token}"})


def _fields(item: model.CallRecord) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__slots__}


def ids(page: dict[str, Any]) -> list[str]:
    return [item["call_id"] for item in page["items"]]


async def test_the_fleet_log_is_newest_first_with_times_in_the_fleets_zone(logs: Logs) -> None:
    page = await logs.get(f"{logs.fleet}/calls")
    assert ids(page) == ["call-5", "call-4", "call-3", "call-2", "call-1"]
    assert page["next_cursor"] is None
    second = page["items"][3]
    assert second["offered_at"] == "2026-12-02T00:30:00+01:00"
    assert (second["caller"], second["called"]) == ("+33145678910", logs.world.line(0).msisdn.value)
    assert page["items"][1]["caller"] is None  # the caller hid its number
    assert page["items"][0]["duration"] == 60
    visit = {k: page["items"][0][k] for k in ("session_case", "correlation_id")}
    assert visit == {"session_case": "originating", "correlation_id": "icid-5"}
    assert (page["items"][0]["caller_network_id"], page["items"][0]["callee_network_id"]) == (
        "a5@core",
        None,
    )
    assert page["items"][1]["session_case"] == "terminating"  # a simulated call: one visit


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"number": "01 45 67 89 10"}, ["call-5", "call-2", "call-1"]),
        ({"number": "+33145678910", "outcome": "answered"}, ["call-5", "call-1"]),
        ({"outcome": "busy"}, ["call-3"]),
        # days in Paris: 23:30 UTC on 1 December is already 2 December
        ({"since": "2026-12-02", "until": "2026-12-02"}, ["call-4", "call-3", "call-2"]),
        ({"until": "2026-12-01"}, ["call-1"]),
        ({"since": "2026-12-02T01:00:00+01:00"}, ["call-5", "call-4", "call-3"]),
        ({"since": "2026-12-02T01:00:00"}, ["call-5", "call-4", "call-3"]),
    ],
)
async def test_the_fleet_log_is_filtered(
    logs: Logs, params: dict[str, str], expected: list[str]
) -> None:
    assert ids(await logs.get(f"{logs.fleet}/calls", **params)) == expected


async def test_a_line_log_holds_only_the_lines_calls(logs: Logs) -> None:
    path = f"{logs.fleet}/lines/{logs.world.line(0).id}/calls"
    assert ids(await logs.get(path)) == ["call-3", "call-2", "call-1"]
    assert ids(await logs.get(path, outcome="no_answer")) == ["call-2"]


async def test_pages_follow_each_other_by_cursor_without_gap_or_repeat(logs: Logs) -> None:
    seen: list[str] = []
    params = {"limit": "2"}
    pages = 0
    while True:
        page = await logs.get(f"{logs.fleet}/calls", **params)
        pages += 1
        seen += ids(page)
        if page["next_cursor"] is None:
            break
        params = {"limit": "2", "cursor": page["next_cursor"]}
    assert pages == 3
    assert seen == ["call-5", "call-4", "call-3", "call-2", "call-1"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"outcome": "lost"}, "outcome"),
        ({"since": "9999-12-31", "until": "9999-12-31"}, "until"),
        ({"cursor": "bm90LWEtY3Vyc29y"}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"format": "xml"}, "format"),
    ],
)
async def test_an_unreadable_filter_is_a_problem_naming_it(
    logs: Logs, params: dict[str, str], field: str
) -> None:
    response = await logs.client.get(f"{logs.fleet}/calls", params=params, headers=logs.headers)
    malformed = field in ("limit", "format")  # out of the documented shape
    assert response.status == (400 if malformed else 422)
    assert (await response.json())["field"] == field


@pytest.mark.parametrize("how", ["query", "accept"])
async def test_the_log_exports_as_csv_in_utf8_with_semicolons_and_leading_zeros(
    logs: Logs, how: str
) -> None:
    headers, params = dict(logs.headers), {"outcome": "answered"}
    if how == "query":
        params["format"] = "csv"
    else:
        headers["Accept"] = "text/csv"
    response = await logs.client.get(f"{logs.fleet}/calls", params=params, headers=headers)
    assert response.status == 200
    assert response.content_type == "text/csv" and response.charset == "utf-8"
    raw = await response.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = raw.decode("utf-8-sig").splitlines()
    assert rows[0] == (
        "offered_at (Europe/Paris);caller;called;outcome;duration;events;call_id;"
        "session_case;correlation_id;caller_network_id;callee_network_id"
    )
    assert rows[1:] == [
        "2026-12-04 00:30:00;0611000002;0145678910;answered;60;;call-5;originating;icid-5;a5@core;",
        "2026-12-02 02:30:00;anonymous;0611000002;answered;60;;call-4;terminating;;;",
        "2026-12-01 22:30:00;0611000001;0145678910;answered;60;;call-1;terminating;;;",
    ]


async def test_a_csv_export_holds_every_page(logs: Logs) -> None:
    params = {"format": "csv", "limit": "1"}
    response = await logs.client.get(f"{logs.fleet}/calls", params=params, headers=logs.headers)
    assert len((await response.text()).splitlines()) == 1 + 5


async def test_the_audit_journal_is_paged_with_times_in_the_fleets_zone(logs: Logs) -> None:
    await logs.client.patch(
        f"{logs.fleet}/lines/{logs.world.line(0).id}",
        json={"employee_name": "Renommé"},
        headers=logs.headers,
    )
    first = await logs.get(f"{logs.fleet}/audit", limit="1")
    assert first["total"] > 1 and len(first["items"]) == 1
    newest = first["items"][0]
    assert (newest["actor"], newest["channel"], newest["entity"]) == ("chef", "api", "line")
    assert newest["after"]["employee_name"] == "Renommé"
    assert newest["at"].endswith(("+01:00", "+02:00"))
    second = await logs.get(f"{logs.fleet}/audit", limit="1", offset="1")
    assert second["items"][0]["id"] != newest["id"]


async def test_no_log_of_another_fleet_and_none_without_a_manager(
    logs: Logs, engine: AsyncEngine
) -> None:
    other = logs.world.other_fleet.id
    paths = [
        f"/api/fleets/{other}/calls",
        f"/api/fleets/{other}/audit",
        f"/api/fleets/{other}/lines/{logs.world.foreign.id}/calls",
        f"{logs.fleet}/lines/{logs.world.foreign.id}/calls",
    ]
    before = await dump(engine)
    for path in paths:
        response = await logs.client.get(path, headers=logs.headers)
        assert response.status == 404, path
    own = [f"{logs.fleet}/calls", f"{logs.fleet}/audit"]
    for path in own:
        assert (await logs.client.get(path)).status == 401
    assert await dump(engine) == before
    employee = await logs.client.post("/api/login", json={"login": "salarie", "password": PASSWORD})
    assert employee.status == 403  # an employee gets no token
