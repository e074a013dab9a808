"""The activity monitor's page and API (issue 16 item 8) on the running service: a member
ringing shows on the page, in its live part and in the API; each schedule's verdict now;
another fleet's monitor and another fleet's group out of reach; who may open the page; a
process that does not own the fleet's calls says so instead of showing empty groups;
French and English; the page works without JavaScript."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from callgroups.activity import EngineActivity
from fleet.app import DIRECTORY, EXCHANGE, SERVICES, build_app
from fleet.config import load_settings
from fleet.core.ownership import Owner, OwnerMap
from fleet.core.schedules import TimeRange, Weekday
from fleet.core.values import Actor, Channel
from fleet.services.monitor import ActivityMonitor
from portal.api_monitor import MONITOR
from simulators.handsets import Behaviour
from tests.exchange import n
from tests.polling import eventually
from tests.test_portal import ClientFactory, Site, sign_in, site, text
from tests.world import PASSWORD, build_accounts

__all__ = ["site"]

SETUP = Actor(name="setup", channel=Channel.CLI)
CALLER = "0699000001"
ALL_WEEK = [TimeRange(day=day, start=0, end=24 * 60) for day in Weekday]


async def token(site: Site, login: str = "chef") -> dict[str, str]:
    response = await site.client.post("/api/login", json={"login": login, "password": PASSWORD})
    return {"Authorization": f"Bearer {(await response.json())['token']}"}


def rows(page: str) -> dict[str, str]:
    """The member rows of the page: line id -> state."""
    return dict(re.findall(r'data-line="([0-9]+)" data-state="([a-z_]+)"', page))


async def ring_a_member(site: Site) -> str:
    """Connect the group's first member and call the group: it rings. The call's caller."""
    app = site.client.app
    services = app[SERVICES]
    member = site.world.line(0)
    await services.groups.set_connected(SETUP, site.group_id, member.id, True)
    network = app[EXCHANGE].network
    network.add(member.msisdn, "Salarié 1", behaviour=Behaviour(answer_after=None))
    network.add(n(CALLER), "Client", behaviour=Behaviour(answer_after=None))
    network.dial(n(CALLER), "0609182236")
    return CALLER


async def test_a_member_ringing_shows_on_the_page_its_live_part_and_the_api(site: Site) -> None:
    client, world = site.client, site.world
    await sign_in(client)
    url = f"/portal/fleets/{world.fleet.id}/monitor"
    page = await text(await client.get(url))
    assert "Moniteur d'activité" in page and "Com" in page
    first, second = str(world.line(0).id), str(world.line(1).id)
    assert rows(page) == {first: "disconnected", second: "disconnected"}
    assert "Membres absents (déconnectés) : 2" in page

    caller = await ring_a_member(site)
    live = await text(await client.get(url + "?part=live"))
    assert "<html" not in live  # the fragment the script puts in place
    assert rows(live) == {first: "ringing", second: "disconnected"}
    assert "sonne" in live and "Membres sonnés : 1" in live

    api = await client.get(f"/api/fleets/{world.fleet.id}/monitor", headers=await token(site))
    assert api.status == 200
    body = await api.json()
    assert body["live"] == {"source": "here", "owner_process": None}
    (group,) = body["groups"]
    assert group["id"] == site.group_id and group["queue_length"] == 0
    assert [(m["line_id"], m["state"]) for m in group["members"]] == [
        (world.line(0).id, "ringing"),
        (world.line(1).id, "disconnected"),
    ]
    site.client.app[EXCHANGE].network.hang_up(n(caller))

    def member_free() -> bool:
        return site.client.app[EXCHANGE].engine.active_calls == 0

    await eventually(member_free)


async def test_each_schedule_says_whether_it_is_open_now_and_what_applies(site: Site) -> None:
    client, world = site.client, site.world
    services = client.app[SERVICES]
    await services.schedules.create(
        SETUP, world.fleet.id, name="Toujours", ranges=ALL_WEEK, with_opposite=True
    )
    await sign_in(client)
    page = await text(await client.get(f"/portal/fleets/{world.fleet.id}/monitor"))
    assert "Plage actuelle : Toujours (00:00–24:00)" in page
    opposite = re.search(
        r'data-schedule="[0-9]+">\s*<td>non-toujours<br><small>([^<]*)</small></td>\s*'
        r"<td>([^<]*)</td>",
        page,
    )
    assert opposite is not None
    assert opposite.groups() == ("Horaire opposé de « Toujours »", "fermé")
    body = await (
        await client.get(f"/api/fleets/{world.fleet.id}/monitor", headers=await token(site))
    ).json()
    by_name = {s["name"]: s for s in body["schedules"]}
    assert by_name["Toujours"]["open"] and by_name["Toujours"]["rule"] == "range"
    assert by_name["Toujours"]["range"]["start"] == "00:00"
    assert not by_name["non-toujours"]["open"]
    assert by_name["non-toujours"]["opposite_of"] == by_name["Toujours"]["id"]
    assert body["timezone"] == "Europe/Paris"


async def test_a_group_whose_routing_follows_a_schedule_shows_it_now(site: Site) -> None:
    client, world = site.client, site.world
    services = client.app[SERVICES]
    always = await services.schedules.create(
        SETUP, world.fleet.id, name="Toujours", ranges=ALL_WEEK, with_opposite=True
    )
    never = next(s for s in await services.schedules.in_fleet(world.fleet.id) if s.id != always.id)
    await services.criteria.set_group(SETUP, site.group_id, schedule_id=never.id)
    await sign_in(client)
    page = await text(await client.get(f"/portal/fleets/{world.fleet.id}/monitor"))
    assert "non-toujours — fermé" in page
    body = await (
        await client.get(f"/api/fleets/{world.fleet.id}/monitor", headers=await token(site))
    ).json()
    [group] = [g for g in body["groups"] if g["id"] == site.group_id]
    assert group["schedule"]["name"] == "non-toujours"
    assert group["schedule"]["open"] is False
    await services.criteria.clear_group(SETUP, site.group_id)
    body = await (
        await client.get(f"/api/fleets/{world.fleet.id}/monitor", headers=await token(site))
    ).json()
    [group] = [g for g in body["groups"] if g["id"] == site.group_id]
    assert group["schedule"] is None


async def test_another_fleets_monitor_and_group_are_not_found(site: Site) -> None:
    client, world = site.client, site.world
    await sign_in(client)
    assert (await client.get(f"/portal/fleets/{world.other_fleet.id}/monitor")).status == 404
    assert (await client.get("/portal/fleets/999999/monitor")).status == 404
    headers = await token(site)
    own, other = world.fleet.id, world.other_fleet.id
    assert (await client.get(f"/api/fleets/{other}/monitor", headers=headers)).status == 404
    refused = await client.get(
        f"/api/fleets/{own}/groups/{site.other_group_id}/monitor", headers=headers
    )
    assert refused.status == 404
    assert (await refused.json())["code"] == "not_found"
    one = await client.get(f"/api/fleets/{own}/groups/{site.group_id}/monitor", headers=headers)
    assert [g["id"] for g in (await one.json())["groups"]] == [site.group_id]
    whole = await (await client.get(f"/api/fleets/{own}/monitor", headers=headers)).json()
    assert site.other_group_id not in [g["id"] for g in whole["groups"]]


async def test_who_may_open_the_monitor_page(site: Site) -> None:
    client, world = site.client, site.world
    url = f"/portal/fleets/{world.fleet.id}/monitor"
    signed_out = await client.get(url, allow_redirects=False)
    assert (signed_out.status, signed_out.headers["Location"]) == (302, "/portal/login")
    await sign_in(client, "salarie")
    assert (await client.get(url)).status == 403
    await client.post("/portal/logout", data={"csrf": await _csrf(site)})
    services = client.app[SERVICES]
    await services.accounts.create_operator(
        SETUP, login="ops", password=PASSWORD, display_name="Opératrice"
    )
    await sign_in(client, "ops")
    other = await client.get(f"/portal/fleets/{world.other_fleet.id}/monitor")
    assert other.status == 200 and "Ailleurs" in await text(other)


async def _csrf(site: Site) -> str:
    page = await (await site.client.get("/portal/me")).text()
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


@dataclass
class Seen:
    """The owner map the monitor of ``remote`` reads (as the owner keeper's would be)."""

    owners: OwnerMap = field(default_factory=OwnerMap)


@pytest.fixture
async def remote(
    aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine
) -> tuple[Site, Seen]:
    """The service as a process that owns no fleet's calls: its monitor reads an owner
    map the test sets."""
    seen = Seen()
    app = build_app(settings=load_settings(cli={"database_url": database_url}, env={}))

    async def not_owner(app: web.Application) -> AsyncIterator[None]:
        exchange = app[EXCHANGE]
        app[MONITOR] = ActivityMonitor(
            live=EngineActivity(
                engine=exchange.engine, hunter=exchange.groups, directory=app[DIRECTORY]
            ),
            fleets=app[SERVICES].fleets,
            schedules=app[SERVICES].schedules,
            criteria=app[SERVICES].criteria,
            owners=lambda: seen.owners,
        )
        yield

    app.cleanup_ctx.append(not_owner)  # after the service's own monitor: replaces it
    client = await aiohttp_client(app)
    built = await build_accounts(app[SERVICES], SETUP)
    site = Site(client, built.world, built.group_id, built.other_group_id)
    return site, seen


async def test_on_a_process_that_does_not_own_the_fleet_the_page_says_where_it_is(
    remote: tuple[Site, Seen],
) -> None:
    site, seen = remote
    client, world = site.client, site.world
    seen.owners = OwnerMap(others={world.fleet.id: Owner(process="p2", sip_uri="sip:10.0.0.2")})
    await sign_in(client)
    url = f"/portal/fleets/{world.fleet.id}/monitor"
    page = await text(await client.get(url))
    assert "traités par un autre processus (p2)" in page
    assert rows(page) == {} and "Aucun groupe" not in page and "absents" not in page
    english = await text(await client.get(url + "?lang=en"))
    assert "handled by another process (p2)" in english
    body = await (
        await client.get(f"/api/fleets/{world.fleet.id}/monitor", headers=await token(site))
    ).json()
    assert body["live"] == {"source": "elsewhere", "owner_process": "p2"}
    assert body["groups"] is None  # unknown here, not an empty fleet

    seen.owners = OwnerMap()  # a takeover under way: nobody owns it
    page = await text(await client.get(url + "?lang=fr"))
    assert "Aucun processus ne traite les appels de cette flotte" in page
    body = await (
        await client.get(f"/api/fleets/{world.fleet.id}/monitor", headers=await token(site))
    ).json()
    assert (body["live"]["source"], body["groups"]) == ("nobody", None)


async def test_the_page_in_english_and_without_javascript(site: Site) -> None:
    client, world = site.client, site.world
    await sign_in(client)
    page = await text(await client.get(f"/portal/fleets/{world.fleet.id}/monitor?lang=en"))
    assert "Activity monitor" in page and "Absent members (disconnected): 2" in page
    assert '<noscript><meta http-equiv="refresh" content="15"></noscript>' in page
    assert f'href="/portal/fleets/{world.fleet.id}/monitor">Refresh</a>' in page
    assert '<script src="/static/monitor.js" defer></script>' in page
    home = await text(await client.get("/portal/"))
    assert f'href="/portal/fleets/{world.fleet.id}/monitor"' in home


async def test_on_the_sip_network_the_monitor_reads_the_sip_exchange(
    aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine
) -> None:
    """On the SIP network (fleet owners kept on PostgreSQL: the one process owns every
    fleet after its first round) the monitor reads the SIP exchange's groups."""
    settings = load_settings(
        cli={
            "database_url": database_url,
            "network": "sip",
            "sip_host": "127.0.0.1",
            "sip_port": 0,
            "sip_core": "127.0.0.1:5060",
        },
        env={},
    )
    app = build_app(settings=settings)
    client = await aiohttp_client(app)
    built = await build_accounts(app[SERVICES], SETUP)
    site = Site(client, built.world, built.group_id, built.other_group_id)
    url = f"/api/fleets/{built.world.fleet.id}/monitor"
    headers = await token(site)

    async def live_here() -> bool:
        body = await (await client.get(url, headers=headers)).json()
        return bool(body["live"]["source"] == "here" and body["groups"])

    await eventually(live_here, every=0.1, what="the fleet's live activity on its owner")
