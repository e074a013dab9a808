"""The portals in a real browser: Playwright driving Debian's Chromium (never a downloaded one).

Screenshots of the main pages go to ``tmp_path``; with ``FLEETPBX_SCREENSHOTS=docs`` they are
written where the README shows them."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet import demo
from fleet.app import SERVICES, build_app
from fleet.config import load_settings
from fleet.core import model
from fleet.core.values import CallEventKind, CallOutcome

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright_api = pytest.importorskip("playwright.async_api")


def _need_chromium() -> None:
    if shutil.which(CHROMIUM) is None:
        if os.environ.get("FLEETPBX_REQUIRE_TOOLS") == "1":
            pytest.fail("Debian's chromium is required (apt-get install chromium)")
        pytest.skip("chromium not installed (apt-get install chromium)")


@pytest.fixture
async def server(database_url: str, engine: AsyncEngine) -> AsyncIterator[TestServer]:
    app = build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    test_server = TestServer(app)
    await test_server.start_server()
    await demo.ensure_demo(app[SERVICES])
    yield test_server
    await test_server.close()


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    _need_chromium()
    async with playwright_api.async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        await chromium.close()


def shots(tmp_path: Path) -> Path:
    target = Path(os.environ.get("FLEETPBX_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


async def snap(page: object, path: Path, *, full_page: bool = False) -> None:
    """A screenshot for the docs. Chromium sometimes refuses one under load ("Unable to
    capture screenshot"): it is a picture, not a behaviour, so it is tried three times."""
    for attempt in range(3):
        try:
            await page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
            return
        except playwright_api.Error:
            if attempt == 2:
                raise
            await page.wait_for_load_state()  # type: ignore[attr-defined]


async def sign_in(page: object, base: str, login: str, password: str) -> None:
    await page.goto(f"{base}/portal/login")  # type: ignore[attr-defined]
    await page.get_by_label("Identifiant").fill(login)  # type: ignore[attr-defined]
    await page.get_by_label("Mot de passe").fill(password)  # type: ignore[attr-defined]
    await page.get_by_role("button", name="Se connecter").click()  # type: ignore[attr-defined]


async def test_a_manager_forwards_builds_a_group_connects_a_member_and_sees_an_error(
    server: TestServer, browser: object, tmp_path: Path
) -> None:
    base = str(server.make_url("")).rstrip("/")
    out = shots(tmp_path)
    page = await browser.new_page(viewport={"width": 1200, "height": 800})  # type: ignore[attr-defined]
    await page.goto(f"{base}/portal/login")
    await snap(page, out / "portal-login.png")
    await sign_in(page, base, demo.MANAGER_LOGIN, demo.MANAGER_PASSWORD)
    await page.get_by_role("link", name="Lignes de la flotte").click()
    await page.get_by_label("Rechercher").fill("2004")  # Madame C's short number
    await page.get_by_role("button", name="Rechercher").click()
    await snap(page, out / "portal-lines.png")
    await page.get_by_role("link", name="Gérer les renvois d'appel").first.click()
    # a busy forwarding to her assistant
    await page.locator('input[name="busy.active"]').check()
    await page.locator('input[name="busy.destination"]').fill("0611000007")
    await page.get_by_role("button", name="Valider").click()
    await page.get_by_text("Modifications enregistrées.").wait_for()
    await snap(page, out / "portal-forwarding.png")
    # a validation error: the reason next to the field, the input kept
    await page.locator('input[name="unconditional.active"]').check()
    await page.locator('input[name="unconditional.destination"]').fill("0899123456")
    await page.get_by_role("button", name="Valider").click()
    await page.get_by_role("alert").wait_for()
    assert "numéros spéciaux" in await page.get_by_role("alert").inner_text()
    assert (
        await page.locator('input[name="unconditional.destination"]').input_value() == "0899123456"
    )
    await snap(page, out / "portal-forwarding-error.png")
    # build a group and connect a member
    await page.get_by_role("link", name="Accueil").click()
    await page.get_by_role("link", name="Administrer les groupes d'appel").click()
    await page.get_by_role("link", name="Ajouter").click()
    for label, value in (
        ("N° du groupe", "0609182250"),
        ("Nom du groupe d'appel", "Livraisons"),
        ("Code connexion utilisateur", "4242"),
        ("Code administratif", "2424"),
    ):
        await page.get_by_label(label).fill(value)
    await page.get_by_label("Mode de distribution").select_option("simultaneous")
    await page.get_by_role("button", name="Valider", exact=True).click()
    await page.get_by_label("Ajouter un membre").fill("2004")
    await page.get_by_role("button", name="Ajouter", exact=True).click()
    await page.get_by_role("button", name="Connecter", exact=True).click()
    await page.get_by_text("Connecté", exact=True).wait_for()
    await snap(page, out / "portal-group.png")
    await page.get_by_role("link", name="Administrer les groupes d'appel").click()
    await snap(page, out / "portal-groups.png")
    services = server.app[SERVICES]
    group = await services.groups.get_by_number("0609182250")
    assert group.any_connected and group.members[0].employee_name == "Madame C"
    rules = await services.forwarding.of_line(group.members[0].line_id)
    active = {
        (r.kind.value, r.destination.national_digits()) for r in rules if r.active and r.destination
    }
    assert ("busy", "0611000007") in active  # next to the demo's 25 s no-reply forwarding


async def test_an_employee_changes_its_incoming_list(
    server: TestServer, browser: object, tmp_path: Path
) -> None:
    base = str(server.make_url("")).rstrip("/")
    out = shots(tmp_path)
    page = await browser.new_page(viewport={"width": 1000, "height": 700})  # type: ignore[attr-defined]
    await sign_in(page, base, demo.EMPLOYEE_LOGIN, demo.EMPLOYEE_PASSWORD)
    await page.get_by_role("link", name="Gérer les appels entrants").click()
    await page.get_by_label("Simultanément").check()
    await page.get_by_label("Liste d'appels 3").fill("")
    await page.get_by_role("button", name="Valider").click()
    await page.get_by_text("Modifications enregistrées.").wait_for()
    await snap(page, out / "portal-employee-incoming.png")
    line = await server.app[SERVICES].lines.get_by_msisdn("0611000002")
    plan = await server.app[SERVICES].incoming.get(line.id)
    assert plan is not None and plan.mode.value == "simultaneous" and len(plan.entries) == 2


async def test_a_manager_opens_a_line_turns_call_waiting_off_and_acts_as_its_user(
    server: TestServer, browser: object, tmp_path: Path
) -> None:
    base = str(server.make_url("")).rstrip("/")
    out = shots(tmp_path)
    services = server.app[SERVICES]
    madame_b = await services.lines.get_by_msisdn("0611000002")
    start = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    await services.calls.save(
        model.CallRecord(
            call_id="browser-1",
            fleet_id=madame_b.fleet_id,
            caller="+33699000001",
            called=madame_b.msisdn.value,
            offered_at=start,
            answered_at=start + timedelta(seconds=12),
            released_at=start + timedelta(seconds=140),
            outcome=CallOutcome.ANSWERED,
            events=(
                model.CallEvent(seq=1, at=start, kind=CallEventKind.OFFERED),
                model.CallEvent(seq=2, at=start, kind=CallEventKind.LIST_RING),
            ),
        )
    )
    page = await browser.new_page(viewport={"width": 1200, "height": 1000})  # type: ignore[attr-defined]
    await sign_in(page, base, demo.MANAGER_LOGIN, demo.MANAGER_PASSWORD)
    await page.get_by_role("link", name="Lignes de la flotte").click()
    await page.get_by_role("link", name="Madame B", exact=True).click()
    await page.get_by_label("Double appel").uncheck()
    await page.get_by_role("button", name="Valider").click()
    await page.get_by_text("Modifications enregistrées.").wait_for()
    assert "répondu" in await page.locator("#calls").inner_text()
    await snap(page, out / "portal-line.png", full_page=True)
    assert not (await services.lines.get(madame_b.id)).call_waiting
    await page.get_by_role("button", name="Agir en tant que cet utilisateur").click()
    await page.get_by_text("Vous agissez en tant que Madame B").wait_for()
    await snap(page, out / "portal-acting.png")
    await page.get_by_role("button", name="Revenir à mon compte").click()
    await page.get_by_label("Double appel").wait_for()  # back on her line's page


async def test_a_manager_sends_the_calls_nobody_answers_in_a_group_to_another_group(
    server: TestServer, browser: object, tmp_path: Path
) -> None:
    base = str(server.make_url("")).rstrip("/")
    page = await browser.new_page(viewport={"width": 1200, "height": 800})  # type: ignore[attr-defined]
    await sign_in(page, base, demo.MANAGER_LOGIN, demo.MANAGER_PASSWORD)
    await page.get_by_role("link", name="Administrer les groupes d'appel").click()
    row = page.locator("#groups tr", has_text="Com")
    await row.get_by_role("link", name="Modifier").click()
    await page.get_by_label("Si personne ne répond").select_option("forward_to_group")
    await page.get_by_label("Groupe de débordement").select_option(label="Taxis")
    await page.get_by_label("Attente maximale en file (s)").fill("300")
    await snap(page, shots(tmp_path) / "portal-group-no-answer.png")
    await page.get_by_role("button", name="Valider", exact=True).click()
    await page.locator("#groups").wait_for()
    services = server.app[SERVICES]
    com = await services.groups.get_by_number("0609182236")
    taxis = await services.groups.get_by_number("0611000099")
    assert (com.no_answer_action.value, com.no_answer_group_id) == ("forward_to_group", taxis.id)
    assert com.max_queue_wait == 300
    # the form shows the rule as saved
    await row.get_by_role("link", name="Modifier").click()
    chosen = page.get_by_label("Groupe de débordement").locator("option:checked")
    assert await chosen.inner_text() == "Taxis"
