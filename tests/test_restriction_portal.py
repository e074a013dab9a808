"""The restriction profile and the call barrings are the manager's (issue 16): the employee's
own page neither shows nor takes them; the manager's line form sets them, and the call log
of a refused call says why."""

from __future__ import annotations

from typing import Any

from fleet.core.linesettings import BARRINGS, RESTRICTION_PROFILE, LineSetting
from fleet.core.values import RestrictionProfile
from portal.my_settings import EMPLOYEE_SETTINGS
from tests.test_portal import Site, csrf, sign_in, site, text
from tests.test_portal_lines import line_url, services_of

__all__ = ["site"]

SETTINGS_URL = "/portal/me/settings"
MANAGER_ONLY: tuple[LineSetting[Any], ...] = (RESTRICTION_PROFILE, *BARRINGS)


def test_the_restriction_profile_and_the_barrings_are_no_employee_setting() -> None:
    assert not set(MANAGER_ONLY) & set(EMPLOYEE_SETTINGS)


async def test_the_employee_can_neither_see_nor_set_them_on_its_own_page(site: Site) -> None:
    await sign_in(site.client, "salarie")
    line = site.world.line(0)
    page = await text(await site.client.get(SETTINGS_URL))
    for setting in MANAGER_ONLY:
        assert f'name="{setting.name}"' not in page
    token = await csrf(site.client, SETTINGS_URL)
    tried = {"csrf": token, "restriction_profile": "unrestricted", "barring_all_incoming": "on"}
    await site.client.post(SETTINGS_URL, data=tried, allow_redirects=False)
    after = await services_of(site).lines.get(line.id)
    assert RESTRICTION_PROFILE.of(after) is RESTRICTION_PROFILE.of(line)
    assert after.barring_all_incoming is False


async def test_the_manager_sets_a_profile_with_the_select_and_sees_it_chosen(site: Site) -> None:
    await sign_in(site.client)
    url = line_url(site, 5)
    line = site.world.line(5)
    form = {
        "csrf": await csrf(site.client, url),
        "employee_name": line.employee_name,
        "short_number": line.short_number or "",
        "language": line.language.value,
        "restriction_profile": "france",
        **{s: "on" for s in ("pabx_option", "call_waiting")},
    }
    saved = await site.client.post(url, data=form, allow_redirects=False)
    assert saved.status == 302
    after = await services_of(site).lines.get(line.id)
    assert RESTRICTION_PROFILE.of(after) is RestrictionProfile.FRANCE
    page = await text(await site.client.get(url))
    assert '<option value="france" selected>Fixes et mobiles France</option>' in page
    form["csrf"] = await csrf(site.client, url)
    form["restriction_profile"] = "partout"
    refused = await site.client.post(url, data=form)
    assert refused.status == 400
    shown = await text(refused)
    assert "Le réglage restriction_profile prend l'une des valeurs" in shown
    assert RESTRICTION_PROFILE.of(await services_of(site).lines.get(line.id)) is (
        RestrictionProfile.FRANCE
    )
