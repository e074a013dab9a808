"""The presented number in the manager portal (issue 16 item 4): a line's page of what its
outgoing calls present (a select of the choices it is allowed: its line, the company's main
number once the fleet has one, each of its groups), and the fleet's main number. A refused
choice comes back with the reason and nothing written."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fleet.core import model
from fleet.core.errors import DomainError
from fleet.core.numbering import E164
from fleet.core.presented import PresentedKind, PresentedNumber
from portal.i18n import translator
from portal.pages import SERVICES, actor, fleet_id_of, form, line_of, manager, render


def choice_value(choice: PresentedNumber) -> str:
    """A choice as an option's value: ``line``, ``main``, ``group:<id>``."""
    return f"group:{choice.group_id}" if choice.group_id else choice.kind.value


def parse_value(raw: str) -> PresentedNumber | None:
    kind, _, ident = raw.partition(":")
    if kind in (PresentedKind.LINE.value, PresentedKind.MAIN.value) and not ident:
        return PresentedNumber(PresentedKind(kind))
    if kind == PresentedKind.GROUP.value and ident.isdigit() and 0 < int(ident) < 2**31:
        return PresentedNumber.of(PresentedKind.GROUP, int(ident))
    return None


def choice_label(t: dict[str, str], choice: PresentedNumber, line: model.LineServices) -> str:
    """A choice as the select shows it (the group by its name)."""
    if choice.kind is PresentedKind.GROUP:
        names = {g.group_id: g.group_name for g in line.groups}
        return t["presented_group"].format(name=names.get(choice.group_id or 0, "?"))
    return t["presented_" + choice.kind.value]


async def _page(
    request: web.Request,
    account: model.Account,
    line: model.LineServices,
    *,
    selected: str,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    services = request.app[SERVICES]
    fleet = await services.fleets.get(line.line.fleet_id)
    t = translator(account.language)
    choices: list[tuple[PresentedNumber, E164]] = await services.presented.choices(line.line.id)
    options = [
        {"value": choice_value(c), "label": choice_label(t, c, line), "number": number}
        for c, number in choices
    ]
    return await render(
        request,
        "presented.html",
        account,
        fleet=fleet,
        line=line,
        options=options,
        selected=selected,
        error=error,
        saved=request.query.get("saved") == "1",
        status=status,
    )


async def presented_page(request: web.Request) -> web.Response:
    account = await manager(request)
    line = await line_of(request, fleet_id_of(request, account))
    return await _page(request, account, line, selected=choice_value(line.line.presented))


async def save_presented(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    data = await form(request)
    line = await line_of(request, fleet_id)
    raw = data.get("presented", "")
    choice = parse_value(raw)
    if choice is None:
        raise web.HTTPBadRequest(text="presented: line, main or group:<id>")
    try:
        await request.app[SERVICES].presented.choose(actor(account), line.line.id, choice)
    except DomainError as exc:
        message = exc.message(account.language)
        return await _page(request, account, line, selected=raw, error=message, status=400)
    raise web.HTTPFound(f"/portal/fleets/{fleet_id}/lines/{line.line.id}/presented?saved=1")


async def _main_page(
    request: web.Request, account: model.Account, fleet: model.Fleet, **context: Any
) -> web.Response:
    value = fleet.main_number.national() if fleet.main_number else ""
    context.setdefault("value", value)
    context.setdefault("status", 200)
    return await render(
        request,
        "main_number.html",
        account,
        fleet=fleet,
        saved=request.query.get("saved") == "1",
        **context,
    )


async def main_number_page(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet = await request.app[SERVICES].fleets.get(fleet_id_of(request, account))
    return await _main_page(request, account, fleet, error=None)


async def save_main_number(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    data = await form(request)
    typed = data.get("main_number", "").strip()
    services = request.app[SERVICES]
    try:
        await services.presented.set_main_number(actor(account), fleet_id, typed or None)
    except DomainError as exc:
        fleet = await services.fleets.get(fleet_id)
        message = exc.message(account.language)
        return await _main_page(request, account, fleet, value=typed, error=message, status=400)
    raise web.HTTPFound(f"/portal/fleets/{fleet_id}/main-number?saved=1")


def routes(app: web.Application) -> None:
    line = "/portal/fleets/{fleet_id}/lines/{line_id}/presented"
    app.router.add_get(line, presented_page)
    app.router.add_post(line, save_presented)
    app.router.add_get("/portal/fleets/{fleet_id}/main-number", main_number_page)
    app.router.add_post("/portal/fleets/{fleet_id}/main-number", save_main_number)
