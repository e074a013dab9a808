"""The pages of routing criteria (issue 16 item 2): the manager sets when a line's rules and a
group's routing apply (a schedule select and a caller filter), the employee their own line's;
a refused form comes back as typed with the reason and nothing written; another fleet's lines
and groups out of reach; French and English."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES
from fleet.core.criteria import CallerFilter, Criteria, CriteriaTarget
from fleet.core.numbering import E164
from fleet.core.values import Actor, Channel
from fleet.services.audit import AuditFilter
from fleet.services.container import Services
from tests.conftest import dump
from tests.test_portal import Site, csrf, sign_in, site, text

__all__ = ["site"]

SETUP = Actor(name="setup", channel=Channel.CLI)


def services_of(site: Site) -> Services:
    services: Services = site.client.app[SERVICES]
    return services


async def test_the_manager_sets_a_lines_rules_on_its_criteria_page(site: Site) -> None:
    services = services_of(site)
    office = await services.schedules.create(SETUP, site.world.fleet.id, name="Bureau")
    line = site.world.line(1)
    await sign_in(site.client)
    url = f"/portal/fleets/{site.world.fleet.id}/lines/{line.id}/criteria"
    assert url in await text(await site.client.get(url.removesuffix("/criteria")))
    page = await text(await site.client.get(url))
    assert "Règles horaires et appelants" in page and "Renvoi sur occupation" in page
    assert f'<option value="{office.id}" >Bureau</option>' in page
    token = await csrf(site.client, url)
    response = await site.client.post(
        url,
        data={
            "csrf": token,
            "incoming_list.schedule": str(office.id),
            "incoming_list.callers": "numbers",
            "incoming_list.numbers": "06 99 00 00 01, 0699000002",
            "dnd.callers": "outside_vpn",
        },
        allow_redirects=False,
    )
    assert response.status == 302, await text(response)
    assert response.headers["Location"] == f"{url}?saved=1"
    held = {c.target: c.criteria for c in await services.criteria.of_line(line.id)}
    assert held == {
        CriteriaTarget.INCOMING_LIST: Criteria(
            schedule_id=office.id,
            callers=CallerFilter.NUMBERS,
            numbers=(E164("+33699000001"), E164("+33699000002")),
        ),
        CriteriaTarget.DND: Criteria(callers=CallerFilter.OUTSIDE_VPN),
    }
    shown = await text(await site.client.get(f"{url}?saved=1&lang=en"))
    assert "Time and caller rules" in shown and 'value="06 99 00 00 01, 06 99 00 00 02"' in shown
    journal = await services.audit.search(AuditFilter(entity="routing_criteria"))
    assert len(journal.items) == 2


async def test_a_refused_criteria_form_comes_back_as_typed_and_writes_nothing(
    site: Site, engine: AsyncEngine
) -> None:
    line = site.world.line(1)
    await sign_in(site.client)
    url = f"/portal/fleets/{site.world.fleet.id}/lines/{line.id}/criteria"
    token = await csrf(site.client, url)
    before = await dump(engine)
    response = await site.client.post(
        url,
        data={
            "csrf": token,
            "dnd.callers": "hidden",  # valid, yet not written: another rule is refused
            "forwarding_busy.callers": "numbers",
            "forwarding_busy.numbers": "12",
            "forwarding_no_reply.schedule": "999999",
        },
    )
    page = await text(response)
    assert response.status == 400
    assert "« 12 » n'est pas un numéro valide." in page
    assert "Horaire 999999 inconnu dans cette flotte." in page
    assert 'value="12"' in page
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
    token = await csrf(site.client, url)
    response = await site.client.post(
        url, data={"csrf": token, "group.schedule": str(office.id)}, allow_redirects=False
    )
    assert response.status == 302, await text(response)
    assert await services.criteria.of_group(site.group_id) == Criteria(schedule_id=office.id)


async def test_the_employee_sets_their_own_lines_rules(site: Site) -> None:
    services = services_of(site)
    await sign_in(site.client, "salarie")
    assert "/portal/me/criteria" in await text(await site.client.get("/portal/me"))
    token = await csrf(site.client, "/portal/me/criteria")
    response = await site.client.post(
        "/portal/me/criteria",
        data={"csrf": token, "forwarding_unconditional.callers": "hidden"},
        allow_redirects=False,
    )
    assert response.status == 302, await text(response)
    own = site.world.line(0).id
    assert await services.criteria.of_line(own) != ()
    journal = await services.audit.search(AuditFilter(entity="routing_criteria"))
    assert [e.channel.value for e in journal.items] == ["portal"]


async def test_another_fleets_line_and_group_are_out_of_reach(
    site: Site, engine: AsyncEngine
) -> None:
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
        posted = await site.client.post(url, data={"csrf": token, "dnd.callers": "hidden"})
        assert posted.status in (403, 404), url
    assert await dump(engine) == before


async def test_signed_out_or_without_a_csrf_token_nothing_is_written(
    site: Site, engine: AsyncEngine
) -> None:
    url = f"/portal/fleets/{site.world.fleet.id}/lines/{site.world.line(1).id}/criteria"
    before = await dump(engine)
    signed_out = await site.client.post(url, data={"dnd.callers": "hidden"}, allow_redirects=False)
    assert signed_out.status in (302, 401, 403)
    assert await dump(engine) == before
    await sign_in(site.client)
    before = await dump(engine)  # signing in writes its own rows
    forged = await site.client.post(url, data={"dnd.callers": "hidden"}, allow_redirects=False)
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
