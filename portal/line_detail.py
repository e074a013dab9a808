"""A line's own page in the manager portal: its details (the PABX option among them), all
its services, its groups and its call log; editing the details; and "act as this user"
(the manager takes the line's identity to configure it through the user portal)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp_session import get_session

from fleet.core import model
from fleet.core.errors import DomainError
from fleet.core.linesettings import LINE_SETTINGS, LineSetting
from fleet.core.values import Language
from portal import etags
from portal.i18n import choice_key, setting_key, translator
from portal.pages import (
    ACTING_KEY,
    ACTING_LABEL,
    SERVICES,
    actor,
    call_log,
    fleet_id_of,
    form,
    line_of,
    manager,
    path_id,
    render,
)
from portal.resources import line_json

FIELDS = ("employee_name", "short_number", "email", "language")


@dataclass(frozen=True, slots=True)
class Switch:
    """A line setting on the form — a checkbox, or a select for a choice setting: its
    name, the keys of its label and help among the portal texts, and a choice's options
    (each value with the key of its label)."""

    name: str
    label: str
    help: str | None
    options: tuple[tuple[str, str], ...] = ()


SWITCHES = tuple(
    Switch(
        s.name,
        setting_key(s.name),
        setting_key(s.name) + "_help" if s.help else None,
        tuple((str(v), choice_key(s.name, str(v))) for v in s.values()),
    )
    for s in LINE_SETTINGS
)


def _from_form(setting: LineSetting[Any], data: Any, line: model.Line) -> Any:
    """A setting as the form sends it: a ticked checkbox is "on"; a select its value (one
    that is no value is kept as text: the service refuses it with its reason; none sent,
    the line's own)."""
    if setting.switch:
        return data.get(setting.name) == "on"
    raw = data.get(setting.name)
    if raw is None:
        return setting.of(line)
    try:
        return setting.parse(raw)
    except DomainError:
        return raw


def _values(line: model.Line) -> dict[str, Any]:
    return {
        "employee_name": line.employee_name,
        "short_number": line.short_number or "",
        "email": line.email or "",
        "language": line.language.value,
        **{s.name: s.of(line) for s in LINE_SETTINGS},
    }


async def _page(
    request: web.Request,
    account: model.Account,
    line: model.LineServices,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> web.Response:
    services = request.app[SERVICES]
    fleet = await services.fleets.get(line.line.fleet_id)
    return await render(
        request,
        "line.html",
        account,
        fleet=fleet,
        line=line,
        values=values,
        errors=errors,
        languages=[lang.value for lang in Language],
        switches=SWITCHES,
        saved=request.query.get("saved") == "1",
        version=etags.version(line_json(line.line)),
        **await call_log(request, line.line),
        status=status,
    )


async def line_page(request: web.Request) -> web.Response:
    account = await manager(request)
    line = await line_of(request, fleet_id_of(request, account))
    return await _page(request, account, line, _values(line.line), {})


async def update_line(request: web.Request) -> web.Response:
    """Save the line's details. The form carries the version of the details it was filled
    from: when someone else changed them meanwhile, nothing is saved and the form comes back
    with what was typed, the reason, and the new version (saving again then overwrites)."""
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    data = await form(request)
    values: dict[str, Any] = {name: data.get(name, "").strip() for name in FIELDS}
    async with etags.locks(request).held(f"line:{path_id(request, 'line_id')}"):
        line = await line_of(request, fleet_id)
        values |= {s.name: _from_form(s, data, line.line) for s in LINE_SETTINGS}
        if etags.stale(data.get(etags.VERSION_FIELD), line_json(line.line)):
            errors = {"form": translator(account.language)["changed_meanwhile"]}
            return await _page(request, account, line, values, errors, 409)
        try:
            await request.app[SERVICES].lines.update(
                actor(account),
                line.line.id,
                employee_name=values["employee_name"],
                short_number=values["short_number"] or None,
                email=values["email"] or None,
                language=values["language"],
                settings={s: values[s.name] for s in LINE_SETTINGS},
            )
        except DomainError as exc:
            field = exc.field if exc.field in (*FIELDS, *(s.name for s in SWITCHES)) else "form"
            errors = {field: exc.message(account.language)}
            return await _page(request, account, line, values, errors, 400)
    raise web.HTTPFound(f"/portal/fleets/{fleet_id}/lines/{line.line.id}?saved=1")


async def act_as(request: web.Request) -> web.Response:
    """The manager takes the line's identity: the "my line" pages now show that line, and
    every change made there is journalled as the manager acting for it."""
    account = await manager(request)
    line = await line_of(request, fleet_id_of(request, account))
    await form(request)
    session = await get_session(request)
    session[ACTING_KEY] = line.line.id
    session[ACTING_LABEL] = f"{line.line.employee_name} ({line.line.msisdn.national()})"
    raise web.HTTPFound("/portal/me")


async def stop_acting(request: web.Request) -> web.Response:
    account = await manager(request)
    await form(request)
    session = await get_session(request)
    line_id = session.pop(ACTING_KEY, None)
    session.pop(ACTING_LABEL, None)
    if isinstance(line_id, int):
        try:
            line = await request.app[SERVICES].lines.get(line_id)
        except DomainError:
            raise web.HTTPFound("/portal/") from None
        if account.manages(line.fleet_id):
            raise web.HTTPFound(f"/portal/fleets/{line.fleet_id}/lines/{line.id}")
    raise web.HTTPFound("/portal/")


def routes(app: web.Application) -> None:
    base = "/portal/fleets/{fleet_id}/lines/{line_id}"
    app.router.add_get(base, line_page)
    app.router.add_post(base, update_line)
    app.router.add_post(base + "/act", act_as)
    app.router.add_post("/portal/act/stop", stop_acting)
