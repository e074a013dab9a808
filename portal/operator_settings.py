"""The operator's fleet settings form and operators' accounts (issue 13).

The fleet's page (``portal.operator_pages``) holds a form of the fleet's settings — its name,
the length of its short numbers, its language and time zone — saved by the same service, with
the same rules and the same journal entry, as the API's ``PATCH /api/fleets/{fleet_id}``. The
form carries the fleet's version: saved after someone else changed the fleet, it writes
nothing and comes back with what was typed and the reason.

The operators' accounts page lists the carrier's staff accounts; an operator adds one,
disables or enables one (never its own) and gives one a new password — the services of the
API's ``/api/operators`` and of ``fleetpbx account add``. Only operators open these pages;
anyone else is refused and nothing is written."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fleet.core import model
from fleet.core.errors import DomainError
from fleet.core.values import Language, Role
from portal import etags
from portal.api_operator import fleet_json
from portal.i18n import translator
from portal.operator_pages import BASE, _fleet, _refused, operator
from portal.pages import SERVICES, actor, form, path_id, render

SETTINGS = ("name", "short_number_length", "language", "timezone")
ACCOUNTS = BASE + "/accounts"


def _length(text: str) -> int:
    """The short numbers' length typed; anything but a small number is one the rules
    refuse (0), with their message."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 3 else 0


# -- the fleet's settings ---------------------------------------------------------------------


async def save_settings(request: web.Request) -> web.Response:
    account = await operator(request)
    fleet_id = path_id(request, "fleet_id")
    data = await form(request)
    typed = {name: data.get(name, "") for name in SETTINGS}
    services = request.app[SERVICES]
    async with etags.locks(request).held(f"fleet:{fleet_id}"):
        fleet = await services.fleets.get(fleet_id)
        if etags.stale(data.get(etags.VERSION_FIELD), fleet_json(fleet)):
            message = translator(account.language)["fleet_changed_meanwhile"]
            return await _fleet(
                request, account, fleet_id, settings=typed, settings_error=message, status=409
            )
        try:
            await services.fleets.update(
                actor(account),
                fleet_id,
                name=typed["name"],
                short_number_length=_length(typed["short_number_length"]),
                language=typed["language"],
                timezone=typed["timezone"],
            )
        except DomainError as exc:
            message, status = _refused(exc, account.language)
            return await _fleet(
                request, account, fleet_id, settings=typed, settings_error=message, status=status
            )
    raise web.HTTPFound(f"{BASE}/fleets/{fleet_id}?done=settings_saved")


# -- the operators' accounts ------------------------------------------------------------------


async def accounts_page(request: web.Request) -> web.Response:
    account = await operator(request)
    return await _accounts(request, account)


async def _accounts(
    request: web.Request,
    account: model.Account,
    *,
    error: str | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    return await render(
        request,
        "operator_accounts.html",
        account,
        operators=await request.app[SERVICES].accounts.operators(),
        error=error,
        typed=typed or {},
        languages=[lang.value for lang in Language],
        done=request.query.get("done", ""),
        status=status,
    )


async def _made(
    request: web.Request, account: model.Account, change: Any, typed: dict[str, str], done: str
) -> web.Response:
    """Await ``change`` (a coroutine); back to the accounts, or the page again with the reason
    it was refused and what was typed (never a password)."""
    try:
        await change
    except DomainError as exc:
        error, status = _refused(exc, account.language)
        typed = {k: v for k, v in typed.items() if k not in ("password", "csrf")}
        return await _accounts(request, account, error=error, typed=typed, status=status)
    raise web.HTTPFound(f"{ACCOUNTS}?done={done}")


async def add_operator(request: web.Request) -> web.Response:
    account = await operator(request)
    data = await form(request)
    change = request.app[SERVICES].accounts.create_operator(
        actor(account),
        login=data.get("login", ""),
        password=data.get("password", ""),
        display_name=data.get("display_name", ""),
        language=data.get("language") or Language.FR,
    )
    return await _made(request, account, change, data, "operator_added")


async def _operator_of(request: web.Request) -> model.Account:
    """The operator's account of the path; any other account is not found here."""
    try:
        found = await request.app[SERVICES].accounts.get(path_id(request, "account_id"))
    except DomainError as exc:
        raise web.HTTPNotFound() from exc
    if found.role is not Role.OPERATOR:
        raise web.HTTPNotFound()
    return found


async def set_active(request: web.Request) -> web.Response:
    account = await operator(request)
    data = await form(request)
    target = await _operator_of(request)
    active = data.get("active") == "1"
    change = request.app[SERVICES].accounts.set_active(actor(account), target.id, active)
    return await _made(request, account, change, {}, "enabled" if active else "disabled")


async def reset_password(request: web.Request) -> web.Response:
    account = await operator(request)
    data = await form(request)
    target = await _operator_of(request)
    change = request.app[SERVICES].accounts.reset_password(
        actor(account), target.id, data.get("password", "")
    )
    return await _made(request, account, change, {}, "password_reset")


def routes(app: web.Application) -> None:
    app.router.add_post(BASE + "/fleets/{fleet_id}/settings", save_settings)
    app.router.add_get(ACCOUNTS, accounts_page)
    app.router.add_post(ACCOUNTS, add_operator)
    app.router.add_post(ACCOUNTS + "/{account_id}/active", set_active)
    app.router.add_post(ACCOUNTS + "/{account_id}/password", reset_password)
