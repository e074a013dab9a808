"""The manager portal's import and export: export links, an upload previewed (what it
creates or changes, every faulty row) and confirmed, and the printable configuration."""

from __future__ import annotations

import io
import re

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES, build_app
from fleet.config import load_settings
from fleet.core.values import Actor, Channel
from tests.conftest import dump
from tests.test_portal import ClientFactory, Site, csrf, sign_in, text
from tests.world import build_accounts

CSV = "msisdn;short_number;employee_name\n0611009001;3001;Nouvelle Ligne\n"


@pytest.fixture
async def site(aiohttp_client: ClientFactory, database_url: str, engine: AsyncEngine) -> Site:
    app = build_app(settings=load_settings(cli={"database_url": database_url}, env={}))
    client = await aiohttp_client(app)
    built = await build_accounts(app[SERVICES], Actor(name="setup", channel=Channel.CLI))
    return Site(client, built.world, built.group_id, built.other_group_id)


def upload(token: str, content: str, name: str = "lines.csv") -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("csrf", token)
    form.add_field("step", "preview")
    form.add_field("file", content.encode("utf-8"), filename=name, content_type="text/csv")
    return form


async def test_a_manager_previews_then_confirms_an_import(site: Site, engine: AsyncEngine) -> None:
    await sign_in(site.client)
    path = f"/portal/fleets/{site.world.fleet.id}/transfer"
    page = await text(await site.client.get(path))
    assert "export.csv" in page and "export.json" in page and "/print" in page
    token = await csrf(site.client, path)
    before = await dump(engine)
    preview = await site.client.post(path, data=upload(token, CSV))
    shown = await text(preview)
    assert preview.status == 200
    assert "Ce que l'import fera" in shown and "06 11 00 90 01" in shown
    assert await dump(engine) == before
    content = re.search(r'<textarea name="content" hidden>(.*?)</textarea>', shown, re.S)
    assert content is not None
    confirm = {"csrf": token, "step": "confirm", "name": "lines.csv", "content": content.group(1)}
    done = await site.client.post(path, data=confirm)
    assert done.status == 200 and "Import effectué" in await text(done)
    services = site.client.app[SERVICES]
    assert (await services.lines.get_by_msisdn("0611009001")).employee_name == "Nouvelle Ligne"


async def test_faulty_rows_are_shown_with_their_line_and_reason_and_no_confirm_button(
    site: Site, engine: AsyncEngine
) -> None:
    await sign_in(site.client)
    path = f"/portal/fleets/{site.world.fleet.id}/transfer"
    token = await csrf(site.client, path)
    before = await dump(engine)
    response = await site.client.post(path, data=upload(token, CSV + "0612;3002;Court\n"))
    shown = await text(response)
    assert response.status == 422
    assert "<td>3</td><td>« 0612 » n'est pas un numéro valide.</td>" in shown
    assert 'id="confirm"' not in shown
    assert await dump(engine) == before


async def test_export_links_and_the_printable_configuration(site: Site) -> None:
    await sign_in(site.client)
    base = f"/portal/fleets/{site.world.fleet.id}"
    csv = await site.client.get(f"{base}/export.csv")
    assert csv.status == 200 and (await csv.read()).decode("utf-8-sig").startswith("msisdn;")
    assert (await site.client.get(f"{base}/export.json")).status == 200
    assert (await site.client.get(f"{base}/export.xls")).status == 404
    printed = await text(await site.client.get(f"{base}/print"))
    assert '<link rel="stylesheet" href="/static/portal.css">' in printed
    style = await site.client.get("/static/portal.css")  # its print rules hide the navigation
    assert style.status == 200 and "@media print" in await style.text()
    assert "06 11 00 00 01" in printed and "Com" in printed and "trunk-siege" in printed
    other = f"/portal/fleets/{site.world.other_fleet.id}"
    assert (await site.client.get(f"{other}/print")).status == 404
    assert (await site.client.get(f"{other}/export.csv")).status == 404


async def test_an_employee_is_refused_the_import_pages(site: Site) -> None:
    await sign_in(site.client, "salarie")
    base = f"/portal/fleets/{site.world.fleet.id}"
    for page in ("transfer", "print", "export.csv"):
        assert (await site.client.get(f"{base}/{page}")).status == 403


async def test_an_upload_over_the_1_mib_of_other_forms_is_previewed(site: Site) -> None:
    await sign_in(site.client)
    base = f"/portal/fleets/{site.world.fleet.id}"
    exported = (await (await site.client.get(f"{base}/export.json")).read()).decode("utf-8")
    token = await csrf(site.client, f"{base}/transfer")
    form = aiohttp.FormData()
    form.add_field("csrf", token)
    form.add_field("step", "preview")
    padded = (exported + " " * (3 * 1024 * 1024 // 2)).encode("utf-8")  # JSON allows spaces
    form.add_field("file", io.BytesIO(padded), filename="fleet.json", content_type="text/json")
    response = await site.client.post(f"{base}/transfer", data=form)
    assert response.status == 200, await response.text()
