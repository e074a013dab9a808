"""The group page's member actions carry the group's version: a member added, removed,
connected or disconnected (or all disconnected) from a page shown before someone else changed
the group is refused — nothing written, the page shown again with the group as it is now and
the reason, in the user's language — and made once the page is fresh."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import SERVICES
from fleet.core.values import Actor, Channel, Language
from tests.conftest import dump
from tests.test_portal import Site, sign_in, site, text

__all__ = ["site"]  # the fixture, shared with the portal's tests
SETUP = Actor(name="setup", channel=Channel.CLI)
FRENCH = "Ce groupe a été modifié par quelqu'un d'autre entre-temps : rien n'a été fait."
ENGLISH = "This group was changed by someone else meanwhile: nothing was done."


def _forms(page: str) -> list[tuple[str, dict[str, str]]]:
    """Every form of the page: its action and the hidden fields it sends."""
    found = []
    for match in re.finditer(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', page, re.S):
        fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', match[2]))
        found.append((match[1], fields))
    return found


def _form(page: str, ending: str, line_id: int | None = None) -> tuple[str, dict[str, str]]:
    for action, fields in _forms(page):
        if action.endswith(ending) and (line_id is None or fields["line_id"] == str(line_id)):
            return action, fields
    raise AssertionError(f"no form {ending} in {page}")


ACTIONS = ["disconnect", "remove", "add", "disconnect-all"]


async def _action(site: Site, page: str, which: str) -> tuple[str, dict[str, str]]:
    member = site.world.line(1).id
    if which == "disconnect":
        return _form(page, "/disconnect", member)
    if which == "remove":
        return _form(page, "/members/remove", member)
    if which == "add":
        action, fields = _form(page, "/members")
        return action, {**fields, "member": site.world.line(3).msisdn.national_digits()}
    return _form(page, "/disconnect-all")


@pytest.mark.parametrize("which", ACTIONS)
async def test_a_member_action_from_a_stale_page_writes_nothing_and_says_why(
    site: Site, engine: AsyncEngine, which: str
) -> None:
    services = site.client.app[SERVICES]
    await services.groups.set_connected(SETUP, site.group_id, site.world.line(1).id, True)
    await sign_in(site.client)
    path = f"/portal/fleets/{site.world.fleet.id}/groups/{site.group_id}"
    shown = await text(await site.client.get(path))
    action, fields = await _action(site, shown, which)
    assert fields["version"]
    await services.groups.update(SETUP, site.group_id, name="Commercial")  # another manager
    before = await dump(engine)
    refused = await site.client.post(action, data=fields, allow_redirects=False)
    assert refused.status == 409
    page = await text(refused)
    assert FRENCH in page
    assert "Commercial" in page  # the group as it is now
    _, fresh = await _action(site, page, which)
    assert fresh["version"] != fields["version"]
    if which == "add":
        assert f'value="{fields["member"]}"' in page  # what was typed is kept
    assert await dump(engine) == before
    made = await site.client.post(action, data=fresh, allow_redirects=False)
    assert made.status == 302, await made.text()
    assert await dump(engine) != before


async def test_the_reason_follows_the_users_language(site: Site) -> None:
    services = site.client.app[SERVICES]
    chef = await services.accounts.get_by_login("chef")
    await services.accounts.set_language(SETUP, chef.id, Language.EN)
    await sign_in(site.client)
    path = f"/portal/fleets/{site.world.fleet.id}/groups/{site.group_id}"
    action, fields = _form(await text(await site.client.get(path)), "/disconnect-all")
    await services.groups.update(SETUP, site.group_id, max_queue_wait=90)
    refused = await site.client.post(action, data=fields, allow_redirects=False)
    assert refused.status == 409 and ENGLISH in await text(refused)


async def test_a_member_action_without_a_version_is_made_as_before(site: Site) -> None:
    services = site.client.app[SERVICES]
    await sign_in(site.client)
    path = f"/portal/fleets/{site.world.fleet.id}/groups/{site.group_id}"
    action, fields = _form(await text(await site.client.get(path)), "/disconnect-all")
    await services.groups.update(SETUP, site.group_id, name="Commercial")
    del fields["version"]
    made = await site.client.post(action, data=fields, allow_redirects=False)
    assert made.status == 302
