"""The manager portal's completeness: a group's no-answer rule and maximum queue wait on the
group form (errors on their fields, in the user's language), the versions of the group and
line forms (a stale save changes nothing and says why), the fleet's call log page (search,
paging, CSV), times in the fleet's time zone, and the language kept for the account."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES
from fleet.core import model
from fleet.core.values import Actor, CallOutcome, Channel, Language, NoAnswerAction
from fleet.services.audit import AuditFilter
from tests.conftest import dump
from tests.test_portal import Site, csrf, sign_in, site, text
from tests.world import PASSWORD

__all__ = ["site"]  # the fixture, shared with the portal's tests
SETUP = Actor(name="setup", channel=Channel.CLI)


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, page
    return match.group(1)


async def group_form(site: Site, group_id: int) -> tuple[str, dict[str, str]]:
    """The edit form of a group, and what it would send unchanged."""
    path = f"/portal/fleets/{site.world.fleet.id}/groups/{group_id}/edit"
    page = await text(await site.client.get(path))
    fields = {
        name: hidden(page, name)
        for name in (
            "csrf",
            "version",
            "number",
            "name",
            "user_code",
            "admin_code",
            "queue_size",
            "switchover_delay",
            "intercall_delay",
            "short_number",
            "max_queue_wait",
            "no_answer_number",
        )
    }
    fields |= {"distribution": "linear", "no_answer_action": "end_with_announcement"}
    return path, fields


async def backup_group(site: Site) -> model.CallGroup:
    services = site.client.app[SERVICES]
    return await services.groups.create(
        SETUP,
        site.world.fleet.id,
        number="0609182240",
        name="Secours",
        user_code="1234",
        admin_code="5678",
    )


async def test_the_group_form_sets_the_no_answer_rule_to_another_group(site: Site) -> None:
    backup = await backup_group(site)
    await sign_in(site.client)
    path, fields = await group_form(site, site.group_id)
    page = await text(await site.client.get(path))
    assert f'<option value="{backup.id}" >Secours</option>' in page
    assert f'<option value="{site.group_id}"' not in page  # not to itself
    fields |= {
        "no_answer_action": "forward_to_group",
        "no_answer_group_id": str(backup.id),
        "max_queue_wait": "240",
    }
    response = await site.client.post(path, data=fields, allow_redirects=False)
    assert response.status == 302, await response.text()
    group = await site.client.app[SERVICES].groups.get(site.group_id)
    assert (group.no_answer_action, group.no_answer_group_id) == (
        NoAnswerAction.FORWARD_TO_GROUP,
        backup.id,
    )
    assert group.max_queue_wait == 240
    page = await text(await site.client.get(path))
    assert f'<option value="{backup.id}" selected>Secours</option>' in page


@pytest.mark.parametrize(
    ("language", "changes", "field", "message"),
    [
        (
            Language.FR,
            {"no_answer_action": "forward_to_number", "no_answer_number": ""},
            "no_answer_number",
            "Règle de non-réponse incomplète : numéro manquant.",
        ),
        (
            Language.EN,
            {"no_answer_action": "forward_to_number", "no_answer_number": ""},
            "no_answer_number",
            "Incomplete no-answer rule: number missing.",
        ),
        (
            Language.EN,
            {"no_answer_action": "forward_to_group", "no_answer_group_id": "999999"},
            "no_answer_group_id",
            "Incomplete no-answer rule: that group is not a group of the fleet.",
        ),
        (
            Language.FR,
            {"max_queue_wait": "5"},
            "max_queue_wait",
            "L'attente maximale en file doit être comprise entre 10 et 1800 secondes.",
        ),
    ],
)
async def test_a_refused_no_answer_rule_is_shown_on_its_field_in_the_users_language(
    site: Site,
    engine: AsyncEngine,
    language: Language,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    services = site.client.app[SERVICES]
    chef = await services.accounts.get_by_login("chef")
    await services.accounts.set_language(SETUP, chef.id, language)
    await sign_in(site.client)
    path, fields = await group_form(site, site.group_id)
    before = await dump(engine)
    response = await site.client.post(path, data={**fields, **changes})
    assert response.status == 400
    page = await text(response)
    row = re.search(rf'<tr><th><label for="{field}">.*?</tr>', page, re.S)
    assert row and message in row.group(0), page
    assert await dump(engine) == before


async def test_a_group_form_saved_after_someone_else_changed_the_group_saves_nothing(
    site: Site, engine: AsyncEngine
) -> None:
    await sign_in(site.client)
    path, fields = await group_form(site, site.group_id)
    services = site.client.app[SERVICES]
    await services.groups.update(SETUP, site.group_id, name="Commercial")  # the other manager
    before = await dump(engine)
    response = await site.client.post(path, data={**fields, "queue_size": "5"})
    assert response.status == 409
    page = await text(response)
    assert "Modifié par quelqu'un d'autre entre-temps" in page
    assert hidden(page, "version") != fields["version"]  # saving again is a choice
    assert hidden(page, "queue_size") == "5"  # what was typed is kept
    assert await dump(engine) == before
    again = await site.client.post(
        path, data={**fields, "version": hidden(page, "version")}, allow_redirects=False
    )
    assert again.status == 302


async def test_a_line_form_saved_after_someone_else_changed_the_line_saves_nothing(
    site: Site, engine: AsyncEngine
) -> None:
    services = site.client.app[SERVICES]
    chef = await services.accounts.get_by_login("chef")
    await services.accounts.set_language(SETUP, chef.id, Language.EN)
    await sign_in(site.client)
    line = site.world.line(2)
    path = f"/portal/fleets/{site.world.fleet.id}/lines/{line.id}"
    page = await text(await site.client.get(path))
    fields = {
        "csrf": hidden(page, "csrf"),
        "version": hidden(page, "version"),
        "employee_name": "Nouveau nom",
        "short_number": line.short_number or "",
        "email": "",
        "language": "fr",
        "pabx_option": "on",
    }
    await services.lines.update(SETUP, line.id, email="ailleurs@example.com")
    before = await dump(engine)
    response = await site.client.post(path, data=fields)
    assert response.status == 409
    assert "Changed by someone else meanwhile" in await text(response)
    assert await dump(engine) == before


# -- the fleet's call log page -----------------------------------------------------------------


async def calls(site: Site) -> None:
    services = site.client.app[SERVICES]
    one = site.world.line(0).msisdn.value
    start = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 December in Paris
    for n in range(3):
        await services.calls.save(
            model.CallRecord(
                call_id=f"call-{n}",
                fleet_id=site.world.fleet.id,
                caller=one,
                called="+33145678910",
                offered_at=start + timedelta(hours=n),
                released_at=start + timedelta(hours=n, seconds=30),
                outcome=CallOutcome.NO_ANSWER if n else CallOutcome.BUSY,
            )
        )


async def test_the_fleet_call_log_page_searches_and_shows_times_in_the_fleets_zone(
    site: Site,
) -> None:
    await calls(site)
    await sign_in(site.client)
    base = f"/portal/fleets/{site.world.fleet.id}/calls"
    home = await text(await site.client.get("/portal/"))
    assert base in home  # linked from the fleet's navigation
    page = await text(await site.client.get(base, params={"outcome": "busy"}))
    assert "02/12/2026 00:30:00" in page and "06 11 00 00 01" in page
    assert page.count("<tr><td>") == 1
    page = await text(
        await site.client.get(base, params={"since": "2026-12-02", "number": "0145678910"})
    )
    assert page.count("<tr><td>") == 3
    assert (
        "calls.csv?number=0145678910&amp;since=2026-12-02"
        in await (
            await site.client.get(base, params={"since": "2026-12-02", "number": "0145678910"})
        ).text()
    )
    refused = await site.client.get(base, params={"since": "hier"})
    assert refused.status == 400 and "Filtre invalide (since)" in await text(refused)


async def test_the_fleet_call_log_page_is_paged_by_cursor(site: Site) -> None:
    await calls(site)
    services = site.client.app[SERVICES]
    for n in range(3, 60):
        await services.calls.save(
            model.CallRecord(
                call_id=f"call-{n}",
                fleet_id=site.world.fleet.id,
                caller="+33145678910",
                called=site.world.line(1).msisdn.value,
                offered_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=n),
                outcome=CallOutcome.ANSWERED,
            )
        )
    await sign_in(site.client)
    base = f"/portal/fleets/{site.world.fleet.id}/calls"
    first = await site.client.get(base)
    page = await first.text()
    assert page.count("<tr><td>") == 50
    following = re.search(r'id="calls-next" href="\?([^"]+)"', page)
    assert following
    second = await (
        await site.client.get(f"{base}?{following.group(1).replace('&amp;', '&')}")
    ).text()
    assert second.count("<tr><td>") == 10 and 'id="calls-next"' not in second


async def test_the_fleet_call_log_exports_as_csv(site: Site) -> None:
    await calls(site)
    await sign_in(site.client)
    response = await site.client.get(
        f"/portal/fleets/{site.world.fleet.id}/calls.csv", params={"outcome": "no_answer"}
    )
    assert response.status == 200 and response.content_type == "text/csv"
    rows = (await response.read()).decode("utf-8-sig").splitlines()
    assert rows[1:] == [
        "2026-12-02 02:30:00;0611000001;0145678910;no_answer;;;call-2;terminating;;;",
        "2026-12-02 01:30:00;0611000001;0145678910;no_answer;;;call-1;terminating;;;",
    ]


async def test_the_call_log_page_is_refused_outside_the_managers_fleets(site: Site) -> None:
    other = f"/portal/fleets/{site.world.other_fleet.id}"
    own = f"/portal/fleets/{site.world.fleet.id}"
    anonymous = await site.client.get(f"{own}/calls", allow_redirects=False)
    assert anonymous.status == 302 and anonymous.headers["Location"] == "/portal/login"
    await sign_in(site.client, "salarie")
    for path in (f"{own}/calls", f"{own}/calls.csv"):
        assert (await site.client.get(path, allow_redirects=False)).status == 403
    await site.client.post("/portal/logout", data={"csrf": await csrf(site.client, "/portal/me")})
    await sign_in(site.client)
    for path in (f"{other}/calls", f"{other}/calls.csv"):
        assert (await site.client.get(path)).status == 404


# -- times and language -------------------------------------------------------------------------


async def test_the_audit_journal_shows_times_in_the_fleets_zone(site: Site) -> None:
    services = site.client.app[SERVICES]
    await services.fleets.update(SETUP, site.world.fleet.id, timezone="Asia/Tokyo")  # UTC+9
    await services.lines.update(SETUP, site.world.line(3).id, employee_name="Renommée")
    newest = (await services.audit.search(AuditFilter(fleet_id=site.world.fleet.id))).items[0]
    await sign_in(site.client)
    page = await text(await site.client.get(f"/portal/fleets/{site.world.fleet.id}/audit"))
    tokyo = newest.at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%d/%m/%Y %H:%M:%S")
    utc = newest.at.astimezone(UTC).strftime("%d/%m/%Y %H:%M:%S")
    assert tokyo in page and utc not in page


async def test_the_language_a_user_picks_is_kept_for_the_account(site: Site) -> None:
    await sign_in(site.client)
    assert "Your fleets" in await text(await site.client.get("/portal/", params={"lang": "en"}))
    assert "Your fleets" in await text(await site.client.get("/portal/"))
    await site.client.post("/portal/logout", data={"csrf": await csrf(site.client, "/portal/")})
    await sign_in(site.client, "chef", PASSWORD)
    assert "Your fleets" in await text(await site.client.get("/portal/"))
    chef = await site.client.app[SERVICES].accounts.get_by_login("chef")
    assert chef.language is Language.EN
