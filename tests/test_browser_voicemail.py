"""The voicemail choice in a real browser (issue 16 item 7), on a deployment with a voicemail
platform: the manager picks "la messagerie vocale" for busy forwarding on a 375 px phone, the
form, the line page and the group editor pass axe-core and fit the screen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from axe_playwright_python.async_playwright import Axe
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet import demo
from fleet.app import SERVICES, build_app
from fleet.config import load_settings
from fleet.core.values import ForwardingKind, ForwardingTarget
from tests.test_browser import browser, sign_in
from tests.test_browser_design import PHONE, as_it_is, checked

__all__ = ["browser"]  # the fixture, shared with tests/test_browser.py

PLATFORM = "0699999123"


@pytest.fixture
async def server(database_url: str, engine: AsyncEngine) -> AsyncIterator[TestServer]:
    given = {"database_url": database_url, "voicemail_number": PLATFORM}
    app = build_app(settings=load_settings(cli=given, env={}))
    test_server = TestServer(app)
    await test_server.start_server()
    await demo.ensure_demo(app[SERVICES])
    yield test_server
    await test_server.close()


async def test_the_manager_chooses_voicemail_on_a_phone_and_every_page_passes_axe(
    server: TestServer, browser: Any
) -> None:
    services = server.app[SERVICES]
    line = await services.lines.get_by_msisdn("0611000002")  # the demo's employee
    group = (await services.groups.in_fleet(line.fleet_id))[0]
    base = str(server.make_url("")).rstrip("/")
    fleet = f"{base}/portal/fleets/{line.fleet_id}"
    axe = Axe()
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await sign_in(page, base, demo.MANAGER_LOGIN, demo.MANAGER_PASSWORD)
    problems = await checked(page, f"{fleet}/lines/{line.id}/forwarding", axe)
    await page.locator('input[name="busy.active"]').check()
    await page.get_by_label("Sur occupation — Renvoyer vers").select_option("voicemail")
    await page.get_by_role("button", name="Valider").click()
    await page.get_by_role("status").wait_for()
    problems += await as_it_is(page, axe)
    problems += await checked(page, f"{fleet}/lines/{line.id}", axe)
    problems += await checked(page, f"{fleet}/groups/{group.id}/edit", axe)
    await context.close()
    assert problems == []
    busy = next(
        r for r in await services.forwarding.of_line(line.id) if r.kind is ForwardingKind.BUSY
    )
    assert (busy.target, busy.active) == (ForwardingTarget.VOICEMAIL, True)
