"""The employee's own presented number on the user portal (``/portal/me/presented``; issue 16,
seed 002 §2.8: once the "numéro entreprise" is set "chaque utilisateur peut le choisir, sur son
web utilisateur, comme identité pour ses appels sortants"): a select of the choices the line is
allowed — its line, the company's main number once the fleet has one, each of its groups — as
on the manager's page. The manager may lock it (the line setting ``presented_user_choice``
off, seed 003 §7.2's imposed display): the page then shows the number without the select, and
a post is refused (``presented_locked``) writing nothing. A manager acting as the user is not
held by the lock. Each change is journalled as the employee's (or "manager → line")."""

from __future__ import annotations

from aiohttp import web

from fleet.core import model
from fleet.core.errors import DomainError
from fleet.core.linesettings import PRESENTED_USER_CHOICE
from portal.i18n import translator
from portal.pages import SERVICES, actor, form, own_line, render
from portal.presented_pages import choice_label, choice_value, parse_value

URL = "/portal/me/presented"


async def _page(
    request: web.Request,
    account: model.Account,
    line: model.LineServices,
    *,
    locked: bool,
    selected: str,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    t = translator(account.language)
    choices = await request.app[SERVICES].presented.choices(line.line.id)
    options = [
        {"value": choice_value(c), "label": choice_label(t, c, line), "number": number}
        for c, number in choices
    ]
    current = next((o for o in options if o["value"] == choice_value(line.line.presented)), None)
    return await render(
        request,
        "my_presented.html",
        account,
        line=line,
        options=options,
        current=current or options[0],
        selected=selected,
        locked=locked,
        error=error,
        saved=request.query.get("saved") == "1",
        status=status,
    )


def _locked(line: model.Line, acting: bool) -> bool:
    return not acting and not PRESENTED_USER_CHOICE.of(line)


async def my_presented(request: web.Request) -> web.Response:
    account, mine, acting = await own_line(request)
    line = await request.app[SERVICES].lines.services_by_id(mine.id)
    selected = choice_value(line.line.presented)
    return await _page(request, account, line, locked=_locked(mine, acting), selected=selected)


async def save_my_presented(request: web.Request) -> web.Response:
    account, mine, acting = await own_line(request)
    data = await form(request)
    raw = data.get("presented", "")
    choice = parse_value(raw)
    if choice is None:
        raise web.HTTPBadRequest(text="presented: line, main or group:<id>")
    services = request.app[SERVICES]
    try:
        await services.presented.choose(
            actor(account, mine if acting else None), mine.id, choice, by_user=not acting
        )
    except DomainError as exc:
        line = await services.lines.services_by_id(mine.id)
        message = exc.message(account.language)
        locked = _locked(line.line, acting)
        return await _page(
            request, account, line, locked=locked, selected=raw, error=message, status=400
        )
    raise web.HTTPFound(f"{URL}?saved=1")


def routes(app: web.Application) -> None:
    app.router.add_get(URL, my_presented)
    app.router.add_post(URL, save_my_presented)
