"""The pages of routing criteria (issue 16 item 2, seed 001 "Liste de critères"): the manager
lists, adds, changes and removes the criteria of a line's rules and of a group's routing
(a name, "Actif", a schedule select and a caller filter), the employee their own line's; a
refused form comes back as typed with the reason and nothing written; a full rule offers no
more; another fleet's lines and groups out of reach; French and English."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES
from fleet.core.criteria import MAX_CRITERIA, CallerFilter, Criteria, CriteriaTarget
from fleet.core.numbering import E164
from fleet.core.values import Actor, Channel
from fleet.services.audit import AuditFilter
from fleet.services.container import Services
from fleet.services.criteria import RuleRef
from tests.conftest import dump
from tests.test_portal import Site, csrf, sign_in, site, text

__all__ = ["site"]

SETUP = Actor(name="setup", channel=Channel.CLI)


def services_of(site: Site) -> Services:
    services: Services = site.client.app[SERVICES]
    return services


async def test_the_manager_adds_changes_and_removes_a_lines_criteria(site: Site) -> None:
    services = services_of(site)
    office = await services.schedules.create(SETUP, site.world.fleet.id, name="Bureau")
    line = site.world.line(1)
    await sign_in(site.client)
    url = f"/portal/fleets/{site.world.fleet.id}/lines/{line.id}/criteria"
    assert url in await text(await site.client.get(url.removesuffix("/criteria")))
    page = await text(await site.client.get(url))
    assert "Règles horaires et appelants" in page and "Renvoi sur occupation" in page
    assert "Aucun critère : la règle s'applique toujours." in page
    assert f'href="{url}/incoming_list/new"' in page
    form_page = await text(await site.client.get(f"{url}/incoming_list/new"))
    assert f'<option value="{office.id}" >Bureau</option>' in form_page
    token = await csrf(site.client, url)
    first = {
        "csrf": token,
        "name": "Bureau",
        "active": "on",
        "schedule": str(office.id),
        "callers": "numbers",
        "numbers": "06 99 00 00 01, 0699000002",
    }
    second = {"csrf": token, "name": "Masqués", "callers": "hidden"}  # switched off
    for data in (first, second):
        response = await site.client.post(
            f"{url}/incoming_list/new", data=data, allow_redirects=False
        )
        assert response.status == 302, await text(response)
        assert response.headers["Location"] == f"{url}?saved=1"
    bureau = Criteria(
        name="Bureau",
        schedule_id=office.id,
        callers=CallerFilter.NUMBERS,
        numbers=(E164("+33699000001"), E164("+33699000002")),
    )
    masked = Criteria(name="Masqués", active=False, callers=CallerFilter.HIDDEN)
    held = {c.target: c.criteria for c in await services.criteria.of_line(line.id)}
    assert held == {CriteriaTarget.INCOMING_LIST: (bureau, masked)}
    shown = await text(await site.client.get(f"{url}?saved=1&lang=en"))
    assert "Time and caller rules" in shown and "06 99 00 00 01, 06 99 00 00 02" in shown
    assert 'id="criterion-incoming_list-2"' in shown and "Add a criterion" in shown
    edit = await text(await site.client.get(f"{url}/incoming_list/2"))
    assert 'value="Masqués"' in edit and 'name="active" checked' not in edit
    response = await site.client.post(
        f"{url}/incoming_list/2",
        data={**second, "active": "on"},
        allow_redirects=False,
    )
    assert response.status == 302, await text(response)
    response = await site.client.post(
        f"{url}/incoming_list/1/delete", data={"csrf": token}, allow_redirects=False
    )
    assert response.status == 302, await text(response)
    held = {c.target: c.criteria for c in await services.criteria.of_line(line.id)}
    assert held == {
        CriteriaTarget.INCOMING_LIST: (Criteria(name="Masqués", callers=CallerFilter.HIDDEN),)
    }
    journal = await services.audit.search(AuditFilter(entity="routing_criteria"))
    assert len(journal.items) == 4
    assert (await site.client.get(f"{url}/incoming_list/2")).status == 404


async def test_a_refused_criterion_comes_back_as_typed_and_writes_nothing(
    site: Site, engine: AsyncEngine
) -> None:
    line = site.world.line(1)
    await sign_in(site.client)
    url = f"/portal/fleets/{site.world.fleet.id}/lines/{line.id}/criteria"
    token = await csrf(site.client, url)
    before = await dump(engine)
    for data, reason in (
        ({"callers": "numbers", "numbers": "12"}, "« 12 » n'est pas un numéro valide."),
        ({"schedule": "999999"}, "Horaire 999999 inconnu dans cette flotte."),
        ({"name": "x" * 41}, "Nom de critère trop long : 40 caractères au plus."),
    ):
        response = await site.client.post(
            f"{url}/forwarding_busy/new", data={"csrf": token, **data}
        )
        page = await text(response)
        assert response.status == 400
        assert reason in page and 'role="alert"' in page
        for value in data.values():
            assert f'value="{value}"' in page or value in page
    assert await dump(engine) == before


async def test_a_rule_full_of_criteria_offers_no_more_and_refuses_one_more(
    site: Site, engine: AsyncEngine
) -> None:
    services = services_of(site)
    line = site.world.line(1)
    full = [Criteria(name=f"#{i}", callers=CallerFilter.HIDDEN) for i in range(MAX_CRITERIA)]
    await services.criteria.replace(SETUP, RuleRef.of_line(line.id, "dnd"), full)
    await sign_in(site.client)
    url = f"/portal/fleets/{site.world.fleet.id}/lines/{line.id}/criteria"
    page = await text(await site.client.get(url))
    assert f'href="{url}/dnd/new"' not in page and f'href="{url}/incoming_list/new"' in page
    token = await csrf(site.client, url)
    before = await dump(engine)
    response = await site.client.post(f"{url}/dnd/new", data={"csrf": token, "callers": "any"})
    assert response.status == 400
    assert f"Une règle a {MAX_CRITERIA} critères au plus" in await text(response)
    assert await dump(engine) == before


async def test_the_manager_sets_when_a_groups_routing_applies(site: Site) -> None:
    services = services_of(site)
    office = await services.schedules.create(SETUP, site.world.fleet.id, name="Bureau")
    await sign_in(site.client)
    group_page = f"/portal/fleets/{site.world.fleet.id}/groups/{site.group_id}"
    url = f"{group_page}/criteria"
    assert url in await text(await site.client.get(group_page))
    page = await text(await site.client.get(url))
    assert "Routage du groupe" in page and "la règle de non-réponse du groupe" in page
    assert f'href="{url}/new"' in page
    token = await csrf(site.client, url)
    for data in (
        {"schedule": str(office.id), "active": "on"},
        {"callers": "hidden", "active": "on"},
    ):
        response = await site.client.post(
            f"{url}/new", data={"csrf": token, **data}, allow_redirects=False
        )
        assert response.status == 302, await text(response)
    assert await services.criteria.of_group(site.group_id) == (
        Criteria(schedule_id=office.id),
        Criteria(callers=CallerFilter.HIDDEN),
    )
    response = await site.client.post(
        f"{url}/1/delete", data={"csrf": token}, allow_redirects=False
    )
    assert response.status == 302
    assert await services.criteria.of_group(site.group_id) == (
        Criteria(callers=CallerFilter.HIDDEN),
    )


async def test_the_employee_sets_their_own_lines_criteria(site: Site) -> None:
    services = services_of(site)
    await sign_in(site.client, "salarie")
    assert "/portal/me/criteria" in await text(await site.client.get("/portal/me"))
    page = await text(await site.client.get("/portal/me/criteria"))
    assert 'href="/portal/me/criteria/forwarding_unconditional/new"' in page
    token = await csrf(site.client, "/portal/me/criteria")
    response = await site.client.post(
        "/portal/me/criteria/forwarding_unconditional/new",
        data={"csrf": token, "callers": "hidden", "active": "on", "name": "Masqués"},
        allow_redirects=False,
    )
    assert response.status == 302, await text(response)
    assert response.headers["Location"] == "/portal/me/criteria?saved=1"
    own = site.world.line(0).id
    [rule] = await services.criteria.of_line(own)
    assert rule.criteria == (Criteria(name="Masqués", callers=CallerFilter.HIDDEN),)
    journal = await services.audit.search(AuditFilter(entity="routing_criteria"))
    assert [e.channel.value for e in journal.items] == ["portal"]


async def test_another_fleets_line_and_group_are_out_of_reach(
    site: Site, engine: AsyncEngine
) -> None:
    services = services_of(site)
    await services.criteria.replace(
        SETUP,
        RuleRef.of_line(site.world.foreign.id, "dnd"),
        [Criteria(callers=CallerFilter.HIDDEN)],
    )
    await sign_in(site.client)
    own, foreign = site.world.fleet.id, site.world.foreign.id
    token = await csrf(site.client, f"/portal/fleets/{own}/lines/{site.world.line(1).id}/criteria")
    before = await dump(engine)
    for url in (
        f"/portal/fleets/{own}/lines/{foreign}/criteria",
        f"/portal/fleets/{own}/groups/{site.other_group_id}/criteria",
        f"/portal/fleets/{site.world.other_fleet.id}/lines/{foreign}/criteria",
    ):
        assert (await site.client.get(url)).status in (403, 404), url
        rule = f"{url}/dnd" if "/lines/" in url else url
        for action in (f"{rule}/new", f"{rule}/1", f"{rule}/1/delete"):
            posted = await site.client.post(action, data={"csrf": token, "callers": "hidden"})
            assert posted.status in (403, 404), action
    assert await dump(engine) == before


async def test_signed_out_or_without_a_csrf_token_nothing_is_written(
    site: Site, engine: AsyncEngine
) -> None:
    url = f"/portal/fleets/{site.world.fleet.id}/lines/{site.world.line(1).id}/criteria/dnd/new"
    before = await dump(engine)
    signed_out = await site.client.post(url, data={"callers": "hidden"}, allow_redirects=False)
    assert signed_out.status in (302, 401, 403)
    assert await dump(engine) == before
    await sign_in(site.client)
    before = await dump(engine)  # signing in writes its own rows
    forged = await site.client.post(url, data={"callers": "hidden"}, allow_redirects=False)
    assert forged.status in (400, 403)
    assert await dump(engine) == before


def test_the_call_log_row_says_which_rule_was_decided_and_why() -> None:
    from datetime import UTC, datetime

    from fleet.core import model
    from fleet.core.values import CallEventKind, Language
    from portal.calls_view import RuleShown, row

    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    line = model.Line(
        id=2,
        fleet_id=1,
        msisdn=E164("+33611000002"),
        short_number=None,
        employee_name="Alice",
        email=None,
        language=Language.FR,
        pabx_option=True,
        call_waiting=True,
        clir=False,
    )
    decided = {"target": "incoming_list", "matched": True, "rule": "schedule"}
    record = model.CallRecord(
        call_id="c1",
        fleet_id=1,
        caller="+33699000001",
        called=line.msisdn.value,
        offered_at=at,
        events=(
            model.CallEvent(
                seq=1,
                at=at,
                kind=CallEventKind.CRITERIA,
                detail={**decided, "schedule": "Bureau", "range": "08:00–12:00", "at": "10:00"},
            ),
            model.CallEvent(
                seq=2,
                at=at,
                kind=CallEventKind.CRITERIA,
                detail={"target": "dnd", "matched": False, "rule": "callers", "callers": "hidden"},
            ),
        ),
    )
    shown = row(record, line, "Europe/Paris")
    assert shown.events == ("criteria",)
    assert shown.rules == (
        RuleShown(target="incoming_list", matched=True, schedule="Bureau 08:00–12:00", callers=""),
        RuleShown(target="dnd", matched=False, schedule="", callers="hidden"),
    )


def test_the_call_log_row_names_the_criterion_that_matched() -> None:
    from portal.calls_view import _rule

    matched = {
        "target": "incoming_list",
        "matched": True,
        "criterion": 2,
        "name": "VIP",
        "rule": "callers",
        "callers": "numbers",
    }
    shown = _rule(matched)
    assert (shown.criterion, shown.callers, shown.matched) == ("#2 « VIP »", "numbers", True)
    none = _rule({"target": "dnd", "matched": False, "criterion": None, "tried": []})
    assert (none.criterion, none.schedule, none.matched) == ("", "", False)
