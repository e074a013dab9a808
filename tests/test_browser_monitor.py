"""The activity monitor in a real browser (issue 16 item 8): on a 375 px phone, the page
changes by itself as a call rings a group's member, as the member answers, and as he rests
after hanging up — and passes axe in each state, in French and in English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer
from axe_playwright_python.async_playwright import Axe

from fleet import demo
from fleet.app import EXCHANGE, SERVICES
from simulators.handsets import Behaviour
from tests.exchange import n
from tests.test_browser import browser, server, shots, sign_in, snap
from tests.test_browser_design import PHONE, as_it_is

__all__ = ["browser", "server"]
CALLER = "0699000042"


async def test_the_monitor_page_follows_a_call_to_a_member_live(
    server: TestServer, browser: Any, tmp_path: Path
) -> None:
    app = server.app
    services = app[SERVICES]
    manager = await services.accounts.get_by_login(demo.MANAGER_LOGIN)
    fleet_id = manager.fleet_ids[0]
    group = next(g for g in await services.groups.in_fleet(fleet_id) if g.name == "Com")
    member = next(m for m in group.members if m.connected)  # Monsieur A
    network = app[EXCHANGE].network
    network.add(member.msisdn, member.employee_name, behaviour=Behaviour(answer_after=None))
    network.add(n(CALLER), "Client", behaviour=Behaviour(answer_after=None))
    base = str(server.make_url("")).rstrip("/")
    axe = Axe()
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await sign_in(page, base, demo.MANAGER_LOGIN, demo.MANAGER_PASSWORD)
    await page.goto(f"{base}/portal/fleets/{fleet_id}/monitor")
    row = page.locator(f'#monitor-group-{group.id} tr[data-line="{member.line_id}"]')
    assert await row.get_attribute("data-state") == "available"
    problems = await as_it_is(page, axe)

    network.dial(n(CALLER), group.number.value)  # the page is not reloaded from here on
    await page.locator(f'#monitor-group-{group.id} tr[data-state="ringing"]').wait_for()
    assert "sonne" in await row.inner_text()
    assert "Membres sonnés : 1" in await page.locator("#monitor-announce").inner_text()
    problems += await as_it_is(page, axe)
    await snap(page, shots(tmp_path) / "portal-phone-monitor.png", full_page=True)

    network.answer(member.msisdn)
    await page.locator(f'#monitor-group-{group.id} tr[data-state="in_call"]').wait_for()
    assert "en communication" in await row.inner_text()

    network.hang_up(n(CALLER))
    await page.locator(f'#monitor-group-{group.id} tr[data-state="resting"]').wait_for()
    assert "au repos (jusqu'à " in await row.inner_text()
    problems += await as_it_is(page, axe)

    await page.goto(f"{base}/portal/fleets/{fleet_id}/monitor?lang=en")
    assert "resting (until " in await row.inner_text()
    problems += await as_it_is(page, axe)
    await context.close()
    assert not problems, "\n".join(problems)
