"""A line's page in the manager portal (details, PABX option, services, call log), "act as
this user", and the employee's own call log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES
from fleet.core import model
from fleet.core.values import (
    Actor,
    CallEventKind,
    CallOutcome,
    Channel,
    ForwardingKind,
    SessionCase,
)
from fleet.services.audit import AuditFilter
from fleet.services.container import Services
from tests.conftest import dump
from tests.test_portal import Site, csrf, sign_in, site, text

__all__ = ["site"]  # the fixture, shared with the portal tests

START = datetime(2026, 11, 23, 13, 5, 0, tzinfo=UTC)  # 14:05 in Paris


def services_of(site: Site) -> Services:
    services: Services = site.client.app[SERVICES]
    return services


async def record_calls(site: Site) -> None:
    calls = services_of(site).calls
    fleet_id = site.world.fleet.id
    await calls.save(
        model.CallRecord(
            call_id="in-1",
            fleet_id=fleet_id,
            caller="+33699000001",
            called="+33611000001",
            offered_at=START,
            answered_at=START + timedelta(seconds=4),
            released_at=START + timedelta(seconds=69),
            outcome=CallOutcome.ANSWERED,
            events=(
                model.CallEvent(seq=1, at=START, kind=CallEventKind.OFFERED),
                model.CallEvent(
                    seq=2,
                    at=START + timedelta(seconds=1),
                    kind=CallEventKind.FORWARDED,
                    forwarding_kind=ForwardingKind.BUSY,
                ),
            ),
        )
    )
    await calls.save(
        model.CallRecord(
            call_id="out-1",
            fleet_id=fleet_id,
            caller="+33611000001",
            called="+33611000002",
            offered_at=START + timedelta(minutes=5),
            outcome=CallOutcome.BUSY,
        )
    )
    await calls.save(  # not this line's
        model.CallRecord(
            call_id="other-1",
            fleet_id=fleet_id,
            caller="+33611000003",
            called="+33611000004",
            offered_at=START,
            outcome=CallOutcome.NO_ANSWER,
        )
    )


def line_url(site: Site, index: int = 0) -> str:
    return f"/portal/fleets/{site.world.fleet.id}/lines/{site.world.line(index).id}"


async def test_a_line_page_shows_its_details_services_groups_and_call_log(site: Site) -> None:
    services = services_of(site)
    await record_calls(site)
    await sign_in(site.client)
    setup = Actor(name="setup", channel=Channel.CLI)
    await services.forwarding.set(
        setup, site.world.line(0).id, ForwardingKind.BUSY, destination="0145678910"
    )
    await services.incoming.save(setup, site.world.line(0).id, entries=["0611000005"])
    page = await text(await site.client.get(line_url(site)))
    assert "Salarié 1 — 06 11 00 00 01" in page
    assert 'name="short_number" value="2001"' in page
    assert "Sur occupation</td><td>01 45 67 89 10</td>" in page
    assert "06 11 00 00 05" in page and ">Com</a>" in page
    assert "23/11/2026 14:05:00</td><td>reçu</td><td>06 99 00 00 01</td>" in page
    assert "<td>répondu</td><td>1:05</td>\n<td>renvoyé</td>" in page
    assert "émis</td><td>06 11 00 00 02</td>\n<td>occupé" in page
    assert "06 11 00 00 04" not in page  # another line's call
    assert "2 appels" in page
    lines = await text(await site.client.get(f"/portal/fleets/{site.world.fleet.id}/lines"))
    assert f'href="{line_url(site)}"' in lines


async def test_a_manager_edits_a_line_and_its_pabx_option(site: Site) -> None:
    await sign_in(site.client)
    url = line_url(site, 4)  # not in a group: its option may be turned off
    token = await csrf(site.client, url)
    form = {
        "csrf": token,
        "employee_name": "Nouveau Nom",
        "short_number": "2099",
        "email": "nouveau@example.com",
        "language": "en",
        "call_waiting": "on",
    }  # pabx_option unticked
    response = await site.client.post(url, data=form, allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == f"{url}?saved=1"
    line = await services_of(site).lines.get(site.world.line(4).id)
    assert (line.employee_name, line.short_number, line.email) == (
        "Nouveau Nom",
        "2099",
        "nouveau@example.com",
    )
    assert not line.pabx_option and line.call_waiting and not line.clir
    assert line.language.value == "en"
    journal = await services_of(site).audit.search(
        AuditFilter(entity="line", entity_id=str(line.id))
    )
    assert journal.items[0].actor == "chef" and journal.items[0].channel.value == "portal"


async def test_a_refused_line_edit_shows_the_field_keeps_the_input_writes_nothing(
    site: Site, engine: AsyncEngine
) -> None:
    await sign_in(site.client)
    url = line_url(site, 4)
    token = await csrf(site.client, url)
    before = await dump(engine)
    form = {
        "csrf": token,
        "employee_name": "Tapé Ici",
        "short_number": "2002",  # the short number of line 2
        "language": "fr",
        "pabx_option": "on",
    }
    response = await site.client.post(url, data=form)
    assert response.status == 400
    page = await text(response)
    assert 'value="Tapé Ici"' in page and 'value="2002"' in page
    assert "2002" in page.split('role="alert"')[1].split("</span>")[0]
    assert await dump(engine) == before


async def test_a_manager_acts_as_a_user_and_its_changes_say_so(site: Site) -> None:
    await sign_in(site.client)
    token = await csrf(site.client, line_url(site))
    response = await site.client.post(
        f"{line_url(site)}/act", data={"csrf": token}, allow_redirects=False
    )
    assert response.status == 302 and response.headers["Location"] == "/portal/me"
    me = await text(await site.client.get("/portal/me"))
    assert "Vous agissez en tant que Salarié 1 (06 11 00 00 01)" in me
    assert "Ma ligne : 06 11 00 00 01" in me
    token = await csrf(site.client, "/portal/me/forwarding")
    form = {"csrf": token, "busy.active": "on", "busy.destination": "0145678910"}
    saved = await site.client.post("/portal/me/forwarding", data=form, allow_redirects=False)
    assert saved.status == 302
    [rule] = await services_of(site).forwarding.of_line(site.world.line(0).id)
    assert rule.kind is ForwardingKind.BUSY and rule.active
    journal = await services_of(site).audit.search(AuditFilter(entity="forwarding"))
    assert journal.items[0].actor == "chef → 0611000001"
    stop = await site.client.post("/portal/act/stop", data={"csrf": token}, allow_redirects=False)
    assert stop.headers["Location"] == line_url(site)
    assert (await site.client.get("/portal/me/forwarding")).status == 403
    assert "agissez" not in await text(await site.client.get(line_url(site)))


async def test_an_employee_sees_its_own_call_log_only(site: Site) -> None:
    await record_calls(site)
    await sign_in(site.client, "salarie")
    page = await text(await site.client.get("/portal/me"))
    assert "Journal des appels" in page and "2 appels" in page and "<th>Visite</th>" in page
    assert "06 99 00 00 01" in page and "06 11 00 00 04" not in page
    assert (await site.client.get(f"{line_url(site)}")).status == 403


async def test_impossible_ids_and_unstorable_text_are_refused_not_crashed(
    site: Site, engine: AsyncEngine
) -> None:
    await sign_in(site.client)
    fleet = site.world.fleet.id
    for path in (
        f"/portal/fleets/{fleet}/lines/2147483648",
        f"/portal/fleets/{fleet}/lines/99999999999999999999999",
        f"/portal/fleets/{fleet}/groups/2147483648",
        "/portal/fleets/99999999999999999999/lines",
        f"/portal/fleets/{fleet}/lines/٣",  # a digit, not an ASCII one
    ):
        assert (await site.client.get(path)).status == 404, path
    lines = await site.client.get(f"/portal/fleets/{fleet}/lines", params={"q": "a\x00b"})
    assert lines.status == 400
    huge = await site.client.get(f"/portal/fleets/{fleet}/lines", params={"page": "9" * 30})
    assert huge.status == 200
    token = await csrf(site.client, line_url(site))
    before = await dump(engine)
    form = {"csrf": token, "employee_name": "Nom\x00", "language": "fr", "pabx_option": "on"}
    assert (await site.client.post(line_url(site), data=form)).status == 400
    assert await dump(engine) == before
    await site.client.post("/portal/logout", data={"csrf": token})
    token = await csrf(site.client)
    refused = await site.client.post(
        "/portal/login", data={"login": "chef\x00", "password": "x", "csrf": token}
    )
    assert refused.status == 400


async def test_the_groups_table_is_paged_fifty_at_a_time(site: Site) -> None:
    services = services_of(site)
    setup = Actor(name="setup", channel=Channel.CLI)
    for i in range(50):
        await services.groups.create(
            setup,
            site.world.fleet.id,
            number=f"06091{i:05d}",
            name=f"Groupe {i:02d}",
            user_code="1703",
            admin_code="2202",
        )
    await sign_in(site.client)
    url = f"/portal/fleets/{site.world.fleet.id}/groups"
    first = await text(await site.client.get(url))
    assert "51 groupes d'appel · Page 1 / 2" in first
    assert ">Com<" in first and "Groupe 48" in first and "Groupe 49" not in first  # by name
    second = await text(await site.client.get(url, params={"page": "2"}))
    assert "Page 2 / 2" in second and "Groupe 49" in second and ">Com<" not in second


async def test_a_caller_who_hid_its_number_stays_hidden_in_the_callees_call_log(
    site: Site,
) -> None:
    await services_of(site).calls.save(
        model.CallRecord(
            call_id="hidden-1",
            fleet_id=site.world.fleet.id,
            caller="+33611000002",
            called="+33611000001",
            offered_at=START,
            outcome=CallOutcome.NO_ANSWER,
            events=(
                model.CallEvent(
                    seq=1,
                    at=START,
                    kind=CallEventKind.OFFERED,
                    to_number="+33611000001",
                    detail={"presentation": "restricted"},
                ),
            ),
        )
    )
    await sign_in(site.client, "salarie")  # the callee, line 1
    page = await text(await site.client.get("/portal/me"))
    assert "Numéro masqué" in page and "06 11 00 00 02" not in page
    english = await text(await site.client.get("/portal/me", params={"lang": "en"}))
    assert "Hidden number" in english


async def test_the_call_log_shows_each_visit_and_its_network_ids_only_when_recorded(
    site: Site,
) -> None:
    await record_calls(site)  # simulated-network calls: terminating, no network ids
    await services_of(site).calls.save(
        model.CallRecord(
            call_id="sip-orig-1",
            fleet_id=site.world.fleet.id,
            caller="+33611000001",
            called="+33611000003",
            offered_at=START + timedelta(minutes=9),
            outcome=CallOutcome.NO_ANSWER,
            session_case=SessionCase.ORIGINATING,
            correlation_id="icid-7f3a",
            caller_network_id="a84b4c76e66710@pc33.example.net",
            callee_network_id="<b-leg&1>@fleetpbx",
        )
    )
    await sign_in(site.client)
    page = await text(await site.client.get(line_url(site)))
    assert "<th>Visite</th><th>Identifiants réseau</th>" in page
    assert page.count("<td>arrivée (appelé)</td>\n<td></td>") == 2  # the simulated calls
    assert page.count("<details") == 1
    sip_row = page[page.index("sans réponse") : page.index("</details>")]
    assert "départ (appelant)" in sip_row
    assert "Corrélation (ICID)</dt><dd><code>icid-7f3a</code>" in sip_row
    assert "a84b4c76e66710@pc33.example.net" in sip_row
    assert "<b-leg&1>@fleetpbx" in sip_row
    raw = await (await site.client.get(line_url(site))).text()
    assert "&lt;b-leg&amp;1&gt;@fleetpbx" in raw  # escaped, not markup
    english = await text(await site.client.get(line_url(site), params={"lang": "en"}))
    assert "originating (caller)" in english and "Caller's leg Call-ID" in english
    await services_of(site).calls.save(
        model.CallRecord(
            call_id="sip-term-2",
            fleet_id=site.world.fleet.id,
            caller="+33699000009",
            called="+33611000001",
            offered_at=START + timedelta(minutes=10),
            outcome=CallOutcome.BUSY,
            caller_network_id="only-the-caller@core",
        )
    )
    # back in French (the English pick above was kept for the account)
    page = await text(await site.client.get(line_url(site), params={"lang": "fr"}))
    assert page.count("<details") == 2
    assert "only-the-caller@core" in page
    assert page.count("Corrélation (ICID)") == 1  # shown only where recorded
