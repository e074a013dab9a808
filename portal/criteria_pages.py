"""The pages of routing criteria (issue 16 item 2; seed 001 "Liste de critères / Critère #1 /
Actif / Retirer le critère / Horaires / Numéros de téléphone / Ajouter un critère"): when a
line's incoming-call list, each of its forwardings and its do-not-disturb apply — for the
fleet's manager, and for the employee on their own line (``/portal/me/criteria``) — and when
a group's routing applies (the manager). The list page shows each rule's criteria in order
(the rule applies when one active criterion matches, tried from #1 on); a criterion is added
(``.../new``), changed (``.../{number}``) and removed (``.../{number}/delete``) on its own.
A refused form comes back as typed with the reason, and writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from fleet.core.criteria import LINE_TARGETS, MAX_CRITERIA, CallerFilter, Criteria, CriteriaTarget
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.model import Account
from fleet.core.values import Actor
from fleet.services.criteria import RuleRef
from portal.line_pages import _target as line_target
from portal.pages import SERVICES, actor, fleet_id_of, form, group_of, manager, render


@dataclass(frozen=True)
class _Page:
    account: Account
    fleet_id: int
    who: Actor
    url: str  # the list page's own URL
    title: str  # the line's or the group's name and number
    line_id: int | None
    group_id: int | None
    targets: tuple[CriteriaTarget, ...]

    def rule(self, target: CriteriaTarget) -> RuleRef:
        if self.line_id is not None:
            return RuleRef(target, line_id=self.line_id)
        assert self.group_id is not None
        return RuleRef.of_group(self.group_id)

    def rule_url(self, target: CriteriaTarget) -> str:
        """Where a rule's criteria are added and changed: ``.../criteria/{target}`` for a
        line's rule, ``.../criteria`` for a group's routing."""
        return self.url if self.group_id is not None else f"{self.url}/{target.value}"


async def _line_page(request: web.Request) -> _Page:
    page = await line_target(request)  # the employee's own line: page.base is /portal/me
    line = page.line.line
    title = f"{line.employee_name} — {line.msisdn.national()}"
    url = f"{page.base}/criteria"
    return _Page(page.account, page.fleet_id, page.who, url, title, line.id, None, LINE_TARGETS)


async def _group_page(request: web.Request) -> _Page:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    group = await group_of(request, fleet_id)
    url = f"/portal/fleets/{fleet_id}/groups/{group.id}/criteria"
    title = f"{group.name} — {group.number.national()}"
    targets = (CriteriaTarget.GROUP,)
    return _Page(account, fleet_id, actor(account), url, title, None, group.id, targets)


async def _page(request: web.Request) -> _Page:
    if "group_id" in request.match_info:
        return await _group_page(request)
    return await _line_page(request)


def _target(request: web.Request, page: _Page) -> CriteriaTarget:
    raw = request.match_info.get("target", CriteriaTarget.GROUP.value)
    found = next((t for t in page.targets if t.value == raw), None)
    if found is None:
        raise web.HTTPNotFound(text="not a rule of this page")
    return found


def _number(request: web.Request, held: tuple[Criteria, ...]) -> int:
    text = request.match_info["number"]
    if not text.isdigit() or not 1 <= int(text) <= len(held):
        raise web.HTTPNotFound(text="no such criterion")
    return int(text)


def _shown(criterion: Criteria | None) -> dict[str, Any]:
    found = criterion or Criteria()
    return {
        "name": found.name,
        "active": found.active,
        "schedule": str(found.schedule_id or ""),
        "callers": found.callers.value,
        "numbers": ", ".join(n.national() for n in found.numbers),
    }


async def _common(page: _Page, request: web.Request) -> dict[str, Any]:
    services = request.app[SERVICES]
    schedules = await services.schedules.in_fleet(page.fleet_id)
    return {
        "fleet": await services.fleets.get(page.fleet_id),
        "url": page.url,
        "title": page.title,
        "group": page.group_id is not None,
        "schedules": schedules,
        "schedule_names": {s.id: s.name for s in schedules},
        "callers": [c.value for c in CallerFilter],
    }


async def show_list(request: web.Request) -> web.Response:
    page = await _page(request)
    criteria = request.app[SERVICES].criteria
    rules = []
    for target in page.targets:
        held = await criteria.of_rule(page.rule(target))
        rows = [{"number": n, **_shown(c)} for n, c in enumerate(held, start=1)]
        rules.append({"target": target.value, "url": page.rule_url(target), "rows": rows})
    return await render(
        request,
        "criteria.html",
        page.account,
        rules=rules,
        max_criteria=MAX_CRITERIA,
        saved=request.query.get("saved") == "1",
        **await _common(page, request),
    )


async def _form_page(
    request: web.Request,
    page: _Page,
    target: CriteriaTarget,
    row: dict[str, Any],
    *,
    number: int | None,
    error: str = "",
    status: int = 200,
) -> web.Response:
    action = f"{page.rule_url(target)}/{number if number is not None else 'new'}"
    return await render(
        request,
        "criterion_form.html",
        page.account,
        target=target.value,
        number=number,
        action=action,
        row=row,
        error=error,
        status=status,
        **await _common(page, request),
    )


async def show_form(request: web.Request) -> web.Response:
    page = await _page(request)
    target = _target(request, page)
    if "number" not in request.match_info:
        return await _form_page(request, page, target, _shown(None), number=None)
    held = await request.app[SERVICES].criteria.of_rule(page.rule(target))
    number = _number(request, held)
    return await _form_page(request, page, target, _shown(held[number - 1]), number=number)


async def save_form(request: web.Request) -> web.Response:
    page = await _page(request)
    target = _target(request, page)
    services = request.app[SERVICES]
    rule = page.rule(target)
    number = None
    if "number" in request.match_info:
        number = _number(request, await services.criteria.of_rule(rule))
    data = await form(request)
    row: dict[str, Any] = {
        "name": data.get("name", ""),
        "active": data.get("active") == "on",
        "schedule": data.get("schedule", "").strip(),
        "callers": data.get("callers", CallerFilter.ANY.value),
        "numbers": data.get("numbers", "").strip(),
    }
    try:
        raw = row["schedule"]
        known = {s.id for s in await services.schedules.in_fleet(page.fleet_id)}
        schedule_id = int(raw) if raw.isdigit() else None
        if raw and schedule_id not in known:
            code = ErrorCode.CRITERIA_SCHEDULE_UNKNOWN
            raise DomainError(code, field="schedule_id", schedule=raw)
        numbers = [n for n in row["numbers"].replace(";", ",").split(",") if n.strip()]
        wanted = services.criteria.check(
            schedule_id, row["callers"], numbers, name=row["name"], active=row["active"]
        )
        if number is None:
            await services.criteria.add(page.who, rule, wanted)
        else:
            await services.criteria.edit(page.who, rule, number, wanted)
    except DomainError as exc:
        error = exc.message(page.account.language)
        return await _form_page(request, page, target, row, number=number, error=error, status=400)
    raise web.HTTPFound(f"{page.url}?saved=1")


async def remove(request: web.Request) -> web.Response:
    page = await _page(request)
    target = _target(request, page)
    services = request.app[SERVICES]
    rule = page.rule(target)
    number = _number(request, await services.criteria.of_rule(rule))
    await form(request)  # the CSRF token
    await services.criteria.remove(page.who, rule, number)
    raise web.HTTPFound(f"{page.url}?saved=1")


def routes(app: web.Application) -> None:
    lines = "/portal/fleets/{fleet_id}/lines/{line_id}/criteria"
    for base, rule in (
        ("/portal/me/criteria", "/portal/me/criteria/{target}"),
        (lines, lines + "/{target}"),
        ("/portal/fleets/{fleet_id}/groups/{group_id}/criteria",) * 2,
    ):
        app.router.add_get(base, show_list)
        app.router.add_get(rule + "/new", show_form)
        app.router.add_post(rule + "/new", save_form)
        app.router.add_get(rule + "/{number:[0-9]+}", show_form)
        app.router.add_post(rule + "/{number:[0-9]+}", save_form)
        app.router.add_post(rule + "/{number:[0-9]+}/delete", remove)
