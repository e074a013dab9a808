"""Every portal page in a real browser (Playwright on Debian's Chromium) at a 375 px phone's
width: axe-core (``axe-playwright-python``, which bundles it) finds no violation — its
WCAG 2.1 A/AA rules and its best practices — and nothing is wider than the screen but the
tables' own scroll boxes. Each page is visited once, both checks run there. And the keyboard:
a skip link first, then a focus ring that shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer
from axe_playwright_python.async_playwright import Axe

from fleet import demo
from fleet.app import SERVICES
from fleet.core import model
from fleet.core.contacts import abbreviated_range
from fleet.core.criteria import CallerFilter, Criteria
from fleet.core.schedules import Holiday, TimeRange, Weekday
from fleet.core.values import Actor, CallEventKind, CallOutcome, Channel
from fleet.services.contacts import ContactInput
from fleet.services.criteria import RuleRef
from tests.test_browser import browser, server, shots, sign_in, snap

__all__ = ["browser", "server"]  # the fixtures, shared with tests/test_browser.py
PHONE = {"width": 375, "height": 812}
OPERATOR_PASSWORD = "un-mot-de-passe-d-operateur"

# what sticks out of the screen, outside a table's scroll box (to name it when one does)
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const e of document.body.querySelectorAll('*')) {
    if (e.closest('.scroll')) continue;
    const box = e.getBoundingClientRect();
    if (box.width && box.right > width + 1) out.push(e.tagName + (e.id ? '#' + e.id : '')
      + (e.className ? '.' + e.className : '') + ' ' + Math.round(box.right));
  }
  return {scroll: document.documentElement.scrollWidth, viewport: window.innerWidth,
          out: out.slice(0, 5)};
}"""


async def checked(page: Any, url: str, axe: Axe, status: int = 200) -> list[str]:
    """The page's problems: an unexpected status, axe's violations, a width beyond the
    viewport's."""
    response = await page.goto(url)
    problems = [f"{url}: HTTP {response.status}"] if response.status != status else []
    return problems + await as_it_is(page, axe)


async def as_it_is(page: Any, axe: Axe) -> list[str]:
    """The checks on the page as it is now (after a form was sent, say)."""
    results = await axe.run(page)
    problems = [f"{page.url}: {results.generate_report()}"] if results.violations_count else []
    width = await page.evaluate(OVERFLOW)
    if width["scroll"] > width["viewport"]:
        problems.append(
            f"{page.url}: {width['scroll']} px wide on a {width['viewport']} px screen: "
            f"{width['out']}"
        )
    return problems


async def record_a_call(services: Any, line: model.Line) -> None:
    start = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    await services.calls.save(
        model.CallRecord(
            call_id="design-1",
            fleet_id=line.fleet_id,
            caller="+33699000001",
            called=line.msisdn.value,
            offered_at=start,
            answered_at=start + timedelta(seconds=12),
            released_at=start + timedelta(seconds=140),
            outcome=CallOutcome.ANSWERED,
            events=(
                model.CallEvent(seq=1, at=start, kind=CallEventKind.OFFERED),
                model.CallEvent(seq=2, at=start, kind=CallEventKind.LIST_RING),
            ),
            correlation_id="icid-design-1",
        )
    )


