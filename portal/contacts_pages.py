"""The company directory's pages (issue 16 item 6; seeds 000, 002, 003): the directory —
the fleet's lines, fixed numbers, call groups and external contacts — searched by name or
number a page at a time, for the fleet's manager (who adds, edits, deletes, imports and
exports the contacts) and, read only, for its employees (seed 003: "Ils peuvent consulter
ces entrées mais pas les modifier ou les supprimer"). Thin handlers: every rule is the
service's (``fleet.services.contacts``); a refused form comes back as typed with the reason,
nothing written; a refused file lists every refused row, nothing added."""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from fleet.core import contacts as rules
from fleet.core import model
from fleet.core.contacts import Contact
from fleet.core.errors import DomainError
from fleet.core.values import Language
from fleet.services import contacts_csv
from fleet.services.contacts import ContactInput, RowFault
from fleet.services.phonebook import SEARCH_MAX
from portal.i18n import translator
from portal.pages import (
    SERVICES,
    actor,
    fleet_id_of,
    form,
    manager,
    own_line,
    page_language,
    path_id,
    render,
)
from portal.security import check_csrf

PAGE_SIZE = 25
IMPORT_MAX_BYTES = 1 << 20  # a directory's file (1,000 contacts) is far smaller
FIELDS = ("name", "company", "number", "abbreviated", "notes")


def _page_number(request: web.Request) -> int:
    text = request.query.get("page", "1")
    return int(text) if text.isdigit() and 0 < int(text) <= 100_000 else 1


