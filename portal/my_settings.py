"""The employee's own switches on the user portal, "Mes réglages" (``/portal/me/settings``):
the line settings whose description is marked ``employee`` — do-not-disturb and its
exemption of the colleagues, call waiting, the hidden number (seed 001's user screens), the
ones a handset switches by code too. The PABX option stays the manager's. A change goes
through the line service like the manager's form: same checks, the audit journal (as the
employee, or as the manager acting for the line), the routing cache at once."""

from __future__ import annotations

from aiohttp import web

from fleet.core import model
from fleet.core.errors import DomainError
from fleet.core.linesettings import LINE_SETTINGS
from portal.i18n import setting_key
from portal.line_detail import Switch
from portal.pages import SERVICES, actor, form, own_line, render

EMPLOYEE_SETTINGS = tuple(s for s in LINE_SETTINGS if s.employee)
SWITCHES = tuple(
    Switch(s.name, setting_key(s.name), setting_key(s.name) + "_help" if s.help else None)
    for s in EMPLOYEE_SETTINGS
)
URL = "/portal/me/settings"


async def _page(
    request: web.Request,
    account: model.Account,
    line: model.Line,
    values: dict[str, bool],
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    return await render(
        request,
        "my_settings.html",
        account,
        line=line,
        switches=SWITCHES,
        values=values,
        error=error,
        saved=request.query.get("saved") == "1",
        status=status,
    )


async def my_settings(request: web.Request) -> web.Response:
    account, mine, _ = await own_line(request)
    return await _page(request, account, mine, {s.name: s.of(mine) for s in EMPLOYEE_SETTINGS})


async def save_my_settings(request: web.Request) -> web.Response:
    """Save the switches as ticked (a switch not sent is off, as a checkbox does)."""
    account, mine, acting = await own_line(request)
    data = await form(request)
    values = {s.name: data.get(s.name) == "on" for s in EMPLOYEE_SETTINGS}
    try:
        await request.app[SERVICES].lines.update(
            actor(account, mine if acting else None),
            mine.id,
            settings={s: values[s.name] for s in EMPLOYEE_SETTINGS},
        )
    except DomainError as exc:
        return await _page(request, account, mine, values, exc.message(account.language), 400)
    raise web.HTTPFound(f"{URL}?saved=1")


def routes(app: web.Application) -> None:
    app.router.add_get(URL, my_settings)
    app.router.add_post(URL, save_my_settings)
