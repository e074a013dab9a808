"""The call-group pages (seed 004 §5, "Administrer les groupes d'appel"): the manager's groups
table, a group's members ("Ajouter", "Modifier", "Supprimer", "Déconnecter tous les membres"),
the group form; and an employee connecting or disconnecting itself. Thin handlers: what the
screens show and the form's shape are ``callgroups.screens``, every rule is the service's.

Every form of a group's page carries the version of the group as the page showed it
(``portal.etags``): a member added, removed, connected or disconnected (or all disconnected)
after someone else changed the group is refused, nothing written, and the page shows the
group as it is now with the reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from callgroups import screens
from fleet.core import model
from fleet.core.errors import DomainError, not_found
from portal import etags
from portal.i18n import translator
from portal.pages import (
    SERVICES,
    actor,
    fleet_id_of,
    form,
    group_of,
    manager,
    own_line,
    page_language,
    page_number,
    path_id,
    render,
)
from portal.resources import group_json

# -- the groups table and a group's members -------------------------------------------------


async def groups(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    services = request.app[SERVICES]
    fleet = await services.fleets.get(fleet_id)
    found = await services.groups.table(
        fleet_id,
        offset=screens.table_offset(page_number(request, "page")),
        limit=screens.GROUPS_PER_PAGE,
    )
    return await render(
        request, "groups.html", account, fleet=fleet, table=screens.groups_table(found)
    )


async def _members_page(
    request: web.Request,
    account: model.Account,
    fleet_id: int,
    group: model.CallGroup,
    *,
    member_error: str | None = None,
    member_typed: str = "",
    members_error: str | None = None,
    status: int = 200,
) -> web.Response:
    fleet = await request.app[SERVICES].fleets.get(fleet_id)
    return await render(
        request,
        "group.html",
        account,
        fleet=fleet,
        group=screens.group_members(group),
        version=etags.version(group_json(group)),
        member_error=member_error,
        member_typed=member_typed,
        members_error=members_error,
        status=status,
    )


class Stale(Exception):
    """A group's page posted after someone else changed the group."""

    def __init__(self, group: model.CallGroup) -> None:
        super().__init__("the group was changed meanwhile")
        self.group = group


@asynccontextmanager
async def _held(
    request: web.Request, fleet_id: int, data: dict[str, str]
) -> AsyncIterator[model.CallGroup]:
    """The group of the path as it is now, held (its lock) while a member action is made;
    ``Stale`` when the form's version is not the group's any more."""
    async with etags.locks(request).held(f"group:{path_id(request, 'group_id')}"):
        group = await group_of(request, fleet_id)
        if etags.stale(data.get(etags.VERSION_FIELD), group_json(group)):
            raise Stale(group)
        yield group


async def _stale_page(
    request: web.Request,
    account: model.Account,
    fleet_id: int,
    stale: Stale,
    member_typed: str = "",
) -> web.Response:
    """The group's page as the group is now, saying that nothing was done and why."""
    message = translator(page_language(request, account))["group_changed_meanwhile"]
    return await _members_page(
        request,
        account,
        fleet_id,
        stale.group,
        members_error=message,
        member_typed=member_typed,
        status=409,
    )


