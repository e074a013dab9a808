"""Manager pages to add, modify and delete call groups and their members (seed 004 §5:
"Ajouter", "Modifier", "Supprimer", "Déconnecter tous les membres")."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callgroups import rules as group_rules
from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.values import DistributionMode
from portal.pages import SERVICES, actor, fleet_id_of, form, group_of, manager, render

FIELDS = (
    "number",
    "name",
    "user_code",
    "admin_code",
    "queue_size",
    "switchover_delay",
    "intercall_delay",
    "distribution",
    "short_number",
)
NUMBERS = ("queue_size", "switchover_delay", "intercall_delay")


def _values(group: model.CallGroup | None) -> dict[str, str]:
    if group is None:
        return {
            "number": "",
            "name": "",
            "user_code": "",
            "admin_code": "",
            "short_number": "",
            "queue_size": str(group_rules.QUEUE_MIN),
            "switchover_delay": str(group_rules.SWITCHOVER_DEFAULT),
            "intercall_delay": str(group_rules.INTERCALL_DEFAULT),
            "distribution": DistributionMode.LINEAR.value,
        }
    return {
        "number": group.number.national_digits(),
        "name": group.name,
        "user_code": group.user_code,
        "admin_code": group.admin_code,
        "short_number": group.short_number or "",
        "queue_size": str(group.queue_size),
        "switchover_delay": str(group.switchover_delay),
        "intercall_delay": str(group.intercall_delay),
        "distribution": group.distribution.value,
    }


def _parse(data: dict[str, str]) -> dict[str, Any]:
    """Shape only: numbers must be numbers. Every rule is the service's."""
    fields: dict[str, Any] = {name: data.get(name, "").strip() for name in FIELDS}
    for name in NUMBERS:
        raw = fields[name]
        if not raw.lstrip("-").isdigit():
            code, low, high = _bounds(name)
            raise DomainError(code, field=name, min=low, max=high)
        fields[name] = int(raw)
    fields["short_number"] = fields["short_number"] or None
    return fields


def _bounds(name: str) -> tuple[ErrorCode, int, int]:
    return {
        "queue_size": (ErrorCode.GROUP_QUEUE_INVALID, group_rules.QUEUE_MIN, group_rules.QUEUE_MAX),
        "switchover_delay": (
            ErrorCode.GROUP_SWITCHOVER_DELAY_INVALID,
            group_rules.SWITCHOVER_MIN,
            group_rules.SWITCHOVER_MAX,
        ),
        "intercall_delay": (
            ErrorCode.GROUP_INTERCALL_DELAY_INVALID,
            group_rules.INTERCALL_MIN,
            group_rules.INTERCALL_MAX,
        ),
    }[name]


async def _page(
    request: web.Request,
    account: model.Account,
    fleet_id: int,
    group: model.CallGroup | None,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> web.Response:
    fleet = await request.app[SERVICES].fleets.get(fleet_id)
    return await render(
        request,
        "group_form.html",
        account,
        fleet=fleet,
        group=group,
        values=values,
        errors=errors,
        modes=[m.value for m in DistributionMode],
        status=status,
    )


async def new_group(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    return await _page(request, account, fleet_id, None, _values(None), {})


async def create_group(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    data = await form(request)
    values = {name: data.get(name, "") for name in FIELDS}
    try:
        group = await request.app[SERVICES].groups.create(actor(account), fleet_id, **_parse(data))
    except DomainError as exc:
        errors = {exc.field or "form": exc.message(account.language)}
        return await _page(request, account, fleet_id, None, values, errors, 400)
    raise web.HTTPFound(f"/portal/fleets/{fleet_id}/groups/{group.id}")


async def edit_group(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    group = await group_of(request, fleet_id)
    return await _page(request, account, fleet_id, group, _values(group), {})


async def update_group(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    group = await group_of(request, fleet_id)
    data = await form(request)
    values = {name: data.get(name, "") for name in FIELDS}
    try:
        await request.app[SERVICES].groups.update(actor(account), group.id, **_parse(data))
    except DomainError as exc:
        errors = {exc.field or "form": exc.message(account.language)}
        return await _page(request, account, fleet_id, group, values, errors, 400)
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
        error = DomainError(ErrorCode.NOT_FOUND, field="member", entity="ligne / line", key=typed)
    else:
        try:
            await services.groups.add_member(actor(account), group.id, line.id)
        except DomainError as exc:
            error = exc
    if error is not None:
        fleet = await services.fleets.get(fleet_id)
        return await render(
            request,
            "group.html",
            account,
            fleet=fleet,
            group=group,
            member_error=error.message(account.language),
            member_typed=typed,
            status=400,
        )
    raise web.HTTPFound(f"/portal/fleets/{fleet_id}/groups/{group.id}")


async def remove_member(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    group = await group_of(request, fleet_id)
    data = await form(request)
    try:
        line_id = int(data.get("line_id", ""))
    except ValueError as exc:
        raise web.HTTPBadRequest(text="line_id") from exc
    if line_id not in {m.line_id for m in group.members}:
        raise web.HTTPNotFound()
    try:
        await request.app[SERVICES].groups.remove_member(actor(account), group.id, line_id)
    except DomainError as exc:
        raise web.HTTPConflict(text=exc.message(account.language)) from exc
    raise web.HTTPFound(f"/portal/fleets/{fleet_id}/groups/{group.id}")


def routes(app: web.Application) -> None:
    base = "/portal/fleets/{fleet_id}/groups"
    app.router.add_get(base + "/new", new_group)
    app.router.add_post(base + "/new", create_group)
    app.router.add_get(base + "/{group_id}/edit", edit_group)
    app.router.add_post(base + "/{group_id}/edit", update_group)
    app.router.add_post(base + "/{group_id}/delete", delete_group)
    app.router.add_post(base + "/{group_id}/members", add_member)
    app.router.add_post(base + "/{group_id}/members/remove", remove_member)
