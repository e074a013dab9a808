"""The REST API's company directory (issue 16 item 6): a fleet's external contacts listed,
created, read, changed and deleted by its manager, and the directory — lines, fixed numbers,
call groups and contacts — searched by name or number a page at a time. Registered by
``portal.setup``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fleet.core.contacts import Contact
from fleet.core.values import UNSET
from fleet.services.contacts import ContactInput
from fleet.services.phonebook import (
    OFFSET_MAX,
    PAGE_DEFAULT,
    PAGE_MAX,
    SEARCH_MAX,
    Entry,
    Page,
)
from portal.api import Problem, _actor, _body, _fleet_id, _manager, _query_int
from portal.pages import SERVICES

FIELDS = ("name", "company", "number", "abbreviated", "notes")


def contact_json(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "name": contact.name,
        "company": contact.company,
        "number": contact.number.value,
        "abbreviated": contact.abbreviated,
        "notes": contact.notes,
    }


def entry_json(entry: Entry) -> dict[str, Any]:
    return {
        "kind": entry.kind.value,
        "id": entry.id,
        "name": entry.name,
        "company": entry.company,
        "number": entry.number.value,
        "short_number": entry.short_number,
    }


def page_json(page: Page) -> dict[str, Any]:
    return {
        "entries": [entry_json(e) for e in page.entries],
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
    }


def _fields(data: dict[str, Any]) -> dict[str, str]:
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise Problem(422, "invalid_value", f"{unknown[0]}: not a field of a contact", unknown[0])
    fields: dict[str, str] = {}
    for name in FIELDS:
        if name not in data:
            continue
        value = data[name]
        if value is None and name == "abbreviated":
            value = ""
        if not isinstance(value, str):
            raise Problem(422, "invalid_value", f"{name}: a string", name)
        fields[name] = value
    return fields


async def _contact_in(request: web.Request, fleet_id: int) -> Contact:
    found = await request.app[SERVICES].contacts.get(int(request.match_info["contact_id"]))
    if found.fleet_id != fleet_id:
        raise Problem(404, "not_found", "contact: not found")
    return found


async def contacts(request: web.Request) -> web.Response:
    account = await _manager(request)
    found = await request.app[SERVICES].contacts.in_fleet(_fleet_id(request, account))
    return web.json_response([contact_json(c) for c in found])


async def post_contact(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    fields = _fields(await _body(request))
    for required in ("name", "number"):
        if required not in fields:
            raise Problem(422, "invalid_value", f"{required}: a string", required)
    created = await request.app[SERVICES].contacts.create(
        _actor(account), fleet_id, ContactInput(**fields)
    )
    response = web.json_response(contact_json(created), status=201)
    response.headers["Location"] = f"/api/fleets/{fleet_id}/contacts/{created.id}"
    return response


async def contact(request: web.Request) -> web.Response:
    account = await _manager(request)
    return web.json_response(contact_json(await _contact_in(request, _fleet_id(request, account))))


async def patch_contact(request: web.Request) -> web.Response:
    account = await _manager(request)
    found = await _contact_in(request, _fleet_id(request, account))
    fields = _fields(await _body(request))
    changes = {name: fields.get(name, UNSET) for name in FIELDS}
    changed = await request.app[SERVICES].contacts.update(_actor(account), found.id, **changes)
    return web.json_response(contact_json(changed))


async def delete_contact(request: web.Request) -> web.Response:
    account = await _manager(request)
    found = await _contact_in(request, _fleet_id(request, account))
    await request.app[SERVICES].contacts.delete(_actor(account), found.id)
    return web.Response(status=204)


async def directory(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    term = request.query.get("q", "")
    if len(term) > SEARCH_MAX or "\x00" in term:
        raise Problem(400, "invalid_query", f"q: at most {SEARCH_MAX} characters", "q")
    page = await request.app[SERVICES].phonebook.search(
        fleet_id,
        term,
        offset=_query_int(request, "offset", 0, 0, OFFSET_MAX),
        limit=_query_int(request, "limit", PAGE_DEFAULT, 1, PAGE_MAX),
    )
    return web.json_response(page_json(page))


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/fleets/{fleet_id}/contacts", contacts),
    ("POST", "/api/fleets/{fleet_id}/contacts", post_contact),
    ("GET", "/api/fleets/{fleet_id}/contacts/{contact_id}", contact),
    ("PATCH", "/api/fleets/{fleet_id}/contacts/{contact_id}", patch_contact),
    ("DELETE", "/api/fleets/{fleet_id}/contacts/{contact_id}", delete_contact),
    ("GET", "/api/fleets/{fleet_id}/directory", directory),
]


def setup(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
