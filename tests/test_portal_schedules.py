"""The manager's schedule pages: the list with whether each is open now, the editor
(periods per weekday, holidays, the opposite schedule), a refused form shown again as typed
with the reason and nothing written, deleting after a confirmation, another fleet's
schedules out of reach; French and English."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES
from fleet.core.schedules import Holiday, TimeRange, Weekday
from fleet.core.values import Actor, Channel
from fleet.services.container import Services
from portal.schedule_pages import FormError, parse
from tests.conftest import dump
from tests.test_portal import Site, csrf, sign_in, site, text

__all__ = ["site"]

SETUP = Actor(name="setup", channel=Channel.CLI)


def services_of(site: Site) -> Services:
    services: Services = site.client.app[SERVICES]
    return services


def test_the_editor_form_becomes_typed_ranges_and_holidays() -> None:
    parsed = parse(
        {
            "name": "Magasin",
            "monday_0_start": "09:00",
            "monday_0_end": "12:00",
            "monday_1_start": "13:00",
            "monday_1_end": "17:00",
            "sunday_2_start": "",
            "sunday_2_end": "",
            "holiday_0_label": "Noël",
            "holiday_0_first": "2026-12-25",
            "holiday_0_yearly": "on",
            "holiday_1_first": "2026-08-01",
            "holiday_1_last": "2026-08-15",
            "with_opposite": "on",
        }
    )
    assert parsed.ranges == [
        TimeRange(day=Weekday.MONDAY, start=540, end=720),
        TimeRange(day=Weekday.MONDAY, start=780, end=1020),
    ]
    assert parsed.holidays == [
        Holiday(label="Noël", first=date(2026, 12, 25), last=date(2026, 12, 25), yearly=True),
        Holiday(label="", first=date(2026, 8, 1), last=date(2026, 8, 15)),
    ]
    assert parsed.with_opposite


def test_an_incomplete_period_or_holiday_is_a_form_error() -> None:
    for data in (
        {"monday_0_start": "09:00"},
        {"holiday_0_label": "Noël"},
        {"holiday_0_first": "25/12/2026"},
    ):
        try:
            parse(data)
        except FormError:
            continue
        raise AssertionError(data)


async def test_a_schedule_is_created_with_its_opposite_and_listed(site: Site) -> None:
    await sign_in(site.client)
    base = f"/portal/fleets/{site.world.fleet.id}/schedules"
    assert "Aucun horaire." in await text(await site.client.get(base))
    editor = await text(await site.client.get(f"{base}/new"))
    assert "Associer l'horaire opposé" in editor and "Lundi, Période 1, début" in editor
    token = await csrf(site.client, f"{base}/new")
    response = await site.client.post(
        f"{base}/new",
        data={
            "csrf": token,
            "name": "Horaire du magasin",
            "tuesday_0_start": "09:00",
            "tuesday_0_end": "18:00",
            "holiday_0_label": "Noël",
            "holiday_0_first": "2026-12-25",
            "holiday_0_yearly": "on",
            "with_opposite": "on",
        },
        allow_redirects=False,
    )
    assert response.status == 302, await text(response)
    listed = await text(await site.client.get(base))
    assert "Horaire du magasin" in listed and "non-horaire du magasin" in listed
    assert "09:00–18:00" in listed and "Horaire opposé de « Horaire du magasin »" in listed
    english = await text(await site.client.get(f"{base}?lang=en"))
    assert "Opposite of 'Horaire du magasin'" not in english  # the page quotes with « »
    assert "Tuesday" in english and "Schedules" in english


async def test_a_refused_form_comes_back_as_typed_with_the_reason(
    site: Site, engine: AsyncEngine
) -> None:
    await sign_in(site.client)
    base = f"/portal/fleets/{site.world.fleet.id}/schedules"
    token = await csrf(site.client, f"{base}/new")
    before = await dump(engine)
    response = await site.client.post(
        f"{base}/new",
        data={
            "csrf": token,
            "name": "Bureau",
            "friday_0_start": "09:00",
            "friday_0_end": "12:00",
            "friday_1_start": "11:00",
            "friday_1_end": "14:00",
        },
    )
    page = await text(response)
    assert response.status == 400
    assert 'role="alert"' in page and "Les plages 09:00–12:00 et 11:00–14:00 se recouvrent." in page
    assert 'value="11:00"' in page and 'value="Bureau"' in page
    incomplete = await site.client.post(
        f"{base}/new", data={"csrf": token, "name": "Bureau", "friday_0_end": "12:00"}
    )
    assert "Une période a besoin d'un début et d'une fin." in await text(incomplete)
    assert await dump(engine) == before


async def test_a_schedule_is_edited_and_deleted_after_confirmation(site: Site) -> None:
    services = services_of(site)
    shop = await services.schedules.create(
        SETUP,
        site.world.fleet.id,
        name="Magasin",
        ranges=[TimeRange(day=Weekday.MONDAY, start=540, end=720)],
        with_opposite=True,
    )
    await sign_in(site.client)
    base = f"/portal/fleets/{site.world.fleet.id}/schedules"
    url = f"{base}/{shop.id}"
    editor = await text(await site.client.get(url))
    assert 'value="09:00"' in editor and 'value="12:00"' in editor
    token = await csrf(site.client, url)
    response = await site.client.post(
        url,
        data={
            "csrf": token,
            "name": "Magasin",
            "monday_0_start": "08:00",
            "monday_0_end": "12:00",
            "holiday_0_first": "2026-05-01",
        },
        allow_redirects=False,
    )
    assert response.status == 302, await text(response)
    changed = await services.schedules.get(shop.id)
    assert changed.ranges == (TimeRange(day=Weekday.MONDAY, start=480, end=720),)
    assert [h.first for h in changed.holidays] == [date(2026, 5, 1)]
    confirm = await text(await site.client.get(f"{url}/delete"))
    assert "Supprimer l'horaire « Magasin » ?" in confirm
    assert "Son horaire opposé « non-magasin » sera supprimé aussi." in confirm
    assert await services.schedules.in_fleet(site.world.fleet.id)  # not yet
    response = await site.client.post(f"{url}/delete", data={"csrf": token}, allow_redirects=False)
    assert response.status == 302
    assert await services.schedules.in_fleet(site.world.fleet.id) == []


async def test_an_opposite_schedule_is_only_renamed_on_its_page(site: Site) -> None:
    services = services_of(site)
    await services.schedules.create(SETUP, site.world.fleet.id, name="Magasin", with_opposite=True)
    [_, opposite] = await services.schedules.in_fleet(site.world.fleet.id)
    await sign_in(site.client)
    url = f"/portal/fleets/{site.world.fleet.id}/schedules/{opposite.id}"
    page = await text(await site.client.get(url))
    assert "seul son nom se modifie ici" in page and "schedule-week" not in page
    token = await csrf(site.client, url)
    response = await site.client.post(
        url, data={"csrf": token, "name": "Fermé"}, allow_redirects=False
    )
    assert response.status == 302
    assert (await services.schedules.get(opposite.id)).name == "Fermé"


async def test_another_fleets_schedule_is_not_found(site: Site, engine: AsyncEngine) -> None:
    services = services_of(site)
    theirs = await services.schedules.create(SETUP, site.world.other_fleet.id, name="Ailleurs")
    await sign_in(site.client)
    own = f"/portal/fleets/{site.world.fleet.id}/schedules/{theirs.id}"
    assert (await site.client.get(own)).status == 404
    assert (await site.client.get(f"{own}/delete")).status == 404
    other = f"/portal/fleets/{site.world.other_fleet.id}/schedules"
    assert (await site.client.get(other)).status == 404
    token = await csrf(site.client, f"/portal/fleets/{site.world.fleet.id}/schedules/new")
    before = await dump(engine)
    response = await site.client.post(f"{own}/delete", data={"csrf": token})
    assert response.status == 404
    assert await dump(engine) == before
