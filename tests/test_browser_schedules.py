"""The schedule editor in a real browser (issue 16): a manager builds office hours with a lunch
break, a yearly holiday and the opposite schedule, then changes a period — what the services
read back is what was typed."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer

from fleet import demo
from fleet.app import SERVICES
from fleet.core.schedules import Holiday, TimeRange, Weekday
from tests.test_browser import browser, server, shots, sign_in, snap

__all__ = ["browser", "server"]  # the fixtures, shared with tests/test_browser.py


async def test_a_manager_builds_office_hours_with_a_lunch_break_a_holiday_and_the_opposite(
    server: TestServer, browser: Any, tmp_path: Path
) -> None:
    services = server.app[SERVICES]
    line = await services.lines.get_by_msisdn("0611000002")
    base = str(server.make_url("")).rstrip("/")
    schedules = f"{base}/portal/fleets/{line.fleet_id}/schedules"
    page = await browser.new_page(viewport={"width": 1000, "height": 800})
    await sign_in(page, base, demo.MANAGER_LOGIN, demo.MANAGER_PASSWORD)
    await page.goto(schedules)
    await page.get_by_role("link", name="Ajouter horaire").click()
    await page.locator("#name").fill("Bureau")
    for day in ("Lundi", "Mardi"):
        for period, (start, end) in enumerate((("08:00", "12:00"), ("14:00", "18:00")), 1):
            await page.get_by_label(f"{day}, Période {period}, début").fill(start)
            await page.get_by_label(f"{day}, Période {period}, fin").fill(end)
    await page.get_by_label("Jour férié 1, Intitulé").fill("Noël")
    await page.get_by_label("Jour férié 1, Premier jour").fill("2026-12-25")
    await page.get_by_label("Jour férié 1, Dernier jour").fill("2026-12-26")
    await page.get_by_label("Jour férié 1, Chaque année").check()
    await page.get_by_label("Associer l'horaire opposé").check()
    await page.get_by_role("button", name="Valider").click()
    await page.get_by_role("link", name="Configurer Bureau").wait_for()
    await snap(page, shots(tmp_path) / "portal-schedules.png")

    saved = {s.name: s for s in await services.schedules.in_fleet(line.fleet_id)}
    office = saved["Bureau"]
    hours = [(8 * 60, 12 * 60), (14 * 60, 18 * 60)]
    assert sorted((r.day, r.start, r.end) for r in office.ranges) == sorted(
        (day, start, end) for day in (Weekday.MONDAY, Weekday.TUESDAY) for start, end in hours
    )
    assert office.holidays == (
        Holiday(label="Noël", first=date(2026, 12, 25), last=date(2026, 12, 26), yearly=True),
    )
    (opposite,) = [s for s in saved.values() if s.opposite_of == office.id]
    assert opposite.ranges == office.ranges and opposite.holidays == office.holidays

    # Monday afternoon now ends at 17:30; the opposite follows its source
    await page.get_by_role("link", name="Configurer Bureau").click()
    await page.get_by_label("Lundi, Période 2, fin").fill("17:30")
    await page.get_by_role("button", name="Valider").click()
    await page.get_by_role("link", name="Configurer Bureau").wait_for()
    changed = await services.schedules.get(office.id)
    assert TimeRange(day=Weekday.MONDAY, start=14 * 60, end=17 * 60 + 30) in changed.ranges
    assert TimeRange(day=Weekday.MONDAY, start=14 * 60, end=18 * 60) not in changed.ranges
    assert (await services.schedules.get(opposite.id)).ranges == changed.ranges
