"""Manager and employee portal pages (server-rendered, French by default).

Thin handlers: parse, call the services, render. Access rules: a manager sees only its
fleets, an employee only its own line; anything else is "not found"."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session, new_session

from callgroups import screens
from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode, ErrorKind
from fleet.core.values import Actor, Channel, Language, Role
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from portal import calls_view
from portal.i18n import translator
from portal.openapi import ID_MAX
from portal.security import check_csrf, client_address, csrf_token, storable

SERVICES = web.AppKey("portal_services", Services)
DIRECTORY = web.AppKey("portal_directory", CachedDirectory)  # the routing cache
ACCOUNT_KEY, EPOCH_KEY = "account_id", "epoch"  # the account, and its session epoch
CALLS_PAGE = 20
PAGE_LIMIT = 100_000
ACTING_KEY, ACTING_LABEL = "acting_line", "acting_label"  # "act as this user"
# where each role lands after signing in
LANDING = {Role.OPERATOR: "/portal/operator", Role.MANAGER: "/portal/"}


# -- who is asking -------------------------------------------------------------------------


async def current(request: web.Request) -> model.Account | None:
    """The signed-in account, while its session may act: the account exists, is active,
    and its sessions have not been ended (sign-out, password, disabling) since this one
    began; the session is ended otherwise."""
    session = await get_session(request)
    account_id, epoch = session.get(ACCOUNT_KEY), session.get(EPOCH_KEY)
    if not isinstance(account_id, int):
        return None
    account = None
    if isinstance(epoch, str):
        account = await request.app[SERVICES].accounts.signed_in(account_id, epoch)
    if account is None:
        session.invalidate()
    return account


async def signed_in(request: web.Request) -> model.Account:
    account = await current(request)
    if account is None:
        raise web.HTTPFound("/portal/login")
    return account


async def manager(request: web.Request) -> model.Account:
    """A fleet manager, or an operator (who may open every fleet's manager pages)."""
    account = await signed_in(request)
    if not account.manages_fleets:
        raise web.HTTPForbidden(text="fleet managers only")
    return account


def path_id(request: web.Request, name: str) -> int:
    """An id of the path; one that cannot exist (not digits, 0, past the database's 32-bit
    integers) is not found rather than a database error."""
    text = request.match_info[name]
    if not (text.isascii() and text.isdigit() and len(text) <= 10) or not 0 < int(text) <= ID_MAX:
        raise web.HTTPNotFound()
    return int(text)


def page_number(request: web.Request, name: str) -> int:
    """A page number of the query string, 1 when absent or not a number, at most PAGE_LIMIT."""
    text = request.query.get(name, "1")
    if not (text.isascii() and text.isdigit()):
        return 1
    return PAGE_LIMIT if len(text) > 6 else min(max(1, int(text)), PAGE_LIMIT)


def fleet_id_of(request: web.Request, account: model.Account) -> int:
    fleet_id = path_id(request, "fleet_id")
    if not account.manages(fleet_id):
        raise web.HTTPNotFound()  # never reveal another company's fleet
    return fleet_id


async def line_of(request: web.Request, fleet_id: int) -> model.LineServices:
    try:
        line = await request.app[SERVICES].lines.services_by_id(path_id(request, "line_id"))
    except DomainError as exc:
        raise web.HTTPNotFound() from exc
    if line.line.fleet_id != fleet_id:
        raise web.HTTPNotFound()
    return line


async def line_in(request: web.Request, fleet_id: int) -> model.Line:
    """The line of the path, without its services (for a change), in the fleet. The routing
    cache answers when it knows the line (the change itself checks it again in the database);
    the database otherwise."""
    line_id = path_id(request, "line_id")
    directory = request.app.get(DIRECTORY)
    cached = directory.line(line_id) if directory is not None else None
    if cached is not None:
        line = cached.line
    else:
        try:
            line = await request.app[SERVICES].lines.get(line_id)
        except DomainError as exc:
            raise web.HTTPNotFound() from exc
    if line.fleet_id != fleet_id:
        raise web.HTTPNotFound()
    return line


async def group_of(request: web.Request, fleet_id: int) -> model.CallGroup:
    try:
        group = await request.app[SERVICES].groups.get(path_id(request, "group_id"))
    except DomainError as exc:
        raise web.HTTPNotFound() from exc
    if group.fleet_id != fleet_id:
        raise web.HTTPNotFound()
    return group


def actor(account: model.Account, acting: model.Line | None = None) -> Actor:
    """Who made a change: the account, and the line a manager was acting as if any."""
    name = account.login
    if acting is not None:
        name = f"{account.login} → {acting.msisdn.national_digits()}"
    own = account.line_id if account.role is Role.EMPLOYEE else None  # the user itself
    return Actor(name=name, channel=Channel.PORTAL, account_id=account.id, line_id=own)


async def own_line(request: web.Request) -> tuple[model.Account, model.Line, bool]:
    """The line of the "my line" pages: an employee's own, or the line of its fleets a
    manager acts as ("act as this user"). Returns the account, the line and whether the
    manager is acting; anyone else is refused."""
    account = await signed_in(request)
    services = request.app[SERVICES]
    if account.role is Role.EMPLOYEE and account.line_id is not None:
        return account, await services.lines.get(account.line_id), False
    if account.manages_fleets:
        session = await get_session(request)
        line_id = session.get(ACTING_KEY)
        if isinstance(line_id, int):
            try:
                line = await services.lines.get(line_id)
            except DomainError:
                line = None
            if line is not None and account.manages(line.fleet_id):
                return account, line, True
            session.pop(ACTING_KEY, None)  # gone, or no longer one of its fleets
            session.pop(ACTING_LABEL, None)
    raise web.HTTPForbidden(text="employees only (or a manager acting as one)")


async def render(
    request: web.Request,
    template: str,
    account: model.Account | None,
    *,
    status: int = 200,
    **context: Any,
) -> web.Response:
    session = await get_session(request)
    language = page_language(request, account)
    if account is not None and language is not account.language:
        # the user's pick (``?lang=``) is kept for the account: its next pages and sign-ins
        await request.app[SERVICES].accounts.set_language(actor(account), account.id, language)
        account = replace(account, language=language)
    acting = session.get(ACTING_LABEL) if account and account.manages_fleets else None
    return aiohttp_jinja2.render_template(
        template,
        request,
        {
            "t": translator(language),
            "language": language,
            "account": account,
            "csrf": csrf_token(session),
            "acting": acting,
            **context,
        },
        status=status,
    )


async def form(request: web.Request) -> dict[str, str]:
    data = await request.post()
    session = await get_session(request)
    check_csrf(session, data.get("csrf"))
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    if not all(storable(v) for v in fields.values()):
        raise web.HTTPBadRequest(text="invalid characters in the form")
    return fields


# -- sign in / out -------------------------------------------------------------------------


async def login_page(request: web.Request) -> web.Response:
    return await render(request, "login.html", None, error=None, login="")


def page_language(request: web.Request, account: model.Account | None) -> Language:
    """The language a page is shown in — the account's, or ``?lang=`` — and so its messages."""
    if request.query.get("lang") in ("fr", "en"):
        return Language(request.query["lang"])
    return account.language if account else Language.FR


def refusal(exc: DomainError) -> tuple[int, dict[str, str]]:
    """The status (and headers) of a refused sign-in or password check."""
    retry = {"Retry-After": str(exc.params["seconds"])} if "seconds" in exc.params else {}
    if exc.code is ErrorCode.LOGIN_THROTTLED:
        return 429, retry
    if exc.kind is ErrorKind.UNAVAILABLE:
        return 503, retry
    return 401, retry


async def start_session(request: web.Request, account_id: int, epoch: str) -> None:
    session = await new_session(request)  # a new session at login: no fixation
    session[ACCOUNT_KEY] = account_id
    session[EPOCH_KEY] = epoch
    session["sid"] = secrets.token_urlsafe(16)


async def login(request: web.Request) -> web.Response:
    data = await form(request)
    try:
        signed = await request.app[SERVICES].accounts.sign_in(
            data.get("login", ""), data.get("password", ""), source=client_address(request)
        )
    except DomainError as exc:
        if exc.kind not in (ErrorKind.FORBIDDEN, ErrorKind.UNAVAILABLE):
            raise
        status, headers = refusal(exc)
        response = await render(
            request,
            "login.html",
            None,
            error=exc.message(Language.FR),
            login=data.get("login", ""),
            status=status,
        )
        response.headers.update(headers)
        return response
    await start_session(request, signed.account.id, signed.epoch)
    raise web.HTTPFound(LANDING.get(signed.account.role, "/portal/me"))


async def logout(request: web.Request) -> web.Response:
    """Sign out: every session and API token of the account ends, not only this one."""
    await form(request)
    account = await current(request)
    if account is not None:
        await request.app[SERVICES].accounts.sign_out(account.id)
    session = await get_session(request)
    session.invalidate()
    raise web.HTTPFound("/portal/login")


# -- manager ---------------------------------------------------------------------------------


async def home(request: web.Request) -> web.Response:
    account = await manager(request)
    if account.role is Role.OPERATOR:
        raise web.HTTPFound(LANDING[Role.OPERATOR])
    fleets = await request.app[SERVICES].fleets.all(list(account.fleet_ids))
    return await render(request, "home.html", account, fleets=fleets)


# -- employee --------------------------------------------------------------------------------


async def me(request: web.Request) -> web.Response:
    account = await signed_in(request)
    try:
        account, mine, _ = await own_line(request)
    except web.HTTPForbidden:
        raise web.HTTPFound("/portal/") from None  # a manager not acting as anyone
    services = request.app[SERVICES]
    line = await services.lines.services_by_id(mine.id)
    my_groups = await services.groups.groups_of_line(mine.id)
    calls = await call_log(request, line.line)
    rows = screens.own_groups(my_groups, mine.id)
    return await render(request, "me.html", account, line=line, groups=rows, **calls)


async def call_log(request: web.Request, line: model.Line) -> dict[str, Any]:
    """The line's calls, newest first, a page at a time (``?calls=N``), for the templates."""
    services = request.app[SERVICES]
    page = page_number(request, "calls")
    found = await services.calls.search(
        fleet_id=line.fleet_id,
        number=line.msisdn.value,
        offset=(page - 1) * CALLS_PAGE,
        limit=CALLS_PAGE,
    )
    fleet = await services.fleets.get(line.fleet_id)
    return {
        "calls": [calls_view.row(record, line, fleet.timezone) for record in found.items],
        "calls_total": found.total,
        "calls_page": page,
        "calls_pages": max(1, -(-found.total // CALLS_PAGE)),
    }


async def password_page(request: web.Request) -> web.Response:
    account = await signed_in(request)
    return await render(request, "password.html", account, error=None, done=False)


async def change_password(request: web.Request) -> web.Response:
    """Change one's password: every other session and API token of the account ends; this
    one goes on, renewed with the account's new session epoch."""
    account = await signed_in(request)
    data = await form(request)
    error: str | None = None
    status, headers = 200, dict[str, str]()
    if data.get("new_password", "") != data.get("confirm", ""):
        error, status = "confirm", 400
    else:
        try:
            epoch = await request.app[SERVICES].accounts.change_password(
                actor(account),
                account.id,
                old_password=data.get("old_password", ""),
                new_password=data.get("new_password", ""),
                source=client_address(request),
            )
        except DomainError as exc:
            error = exc.message(account.language)
            status, headers = refusal(exc)
            status = 400 if status == 401 else status
        else:
            acting = await get_session(request)
            kept = {k: acting[k] for k in (ACTING_KEY, ACTING_LABEL) if k in acting}
            await start_session(request, account.id, epoch)
            (await get_session(request)).update(kept)
    response = await render(request, "password.html", account, error=error, done=error is None)
    response.set_status(status)
    response.headers.update(headers)
    return response


def routes(app: web.Application) -> None:
    from portal import (
        audit_pages,
        calls_pages,
        contacts_pages,
        criteria_pages,
        fleetio_pages,
        group_pages,
        line_detail,
        line_pages,
        monitor_pages,
        my_presented,
        my_settings,
        operator_pages,
        presented_pages,
        schedule_pages,
    )

    operator_pages.routes(app)
    schedule_pages.routes(app)
    presented_pages.routes(app)
    contacts_pages.routes(app)
    criteria_pages.routes(app)  # before the groups' "/{group_id}/{action}"
    audit_pages.routes(app)
    fleetio_pages.routes(app)
    calls_pages.routes(app)
    line_pages.routes(app)
    my_settings.routes(app)
    my_presented.routes(app)
    line_detail.routes(app)
    group_pages.routes(app)
    monitor_pages.routes(app)
    app.router.add_get("/portal/login", login_page)
    app.router.add_post("/portal/login", login)
    app.router.add_post("/portal/logout", logout)
    app.router.add_get("/portal/", home)
    app.router.add_get("/portal/me", me)
    app.router.add_get("/portal/password", password_page)
    app.router.add_post("/portal/password", change_password)
