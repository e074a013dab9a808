"""The pages of routing criteria (issue 16 item 2; seed 001 "Liste de critères": a
schedule, the callers): when a line's incoming-call list, each of its forwardings and its
do-not-disturb apply — for the fleet's manager, and for the employee on their own line
(``/portal/me/criteria``) — and when a group's routing applies (the manager). One form for
every rule of the page: a refused form shows the rule and the reason, keeps what was typed,
and writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from fleet.core.criteria import LINE_TARGETS, CallerFilter, Criteria, CriteriaTarget
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.model import Account
from fleet.core.schedules import Schedule
from fleet.core.values import Actor
from portal.line_pages import _target as line_target
from portal.pages import SERVICES, actor, fleet_id_of, form, group_of, manager, render


@dataclass(frozen=True)
class _Page:
    account: Account
    fleet_id: int
    who: Actor
    url: str  # the page's own URL (GET shows, POST saves)
    title: str  # the line's or the group's name and number
    line_id: int | None
    group_id: int | None
    targets: tuple[CriteriaTarget, ...]


async def _line_page(request: web.Request) -> _Page:
    page = await line_target(request)
    line = page.line.line
    title = f"{line.employee_name} — {line.msisdn.national()}"
    url = f"{page.base}/criteria"
    return _Page(page.account, page.fleet_id, page.who, url, title, line.id, None, LINE_TARGETS)
    # the employee's own line: page.base is /portal/me


async def _group_page(request: web.Request) -> _Page:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    group = await group_of(request, fleet_id)
    url = f"/portal/fleets/{fleet_id}/groups/{group.id}/criteria"
    title = f"{group.name} — {group.number.national()}"
    targets = (CriteriaTarget.GROUP,)
    return _Page(account, fleet_id, actor(account), url, title, None, group.id, targets)


async def _held(request: web.Request, page: _Page) -> dict[CriteriaTarget, Criteria]:
    services = request.app[SERVICES]
    if page.line_id is not None:
        return {c.target: c.criteria for c in await services.criteria.of_line(page.line_id)}
    assert page.group_id is not None
    found = await services.criteria.of_group(page.group_id)
    return {CriteriaTarget.GROUP: found} if found else {}


def _row(criteria: Criteria | None) -> dict[str, str]:
    found = criteria or Criteria()
    return {
        "schedule": str(found.schedule_id or ""),
        "callers": found.callers.value,
        "numbers": ", ".join(n.national() for n in found.numbers),
    }


async def _show(
    request: web.Request,
    page: _Page,
    rows: dict[str, dict[str, str]],
    errors: dict[str, str],
    status: int = 200,
) -> web.Response:
    schedules: list[Schedule] = await request.app[SERVICES].schedules.in_fleet(page.fleet_id)
    return await render(
        request,
        "criteria.html",
        page.account,
        fleet=await request.app[SERVICES].fleets.get(page.fleet_id),
        url=page.url,
        title=page.title,
        group=page.group_id is not None,
        targets=[t.value for t in page.targets],
        callers=[c.value for c in CallerFilter],
        schedules=schedules,
        rows=rows,
        errors=errors,
        saved=request.query.get("saved") == "1",
        status=status,
    )


async def _get(request: web.Request, page: _Page) -> web.Response:
    held = await _held(request, page)
    return await _show(request, page, {t.value: _row(held.get(t)) for t in page.targets}, {})


async def _post(request: web.Request, page: _Page) -> web.Response:
    data = await form(request)
    services = request.app[SERVICES]
    rows = {
        t.value: {
            "schedule": data.get(f"{t.value}.schedule", "").strip(),
            "callers": data.get(f"{t.value}.callers", CallerFilter.ANY.value),
            "numbers": data.get(f"{t.value}.numbers", "").strip(),
        }
        for t in page.targets
    }
    known = {s.id for s in await services.schedules.in_fleet(page.fleet_id)}
    errors: dict[str, str] = {}
    plan: list[tuple[CriteriaTarget, Criteria]] = []
    for target in page.targets:  # check everything before writing anything
        row = rows[target.value]
        try:
            raw = row["schedule"]
            schedule_id = int(raw) if raw.isdigit() else None
            if raw and schedule_id not in known:
                raise DomainError(
                    ErrorCode.CRITERIA_SCHEDULE_UNKNOWN, field="schedule_id", schedule=raw
                )
            numbers = [n for n in row["numbers"].replace(";", ",").split(",") if n.strip()]
            plan.append((target, services.criteria.check(schedule_id, row["callers"], numbers)))
        except DomainError as exc:
            errors[target.value] = exc.message(page.account.language)
    if errors:
        return await _show(request, page, rows, errors, 400)
    held = await _held(request, page)
    for target, wanted in plan:
        if held.get(target) == (None if wanted.always else wanted):
            continue
        fields: dict[str, Any] = {
            "schedule_id": wanted.schedule_id,
            "callers": wanted.callers,
            "numbers": [n.value for n in wanted.numbers],
        }
        if page.line_id is not None:
            await services.criteria.set_line(page.who, page.line_id, target, **fields)
        else:
            assert page.group_id is not None
            await services.criteria.set_group(page.who, page.group_id, **fields)
    raise web.HTTPFound(f"{page.url}?saved=1")


async def line_criteria(request: web.Request) -> web.Response:
    return await _get(request, await _line_page(request))


async def save_line_criteria(request: web.Request) -> web.Response:
    return await _post(request, await _line_page(request))


async def group_criteria(request: web.Request) -> web.Response:
    return await _get(request, await _group_page(request))


async def save_group_criteria(request: web.Request) -> web.Response:
    return await _post(request, await _group_page(request))


def routes(app: web.Application) -> None:
    app.router.add_get("/portal/me/criteria", line_criteria)
    app.router.add_post("/portal/me/criteria", save_line_criteria)
    lines = "/portal/fleets/{fleet_id}/lines/{line_id}/criteria"
    app.router.add_get(lines, line_criteria)
    app.router.add_post(lines, save_line_criteria)
    groups = "/portal/fleets/{fleet_id}/groups/{group_id}/criteria"
    app.router.add_get(groups, group_criteria)
    app.router.add_post(groups, save_group_criteria)