async def test_every_portal_page_passes_axe_and_fits_a_375_px_phone(
    server: TestServer, browser: Any, tmp_path: Path
) -> None:
    services = server.app[SERVICES]
    await services.accounts.create_operator(
        Actor(name="setup", channel=Channel.CLI),
        login="ops",
        password=OPERATOR_PASSWORD,
        display_name="Opératrice",
    )
    line = await services.lines.get_by_msisdn("0611000002")  # the demo's employee
    await record_a_call(services, line)
    group = (await services.groups.in_fleet(line.fleet_id))[0]
    schedule = await services.schedules.create(
        Actor(name="setup", channel=Channel.CLI),
        line.fleet_id,
        name="Horaire du magasin",
        ranges=[
            TimeRange(day=Weekday.MONDAY, start=540, end=720),
            TimeRange(day=Weekday.MONDAY, start=780, end=1080),
        ],
        holidays=[Holiday(label="Noël", first=date(2026, 12, 25), last=date(2026, 12, 25))],
        with_opposite=True,
    )
    fleet_view = await services.fleets.get(line.fleet_id)
    contact = await services.contacts.create(
        Actor(name="setup", channel=Channel.CLI),
        line.fleet_id,
        ContactInput(
            name="Garage Martin",
            company="Martin SA",
            number="0478000001",
            abbreviated=str(abbreviated_range(fleet_view.short_number_length)[0]),
        ),
    )
    await services.criteria.replace(  # the criteria page's list: two criteria, one off
        Actor(name="setup", channel=Channel.CLI),
        RuleRef.of_line(line.id, "incoming_list"),
        [
            Criteria(name="Magasin", schedule_id=schedule.id),
            Criteria(name="Masqués", active=False, callers=CallerFilter.HIDDEN),
        ],
    )
    base = str(server.make_url("")).rstrip("/")
    fleet = f"{base}/portal/fleets/{line.fleet_id}"
    operator = f"{base}/portal/operator/fleets/{line.fleet_id}"
    axe = Axe()
    problems: list[str] = []
    visited = 0

    async def visit(page: Any, url: str, status: int = 200, shot: str = "") -> None:
        nonlocal visited
        visited += 1
        problems.extend(await checked(page, url, axe, status))
        if shot:  # for the README: the page on a phone
            await snap(page, shots(tmp_path) / shot, full_page=True)

    anonymous = await browser.new_context(viewport=PHONE)
    page = await anonymous.new_page()
    await visit(page, f"{base}/portal/login")
    await visit(page, f"{base}/portal/login?lang=en")
    await anonymous.close()

    manager = await browser.new_context(viewport=PHONE)
    page = await manager.new_page()
    await sign_in(page, base, demo.MANAGER_LOGIN, demo.MANAGER_PASSWORD)
    await visit(page, f"{fleet}/lines", shot="portal-phone-lines.png")
    await visit(page, f"{fleet}/lines/{line.id}")
    for url in (
        f"{base}/portal/",
        f"{fleet}/lines/{line.id}/forwarding",
        f"{fleet}/lines/{line.id}/incoming",
        f"{fleet}/lines/{line.id}/criteria",
        f"{fleet}/groups/{group.id}/criteria",
        f"{fleet}/groups/{group.id}/criteria/new",
        f"{fleet}/groups",
        f"{fleet}/groups/{group.id}",
        f"{fleet}/groups/new",
        f"{fleet}/groups/{group.id}/edit",
        f"{fleet}/schedules",
        f"{fleet}/schedules/new",
        f"{fleet}/schedules/{schedule.id}",
        f"{fleet}/schedules/{schedule.id}/delete",
        f"{fleet}/monitor",
        f"{fleet}/lines/{line.id}/presented",
        f"{fleet}/main-number",
        f"{fleet}/directory",
        f"{fleet}/directory?q=garage",
        f"{fleet}/contacts/new",
        f"{fleet}/contacts/{contact.id}",
        f"{fleet}/contacts/{contact.id}/delete",
        f"{fleet}/fixed",
        f"{fleet}/audit",
        f"{fleet}/calls",
        f"{fleet}/transfer",
        f"{fleet}/print",
        f"{base}/portal/password",
    ):
        await visit(page, url)
    await visit(page, f"{base}/portal/no-such-page", status=404)  # an error page
    # a refused form: the reasons next to their fields
    await page.goto(f"{fleet}/lines/{line.id}/forwarding")
    await page.locator('input[name="unconditional.active"]').check()
    await page.locator('input[name="unconditional.destination"]').fill("0899123456")
    await page.get_by_role("button", name="Valider").click()
    await page.get_by_role("alert").wait_for()
    visited += 1
    problems.extend(await as_it_is(page, axe))
    # a refused schedule: overlapping periods, the reason announced
    await page.goto(f"{fleet}/schedules/new")
    await page.locator("#name").fill("Bureau")
    await page.get_by_label("Mardi, Période 1, début").fill("09:00")
    await page.get_by_label("Mardi, Période 1, fin").fill("12:00")
    await page.get_by_label("Mardi, Période 2, début").fill("11:00")
    await page.get_by_label("Mardi, Période 2, fin").fill("14:00")
    await page.get_by_role("button", name="Valider").click()
    await page.get_by_role("alert").wait_for()
    visited += 1
    problems.extend(await as_it_is(page, axe))
    # a refused contact: the abbreviated number out of range, the reason announced
    await page.goto(f"{fleet}/contacts/new")
    await page.locator("#name").fill("Taxi")
    await page.locator("#number").fill("0478000002")
    await page.locator("#abbreviated").fill("1")
    await page.get_by_role("button", name="Valider").click()
    await page.get_by_role("alert").wait_for()
    visited += 1
    problems.extend(await as_it_is(page, axe))
    # a refused criteria form: the rule's reason announced
    await page.goto(f"{fleet}/lines/{line.id}/criteria/dnd/new")
    await page.locator("#callers").select_option("numbers")
    await page.get_by_role("button", name="Valider").click()
    await page.get_by_role("alert").wait_for()
    visited += 1
    problems.extend(await as_it_is(page, axe))
    # a refused contacts file: every refused row listed
    await page.goto(f"{fleet}/directory")
    await page.locator('input[name="file"]').set_input_files(
        files=[{"name": "c.csv", "mimeType": "text/csv", "buffer": b"name;number\n;0478000009\n"}]
    )
    await page.get_by_role("button", name="Importer").click()
    await page.locator("#contacts-refused").wait_for()
    visited += 1
    problems.extend(await as_it_is(page, axe))
    # an import's preview: a faulty file, then a good one with its changes to confirm
    for content, shown in (
        (b"msisdn;employee_name\r\n0611000077;Nouvelle\r\n0899000000;Faux\r\n", "#faults"),
        (b"msisdn;employee_name\r\n0611000077;Nouvelle\r\n", "#changes"),
    ):
        await page.goto(f"{fleet}/transfer")
        await page.locator('input[name="file"]').set_input_files(
            files=[{"name": "lines.csv", "mimeType": "text/csv", "buffer": content}]
        )
        await page.get_by_role("button", name="Prévisualiser").click()
        await page.locator(shown).wait_for()
        visited += 1
        problems.extend(await as_it_is(page, axe))
    await manager.close()

    employee = await browser.new_context(viewport=PHONE)
    page = await employee.new_page()
    await sign_in(page, base, demo.EMPLOYEE_LOGIN, demo.EMPLOYEE_PASSWORD)
    for url in (
        f"{base}/portal/me",
        f"{base}/portal/me/forwarding",
        f"{base}/portal/me/incoming",
        f"{base}/portal/me/criteria",
        f"{base}/portal/me/settings",
        f"{base}/portal/me/directory",
        f"{base}/portal/me/presented",
    ):
        await visit(page, url)
    await visit(page, f"{fleet}/lines", status=403)  # an employee refused a manager's page
    await employee.close()

    operators = await browser.new_context(viewport=PHONE)
    page = await operators.new_page()
    await sign_in(page, base, "ops", OPERATOR_PASSWORD)
    for url in (
        f"{base}/portal/operator",
        f"{base}/portal/operator/accounts",
        operator,  # with the fleet's settings form
        f"{operator}/lines/{line.id}/remove",  # the confirmation pages
        f"{operator}/remove",
    ):
        await visit(page, url)
    # the checks do fail: a field without a label, a page wider than the screen
    await page.evaluate(SPOILER)
    spoiled = await as_it_is(page, axe)
    assert "label" in spoiled[0] and "px wide" in spoiled[1]
    await operators.close()

    assert visited == 53
    assert not problems, "\n\n".join(problems)


