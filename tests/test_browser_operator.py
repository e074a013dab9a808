"""The operator's portal in a real browser (Playwright on Debian's Chromium): an operator
signs in, creates a company with two lines and a manager's account; the manager signs in,
sees the two lines, makes two call groups and sends the calls nobody answers in the first to
the second (issue 13's flow)."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestServer

from fleet.app import SERVICES
from fleet.core.values import Actor, Channel
from tests.test_browser import browser, server, shots, sign_in, snap

__all__ = ["browser", "server"]  # the fixtures, shared with tests/test_browser.py
PASSWORD = "un-mot-de-passe"


async def test_an_operator_sets_up_a_company_whose_manager_then_chains_two_groups(
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

    # the manager makes two groups and sends the first one's unanswered calls to the second
    for number, name, codes in (
        ("0633000090", "Urgences", ("4242", "2424")),
        ("0633000091", "Renfort", ("5151", "1515")),
    ):
        await page.get_by_role("link", name="Accueil").click()
        await page.get_by_role("link", name="Administrer les groupes d'appel").click()
        await page.get_by_role("link", name="Ajouter").click()
        for label, value in (
            ("N° du groupe", number),
            ("Nom du groupe d'appel", name),
            ("Code connexion utilisateur", codes[0]),
            ("Code administratif", codes[1]),
        ):
            await page.get_by_label(label).fill(value)
        await page.get_by_role("button", name="Valider", exact=True).click()
        await page.get_by_label("Ajouter un membre").wait_for()
    await page.get_by_role("link", name="Administrer les groupes d'appel").click()
    row = page.locator("#groups tr", has_text="Urgences")
    await row.get_by_role("link", name="Modifier").click()
    await page.get_by_label("Si personne ne répond").select_option("forward_to_group")
    await page.get_by_label("Groupe de débordement").select_option(label="Renfort")
    await page.get_by_role("button", name="Valider", exact=True).click()
    await page.locator("#groups").wait_for()
    urgences = await services.groups.get_by_number("0633000090")
    renfort = await services.groups.get_by_number("0633000091")
    assert urgences.no_answer_action.value == "forward_to_group"
    assert urgences.no_answer_group_id == renfort.id
