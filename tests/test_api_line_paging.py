"""``GET /api/fleets/{id}/lines`` paged by keyset: every line once in name order through
``next_cursor`` / ``next``, a search paged the same way, a cursor not ours refused with
``cursor_invalid``, and the deprecated ``offset`` paging as before."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES, build_app
from fleet.config import load_settings
from fleet.core.values import Actor, Channel
from fleet.services.linebrowse import Cursor
from fleet.services.lines import NewLine
from tests.conftest import dump
from tests.world import PASSWORD, build_accounts

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]
EXTRA = ["Paule Martin", "Paul Petit", "Pauline Roux", "Apolline Paulet", "Zébulon Paulin"]


@dataclass
class Paging:
    client: Client
    url: str
    headers: dict[str, str]
    names: list[str]  # every line of the fleet, in the API's order


@pytest.fixture
async def paging(aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine) -> Paging:
    app = build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    client = await aiohttp_client(app)
    services = app[SERVICES]
    actor = Actor(name="setup", channel=Channel.CLI)
    world = (await build_accounts(services, actor)).world
    await services.lines.create_many(
        actor,
        world.fleet.id,
        [NewLine(msisdn=f"06770000{i:02d}", employee_name=name) for i, name in enumerate(EXTRA)],
    )
    everyone = await services.lines.search(world.fleet.id, limit=500)
    response = await client.post("/api/login", json={"login": "chef", "password": PASSWORD})
    token = (await response.json())["token"]
    return Paging(
        client,
        f"/api/fleets/{world.fleet.id}/lines",
        {"Authorization": f"Bearer {token}"},
        [line.employee_name for line in everyone.items],
    )


async def _get(paging: Paging, url: str, **params: str) -> tuple[int, Any]:
    response = await paging.client.get(url, params=params, headers=paging.headers)
    return response.status, await response.json()


async def test_the_cursor_walks_every_line_once_in_name_order(paging: Paging) -> None:
    status, first = await _get(paging, paging.url, limit="3")
    assert status == 200
    assert first["total"] == len(paging.names) and first["total_exact"] is True
    assert "offset" not in first and first["limit"] == 3
    seen = [line["employee_name"] for line in first["items"]]
    page = first
    while page["next_cursor"] is not None:
        status, again = await _get(paging, paging.url, limit="3", after=page["next_cursor"])
        status_link, linked = await _get(paging, page["next"])  # the link gives the same page
        assert status == status_link == 200 and again == linked
        assert again["total"] == len(paging.names)
        seen += [line["employee_name"] for line in again["items"]]
        page = again
    assert seen == paging.names
    assert page["next"] is None and len(page["items"]) <= 3


async def test_the_last_page_has_no_next_and_a_cursor_past_the_end_gives_nothing(
    paging: Paging,
) -> None:
    status, whole = await _get(paging, paging.url, limit="500")
    assert status == 200 and whole["next_cursor"] is None and whole["next"] is None
    last = whole["items"][-1]
    past = Cursor(last["employee_name"], last["id"]).encode()
    status, empty = await _get(paging, paging.url, after=past)
    assert status == 200 and empty["items"] == [] and empty["next_cursor"] is None


async def test_a_search_is_paged_by_cursor_with_its_search_kept(paging: Paging) -> None:
    matching = [n for n in paging.names if "paul" in n.lower()]
    assert len(matching) == len(EXTRA)
    status, first = await _get(paging, paging.url, q="paul", limit="2")
    assert status == 200 and first["total"] == len(EXTRA) and first["total_exact"] is True
    assert "q=paul" in first["next"]
    seen = [line["employee_name"] for line in first["items"]]
    page = first
    while page["next"] is not None:
        status, page = await _get(paging, page["next"])
        assert status == 200
        seen += [line["employee_name"] for line in page["items"]]
    assert seen == matching


@pytest.mark.parametrize(
    ("after", "status"),
    [
        ("not a cursor!", 400),  # not base64url text
        ("Zm9v", 422),  # base64url, but not a cursor this API gave ("foo")
        (Cursor("x", 1).encode()[:-3] + "___", 422),
    ],
)
async def test_a_cursor_not_ours_is_refused_with_cursor_invalid_and_changes_nothing(
    paging: Paging, engine: AsyncEngine, after: str, status: int
) -> None:
    before = await dump(engine)
    response = await paging.client.get(paging.url, params={"after": after}, headers=paging.headers)
    problem = await response.json()
    assert response.status == status and response.content_type == "application/problem+json"
    assert problem["code"] == "cursor_invalid" and problem["field"] == "after"
    assert await dump(engine) == before


async def test_the_deprecated_offset_still_pages_and_cannot_be_mixed_with_after(
    paging: Paging,
) -> None:
    status, page = await _get(paging, paging.url, offset="2", limit="3")
    assert status == 200 and page["offset"] == 2 and page["total"] == len(paging.names)
    assert [line["employee_name"] for line in page["items"]] == paging.names[2:5]
    status, mixed = await _get(paging, paging.url, offset="0", after=Cursor("x", 1).encode())
    assert status == 422 and mixed["code"] == "invalid_query" and mixed["field"] == "offset"
