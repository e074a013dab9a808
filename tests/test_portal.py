"""The manager and employee portals: sign-in, the call-group screens of seed 004, and the
security rules of DESIGN §7 (cookies, CSRF, headers, access to other fleets)."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES, build_app
from fleet.config import load_settings
from fleet.core.trunks import TrunkState
from fleet.core.values import Actor, Channel
from fleet.services.audit import AuditFilter
from fleet.services.container import Services
from portal import line_pages
from tests.conftest import dump
from tests.world import PASSWORD, World, build_accounts

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]


@dataclass
class Site:
    client: Client
    world: World
    group_id: int
    other_group_id: int


@pytest.fixture
async def site(aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine) -> Site:
    app = build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    client = await aiohttp_client(app)
    services = app[SERVICES]
    actor = Actor(name="setup", channel=Channel.CLI)
    built = await build_accounts(services, actor)
    world, group_id, other_group_id = built.world, built.group_id, built.other_group_id
    return Site(client=client, world=world, group_id=group_id, other_group_id=other_group_id)


async def text(response: ClientResponse) -> str:
    return html.unescape(await response.text())


async def csrf(client: Client, path: str = "/portal/login") -> str:
    page = await (await client.get(path)).text()
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


async def sign_in(client: Client, login: str = "chef", password: str = PASSWORD) -> None:
    token = await csrf(client)
    response = await client.post(
        "/portal/login",
        data={"login": login, "password": password, "csrf": token},
        allow_redirects=False,
    )
    assert response.status == 302, await response.text()


async def test_sign_in_gives_a_new_httponly_samesite_session(site: Site) -> None:
    client = site.client
    first = await client.get("/portal/login")
    cookie = first.cookies["fleetpbx_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    token = await csrf(client)
    response = await client.post(
        "/portal/login",
        data={"login": "chef", "password": PASSWORD, "csrf": token},
        allow_redirects=False,
    )
    assert response.headers["Location"] == "/portal/"
    assert response.cookies["fleetpbx_session"].value != cookie.value
    home = await client.get("/portal/")
    assert "Taxis Express" in await home.text()


async def test_wrong_password_keeps_the_login_and_says_why(site: Site) -> None:
    token = await csrf(site.client)
    response = await site.client.post(
        "/portal/login", data={"login": "chef", "password": "faux", "csrf": token}
    )
    assert response.status == 401
    page = await text(response)
    assert "Mot de passe incorrect." in page and 'value="chef"' in page


async def test_sign_in_is_locked_after_five_failures(site: Site) -> None:
    for _ in range(5):
        token = await csrf(site.client)
        await site.client.post(
            "/portal/login", data={"login": "chef", "password": "x", "csrf": token}
        )
    token = await csrf(site.client)
    response = await site.client.post(
        "/portal/login", data={"login": "chef", "password": PASSWORD, "csrf": token}
    )
    assert response.status == 401 and "compte bloqué" in await text(response)


async def test_forms_without_a_csrf_token_are_refused(site: Site) -> None:
    response = await site.client.post("/portal/login", data={"login": "chef", "password": PASSWORD})
    assert response.status == 403
    await sign_in(site.client)
    path = f"/portal/fleets/{site.world.fleet.id}/groups/{site.group_id}/disconnect-all"
    assert (await site.client.post(path, data={"csrf": "forged"})).status == 403


async def test_security_headers_are_on_every_response(site: Site) -> None:
    for path in ("/portal/login", "/portal/nowhere", "/healthz"):
        response = await site.client.get(path)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_call_groups_table_shows_the_columns_of_the_seed(site: Site) -> None:
    await sign_in(site.client)
    page = await text(await site.client.get(f"/portal/fleets/{site.world.fleet.id}/groups"))
    for header in (
        "N° du groupe",
        "Nom du groupe d'appel",
        "Code connexion utilisateur",
        "Code administratif",
        "File d'attente",
        "Délai avant basculement",
        "Délai inter-appels",
        "Mode de distribution",
    ):
        assert header in page
    assert "0609182236" not in page  # numbers are shown in national format, with spaces
    row = re.sub(r"<[^>]+>|\s+", " ", page.split("06 09 18 22 36", 1)[1].split("</tr>", 1)[0])
    assert row.split() == [
        "Com",
        "1703",
        "2202",
        "1",
        "12",
        "30",
        "Linéaire",
        "Modifier",
        "Supprimer",
    ]
    assert "Aucun membre connecté" in page and "Au moins un membre connecté" in page
    english = await text(
        await site.client.get(f"/portal/fleets/{site.world.fleet.id}/groups?lang=en")
    )
    assert "Delay before switchover" in english


async def test_a_manager_connects_and_disconnects_members(site: Site) -> None:
    await sign_in(site.client)
    base = f"/portal/fleets/{site.world.fleet.id}/groups/{site.group_id}"
    page = await text(await site.client.get(base))
    assert "Membres du groupe d'appel : Com" in page and "Déconnecter tous les membres" in page
    token = await csrf(site.client, base)
    line = site.world.line(1).id
    response = await site.client.post(f"{base}/connect", data={"csrf": token, "line_id": str(line)})
    assert response.status == 200
    services = site.client.app[SERVICES]
    assert (await services.groups.get(site.group_id)).members[1].connected
    await site.client.post(f"{base}/disconnect-all", data={"csrf": token})
    assert not (await services.groups.get(site.group_id)).any_connected
    journal = await services.audit.search(AuditFilter(entity="call_group", channel=Channel.PORTAL))
    assert journal.total == 2 and journal.items[0].actor == "chef"


async def test_a_manager_cannot_reach_another_fleet_on_any_route(
    site: Site, engine: AsyncEngine
) -> None:
    await sign_in(site.client)
    other_fleet, own_fleet = site.world.other_fleet.id, site.world.fleet.id
    token = await csrf(site.client, f"/portal/fleets/{own_fleet}/groups")
    before = await dump(engine)
    gets = [
        f"/portal/fleets/{other_fleet}/groups",
        f"/portal/fleets/{other_fleet}/groups/{site.other_group_id}",
        f"/portal/fleets/{own_fleet}/groups/{site.other_group_id}",  # own fleet, foreign group
        "/portal/fleets/abc/groups",
    ]
    for path in gets:
        assert (await site.client.get(path)).status == 404, path
    posts = [
        (f"/portal/fleets/{other_fleet}/groups/{site.other_group_id}/{action}", line)
        for action in ("connect", "disconnect", "disconnect-all")
        for line in (site.world.foreign.id,)
    ] + [
        (f"/portal/fleets/{own_fleet}/groups/{site.other_group_id}/disconnect-all", 0),
        (f"/portal/fleets/{own_fleet}/groups/{site.group_id}/connect", site.world.foreign.id),
    ]
    for path, line in posts:
        response = await site.client.post(path, data={"csrf": token, "line_id": str(line)})
        assert response.status == 404, path
    assert await dump(engine) == before


async def test_an_employee_sees_only_its_own_line(site: Site, engine: AsyncEngine) -> None:
    await sign_in(site.client, "salarie")
    page = await (await site.client.get("/portal/me")).text()
    assert "06 11 00 00 01" in page and "Com" in page
    before = await dump(engine)
    assert (await site.client.get("/portal/")).status == 403
    own = f"/portal/fleets/{site.world.fleet.id}/groups"
    assert (await site.client.get(own)).status == 403
    token = await csrf(site.client, "/portal/me")
    response = await site.client.post(f"{own}/{site.group_id}/disconnect-all", data={"csrf": token})
    assert response.status == 403
    assert await dump(engine) == before


async def test_pages_need_a_signed_in_account(site: Site) -> None:
    for path in ("/portal/", "/portal/me", f"/portal/fleets/{site.world.fleet.id}/groups"):
        response = await site.client.get(path, allow_redirects=False)
        assert response.status == 302 and response.headers["Location"] == "/portal/login"
    token = await csrf(site.client)
    await sign_in(site.client)
    await site.client.post("/portal/logout", data={"csrf": await csrf(site.client, "/portal/")})
    assert (await site.client.get("/portal/", allow_redirects=False)).status == 302
    assert token


async def test_lines_are_searched_and_paged(site: Site) -> None:
    await sign_in(site.client)
    base = f"/portal/fleets/{site.world.fleet.id}/lines"
    page = await text(await site.client.get(base))
    assert "13 lignes" in page and 'rel="next"' not in page and 'rel="prev"' not in page
    found = await text(await site.client.get(base, params={"q": "2012"}))
    assert 'id="lines-total">1 ligne</p>' in found and "06 11 00 00 12" in found


async def test_the_lines_page_walks_on_and_back_by_its_links(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(line_pages, "PAGE", 5)
    await sign_in(site.client)
    base = f"/portal/fleets/{site.world.fleet.id}/lines"
    url, pages = base, []
    while url:
        page = await text(await site.client.get(url))
        pages.append(page)
        link = re.search(r'href="(\?[^"]*)" rel="next"', page)
        url = base + html.unescape(link.group(1)) if link else ""
    assert len(pages) == 3 and 'rel="prev"' in pages[-1] and 'rel="prev"' not in pages[0]
    back = re.search(r'href="(\?[^"]*)" rel="prev"', pages[-1])
    assert back is not None
    middle = await text(await site.client.get(base + html.unescape(back.group(1))))
    assert _rows(middle) == _rows(pages[1])


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr><td><a href="[^"]+">([^<]+)</a>', page)


async def test_a_paging_link_not_ours_shows_the_first_page_and_why(site: Site) -> None:
    await sign_in(site.client)
    base = f"/portal/fleets/{site.world.fleet.id}/lines"
    response = await site.client.get(base, params={"after": "bm90IG91cnM"})
    page = await text(response)
    assert response.status == 400 and "lien de pagination invalide" in page
    assert "13 lignes" in page


async def test_a_manager_sets_a_busy_forwarding(site: Site) -> None:
    await sign_in(site.client)
    line = site.world.line(1)
    url = f"/portal/fleets/{site.world.fleet.id}/lines/{line.id}/forwarding"
    page = await text(await site.client.get(url))
    assert "Je ne souhaite pas personnaliser mes renvois d'appel" in page
    token = await csrf(site.client, url)
    response = await site.client.post(
        url, data={"csrf": token, "busy.active": "on", "busy.destination": "01 45 67 89 10"}
    )
    assert response.status == 200 and "Modifications enregistrées." in await text(response)
    services = site.client.app[SERVICES]
    rules = await services.forwarding.of_line(line.id)
    assert [
        (r.kind.value, r.destination.national_digits(), r.active) for r in rules if r.destination
    ] == [("busy", "0145678910", True)]
    await site.client.post(url, data={"csrf": token, "none": "on"})
    assert not any(r.active for r in await services.forwarding.of_line(line.id))


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"busy.active": "on", "busy.destination": "0899123456"}, "busy", "numéros spéciaux"),
        (
            {"no_reply.active": "on", "no_reply.destination": "0145678910", "no_reply.timer": "40"},
            "no_reply",
            "entre 5 et 30 secondes",
        ),
        (
            {"unconditional.active": "on", "unconditional.destination": ""},
            "unconditional",
            "Saisissez le numéro",
        ),
        ({"busy.active": "on", "busy.destination": "2002"}, "busy", "Numéro court non disponible"),
    ],
)
async def test_a_refused_forwarding_shows_the_reason_keeps_the_input_writes_nothing(
    site: Site, engine: AsyncEngine, fields: dict[str, str], field: str, reason: str
) -> None:
    await sign_in(site.client)
    url = f"/portal/fleets/{site.world.fleet.id}/lines/{site.world.line(1).id}/forwarding"
    token = await csrf(site.client, url)
    before = await dump(engine)
    # a valid row next to the wrong one: nothing at all is written
    data = {
        "csrf": token,
        "not_reachable.active": "on",
        "not_reachable.destination": "0145678910",
        **fields,
    }
    response = await site.client.post(url, data=data)
    assert response.status == 400
    page = await text(response)
    assert reason in page
    typed = fields.get(f"{field}.destination") or fields.get(f"{field}.timer") or ""
    assert f'value="{typed}"' in page
    assert await dump(engine) == before


async def test_a_manager_builds_a_cascade_list_and_a_sixth_entry_cannot_exist(
    site: Site, engine: AsyncEngine
) -> None:
    await sign_in(site.client)
    line = site.world.line(1)
    url = f"/portal/fleets/{site.world.fleet.id}/lines/{line.id}/incoming"
    page = await text(await site.client.get(url))
    assert 'value="06 11 00 00 02"' in page  # the line itself is pre-filled as the first entry
    assert page.count('name="entry') == 5
    token = await csrf(site.client, url)
    data = {
        "csrf": token,
        "active": "on",
        "mode": "cascade",
        "ring_time": "15",
        "entry0": "0145678910",
        "entry1": "0611000002",
        "entry2": "0611000006",
    }
    response = await site.client.post(url, data=data)
    assert response.status == 200
    plan = await site.client.app[SERVICES].incoming.get(line.id)
    assert plan is not None and plan.mode.value == "cascade" and len(plan.entries) == 3
    before = await dump(engine)
    bad = {**data, "entry3": "0699887766"}  # not in the VPN
    response = await site.client.post(url, data=bad)
    assert response.status == 400
    page = await text(response)
    assert "n'appartient pas au réseau de l'entreprise" in page and 'value="0699887766"' in page
    assert await dump(engine) == before


async def test_line_pages_of_another_fleet_are_not_found(site: Site, engine: AsyncEngine) -> None:
    await sign_in(site.client)
    own, other = site.world.fleet.id, site.world.other_fleet.id
    token = await csrf(site.client, f"/portal/fleets/{own}/lines")
    before = await dump(engine)
    foreign = site.world.foreign.id
    for path in (
        f"/portal/fleets/{other}/lines",
        f"/portal/fleets/{other}/lines/{foreign}/forwarding",
        f"/portal/fleets/{own}/lines/{foreign}/forwarding",
        f"/portal/fleets/{own}/lines/{foreign}/incoming",
        f"/portal/fleets/{own}/lines/{foreign}",
        f"/portal/fleets/{other}/lines/{foreign}",
    ):
        assert (await site.client.get(path)).status == 404, path
    for path in (
        f"/portal/fleets/{own}/lines/{foreign}/forwarding",
        f"/portal/fleets/{own}/lines/{foreign}/incoming",
        f"/portal/fleets/{other}/lines/{foreign}/forwarding",
        f"/portal/fleets/{own}/lines/{foreign}",
        f"/portal/fleets/{other}/lines/{foreign}",
        f"/portal/fleets/{own}/lines/{foreign}/act",
        f"/portal/fleets/{other}/lines/{foreign}/act",
    ):
        data = {"csrf": token, "none": "on", "employee_name": "X", "pabx_option": "on"}
        response = await site.client.post(path, data=data)
        assert response.status == 404, path
    home = await site.client.get("/portal/me")  # not acting as the foreign line: home
    assert home.status == 200 and home.url.path == "/portal/"
    assert await dump(engine) == before


async def test_a_manager_builds_a_group_and_connects_a_member(site: Site) -> None:
    await sign_in(site.client)
    base = f"/portal/fleets/{site.world.fleet.id}/groups"
    token = await csrf(site.client, f"{base}/new")
    fields = {
        "csrf": token,
        "number": "0609182250",
        "name": "Taxis",
        "user_code": "4321",
        "admin_code": "8765",
        "queue_size": "3",
        "switchover_delay": "15",
        "intercall_delay": "20",
        "distribution": "cyclic",
        "short_number": "",
    }
    response = await site.client.post(f"{base}/new", data=fields)
    assert response.status == 200 and "Membres du groupe d'appel : Taxis" in await text(response)
    group_url = str(response.url.path)
    response = await site.client.post(
        f"{group_url}/members", data={"csrf": token, "member": "2003"}
    )
    assert "Salarié 3" in await text(response)
    group = await site.client.app[SERVICES].groups.get_by_number("0609182250")
    line = group.members[0].line_id
    await site.client.post(f"{group_url}/connect", data={"csrf": token, "line_id": str(line)})
    assert (await site.client.app[SERVICES].groups.get(group.id)).any_connected
    table = await text(await site.client.get(base))
    assert "Taxis" in table and "Cyclique" in table


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("switchover_delay", "40x", "Le délai avant basculement doit être compris entre 5 et 120"),
        ("user_code", "12", "exactement 4 chiffres"),
        ("number", "0899123456", "numéros spéciaux"),
        ("queue_size", "21", "de 0 à 20 positions"),
        ("intercall_delay", "--5", "Le délai inter-appels doit être compris entre 0 et 600"),
        ("queue_size", "²", "de 0 à 20 positions"),
    ],
)
async def test_a_refused_group_form_shows_the_field_keeps_the_input_writes_nothing(
    site: Site, engine: AsyncEngine, field: str, value: str, reason: str
) -> None:
    await sign_in(site.client)
    base = f"/portal/fleets/{site.world.fleet.id}/groups"
    token = await csrf(site.client, f"{base}/new")
    fields = {
        "csrf": token,
        "number": "0609182250",
        "name": "Taxis",
        "user_code": "4321",
        "admin_code": "8765",
        "queue_size": "3",
        "switchover_delay": "15",
        "intercall_delay": "20",
        "distribution": "cyclic",
        field: value,
    }
    before = await dump(engine)
    response = await site.client.post(f"{base}/new", data=fields)
    assert response.status == 400
    page = await text(response)
    assert reason in page and f'value="{value}"' in page
    assert await dump(engine) == before


async def test_an_eleventh_member_is_refused_with_the_reason(
    site: Site, engine: AsyncEngine
) -> None:
    await sign_in(site.client)
    services = site.client.app[SERVICES]
    for i in range(2, 10):
        await services.groups.add_member(
            Actor(name="x", channel=Channel.CLI), site.group_id, site.world.line(i).id
        )
    url = f"/portal/fleets/{site.world.fleet.id}/groups/{site.group_id}"
    token = await csrf(site.client, url)
    before = await dump(engine)
    response = await site.client.post(f"{url}/members", data={"csrf": token, "member": "2011"})
    assert response.status == 400
    page = await text(response)
    assert "au plus 10 membres" in page and 'value="2011"' in page
    assert await dump(engine) == before


async def test_group_forms_of_another_fleet_are_not_found(site: Site, engine: AsyncEngine) -> None:
    await sign_in(site.client)
    own, other = site.world.fleet.id, site.world.other_fleet.id
    token = await csrf(site.client, f"/portal/fleets/{own}/groups/new")
    before = await dump(engine)
    assert (await site.client.get(f"/portal/fleets/{other}/groups/new")).status == 404
    assert (
        await site.client.get(f"/portal/fleets/{own}/groups/{site.other_group_id}/edit")
    ).status == 404
    for path in (
        f"/portal/fleets/{other}/groups/new",
        f"/portal/fleets/{own}/groups/{site.other_group_id}/edit",
        f"/portal/fleets/{own}/groups/{site.other_group_id}/delete",
        f"/portal/fleets/{own}/groups/{site.other_group_id}/members",
        f"/portal/fleets/{own}/groups/{site.other_group_id}/members/remove",
    ):
        response = await site.client.post(
            path, data={"csrf": token, "member": "2001", "line_id": "1", "name": "x"}
        )
        assert response.status == 404, path
    assert await dump(engine) == before


async def test_the_audit_journal_is_filtered_and_stays_in_the_fleet(site: Site) -> None:
    await sign_in(site.client)
    url = f"/portal/fleets/{site.world.fleet.id}/groups/{site.group_id}"
    token = await csrf(site.client, url)
    await site.client.post(f"{url}/disconnect-all", data={"csrf": token})
    await site.client.post(
        f"{url}/connect", data={"csrf": token, "line_id": str(site.world.line(0).id)}
    )
    audit = f"/portal/fleets/{site.world.fleet.id}/audit"
    page = await text(await site.client.get(audit, params={"channel": "portal"}))
    assert page.count("<td>chef</td>") == 1 and "call_group" in page
    everything = await text(await site.client.get(audit))
    assert "Ailleurs" not in everything  # the other fleet's group
    assert (
        await site.client.get(f"/portal/fleets/{site.world.other_fleet.id}/audit")
    ).status == 404


async def test_the_fleet_fixed_numbers_are_listed(site: Site) -> None:
    await sign_in(site.client)
    page = await text(await site.client.get(f"/portal/fleets/{site.world.fleet.id}/fixed"))
    assert "01 45 67 89 10" in page and "trunk-siege" in page
    assert (
        await site.client.get(f"/portal/fleets/{site.world.other_fleet.id}/fixed")
    ).status == 404


async def test_the_fixed_numbers_page_shows_each_trunks_state_in_french_and_english(
    site: Site, services: Services
) -> None:
    actor = Actor(name="setup", channel=Channel.CLI)
    fleet = site.world.fleet.id
    siege = (await services.trunks.in_fleet(fleet))[0]
    await services.trunks.set_state(siege.trunk.id, TrunkState.OUT_OF_SERVICE)
    await services.trunks.add(actor, fleet, name="trunk-lyon", host="192.0.2.4", port=5080)
    await sign_in(site.client)
    url = f"/portal/fleets/{fleet}/fixed"
    french = await text(await site.client.get(url))
    row = french[french.index("01 45 67 89 10") :].split("</tr>")[0]
    assert "trunk-siege" in row and "hors service" in row
    assert "trunk-lyon" in french and "pas encore vérifié" in french and "192.0.2.4:5080" in french
    english = await text(await site.client.get(url + "?lang=en"))
    assert "out of service" in english and "not checked yet" in english


async def test_an_employee_changes_its_own_list_forwarding_and_groups(
    site: Site, engine: AsyncEngine
) -> None:
    await sign_in(site.client, "salarie")
    services = site.client.app[SERVICES]
    line = site.world.line(0)
    token = await csrf(site.client, "/portal/me/incoming")
    response = await site.client.post(
        "/portal/me/incoming",
        data={
            "csrf": token,
            "active": "on",
            "mode": "cascade",
            "ring_time": "20",
            "entry0": "0611000001",
            "entry1": "0145678910",
        },
    )
    assert response.status == 200 and "Modifications enregistrées." in await text(response)
    plan = await services.incoming.get(line.id)
    assert plan is not None and plan.ring_time == 20 and len(plan.entries) == 2
    await site.client.post(
        "/portal/me/forwarding",
        data={"csrf": token, "busy.active": "on", "busy.destination": "0145678910"},
    )
    assert [r.kind.value for r in await services.forwarding.of_line(line.id)] == ["busy"]
    await site.client.post(f"/portal/me/groups/{site.group_id}/connect", data={"csrf": token})
    assert (await services.groups.get(site.group_id)).members[0].connected
    # never another line, never a group it is not in, never a manager page
    before = await dump(engine)
    assert (
        await site.client.post(
            f"/portal/me/groups/{site.other_group_id}/connect", data={"csrf": token}
        )
    ).status == 404
    other_line = f"/portal/fleets/{site.world.fleet.id}/lines/{site.world.line(1).id}/forwarding"
    assert (await site.client.get(other_line)).status == 403
    assert (await site.client.post(other_line, data={"csrf": token, "none": "on"})).status == 403
    assert await dump(engine) == before


async def test_a_manager_has_no_me_pages(site: Site) -> None:
    await sign_in(site.client)
    assert (await site.client.get("/portal/me/forwarding")).status == 403


async def test_a_user_changes_its_password(site: Site) -> None:
    await sign_in(site.client, "salarie")
    token = await csrf(site.client, "/portal/password")
    wrong = await site.client.post(
        "/portal/password",
        data={
            "csrf": token,
            "old_password": "x",
            "new_password": "nouveau-secret",
            "confirm": "nouveau-secret",
        },
    )
    assert wrong.status == 400 and "Mot de passe incorrect." in await text(wrong)
    mismatch = await site.client.post(
        "/portal/password",
        data={
            "csrf": token,
            "old_password": PASSWORD,
            "new_password": "nouveau-secret",
            "confirm": "autre-secret",
        },
    )
    assert mismatch.status == 400 and "diffèrent" in await text(mismatch)
    short = await site.client.post(
        "/portal/password",
        data={"csrf": token, "old_password": PASSWORD, "new_password": "court", "confirm": "court"},
    )
    assert short.status == 400 and "au moins 10 caractères" in await text(short)
    done = await site.client.post(
        "/portal/password",
        data={
            "csrf": token,
            "old_password": PASSWORD,
            "new_password": "nouveau-secret",
            "confirm": "nouveau-secret",
        },
    )
    assert done.status == 200 and "Mot de passe changé." in await text(done)
    signed = await site.client.app[SERVICES].accounts.sign_in(
        "salarie", "nouveau-secret", source="192.0.2.1"
    )
    assert signed.account.login == "salarie"


async def test_a_refusal_is_a_page_of_the_portal_and_the_api_still_answers_json(
    site: Site,
) -> None:
    await sign_in(site.client, "salarie")
    refused = await site.client.get(f"/portal/fleets/{site.world.fleet.id}/groups")
    assert refused.status == 403 and refused.content_type == "text/html"
    page = await text(refused)
    assert "<h1>Accès refusé</h1>" in page and 'href="#main"' in page  # the portal's layout
    assert "employees only" not in page and "managers only" in page  # the handler's reason
    missing = await site.client.get("/portal/no-such-page?lang=en")
    assert missing.status == 404 and "<h1>Page not found</h1>" in await text(missing)
    api = await site.client.get("/api/no-such-answer")
    assert api.status == 404 and api.content_type != "text/html"
