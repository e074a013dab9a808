"""The operator's fleet settings form (name, short numbers' length, language, time zone: the
rules and the journal of the API's PATCH; a stale form writes nothing) and the operators'
accounts page (listed, added, disabled and enabled, given a new password)."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.values import Channel, Language
from fleet.services.audit import AuditFilter
from tests.conftest import dump
from tests.test_portal import sign_in, text
from tests.test_portal_operator import SETUP, Site, _post, site
from tests.world import PASSWORD

__all__ = ["site"]  # the fixture, shared with tests/test_portal_operator.py
ACCOUNTS = "/portal/operator/accounts"


def _settings_form(page: str) -> dict[str, str]:
    """What the settings form would send unchanged."""
    form = re.search(r'<form[^>]*id="fleet-settings"[^>]*>(.*?)</form>', page, re.S)
    assert form, page
    fields = {}
    for tag in re.findall(r"<input [^>]*>", form[1]):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        assert name and value, tag
        fields[name[1]] = value[1]
    chosen = re.search(r'<select name="language">.*?<option selected>(\w+)</option>', form[1])
    assert chosen, form[1]
    return {**fields, "language": chosen[1]}


async def test_an_operator_changes_a_fleets_settings_and_the_journal_says_so(site: Site) -> None:
    client = site.client
    await sign_in(client, "ops")
    fleet = site.world.fleet
    base = f"/portal/operator/fleets/{fleet.id}"
    sent = _settings_form(await text(await client.get(base)))
    assert (sent["name"], sent["timezone"]) == (fleet.name, fleet.timezone)
    saved = await client.post(
        f"{base}/settings",
        data={
            **sent,
            "name": "Taxis Express Lyon",
            "timezone": "Europe/Brussels",
            "language": "en",
        },
        allow_redirects=False,
    )
    assert saved.status == 302 and saved.headers["Location"].endswith("done=settings_saved")
    page = await text(await client.get(saved.headers["Location"]))
    assert "Settings saved." in page and "<h1>Taxis Express Lyon</h1>" in page
    changed = await site.services.fleets.get(fleet.id)
    assert (changed.name, changed.timezone, changed.language) == (
        "Taxis Express Lyon",
        "Europe/Brussels",
        Language.EN,
    )
    journal = await site.services.audit.search(AuditFilter(fleet_id=fleet.id, entity="fleet"))
    entry = journal.items[0]
    assert (entry.action.value, entry.actor, entry.channel) == ("update", "ops", Channel.PORTAL)
    assert entry.after and entry.after["name"] == "Taxis Express Lyon"


async def test_a_refused_setting_keeps_what_was_typed_and_writes_nothing(
    site: Site, engine: AsyncEngine
) -> None:
    client = site.client
    await sign_in(client, "ops")
    base = f"/portal/operator/fleets/{site.world.fleet.id}"
    sent = _settings_form(await text(await client.get(base)))
    before = await dump(engine)
    for change, status in (
        ({"timezone": "Mars/Olympus"}, 422),
        ({"name": ""}, 422),
        ({"short_number_length": "5"}, 409),  # the fleet's lines have short numbers
        ({"short_number_length": "douze"}, 422),
    ):
        refused = await client.post(f"{base}/settings", data={**sent, **change})
        assert refused.status == status, (change, await refused.text())
        page = await text(refused)
        assert 'id="settings-error"' in page, change
        typed = _settings_form(page)
        for name, value in change.items():
            assert typed[name] == value, (name, typed)
    assert await dump(engine) == before


async def test_a_settings_form_saved_after_someone_else_changed_the_fleet_saves_nothing(
    site: Site, engine: AsyncEngine
) -> None:
    client = site.client
    await sign_in(client, "ops")
    base = f"/portal/operator/fleets/{site.world.fleet.id}"
    sent = _settings_form(await text(await client.get(base)))
    await site.services.fleets.update(SETUP, site.world.fleet.id, timezone="Europe/Brussels")
    before = await dump(engine)
    refused = await client.post(f"{base}/settings", data={**sent, "name": "Écrasé"})
    assert refused.status == 409
    page = await text(refused)
    assert "This fleet was changed by someone else meanwhile: nothing was saved." in page
    again = _settings_form(page)
    assert again["name"] == "Écrasé" and again["version"] != sent["version"]
    assert await dump(engine) == before
    saved = await client.post(f"{base}/settings", data=again, allow_redirects=False)
    assert saved.status == 302
    assert (await site.services.fleets.get(site.world.fleet.id)).timezone == sent["timezone"]


async def test_an_operator_adds_an_operator_disables_it_and_gives_it_a_new_password(
    site: Site, engine: AsyncEngine
) -> None:
    client = site.client
    await sign_in(client, "ops")
    page = await text(await client.get(ACCOUNTS))
    assert "Operator accounts" in page and "Opérateur" in page
    assert "/active" not in page  # no one disables its own account
    added = await _post(
        client,
        ACCOUNTS,
        {"login": "ops2", "password": PASSWORD, "display_name": "Deux", "language": "en"},
        ACCOUNTS,
    )
    assert added.status == 302 and added.headers["Location"].endswith("done=operator_added")
    ops2 = await site.services.accounts.get_by_login("ops2")
    assert ops2.role.value == "operator" and ops2.fleet_ids == ()
    listed = await text(await client.get(added.headers["Location"]))
    assert "Operator account created." in listed and "ops2" in listed
    before = await dump(engine)
    clash = await _post(
        client,
        ACCOUNTS,
        {"login": "ops2", "password": PASSWORD, "display_name": "Doublon"},
        ACCOUNTS,
    )
    assert clash.status == 409
    shown = await text(clash)
    assert 'value="Doublon"' in shown and PASSWORD not in shown
    weak = await _post(client, f"{ACCOUNTS}/{ops2.id}/password", {"password": "x"}, ACCOUNTS)
    assert weak.status == 422
    ops = await site.services.accounts.get_by_login("ops")
    itself = await _post(client, f"{ACCOUNTS}/{ops.id}/active", {"active": "0"}, ACCOUNTS)
    assert itself.status == 409
    assert await dump(engine) == before
    off = await _post(client, f"{ACCOUNTS}/{ops2.id}/active", {"active": "0"}, ACCOUNTS)
    assert off.status == 302 and off.headers["Location"].endswith("done=disabled")
    assert not (await site.services.accounts.get(ops2.id)).active
    on = await _post(client, f"{ACCOUNTS}/{ops2.id}/active", {"active": "1"}, ACCOUNTS)
    assert on.status == 302 and (await site.services.accounts.get(ops2.id)).active
    new = await _post(
        client, f"{ACCOUNTS}/{ops2.id}/password", {"password": "un-nouveau-secret"}, ACCOUNTS
    )
    assert new.status == 302


async def test_the_operators_page_acts_on_operators_only(site: Site, engine: AsyncEngine) -> None:
    client = site.client
    await sign_in(client, "ops")
    chef = await site.services.accounts.get_by_login("chef")
    before = await dump(engine)
    for path, data in (
        (f"{ACCOUNTS}/{chef.id}/active", {"active": "0"}),
        (f"{ACCOUNTS}/{chef.id}/password", {"password": "un-nouveau-secret"}),
        (f"{ACCOUNTS}/999999/active", {"active": "0"}),
    ):
        response = await _post(client, path, data, ACCOUNTS)
        assert response.status == 404, path
    assert await dump(engine) == before