SPOILER = """() => {
  document.querySelector('main').insertAdjacentHTML(
    'beforeend', '<input><div style="width: 600px">600 px</div>');
}"""


async def test_the_keyboard_skips_to_the_content_and_its_focus_is_always_visible(
    server: TestServer, browser: Any
) -> None:
    base = str(server.make_url("")).rstrip("/")
    context = await browser.new_context(viewport={"width": 1200, "height": 800})
    page = await context.new_page()
    await sign_in(page, base, demo.MANAGER_LOGIN, demo.MANAGER_PASSWORD)
    await page.get_by_role("link", name="Lignes de la flotte").click()
    await page.get_by_role("heading", level=1).wait_for()
    # the first Tab reaches the skip link, which shows itself on the screen
    await page.keyboard.press("Tab")
    focused = await page.evaluate(FOCUSED)
    assert focused["text"] == "Aller au contenu" and focused["href"].endswith("#main")
    assert focused["top"] >= 0 and focused["visible_ring"], focused
    # following it puts the keyboard in the content: the next Tab is past the header and menu
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"
    await page.keyboard.press("Tab")
    inside = await page.evaluate("document.activeElement.closest('main') !== null")
    assert inside
    # every link and button the keyboard reaches shows a ring
    await page.evaluate("document.activeElement.blur()")
    await page.goto(page.url)
    for _ in range(12):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED)
        assert focused["visible_ring"], focused
    await context.close()


FOCUSED = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  const box = e.getBoundingClientRect();
  return {
    tag: e.tagName, text: e.textContent.trim(), href: e.getAttribute('href') || '',
    top: box.top,
    visible_ring: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
      || (style.boxShadow !== 'none' && style.boxShadow !== ''),
  };
}"""
