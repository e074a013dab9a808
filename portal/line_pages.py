"""Manager pages for a fleet's lines: search with pagination, "Gérer les renvois d'appel"
and "Gérer les appels entrants" (seed 004 §3–4). A refused form shows the field and the
reason, keeps what was typed, and writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from fleet.core import model, rules
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.values import Actor, ForwardingKind, ForwardingTarget, RingMode
from fleet.core.voicemail import forwarding_target
from fleet.services.linebrowse import Cursor
from portal.pages import (
    SERVICES,
    actor,
    fleet_id_of,
    form,
    line_of,
    manager,
    own_line,
    render,
)

PAGE = 25
KINDS = list(ForwardingKind)


@dataclass(frozen=True)
class _Target:
    account: model.Account
    fleet_id: int
    line: model.LineServices
    base: str  # the page's base URL
    who: Actor  # who the changes are journalled as


async def _target(request: web.Request) -> _Target:
    """Whose line this page configures: a line of the manager's fleet, or the employee's own
    (``/portal/me/...``, also the line a manager acts as)."""
    services = request.app[SERVICES]
    if "fleet_id" not in request.match_info:
        account, mine, acting = await own_line(request)
        line = await services.lines.services_by_id(mine.id)
        who = actor(account, mine if acting else None)
        return _Target(account, mine.fleet_id, line, "/portal/me", who)
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    line = await line_of(request, fleet_id)
    base = f"/portal/fleets/{fleet_id}/lines/{line.line.id}"
    return _Target(account, fleet_id, line, base, actor(account))


async def _form(
    request: web.Request,
    page: _Target,
    template: str,
    errors: dict[str, str],
    status: int = 200,
    **values: Any,
) -> web.Response:
    """A line's form (forwarding or incoming list): what it shows, or what was typed with
    the reasons it was refused."""
    return await render(
        request,
        template,
        page.account,
        base=page.base,
        fleet=await request.app[SERVICES].fleets.get(page.fleet_id),
        line=page.line,
        errors=errors,
        kinds=[k.value for k in KINDS],
        saved=request.query.get("saved") == "1",
        status=status,
        **values,
    )


async def lines(request: web.Request) -> web.Response:
    """The fleet's lines by name, 25 a page after (or before) a cursor: keyset paging, so the
    last page of a 100,000-line fleet costs what the first does."""
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    services = request.app[SERVICES]
    query = request.query.get("q", "")[:100]
    error: str | None = None
    try:
        after, before = _cursor(request, "after"), _cursor(request, "before")
    except DomainError as exc:  # a paging link not ours: the first page, and why
        after = before = None
        error = exc.message(account.language)
    found = await services.lines.browse(
        fleet_id, search=query, after=after, before=before, limit=PAGE
    )
    return await render(
        request,
        "lines.html",
        account,
        status=400 if error else 200,
        fleet=found.fleet,  # one transaction for the page
        found=found,
        q=query,
        error=error,
    )


def _cursor(request: web.Request, name: str) -> Cursor | None:
    text = request.query.get(name, "")
    return Cursor.decode(text[:400], field=name) if text else None


async def forwarding(request: web.Request) -> web.Response:
    page = await _target(request)
    line = page.line
    rows = {
        kind.value: {
            "active": bool(rule and rule.active),
            "target": rule.target.value if rule else ForwardingTarget.NUMBER.value,
            "destination": rule.destination.national() if rule and rule.destination else "",
            "timer": str(rule.no_reply_timer or "") if rule else "",
        }
        for kind in KINDS
        for rule in [line.forwarding(kind)]
    }
    return await _form(request, page, "forwarding.html", {}, rows=rows, **_voicemail(request))


def _voicemail(request: web.Request) -> dict[str, Any]:
    """The choice "a number" / "voicemail", offered when the deployment has a platform."""
    return {"voicemail": request.app[SERVICES].forwarding.voicemail.offered}


async def save_forwarding(request: web.Request) -> web.Response:
    page = await _target(request)
    account, line, base = page.account, page.line, page.base
    data = await form(request)
    services = request.app[SERVICES]
    who = page.who
    url = f"{base}/forwarding?saved=1"
    if data.get("none") == "on":  # "Je ne souhaite pas personnaliser mes renvois d'appel"
        await services.forwarding.disable_all(who, line.line.id)
        raise web.HTTPFound(url)
    rows: dict[str, dict[str, Any]] = {
        kind.value: {
            "active": data.get(f"{kind.value}.active") == "on",
            "target": data.get(f"{kind.value}.target", "").strip() or ForwardingTarget.NUMBER.value,
            "destination": data.get(f"{kind.value}.destination", "").strip(),
            "timer": data.get(f"{kind.value}.timer", "").strip(),
        }
        for kind in KINDS
    }
    errors: dict[str, str] = {}
    plan: list[tuple[ForwardingKind, dict[str, Any], int | None]] = []
    policy = services.forwarding.policy
    for kind in KINDS:  # check everything before writing anything
        row = rows[kind.value]
        try:
            timer = _timer(kind, row["timer"])
            row["voicemail"] = forwarding_target(row["target"]) is ForwardingTarget.VOICEMAIL
            if row["voicemail"]:
                services.forwarding.voicemail.require()
            elif row["destination"]:
                target = policy.destination(row["destination"])
                if target == line.line.msisdn:
                    raise DomainError(ErrorCode.FORWARDING_TO_SELF, field="destination")
            elif row["active"]:
                raise DomainError(ErrorCode.FORWARDING_DESTINATION_REQUIRED, field="destination")
            plan.append((kind, row, timer))
        except DomainError as exc:
            errors[kind.value] = exc.message(account.language)
    if errors:
        shown = _voicemail(request)
        return await _form(request, page, "forwarding.html", errors, 400, rows=rows, **shown)
    for kind, row, timer in plan:
        existing = line.forwarding(kind)
        if row["voicemail"] or row["destination"]:
            await services.forwarding.set(
                who,
                line.line.id,
                kind,
                destination=None if row["voicemail"] else row["destination"],
                active=row["active"],
                no_reply_timer=timer,
                target=ForwardingTarget.VOICEMAIL if row["voicemail"] else None,
            )
        elif existing is not None:
            await services.forwarding.erase(who, line.line.id, kind)
    raise web.HTTPFound(url)


def _timer(kind: ForwardingKind, raw: str) -> int | None:
    if kind is not ForwardingKind.NO_REPLY or not raw:
        return None
    if not raw.isdigit():
        raise DomainError(
            ErrorCode.NO_REPLY_TIMER_INVALID,
            field="no_reply_timer",
            min=rules.NO_REPLY_TIMER_MIN,
            max=rules.NO_REPLY_TIMER_MAX,
        )
    return rules.no_reply_timer(kind, int(raw))


async def incoming(request: web.Request) -> web.Response:
    page = await _target(request)
    line = page.line
    plan = line.incoming_list
    entries = [e.national() for e in plan.entries] if plan else [line.line.msisdn.national()]
    values = {
        "active": bool(plan and plan.active),
        "mode": plan.mode.value if plan else RingMode.SIMULTANEOUS.value,
        "ring_time": str(plan.ring_time if plan else rules.RING_TIME_DEFAULT),
        "entries": entries + [""] * (rules.LIST_MAX_ENTRIES - len(entries)),
    }
    return await _form(request, page, "incoming.html", {}, values=values)


async def save_incoming(request: web.Request) -> web.Response:
    page = await _target(request)
    account, line, base = page.account, page.line, page.base
    data = await form(request)
    services = request.app[SERVICES]
    who = page.who
    url = f"{base}/incoming?saved=1"
    if data.get("none") == "on":  # "Je ne souhaite pas personnaliser mes appels entrants"
        await services.incoming.disable(who, line.line.id)
        raise web.HTTPFound(url)
    entries = [data.get(f"entry{i}", "").strip() for i in range(rules.LIST_MAX_ENTRIES)]
    ring_raw = data.get("ring_time", "").strip()
    active = data.get("active") == "on"
    mode = data.get("mode", RingMode.SIMULTANEOUS.value)
    values: dict[str, Any] = {
        "active": active,
        "mode": mode,
        "ring_time": ring_raw,
        "entries": entries,
    }
    try:
        ring_time = int(ring_raw) if ring_raw.isdigit() else -1
        await services.incoming.save(
            who, line.line.id, entries=entries, mode=mode, ring_time=ring_time, active=active
        )
    except DomainError as exc:
        field = exc.field or "form"
        if field.startswith("entries."):  # index among the non-empty entries -> form field
            filled = [i for i, e in enumerate(entries) if e]
            index = int(field.split(".")[1])
            field = f"entry{filled[index]}" if index < len(filled) else "entries"
        errors = {field: exc.message(account.language)}
        return await _form(request, page, "incoming.html", errors, 400, values=values)
    raise web.HTTPFound(url)


def routes(app: web.Application) -> None:
    for page in ("forwarding", "incoming"):  # the employee's own line
        app.router.add_get(f"/portal/me/{page}", forwarding if page == "forwarding" else incoming)
    app.router.add_post("/portal/me/forwarding", save_forwarding)
    app.router.add_post("/portal/me/incoming", save_incoming)
    base = "/portal/fleets/{fleet_id}/lines"
    app.router.add_get(base, lines)
    app.router.add_get(base + "/{line_id}/forwarding", forwarding)
    app.router.add_post(base + "/{line_id}/forwarding", save_forwarding)
    app.router.add_get(base + "/{line_id}/incoming", incoming)
    app.router.add_post(base + "/{line_id}/incoming", save_incoming)
