"""The fleet's and a line's call log as the API and the portal search it: the filters of a
query string (number, date range in the fleet's time zone, outcome), the keyset cursor, and
each record as JSON (times ISO-8601 with the fleet's offset) and as a CSV row (UTF-8, ``;``,
national numbers with their leading 0, times in the fleet's time zone)."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from fleet.core import model
from fleet.core.dialling import Presentation
from fleet.core.numbering import shown
from fleet.core.values import CallEventKind, CallOutcome
from fleet.services.calls import CallCursor, CallFilter
from fleet.services.container import Services
from portal.calls_view import NOTABLE
from portal.security import storable

CSV_TYPE = "text/csv"
CSV_PAGE = 500  # records read at a time while writing a CSV
HIDDEN = "anonymous"  # the caller hid its number
CSV_COLUMNS = (
    "offered_at",
    "caller",
    "called",
    "outcome",
    "duration",
    "events",
    "call_id",
    "session_case",
    "correlation_id",
    "caller_network_id",
    "callee_network_id",
)
FILTERS = ("number", "since", "until", "outcome")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


class FilterError(ValueError):
    """A filter of the query that cannot be read; ``field`` names it."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field, self.detail = field, detail


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _moment(field: str, text: str, tz: ZoneInfo, *, end: bool) -> datetime:
    """A date (the day in the fleet's zone; ``end``: the day included, so up to the next
    one) or a date-time (without offset: in the fleet's zone), as a UTC time."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
            moment = datetime.combine(day, time(), tzinfo=tz)
        else:
            moment = datetime.fromisoformat(text)
            moment = moment if moment.tzinfo else moment.replace(tzinfo=tz)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # not a day, or past the calendar's ends
        raise FilterError(field, f"{field}: a date (YYYY-MM-DD) or an ISO-8601 time") from exc


def parse_filter(
    query: Mapping[str, str], fleet_id: int, timezone: str, *, line: str | None = None
) -> CallFilter:
    tz = zone(timezone)
    number = query.get("number", "").strip() or None
    if number is not None and (not storable(number) or len(number) > 32):
        raise FilterError("number", "number: a phone number")
    since = query.get("since", "").strip()
    until = query.get("until", "").strip()
    outcome_text = query.get("outcome", "").strip()
    try:
        outcome = CallOutcome(outcome_text) if outcome_text else None
    except ValueError as exc:
        values = ", ".join(o.value for o in CallOutcome)
        raise FilterError("outcome", f"outcome: one of {values}") from exc
    return CallFilter(
        fleet_id=fleet_id,
        line=line,
        number=number,
        since=_moment("since", since, tz, end=False) if since else None,
        until=_moment("until", until, tz, end=True) if until else None,
        outcome=outcome,
    )


def encode_cursor(cursor: CallCursor) -> str:
    raw = f"{cursor.offered_at.isoformat()}|{cursor.record_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> CallCursor:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        moment, record_id = raw.split("|")
        at = datetime.fromisoformat(moment)
        cursor = CallCursor(at.astimezone(UTC), int(record_id))
    except (ValueError, UnicodeError, OverflowError) as exc:
        raise FilterError("cursor", "cursor: the next_cursor of a previous page") from exc
    if at.tzinfo is None or not 0 < cursor.record_id < 2**63:
        raise FilterError("cursor", "cursor: the next_cursor of a previous page")
    return cursor


def hidden_caller(record: model.CallRecord) -> bool:
    """The caller hid its number (CLIR) when the call was offered."""
    return any(
        event.kind is CallEventKind.OFFERED
        and (event.detail or {}).get("presentation") == Presentation.RESTRICTED.value
        for event in record.events
    )


def _national(raw: str) -> str:
    """The CSV's numbers: national digits without spaces (spreadsheets, imports)."""
    return shown(raw, spaced=False)


def _duration(record: model.CallRecord) -> int | None:
    if record.answered_at is None or record.released_at is None:
        return None
    return max(0, int((record.released_at - record.answered_at).total_seconds()))


def _events(record: model.CallRecord) -> list[str]:
    kinds: list[str] = []
    for event in record.events:
        if event.kind in NOTABLE and event.kind.value not in kinds:
            kinds.append(event.kind.value)
    return kinds


def _iso(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment else None


def record_json(record: model.CallRecord, timezone: str) -> dict[str, Any]:
    tz = zone(timezone)
    return {
        "call_id": record.call_id,
        "offered_at": _iso(record.offered_at, tz),
        "answered_at": _iso(record.answered_at, tz),
        "released_at": _iso(record.released_at, tz),
        "caller": None if hidden_caller(record) else record.caller,
        "called": record.called,
        "outcome": record.outcome.value if record.outcome else None,
        "duration": _duration(record),
        "events": _events(record),
        "session_case": record.session_case.value,
        "correlation_id": record.correlation_id,
        "caller_network_id": record.caller_network_id,
        "callee_network_id": record.callee_network_id,
    }


def csv_header(timezone: str) -> str:
    """The header row, the time column naming the fleet's zone; with the UTF-8 BOM that
    spreadsheets read the encoding from."""
    names = [f"offered_at ({timezone})", *CSV_COLUMNS[1:]]
    return "\ufeff" + _csv_row(names)


def csv_row(record: model.CallRecord, timezone: str) -> str:
    duration = _duration(record)
    return _csv_row(
        [
            record.offered_at.astimezone(zone(timezone)).strftime("%Y-%m-%d %H:%M:%S"),
            HIDDEN if hidden_caller(record) else _national(record.caller),
            _national(record.called),
            record.outcome.value if record.outcome else "",
            "" if duration is None else str(duration),
            ",".join(_events(record)),
            record.call_id,
            record.session_case.value,
            record.correlation_id or "",
            record.caller_network_id or "",
            record.callee_network_id or "",
        ]
    )


def _csv_row(values: list[str]) -> str:
    """One row; a cell a spreadsheet would read as a formula (a caller's identity is
    whatever its network sent) is kept as text with a leading apostrophe."""
    out = io.StringIO()
    cells = ["'" + v if v[:1] in FORMULA else v for v in values]
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerow(cells)
    return out.getvalue()


async def stream_csv(
    request: web.Request,
    services: Services,
    fleet: model.Fleet,
    where: CallFilter,
    first: tuple[model.CallRecord, ...],
    following: CallCursor | None,
) -> web.StreamResponse:
    """The CSV of a search, from its first page on, written a page at a time."""
    response = web.StreamResponse(
        headers={
            "Content-Type": f"{CSV_TYPE}; charset=utf-8",
            "Content-Disposition": f'attachment; filename="calls-{fleet.id}.csv"',
        }
    )
    await response.prepare(request)
    await response.write(csv_header(fleet.timezone).encode())
    items = first
    while True:
        await response.write("".join(csv_row(r, fleet.timezone) for r in items).encode())
        if following is None:
            break
        page = await services.calls.log(where, after=following, limit=CSV_PAGE)
        items, following = page.items, page.next
    await response.write_eof()
    return response
