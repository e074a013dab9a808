"""netsim's web console in a real browser (Playwright on Debian's Chromium), against the two
processes (``fleetpbx serve --network sip`` and ``fleetpbx netsim``) on the demo fleet — the
package's ``demo_pair``, shared with seed 004's tests — with Madame C's no-reply timer shortened
to 5 s (the tests' configuration; the demo keeps 25 s).

Everything by clicking: an outside handset dials Madame C, her card rings, the no-reply
forwarding rings her assistant's card, the assistant answers, the caller hangs up, and the
timeline shows the forwarding with its why; Monsieur A transfers his caller to a colleague with
the card's "#1" button. axe-core finds nothing in French and English, at a
laptop's width and at 375 px; a call is dialled with the keyboard alone. Screenshots go to
``tmp_path``, or with ``FLEETPBX_SCREENSHOTS=docs`` where the README shows them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axe_playwright_python.async_playwright import Axe

from tests.netsim.processes import Pair
from tests.test_browser import browser, shots, snap
from tests.test_browser_design import PHONE, as_it_is

__all__ = ["browser"]
LAPTOP = {"width": 1366, "height": 900}
WITHIN = 60_000  # ms: a call's steps on a busy machine
CALLER = "0699000001"  # an outside handset, created from the console
TRANSFERRED = "0699000021"  # the outside handset Monsieur A transfers


def card(page: Any, name: str) -> Any:
    """A handset's card, found by its heading (the person's name or the number)."""
    heading = page.get_by_role("heading", name=name, exact=True)
    return page.locator("article.card", has=heading)


async def shows(card: Any, text: str) -> None:
    """Wait until the card's live part (its facts and screen) shows ``text``."""
    await card.locator(".live").get_by_text(text, exact=True).wait_for(timeout=WITHIN)


async def live(page: Any, url: str) -> None:
    await page.goto(url)
    await page.locator("#live-status.on").wait_for(timeout=WITHIN)


async def test_an_outside_call_to_madame_c_is_forwarded_on_no_reply_and_answered_by_clicking(
    demo_pair: Pair, browser: Any, tmp_path: Path
) -> None:
    out = shots(tmp_path)
    page = await browser.new_page(viewport=LAPTOP, locale="fr-FR")
    await live(page, f"{demo_pair.control}/")
    assert await page.locator("html").get_attribute("lang") == "fr"  # Accept-Language
    axe = Axe()
    assert await as_it_is(page, axe) == []

    # neither Madame C nor her assistant answers by themselves: the person at the screen does
    for name in ("Madame C", "Assistant de Madame C"):
        await card(page, name).get_by_label("Comportement").select_option("never")
        await shows(card(page, name), "Ne répond jamais")

    # an outside handset, added from the console, dials Madame C
    await page.get_by_label("Ajouter un téléphone hors flotte").fill(CALLER)
    await page.get_by_role("button", name="Ajouter", exact=True).click()
    caller = card(page, "06 99 00 00 01")
    await caller.wait_for(timeout=WITHIN)
    await caller.get_by_label("Numéro ou code à composer").fill("06 11 00 00 04")
    await caller.get_by_role("button", name="Appeler").click()

    madame_c, assistant = card(page, "Madame C"), card(page, "Assistant de Madame C")
    await shows(madame_c, "Sonne : 06 99 00 00 01")
    await madame_c.scroll_into_view_if_needed()
    await snap(page, out / "netsim-console-ringing.png")
    # no reply within 5 s: the call is forwarded to her assistant, whose card rings
    await shows(assistant, "Sonne : 06 99 00 00 01")
    await shows(madame_c, "Au repos")

    await assistant.get_by_role("button", name="Décrocher").click()
    await shows(assistant, "En communication avec 06 99 00 00 01")
    await page.locator("#calls .legs li", has_text="en communication").first.wait_for()
    await assistant.scroll_into_view_if_needed()
    await snap(page, out / "netsim-console-call.png")

    await caller.get_by_role("button", name="Raccrocher").click()
    await shows(assistant, "Au repos")
    await page.get_by_text("Aucun appel en cours.").wait_for(timeout=WITHIN)

    # FleetPBX's record, read once written: the forwarding and its why
    why = page.locator("#timeline li", has_text="renvoi sur non-réponse")
    await why.first.wait_for(timeout=WITHIN)
    text = await why.first.inner_text()
    assert "Madame C (06 11 00 00 04)" in text
    assert "Assistant de Madame C (06 11 00 00 07)" in text
    await page.locator("#timeline").scroll_into_view_if_needed()
    await snap(page, out / "netsim-console-timeline.png")
    assert await as_it_is(page, axe) == []

    # in English, the same record and its why; axe finds nothing at a laptop's width…
    await page.get_by_role("link", name="English").click()
    await page.locator("#live-status.on").wait_for(timeout=WITHIN)
    assert await page.locator("html").get_attribute("lang") == "en"
    await page.locator("#timeline li", has_text="forwarding on no reply").first.wait_for()
    assert await as_it_is(page, axe) == []
    # …nor on a phone, where nothing is wider than the screen
    await page.set_viewport_size(PHONE)
    assert await as_it_is(page, axe) == []
    await snap(page, out / "netsim-console-phone.png")
    await page.goto(f"{demo_pair.control}/?lang=fr")
    assert await as_it_is(page, axe) == []
    await page.close()


