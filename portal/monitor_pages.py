"""The manager's activity monitor page (issue 16 item 8; seed 003 "Moniteur d'activité":
the members' connection state, "Rafraîchir", "Plage actuelle"): each call group's members
and what they are doing — connected or not, ringing, in a call, resting and until when, in
do-not-disturb —, its queue with the longest wait, and each schedule's verdict now.

Live by short polling: ``/static/monitor.js`` asks for the page's live part
(``?part=live``, the same template's fragment) every 2 seconds and puts it in place; without
JavaScript the page refreshes itself every 15 seconds and has a "Rafraîchir" link. On a
process that does not own the fleet's calls (issue 15) the page says so instead of showing
groups with nobody in them. Thin handler: the snapshot is the ``ActivityMonitor``'s."""

from __future__ import annotations

from aiohttp import web

from fleet.core.activity import FleetActivity, LiveSource, MemberState
from fleet.core.errors import DomainError
from fleet.core.values import Language
from portal.api_monitor import MONITOR
from portal.i18n import translator
from portal.pages import SERVICES, fleet_id_of, manager, page_language, render

POLL_SECONDS = 2  # monitor.js
NO_SCRIPT_REFRESH = 15  # <meta http-equiv="refresh"> without JavaScript


async def monitor(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    try:
        snapshot = await request.app[MONITOR].snapshot(fleet_id)
    except DomainError as exc:
        raise web.HTTPNotFound() from exc
    fleet = await request.app[SERVICES].fleets.get(fleet_id)
    language = page_language(request, account)
    t = translator(language)
    colon = " : " if language is Language.FR else ": "
    template = "_monitor.html" if request.query.get("part") == "live" else "monitor.html"
    return await render(
        request,
        template,
        account,
        fleet=fleet,
        snapshot=snapshot,
        notice=_notice(snapshot, t),
        live=snapshot.source is LiveSource.HERE,
        refresh=NO_SCRIPT_REFRESH,
        poll=POLL_SECONDS,
        current=_current(snapshot),
        summary=_summary(snapshot, t, colon),
        colon=colon,
        names={s.schedule_id: s.name for s in snapshot.schedules},
    )


def _notice(snapshot: FleetActivity, t: dict[str, str]) -> str | None:
    """Why the live activity is not shown here, when it is not."""
    if snapshot.source is LiveSource.ELSEWHERE:
        return t["monitor_elsewhere"].format(process=snapshot.owner_process or "?")
    if snapshot.source is LiveSource.NOBODY:
        return t["monitor_nobody"]
    return None


def _summary(snapshot: FleetActivity, t: dict[str, str], colon: str) -> list[str]:
    """The counts over every group (what the page announces when they change); none
    when the live state is not here."""
    if snapshot.groups is None:
        return []
    groups = snapshot.groups
    counts = [
        ("monitor_absent", snapshot.absent()),
        ("monitor_ringing", sum(g.count(MemberState.RINGING) for g in groups)),
        ("monitor_in_call", sum(g.count(MemberState.IN_CALL) for g in groups)),
        ("monitor_waiting", sum(g.queue_length for g in groups)),
    ]
    return [f"{t[key]}{colon}{value}" for key, value in counts]


def _current(snapshot: FleetActivity) -> list[str]:
    """Seed 003's "Plage actuelle": the ranges that apply now (open schedules' periods)."""
    return [
        f"{s.name} ({s.range.label})" if s.range is not None else s.name
        for s in snapshot.schedules
        if s.open
    ]


def routes(app: web.Application) -> None:
    app.router.add_get("/portal/fleets/{fleet_id}/monitor", monitor)