async def group(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    return await _members_page(request, account, fleet_id, await group_of(request, fleet_id))


async def group_action(request: web.Request) -> web.Response:
    """A member's "Connecter" / "Déconnecter", or "Déconnecter tous les membres"."""
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    await group_of(request, fleet_id)
    data = await form(request)
    services = request.app[SERVICES]
    raw = request.match_info["action"]
    action = screens.member_action(raw)
    if raw != "disconnect-all" and action is None:
        raise web.HTTPNotFound()
    try:
        async with _held(request, fleet_id, data) as the_group:
            if raw == "disconnect-all" or action is None:
                await services.groups.disconnect_all(actor(account), the_group.id)
            else:
                line_id = _line_id(data)
                if line_id not in {m.line_id for m in the_group.members}:
                    raise web.HTTPNotFound()
                await services.groups.set_connected(
                    actor(account), the_group.id, line_id, action is screens.MemberAction.CONNECT
                )
    except Stale as stale:
        return await _stale_page(request, account, fleet_id, stale)
    raise web.HTTPFound(f"/portal/fleets/{fleet_id}/groups/{the_group.id}")


def _line_id(data: dict[str, str]) -> int:
    try:
        return int(data.get("line_id", ""))
    except ValueError as exc:
        raise web.HTTPBadRequest(text="line_id") from exc


# -- the group form ----------------------------------------------------------------------------


async def _form_page(
    request: web.Request,
    account: model.Account,
    fleet_id: int,
    group: model.CallGroup | None,
    data: dict[str, str] | None,
    errors: dict[str, str],
    status: int = 200,
) -> web.Response:
    """The group form: the group's values (or a new group's defaults), or, with ``data``, the
    form as it was sent; the version is the group's as it is now."""
    services = request.app[SERVICES]
    fleet = await services.fleets.get(fleet_id)
    others = await services.groups.in_fleet(fleet_id)
    group_id = None if group is None else group.id
    voicemail = services.groups.voicemail.offered
    shown = (
        screens.group_form(group, others, voicemail=voicemail)
        if data is None
        else screens.refilled_form(data, others, group_id, voicemail=voicemail)
    )
    return await render(
        request,
        "group_form.html",
        account,
        fleet=fleet,
        group=group,
        form=shown,
        errors=errors,
        version=None if group is None else etags.version(group_json(group)),
        status=status,
    )


def _errors(exc: DomainError, account: model.Account) -> dict[str, str]:
    """The reason, next to its field when the form has it, above the form otherwise."""
    field = exc.field if exc.field in screens.FIELD_NAMES else "form"
    return {field: exc.message(account.language)}


async def new_group(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    return await _form_page(request, account, fleet_id, None, None, {})


async def create_group(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    data = await form(request)
    try:
        fields = screens.parse_form(data)
        group = await request.app[SERVICES].groups.create(actor(account), fleet_id, **fields)
    except DomainError as exc:
        return await _form_page(request, account, fleet_id, None, data, _errors(exc, account), 400)
    raise web.HTTPFound(f"/portal/fleets/{fleet_id}/groups/{group.id}")


async def edit_group(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    group = await group_of(request, fleet_id)
    return await _form_page(request, account, fleet_id, group, None, {})


async def update_group(request: web.Request) -> web.Response:
    """Save the group form. The form carries the version of the group it was filled from: when
    someone else changed the group meanwhile, nothing is saved and the form comes back with
    what was typed, the reason, and the group's new version (saving again then overwrites)."""
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    data = await form(request)
    async with etags.locks(request).held(f"group:{path_id(request, 'group_id')}"):
        group = await group_of(request, fleet_id)
        if etags.stale(data.get(etags.VERSION_FIELD), group_json(group)):
            errors = {"form": translator(account.language)["changed_meanwhile"]}
            return await _form_page(request, account, fleet_id, group, data, errors, 409)
        try:
            fields = screens.parse_form(data)
            await request.app[SERVICES].groups.update(actor(account), group.id, **fields)
        except DomainError as exc:
            errors = _errors(exc, account)
            return await _form_page(request, account, fleet_id, group, data, errors, 400)
    raise web.HTTPFound(f"/portal/fleets/{fleet_id}/groups")


async def delete_group(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    group = await group_of(request, fleet_id)
    await form(request)
    try:
        await request.app[SERVICES].groups.delete(actor(account), group.id)
    except DomainError as exc:
        raise web.HTTPConflict(text=exc.message(account.language)) from exc
    raise web.HTTPFound(f"/portal/fleets/{fleet_id}/groups")


# -- members -----------------------------------------------------------------------------------


async def add_member(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    group = await group_of(request, fleet_id)
    data = await form(request)
    services = request.app[SERVICES]
    typed = data.get("member", "").strip()
    line = await services.lines.find_in_fleet(fleet_id, typed) if typed else None
    error = None
    if line is None:
        error = not_found("line", typed, field="member")
    else:
        try:
            async with _held(request, fleet_id, data) as group:
                await services.groups.add_member(actor(account), group.id, line.id)
        except Stale as stale:
            return await _stale_page(request, account, fleet_id, stale, typed)
        except DomainError as exc:
            error = exc
    if error is not None:
        return await _members_page(
            request,
            account,
            fleet_id,
            group,
            member_error=error.message(page_language(request, account)),
            member_typed=typed,
            status=400,
        )
    raise web.HTTPFound(f"/portal/fleets/{fleet_id}/groups/{group.id}")


async def remove_member(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    group = await group_of(request, fleet_id)
    data = await form(request)
    line_id = _line_id(data)
    try:
        async with _held(request, fleet_id, data) as group:
            if line_id not in {m.line_id for m in group.members}:
                raise web.HTTPNotFound()
            await request.app[SERVICES].groups.remove_member(actor(account), group.id, line_id)
    except Stale as stale:
        return await _stale_page(request, account, fleet_id, stale)
    except DomainError as exc:  # the group's page again, the reason above its members
        message = exc.message(page_language(request, account))
        return await _members_page(
            request, account, fleet_id, group, members_error=message, status=409
        )
    raise web.HTTPFound(f"/portal/fleets/{fleet_id}/groups/{group.id}")


# -- the employee ------------------------------------------------------------------------------


async def my_group(request: web.Request) -> web.Response:
    """An employee connects or disconnects itself (signed in: no connection code needed)."""
    account, mine, acting = await own_line(request)
    await form(request)
    services = request.app[SERVICES]
    try:
        the_group = await services.groups.get(path_id(request, "group_id"))
    except DomainError as exc:
        raise web.HTTPNotFound() from exc
    if mine.id not in {m.line_id for m in the_group.members}:
        raise web.HTTPNotFound()
    action = screens.member_action(request.match_info["action"])
    if action is None:
        raise web.HTTPNotFound()
    who = actor(account, mine if acting else None)
    await services.groups.set_connected(
        who, the_group.id, mine.id, action is screens.MemberAction.CONNECT
    )
    raise web.HTTPFound("/portal/me")


def routes(app: web.Application) -> None:
    base = "/portal/fleets/{fleet_id}/groups"
    app.router.add_get(base, groups)
    app.router.add_get(base + "/new", new_group)  # before "/{group_id}"
    app.router.add_post(base + "/new", create_group)
    app.router.add_get(base + "/{group_id}", group)
    app.router.add_get(base + "/{group_id}/edit", edit_group)
    app.router.add_post(base + "/{group_id}/edit", update_group)  # before "/{action}"
    app.router.add_post(base + "/{group_id}/delete", delete_group)
    app.router.add_post(base + "/{group_id}/members", add_member)
    app.router.add_post(base + "/{group_id}/members/remove", remove_member)
    app.router.add_post(base + "/{group_id}/{action}", group_action)
    app.router.add_post("/portal/me/groups/{group_id}/{action}", my_group)
