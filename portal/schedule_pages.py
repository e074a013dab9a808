"""The manager's schedule pages (issue 16 item 1; seed 001 "Horaires", seed 003 "Plages
horaires"): the fleet's schedules with whether each is open now, the editor (a name, up to
three periods per weekday, holidays and vacation periods, "Associer l'horaire opposé" when
creating), and deleting with a confirmation. Thin handlers: the form's fields become typed
ranges and holidays here, every rule is the service's (``fleet.services.schedules``); a
refused form comes back as typed with the reason, nothing written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from aiohttp import web

from fleet.core import model
from fleet.core import schedules as sch
from fleet.core.errors import DomainError
from fleet.core.schedules import Holiday, Schedule, TimeRange, Weekday
from portal.i18n import translator
from portal.pages import (
    SERVICES,
    actor,
    fleet_id_of,
    form,
    manager,
    page_language,
    path_id,
    render,
)

SLOTS = range(sch.MAX_RANGES_PER_DAY)
SPARE_HOLIDAYS = 3  # empty holiday rows under the ones kept
DAYS = tuple(day.name.lower() for day in Weekday)


class FormError(Exception):
    """A form that does not say a schedule (an incomplete period or holiday)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class Parsed:
    name: str
    ranges: list[TimeRange]
    holidays: list[Holiday]
    with_opposite: bool


def form_values(schedule: Schedule | None) -> dict[str, str]:
    """The editor's fields for a schedule (empty for a new one)."""
    values: dict[str, str] = {"name": schedule.name if schedule else ""}
    if schedule is None:
        return values
    for day in Weekday:
        for slot, item in enumerate(r for r in schedule.ranges if r.day is day):
            key = f"{day.name.lower()}_{slot}"
            values[f"{key}_start"], values[f"{key}_end"] = (
                sch.clock(item.start),
                sch.clock(item.end),
            )
    for index, holiday in enumerate(schedule.holidays):
        values[f"holiday_{index}_label"] = holiday.label
        values[f"holiday_{index}_first"] = holiday.first.isoformat()
        values[f"holiday_{index}_last"] = holiday.last.isoformat()
        if holiday.yearly:
            values[f"holiday_{index}_yearly"] = "on"
    return values


def holiday_rows(values: dict[str, str]) -> int:
    """How many holiday rows the editor shows: those filled in, and a few empty ones."""
    filled = [
        i for i in range(sch.MAX_HOLIDAYS + SPARE_HOLIDAYS) if values.get(f"holiday_{i}_first")
    ]
    return min((max(filled) + 1 if filled else 0) + SPARE_HOLIDAYS, sch.MAX_HOLIDAYS)


def parse(data: dict[str, str]) -> Parsed:
    """The typed schedule of a submitted editor; ``FormError`` or ``DomainError``."""
    ranges: list[TimeRange] = []
    for day in Weekday:
        for slot in SLOTS:
            key = f"{day.name.lower()}_{slot}"
            start, end = data.get(f"{key}_start", "").strip(), data.get(f"{key}_end", "").strip()
            if not start and not end:
                continue
            if not start or not end:
                raise FormError("schedule_incomplete")
            ranges.append(
                TimeRange(
                    day=day,
                    start=sch.parse_clock(start, field=f"{key}_start"),
                    end=sch.parse_clock(end, field=f"{key}_end"),
                )
            )
    holidays: list[Holiday] = []
    for index in range(sch.MAX_HOLIDAYS + SPARE_HOLIDAYS):
        key = f"holiday_{index}"
        label, first = data.get(f"{key}_label", ""), data.get(f"{key}_first", "").strip()
        last = data.get(f"{key}_last", "").strip()
        if not first:
            if label.strip() or last:
                raise FormError("holiday_incomplete")
            continue
        try:
            first_day = date.fromisoformat(first)
            last_day = date.fromisoformat(last) if last else first_day
        except ValueError as exc:
            raise FormError("holiday_incomplete") from exc
        yearly = data.get(f"{key}_yearly") == "on"
        holidays.append(Holiday(label=label, first=first_day, last=last_day, yearly=yearly))
    return Parsed(
        name=data.get("name", ""),
        ranges=ranges,
        holidays=holidays,
        with_opposite=data.get("with_opposite") == "on",
    )


async def _schedule_of(request: web.Request, fleet_id: int) -> Schedule:
    try:
        found = await request.app[SERVICES].schedules.get(path_id(request, "schedule_id"))
    except DomainError as exc:
        raise web.HTTPNotFound() from exc
    if found.fleet_id != fleet_id:
        raise web.HTTPNotFound()  # never another fleet's
    return found