async def _directory(
    request: web.Request,
    account: model.Account,
    fleet_id: int,
    *,
    manage: bool,
    faults: list[dict[str, str]] | None = None,
    status: int = 200,
) -> web.Response:
    services = request.app[SERVICES]
    term = request.query.get("q", "")[:SEARCH_MAX].replace("\x00", "")
    page = _page_number(request)
    found = await services.phonebook.search(
        fleet_id, term, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    fleet = await services.fleets.get(fleet_id)
    imported = request.query.get("imported", "")
    return await render(
        request,
        "directory.html",
        account,
        fleet=fleet,
        found=found,
        term=term,
        page=page,
        pages=max(1, -(-found.total // PAGE_SIZE)),
        manage=manage,
        base=f"/portal/fleets/{fleet_id}" if manage else "/portal/me",
        imported=int(imported) if imported.isdigit() else None,
        faults=faults or [],
        status=status,
    )


async def fleet_directory(request: web.Request) -> web.Response:
    account = await manager(request)
    return await _directory(request, account, fleet_id_of(request, account), manage=True)


async def my_directory(request: web.Request) -> web.Response:
    """The employee's read-only directory (a manager acting as a line sees it too)."""
    account, mine, _ = await own_line(request)
    return await _directory(request, account, mine.fleet_id, manage=False)


async def _contact_of(request: web.Request, fleet_id: int) -> Contact:
    try:
        found = await request.app[SERVICES].contacts.get(path_id(request, "contact_id"))
    except DomainError as exc:
        raise web.HTTPNotFound() from exc
    if found.fleet_id != fleet_id:
        raise web.HTTPNotFound()  # never another fleet's
    return found


def _values(contact: Contact | None) -> dict[str, str]:
    if contact is None:
        return dict.fromkeys(FIELDS, "")
    return {
        "name": contact.name,
        "company": contact.company,
        "number": contact.number.national(),
        "abbreviated": contact.abbreviated or "",
        "notes": contact.notes,
    }


async def _editor(
    request: web.Request,
    account: model.Account,
    fleet_id: int,
    contact: Contact | None,
    values: dict[str, str],
    *,
    error: str | None = None,
    field: str | None = None,
    status: int = 200,
) -> web.Response:
    fleet = await request.app[SERVICES].fleets.get(fleet_id)
    low, high = rules.abbreviated_range(fleet.short_number_length)
    return await render(
        request,
        "contact_form.html",
        account,
        fleet=fleet,
        contact=contact,
        values=values,
        low=low,
        high=high,
        limits={"name": rules.NAME_MAX, "company": rules.COMPANY_MAX, "notes": rules.NOTES_MAX},
        error=error,
        field=field,
        status=status,
    )


async def new_contact(request: web.Request) -> web.Response:
    account = await manager(request)
    return await _editor(request, account, fleet_id_of(request, account), None, _values(None))


async def edit_contact(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    contact = await _contact_of(request, fleet_id)
    return await _editor(request, account, fleet_id, contact, _values(contact))


async def save_contact(request: web.Request) -> web.Response:
    """Create (no ``contact_id`` in the path) or change a contact from the editor."""
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    contact = await _contact_of(request, fleet_id) if "contact_id" in request.match_info else None
    data = await form(request)
    values = {name: data.get(name, "") for name in FIELDS}
    contacts = request.app[SERVICES].contacts
    try:
        if contact is None:
            await contacts.create(actor(account), fleet_id, ContactInput(**values))
        else:
            await contacts.update(actor(account), contact.id, **values)
    except DomainError as exc:
        message = exc.message(page_language(request, account))
        return await _editor(
            request, account, fleet_id, contact, values, error=message, field=exc.field, status=400
        )
    raise web.HTTPFound(f"/portal/fleets/{fleet_id}/directory")


async def confirm_delete(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    contact = await _contact_of(request, fleet_id)
    fleet = await request.app[SERVICES].fleets.get(fleet_id)
    return await render(request, "contact_delete.html", account, fleet=fleet, contact=contact)


async def delete_contact(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    contact = await _contact_of(request, fleet_id)
    await form(request)
    await request.app[SERVICES].contacts.delete(actor(account), contact.id)
    raise web.HTTPFound(f"/portal/fleets/{fleet_id}/directory")


async def import_contacts(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    data = await request.clone(client_max_size=IMPORT_MAX_BYTES).post()
    check_csrf(await get_session(request), data.get("csrf"))
    upload = data.get("file")
    content = b""
    if isinstance(upload, web.FileField):
        with upload.file:
            content = upload.file.read()
    services = request.app[SERVICES]
    rows, faults = contacts_csv.decode(content, policy=services.contacts.policy)
    if not faults:
        outcome = await services.contacts.import_rows(actor(account), fleet_id, rows)
        faults = list(outcome.faults)
        if not faults:
            raise web.HTTPFound(f"/portal/fleets/{fleet_id}/directory?imported={outcome.created}")
    language = page_language(request, account)
    return await _directory(
        request,
        account,
        fleet_id,
        manage=True,
        faults=[_fault(f, language) for f in faults],
        status=422,
    )


def _fault(fault: RowFault, language: Language) -> dict[str, str]:
    t = translator(language)
    where = t["contacts_row"].format(row=fault.row) if fault.row else t["contacts_file_level"]
    return {"where": where, "message": fault.error.message(language)}


async def export_contacts(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    found = await request.app[SERVICES].contacts.in_fleet(fleet_id)
    return web.Response(
        body=contacts_csv.encode(found),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="contacts-{fleet_id}.csv"'},
    )


def routes(app: web.Application) -> None:
    base = "/portal/fleets/{fleet_id}"
    app.router.add_get(base + "/directory", fleet_directory)
    app.router.add_get(base + "/contacts/new", new_contact)  # before "/{contact_id}"
    app.router.add_post(base + "/contacts/new", save_contact)
    app.router.add_post(base + "/contacts/import", import_contacts)
    app.router.add_get(base + "/contacts/export", export_contacts)
    app.router.add_get(base + "/contacts/{contact_id}", edit_contact)
    app.router.add_post(base + "/contacts/{contact_id}", save_contact)
    app.router.add_get(base + "/contacts/{contact_id}/delete", confirm_delete)
    app.router.add_post(base + "/contacts/{contact_id}/delete", delete_contact)
    app.router.add_get("/portal/me/directory", my_directory)
