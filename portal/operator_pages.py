"""The operator's pages (issue 13): every fleet listed and created; a fleet's page with its
lines (added, removed after a confirmation page saying what goes with them), its fixed
numbers (added, removed) and its accounts (a manager's or an employee's created, disabled or
enabled, given a new password); a fleet removed after the same confirmation. An operator
also opens every manager page of any fleet (``portal.pages.manager``). A refused form shows
the reason on the fleet's page, keeps what was typed, and writes nothing. The fleet's
settings form and the operators' accounts are ``portal.operator_settings``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fleet.core import model
from fleet.core.errors import DomainError, ErrorKind, not_found
from fleet.core.linesettings import PABX_OPTION
from fleet.core.values import Language, Role
from portal import etags
from portal.api_operator import fleet_json
from portal.pages import SERVICES, actor, form, page_number, path_id, render, signed_in

PAGE = 50
BASE = "/portal/operator"
STATUS = {ErrorKind.INVALID: 422, ErrorKind.CONFLICT: 409, ErrorKind.NOT_FOUND: 404}


async def operator(request: web.Request) -> model.Account:
    account = await signed_in(request)
    if account.role is not Role.OPERATOR:
        raise web.HTTPForbidden(text="operators only")
    return account


def _refused(exc: DomainError, language: Language) -> tuple[str, int]:
    if exc.kind not in STATUS:
        raise exc
    return exc.message(language), STATUS[exc.kind]


# -- every fleet ------------------------------------------------------------------------------


async def fleets_page(request: web.Request) -> web.Response:
    account = await operator(request)
    return await _fleets(request, account, error=None, typed={})


async def _fleets(
    request: web.Request,
    account: model.Account,
    *,
    error: str | None,
    typed: dict[str, str],
    status: int = 200,
) -> web.Response:
    found = await request.app[SERVICES].fleets.all()
    return await render(
        request,
        "operator_fleets.html",
        account,
        fleets=found,
        error=error,
        typed=typed,
        languages=[lang.value for lang in Language],
        done=request.query.get("done", ""),
        status=status,
    )


async def create_fleet(request: web.Request) -> web.Response:
    account = await operator(request)
    data = await form(request)
    length = data.get("short_number_length", "4")
    try:
        created = await request.app[SERVICES].fleets.create(
            actor(account),
            name=data.get("name", ""),
            short_number_length=int(length) if length.isdigit() and len(length) < 3 else 0,
            language=data.get("language", "fr"),
            timezone=data.get("timezone", "") or "Europe/Paris",
        )
    except DomainError as exc:
        error, status = _refused(exc, account.language)
        return await _fleets(request, account, error=error, typed=data, status=status)
    raise web.HTTPFound(f"{BASE}/fleets/{created.id}")


# -- one fleet --------------------------------------------------------------------------------


async def fleet_page(request: web.Request) -> web.Response:
    account = await operator(request)
    return await _fleet(request, account, path_id(request, "fleet_id"))


async def _fleet(
    request: web.Request,
    account: model.Account,
    fleet_id: int,
    *,
    error: str | None = None,
    typed: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    settings_error: str | None = None,
    status: int = 200,
) -> web.Response:
    """The fleet's page; ``settings``: the settings form as it was sent (refused), else the
    fleet's; the form's version is always the fleet's as it is now."""
    services = request.app[SERVICES]
    fleet = await services.fleets.get(fleet_id)
    shown = fleet_json(fleet)
    q = request.query.get("q", "")
    page = page_number(request, "page")
    lines = await services.lines.search(fleet_id, search=q, offset=(page - 1) * PAGE, limit=PAGE)
    return await render(
        request,
        "operator_fleet.html",
        account,
        fleet=fleet,
        lines=lines,
        q=q,
        page=page,
        pages=max(1, -(-lines.total // PAGE)),
        numbers=await services.fleets.fixed_numbers(fleet_id),
        trunks=await services.trunks.in_fleet(fleet_id),
        accounts=await services.accounts.in_fleet(fleet_id),
        languages=[lang.value for lang in Language],
        error=error,
        typed=typed or {},
        settings={k: str(v) for k, v in shown.items()} if settings is None else settings,
        settings_error=settings_error,
        version=etags.version(fleet_json(fleet)),
        done=request.query.get("done", ""),
        status=status,
    )


async def _change(
    request: web.Request,
    account: model.Account,
    fleet_id: int,
    change: Any,
    data: dict[str, str],
    done: str,
) -> web.Response:
    """Await ``change`` (a coroutine); back to the fleet's page, or the page again with the
    reason it was refused."""
    try:
        await change
    except DomainError as exc:
        error, status = _refused(exc, account.language)
        return await _fleet(request, account, fleet_id, error=error, typed=data, status=status)
    raise web.HTTPFound(f"{BASE}/fleets/{fleet_id}?done={done}")


async def add_line(request: web.Request) -> web.Response:
    account = await operator(request)
    fleet_id = path_id(request, "fleet_id")
    data = await form(request)
    change = request.app[SERVICES].lines.create(
        actor(account),
        fleet_id,
        msisdn=data.get("msisdn", ""),
        employee_name=data.get("employee_name", ""),
        short_number=data.get("short_number") or None,
        email=data.get("email") or None,
        language=data.get("language") or None,
        settings={PABX_OPTION: data.get("pabx_option") == "on"},
    )
    return await _change(request, account, fleet_id, change, data, "line_added")


async def add_fixed(request: web.Request) -> web.Response:
    account = await operator(request)
    fleet_id = path_id(request, "fleet_id")
    data = await form(request)
    change = request.app[SERVICES].fleets.add_fixed_number(
        actor(account),
        fleet_id,
        number=data.get("number", ""),
        label=data.get("label", ""),
        trunk=data.get("trunk", ""),
        short_number=data.get("short_number") or None,
    )
    return await _change(request, account, fleet_id, change, data, "fixed_added")


async def remove_fixed(request: web.Request) -> web.Response:
    account = await operator(request)
    fleet_id = path_id(request, "fleet_id")
    data = await form(request)
    services = request.app[SERVICES]
    fixed_id = path_id(request, "fixed_id")
    if fixed_id not in {f.id for f in await services.fleets.fixed_numbers(fleet_id)}:
        raise web.HTTPNotFound()
    change = services.fleets.remove_fixed_number(actor(account), fixed_id)
    return await _change(request, account, fleet_id, change, data, "fixed_removed")


async def add_account(request: web.Request) -> web.Response:
    account = await operator(request)
    fleet_id = path_id(request, "fleet_id")
    data = await form(request)
    accounts = request.app[SERVICES].accounts
    who = actor(account)
    if data.get("role") == Role.MANAGER.value:
        change = accounts.create_manager(
            who,
            login=data.get("login", ""),
            password=data.get("password", ""),
            display_name=data.get("display_name", ""),
            fleet_ids=[fleet_id],
            language=data.get("language") or Language.FR,
        )
    else:
        try:
            line = await _line_in(request, fleet_id, data.get("line", ""))
        except DomainError as exc:
            error, status = _refused(exc, account.language)
            return await _fleet(request, account, fleet_id, error=error, typed=data, status=status)
        change = accounts.create_employee(
            who,
            login=data.get("login", ""),
            password=data.get("password", ""),
            line_id=line.id,
            display_name=data.get("display_name") or None,
        )
    data.pop("password", None)  # never shown again
    return await _change(request, account, fleet_id, change, data, "account_added")


async def _line_in(request: web.Request, fleet_id: int, text: str) -> model.Line:
    """The line chosen for an employee's account: one of the fleet's (by its number)."""
    line = await request.app[SERVICES].lines.get_by_msisdn(text)
    if line.fleet_id != fleet_id:
        raise not_found("line", text)
    return line


async def _account_in(request: web.Request, fleet_id: int) -> model.Account:
    found = await request.app[SERVICES].accounts.get(path_id(request, "account_id"))
    if fleet_id not in found.fleet_ids:
        raise web.HTTPNotFound()
    return found


async def set_active(request: web.Request) -> web.Response:
    account = await operator(request)
    fleet_id = path_id(request, "fleet_id")
    data = await form(request)
    target = await _account_in(request, fleet_id)
    active = data.get("active") == "1"
    change = request.app[SERVICES].accounts.set_active(actor(account), target.id, active)
    return await _change(
        request, account, fleet_id, change, {}, "enabled" if active else "disabled"
    )


async def reset_password(request: web.Request) -> web.Response:
    account = await operator(request)
    fleet_id = path_id(request, "fleet_id")
    data = await form(request)
    target = await _account_in(request, fleet_id)
    change = request.app[SERVICES].accounts.reset_password(
        actor(account), target.id, data.get("password", "")
    )
    return await _change(request, account, fleet_id, change, {}, "password_reset")


# -- removals, confirmed ----------------------------------------------------------------------


async def confirm_line(request: web.Request) -> web.Response:
    account = await operator(request)
    fleet_id = path_id(request, "fleet_id")
    line = await _fleet_line(request, fleet_id)
    services = request.app[SERVICES]
    try:
        impact = await services.impact.of_line(line.id)
    except DomainError as exc:
        error, status = _refused(exc, account.language)
        return await _fleet(request, account, fleet_id, error=error, status=status)
    if request.method == "POST":
        await form(request)
        change = services.lines.delete(actor(account), line.id)
        return await _change(request, account, fleet_id, change, {}, "line_removed")
    return await render(
        request,
        "operator_confirm.html",
        account,
        impact=impact,
        fleet=await services.fleets.get(fleet_id),
        action=f"{BASE}/fleets/{fleet_id}/lines/{line.id}/remove",
        back=f"{BASE}/fleets/{fleet_id}",
    )


async def _fleet_line(request: web.Request, fleet_id: int) -> model.Line:
    try:
        line = await request.app[SERVICES].lines.get(path_id(request, "line_id"))
    except DomainError as exc:
        raise web.HTTPNotFound() from exc
    if line.fleet_id != fleet_id:
        raise web.HTTPNotFound()
    return line


async def confirm_fleet(request: web.Request) -> web.Response:
    account = await operator(request)
    fleet_id = path_id(request, "fleet_id")
    services = request.app[SERVICES]
    impact = await services.impact.of_fleet(fleet_id)
    if request.method == "POST":
        await form(request)
        await services.fleets.delete(actor(account), fleet_id)
        raise web.HTTPFound(f"{BASE}?done=fleet_removed")
    return await render(
        request,
        "operator_confirm.html",
        account,
        impact=impact,
        fleet=await services.fleets.get(fleet_id),
        action=f"{BASE}/fleets/{fleet_id}/remove",
        back=f"{BASE}/fleets/{fleet_id}",
    )


def routes(app: web.Application) -> None:
    from portal import operator_settings

    operator_settings.routes(app)
    fleet = BASE + "/fleets/{fleet_id}"
    app.router.add_get(BASE, fleets_page)
    app.router.add_post(BASE + "/fleets", create_fleet)
    app.router.add_get(fleet, fleet_page)
    app.router.add_post(fleet + "/lines", add_line)
    app.router.add_get(fleet + "/lines/{line_id}/remove", confirm_line)
    app.router.add_post(fleet + "/lines/{line_id}/remove", confirm_line)
    app.router.add_post(fleet + "/fixed", add_fixed)
    app.router.add_post(fleet + "/fixed/{fixed_id}/remove", remove_fixed)
    app.router.add_post(fleet + "/accounts", add_account)
    app.router.add_post(fleet + "/accounts/{account_id}/active", set_active)
    app.router.add_post(fleet + "/accounts/{account_id}/password", reset_password)
    app.router.add_get(fleet + "/remove", confirm_fleet)
    app.router.add_post(fleet + "/remove", confirm_fleet)