async def schedules(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    services = request.app[SERVICES]
    fleet = await services.fleets.get(fleet_id)
    found = await services.schedules.in_fleet(fleet_id)
    names = {s.id: s.name for s in found}
    rows = [
        {
            "schedule": s,
            "source": names.get(s.opposite_of) if s.opposite_of is not None else None,
            "open": (await services.schedules.verdict(s.id)).open,
            "days": _summary(s),
        }
        for s in found
    ]
    return await render(request, "schedules.html", account, fleet=fleet, rows=rows)


def _summary(schedule: Schedule) -> list[tuple[str, str]]:
    """Each weekday with its periods ("09:00–12:00, 13:00–17:00"), for the table."""
    return [
        (day.name.lower(), ", ".join(r.label for r in schedule.ranges if r.day is day))
        for day in Weekday
    ]


async def _editor(
    request: web.Request,
    account: model.Account,
    fleet_id: int,
    schedule: Schedule | None,
    values: dict[str, str],
    *,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    services = request.app[SERVICES]
    fleet = await services.fleets.get(fleet_id)
    source = None
    if schedule is not None and schedule.opposite_of is not None:
        source = (await services.schedules.get(schedule.opposite_of)).name
    return await render(
        request,
        "schedule_form.html",
        account,
        fleet=fleet,
        schedule=schedule,
        source=source,
        values=values,
        days=DAYS,
        slots=list(SLOTS),
        holidays=range(holiday_rows(values)),
        error=error,
        status=status,
    )


async def new_schedule(request: web.Request) -> web.Response:
    account = await manager(request)
    return await _editor(request, account, fleet_id_of(request, account), None, form_values(None))


async def edit_schedule(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    schedule = await _schedule_of(request, fleet_id)
    return await _editor(request, account, fleet_id, schedule, form_values(schedule))


async def save_schedule(request: web.Request) -> web.Response:
    """Create (no ``schedule_id`` in the path) or change a schedule from the editor."""
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    schedule = (
        await _schedule_of(request, fleet_id) if "schedule_id" in request.match_info else None
    )
    data = await form(request)
    services = request.app[SERVICES]
    language = page_language(request, account)
    try:
        parsed = parse(data)
        if schedule is None:
            await services.schedules.create(
                actor(account),
                fleet_id,
                name=parsed.name,
                ranges=parsed.ranges,
                holidays=parsed.holidays,
                with_opposite=parsed.with_opposite,
            )
        elif schedule.opposite_of is not None:
            await services.schedules.update(actor(account), schedule.id, name=parsed.name)
        else:
            await services.schedules.update(
                actor(account),
                schedule.id,
                name=parsed.name,
                ranges=parsed.ranges,
                holidays=parsed.holidays,
            )
    except FormError as exc:
        message = translator(language)[exc.key]
        return await _editor(request, account, fleet_id, schedule, data, error=message, status=400)
    except DomainError as exc:
        message = exc.message(language)
        return await _editor(request, account, fleet_id, schedule, data, error=message, status=400)
    raise web.HTTPFound(f"/portal/fleets/{fleet_id}/schedules")


async def confirm_delete(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    schedule = await _schedule_of(request, fleet_id)
    services = request.app[SERVICES]
    opposite = next(
        (s for s in await services.schedules.in_fleet(fleet_id) if s.opposite_of == schedule.id),
        None,
    )
    fleet = await services.fleets.get(fleet_id)
    context: dict[str, Any] = {"fleet": fleet, "schedule": schedule, "opposite": opposite}
    return await render(request, "schedule_delete.html", account, **context)


async def delete_schedule(request: web.Request) -> web.Response:
    account = await manager(request)
    fleet_id = fleet_id_of(request, account)
    schedule = await _schedule_of(request, fleet_id)
    await form(request)
    await request.app[SERVICES].schedules.delete(actor(account), schedule.id)
    raise web.HTTPFound(f"/portal/fleets/{fleet_id}/schedules")


def routes(app: web.Application) -> None:
    base = "/portal/fleets/{fleet_id}/schedules"
    app.router.add_get(base, schedules)
    app.router.add_get(base + "/new", new_schedule)  # before "/{schedule_id}"
    app.router.add_post(base + "/new", save_schedule)
    app.router.add_get(base + "/{schedule_id}", edit_schedule)
    app.router.add_post(base + "/{schedule_id}", save_schedule)
    app.router.add_get(base + "/{schedule_id}/delete", confirm_delete)
    app.router.add_post(base + "/{schedule_id}/delete", delete_schedule)
