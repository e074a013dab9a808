"""The operator's portal in a real browser (Playwright on Debian's Chromium): an operator
signs in, creates a company with two lines and a manager's account; the manager signs in
and sees the two lines."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestServer

from fleet.app import SERVICES
from fleet.core.values import Actor, Channel
from tests.test_browser import browser, server, shots, sign_in, snap

__all__ = ["browser", "server"]  # the fixtures, shared with tests/test_browser.py
PASSWORD = "un-mot-de-passe"


async def test_an_operator_sets_up_a_company_and_its_manager_sees_the_two_lines(
    server: TestServer, browser: object, tmp_path: Path
) -> None:
    services = server.app[SERVICES]
    await services.accounts.create_operator(
        Actor(name="setup", channel=Channel.CLI),
        login="ops",
        password=PASSWORD,
        display_name="Opératrice",
    )
    base = str(server.make_url("")).rstrip("/")
    out = shots(tmp_path)
    page = await browser.new_page(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    await sign_in(page, base, "ops", PASSWORD)
    await page.get_by_role("heading", name="Toutes les flottes").wait_for()
    create = page.locator("#create-fleet")
    await create.get_by_label("Nom de la flotte").fill("Ambulances Rapides")
    await create.get_by_label("Longueur des n° courts").fill("3")
    await create.get_by_role("button", name="Créer une flotte").click()
    await page.get_by_role("heading", name="Ambulances Rapides").wait_for()
    for number, name, short in (
        ("0633000001", "Alice Martin", "101"),
        ("0633000002", "Bruno Petit", "102"),
    ):
        form = page.locator("#add-line")
        await form.get_by_label("Numéro mobile").fill(number)
        await form.get_by_label("Collaborateur").fill(name)
        await form.get_by_label("N° court").fill(short)
        await form.get_by_role("button", name="Ajouter une ligne").click()
        await page.get_by_text("Ligne ajoutée.").wait_for()
    account = page.locator("#add-account")
    await account.get_by_label("Rôle").select_option("manager")
    await account.get_by_label("Identifiant").fill("amb.chef")
    await account.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    await account.get_by_label("Nom affiché").fill("Chef Ambulances")
    await account.get_by_role("button", name="Créer un compte").click()
    await page.get_by_text("Compte créé.").wait_for()
    await snap(page, out / "portal-operator-fleet.png", full_page=True)
    await page.get_by_role("button", name="Se déconnecter").click()

    await sign_in(page, base, "amb.chef", PASSWORD)
    await page.get_by_role("link", name="Lignes de la flotte").click()
    rows = page.locator("#lines tr")
    await rows.nth(2).wait_for()
    shown = await page.locator("#lines").inner_text()
    assert "Alice Martin" in shown and "06 33 00 00 01" in shown
    assert "Bruno Petit" in shown and "06 33 00 00 02" in shown
    assert await rows.count() == 3  # the header and the two lines