async def test_a_call_is_dialled_and_hung_up_with_the_keyboard_alone(
    demo_pair: Pair, browser: Any
) -> None:
    page = await browser.new_page(viewport=LAPTOP, locale="en-GB")
    await demo_pair.post("/handsets/0699000002/state", {"state": "on"})  # an outside handset
    await live(page, f"{demo_pair.control}/")
    assert await page.locator("html").get_attribute("lang") == "en"
    target = card(page, "06 99 00 00 02").get_by_label("Number or code to dial")
    target_id = await target.get_attribute("id")
    for _ in range(600):  # Tab through the page until the dial field of that handset
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.id")
        if focused == target_id:
            break
    else:
        raise AssertionError("the dial field cannot be reached with Tab")
    ring = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring != "none"  # the focus shows

    # most of the number typed, its last digit from the keypad (opened with Enter)
    await page.keyboard.type("061100000")
    await page.keyboard.press("Tab")  # Dial
    await page.keyboard.press("Tab")  # the keypad's summary
    await page.keyboard.press("Enter")
    keypad = card(page, "06 99 00 00 02").locator("details.keypad")
    assert await keypad.get_attribute("open") is not None
    for _ in range(3):  # the keys 1, 2, 3
        await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    assert await target.input_value() == "0611000003"
    for _ in range(4):  # back: 2, 1, the summary, Dial
        await page.keyboard.press("Shift+Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Dial"
    await page.keyboard.press("Enter")
    monsieur_c = card(page, "Monsieur C")
    await shows(monsieur_c, "In a call with 06 99 00 00 02")

    # from the Dial button: Shift+Tab to the field, then Retrieve, Hold, Hang up
    for _ in range(4):
        await page.keyboard.press("Shift+Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Hang up"
    await page.keyboard.press("Enter")
    await shows(monsieur_c, "Idle")
    await page.close()


async def test_a_driver_connects_to_the_taxi_group_with_its_code_from_the_console(
    demo_pair: Pair, browser: Any, tmp_path: Path
) -> None:
    page = await browser.new_page(viewport=LAPTOP, locale="fr-FR")
    await live(page, f"{demo_pair.control}/")
    driver = card(page, "Chauffeur 4")  # a member of the Taxis group, not connected
    await driver.get_by_label("Numéro ou code à composer").fill("*55*0611000099*4321#")
    await driver.get_by_role("button", name="Appeler").click()
    # the USSD answer, through netsim's SMSC and FleetPBX, on the handset's screen
    await shows(driver, "Connecté au groupe Taxis.")
    await driver.scroll_into_view_if_needed()
    await snap(page, shots(tmp_path) / "netsim-console-ussd.png")
    await driver.get_by_label("Numéro ou code à composer").fill("*55*0611000099*0000#")
    await driver.get_by_role("button", name="Appeler").click()  # a wrong code: refused, said
    await (
        driver.locator(".live").get_by_text("Code incorrect", exact=False).wait_for(timeout=WITHIN)
    )
    assert await as_it_is(page, Axe()) == []
    # disconnected again (seed 004's taxi call counts on Chauffeur 4 not being connected)
    await driver.get_by_label("Numéro ou code à composer").fill("#55*0611000099*4321#")
    await driver.get_by_role("button", name="Appeler").click()
    await shows(driver, "Déconnecté du groupe Taxis.")
    await page.close()


async def test_monsieur_a_transfers_his_caller_to_a_colleague_with_hash_1_by_clicking(
    demo_pair: Pair, browser: Any, tmp_path: Path
) -> None:
    """Seed 004's #1 from the console: an outside handset calls Monsieur A, A answers and
    holds it, calls Monsieur C (short number 2003, who answers by himself), sends digits in
    that call (keys, not a third call), then clicks "#1 Transférer": A's card goes idle and
    the two others show each other."""
    page = await browser.new_page(viewport=LAPTOP, locale="fr-FR")
    await live(page, f"{demo_pair.control}/")
    monsieur_a, monsieur_c = card(page, "Monsieur A"), card(page, "Monsieur C")
    await monsieur_a.get_by_label("Comportement").select_option("never")  # A answers by click
    await shows(monsieur_a, "Ne répond jamais")
    transfer = monsieur_a.get_by_role("button", name="#1 Transférer")
    send_keys = monsieur_a.get_by_role("button", name="Envoyer les touches")
    assert not await transfer.is_visible()  # no call: no in-call keys
    assert not await send_keys.is_visible()

    await page.get_by_label("Ajouter un téléphone hors flotte").fill(TRANSFERRED)
    await page.get_by_role("button", name="Ajouter", exact=True).click()
    caller = card(page, "06 99 00 00 21")
    await caller.wait_for(timeout=WITHIN)
    await caller.get_by_label("Numéro ou code à composer").fill("06 11 00 00 01")
    await caller.get_by_role("button", name="Appeler").click()
    await shows(monsieur_a, "Sonne : 06 99 00 00 21")
    await monsieur_a.get_by_role("button", name="Décrocher").click()
    await shows(monsieur_a, "En communication avec 06 99 00 00 21")
    await transfer.wait_for(timeout=WITHIN)  # in a call: the keys show
    group = monsieur_a.get_by_role("group", name="Touches en communication")
    assert await group.get_by_role("button", name="#3 Conférence").is_visible()
    await monsieur_a.get_by_role("button", name="Mettre en attente").click()
    await shows(monsieur_a, "En attente : 06 99 00 00 21")

    # in a call, the dial field says what each button does; "Appeler" places a second call
    field = monsieur_a.get_by_label("Numéro ou code à composer")
    hint = await field.get_attribute("aria-describedby")
    assert hint is not None
    assert "« Appeler » passe un second appel" in await page.locator(f"#{hint}").inner_text()
    await field.fill("2003")
    await monsieur_a.get_by_role("button", name="Appeler").click()
    await shows(monsieur_c, "En communication avec 06 11 00 00 01")
    await shows(monsieur_a, "En communication avec 2003")
    # digits typed and sent as keys in the call with C: no third call
    await field.fill("12")
    await send_keys.click()
    message = monsieur_a.locator(".message")
    await message.get_by_text("Touches 12 envoyées.", exact=True).wait_for(timeout=WITHIN)
    assert len((await demo_pair.handset("0611000001"))["legs"]) == 2

    await transfer.click()
    await message.get_by_text("Touches #1 envoyées.", exact=True).wait_for(timeout=WITHIN)
    await shows(monsieur_a, "Au repos")
    await shows(caller, "En communication avec 06 11 00 00 03")
    await shows(monsieur_c, "En communication avec 06 99 00 00 21")
    assert not await transfer.is_visible()  # A idle: the keys have gone, the focus with them
    assert await page.evaluate("document.activeElement.id") == await field.get_attribute("id")
    await monsieur_a.scroll_into_view_if_needed()
    await snap(page, shots(tmp_path) / "netsim-console-transfer.png")
    assert await as_it_is(page, Axe()) == []

    # C hangs up; FleetPBX's records tell the transfer by A on the timeline
    await monsieur_c.get_by_role("button", name="Raccrocher").click()
    await shows(caller, "Au repos")
    moved = page.locator("#timeline li", has_text="Transféré")
    await moved.first.wait_for(timeout=WITHIN)
    await monsieur_a.get_by_label("Comportement").select_option("after")
    await shows(monsieur_a, "Répond après 1 s")
    await page.close()


async def test_the_smsc_drops_fleetpbx_while_a_misbehaviour_is_ticked_and_takes_it_back(
    demo_pair: Pair, browser: Any
) -> None:
    """The console's SMSC section: FleetPBX bound; "drops the link" ticked with the keyboard,
    the section says FleetPBX is not bound (live); unticked, FleetPBX binds again by itself."""
    page = await browser.new_page(viewport=LAPTOP, locale="en-GB")
    await live(page, f"{demo_pair.control}/")
    section = page.get_by_role("region", name="SMSC / USSD gateway")
    bound = section.get_by_text("FleetPBX is bound over SMPP (port", exact=False)
    await bound.wait_for(timeout=WITHIN * 2)  # FleetPBX may still be backing off
    drop = section.get_by_label("Drops the link, and each new one")
    try:
        await drop.focus()
        await page.keyboard.press("Space")
        await section.get_by_role("status").get_by_text("Done.").wait_for(timeout=WITHIN)
        assert (await demo_pair.get("/smsc"))["misbehaviours"] == ["drop_connection"]
        unbound = section.get_by_text("FleetPBX is not bound (port", exact=False)
        await unbound.wait_for(timeout=WITHIN)
        assert await drop.is_checked()
        assert await as_it_is(page, Axe()) == []
    finally:
        await demo_pair.post("/smsc/misbehaviours", {"name": "drop_connection", "on": False})
    await bound.wait_for(timeout=WITHIN * 2)  # FleetPBX's own reconnection
    assert not await drop.is_checked()  # the switch follows the SMSC (told by the stream)
    await page.close()
