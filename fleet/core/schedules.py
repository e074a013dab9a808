"""Weekly schedules and their holidays, and whether a schedule is open at an instant (pure).

From seeds 001 (Proximus "Horaires": a named schedule, a day and a lunch break, "Associer
l'horaire opposé" making a "non-" schedule) and 003 (VTX "Plages horaires": one to three
periods a day that must not overlap; "Jours fériés et vacances": single days or periods,
closed from 0:00 to 24:00, exceptions on the schedule).

A ``Schedule`` holds time ranges per weekday (minutes from midnight, ``end`` may be 24:00)
and holidays (a day or a period, once or every year). It is evaluated on the wall clock of
the fleet's time zone: a range 01:00–04:00 on the day clocks go forward covers two real
hours, and the hour repeated in autumn counts twice. An *opposite* schedule is open exactly
when its source is closed (holidays included: on a holiday the opposite is open).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum, StrEnum
from zoneinfo import ZoneInfo

from fleet.core.error_codes import ErrorCode
from fleet.core.errors import DomainError

MINUTES_PER_DAY = 24 * 60
MAX_RANGES_PER_DAY = 3  # seed 003: "de une à trois périodes, qui ne doivent pas se recouvrir"
MAX_SCHEDULES_PER_FLEET = 20  # our choice (the seeds give no number)
MAX_HOLIDAYS = 100  # per schedule, our choice
NAME_MAX = 40
LABEL_MAX = 60
OPPOSITE_PREFIX = "non-"  # seed 001: "Cet horaire complémentaire sera précédé par « non- »"


class Weekday(IntEnum):
    """Days as ``date.weekday()`` numbers them."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class TimeRange:
    """Open on ``day`` from ``start`` to ``end`` (minutes from midnight, end excluded)."""

    day: Weekday
    start: int
    end: int

    def covers(self, day: Weekday, minute: int) -> bool:
        return day is self.day and self.start <= minute < self.end

    @property
    def label(self) -> str:
        return f"{clock(self.start)}–{clock(self.end)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Holiday:
    """Closed all day from ``first`` to ``last`` (inclusive); ``yearly``: on those month-days
    every year (a period may run over New Year; 29 February only in leap years)."""

    label: str
    first: date
    last: date
    yearly: bool = False

    def covers(self, day: date) -> bool:
        if not self.yearly:
            return self.first <= day <= self.last
        today = (day.month, day.day)
        start, end = (self.first.month, self.first.day), (self.last.month, self.last.day)
        if start <= end:
            return start <= today <= end
        return today >= start or today <= end


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """A fleet's schedule as the services read it: an opposite schedule (``opposite_of`` its
    source's id) carries its source's ranges and holidays and is open when they say closed."""

    id: int
    fleet_id: int
    name: str
    ranges: tuple[TimeRange, ...] = ()
    holidays: tuple[Holiday, ...] = ()
    opposite_of: int | None = None

    @property
    def inverted(self) -> bool:
        return self.opposite_of is not None


class Rule(StrEnum):
    """Which rule decided."""

    RANGE = "range"  # the instant is in one of the day's ranges
    OUTSIDE = "outside"  # in none of them
    HOLIDAY = "holiday"  # a holiday, whatever the ranges say


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    open: bool
    rule: Rule
    local: datetime  # the instant on the fleet's wall clock
    range: TimeRange | None = None
    holiday: Holiday | None = None
    inverted: bool = False


def evaluate(schedule: Schedule, at: datetime, tz: ZoneInfo) -> Verdict:
    """Whether ``schedule`` is open at the instant ``at`` (aware) in the time zone ``tz``."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a schedule is evaluated at an aware instant")
    local = at.astimezone(tz)
    inverted = schedule.inverted
    holiday = next((h for h in schedule.holidays if h.covers(local.date())), None)
    if holiday is not None:
        return Verdict(
            open=inverted, rule=Rule.HOLIDAY, local=local, holiday=holiday, inverted=inverted
        )
    day, minute = Weekday(local.weekday()), local.hour * 60 + local.minute
    found = next((r for r in schedule.ranges if r.covers(day, minute)), None)
    if found is not None:
        return Verdict(
            open=not inverted, rule=Rule.RANGE, local=local, range=found, inverted=inverted
        )
    return Verdict(open=inverted, rule=Rule.OUTSIDE, local=local, inverted=inverted)


def is_open(schedule: Schedule, at: datetime, tz: ZoneInfo) -> bool:
    return evaluate(schedule, at, tz).open


# -- values and validation ---------------------------------------------------------------


def clock(minutes: int) -> str:
    """``HH:MM`` of minutes from midnight (1440 is ``24:00``)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_clock(raw: str, *, field: str) -> int:
    """Minutes from midnight of ``HH:MM`` (``24:00`` is the end of the day)."""
    hours, sep, minutes = raw.partition(":")
    if (
        sep
        and raw.isascii()
        and hours.isdigit()
        and minutes.isdigit()
        and len(hours) <= 2
        and len(minutes) == 2
        and int(minutes) < 60
    ):
        value = int(hours) * 60 + int(minutes)
        if value <= MINUTES_PER_DAY:
            return value
    raise DomainError(ErrorCode.SCHEDULE_TIME_INVALID, field=field, value=raw)


def name(raw: str | None) -> str:
    """A schedule's name: 1 to ``NAME_MAX`` printable characters, spaces around dropped."""
    value = (raw or "").strip()
    if not value or len(raw or "") > NAME_MAX or not value.isprintable():
        raise DomainError(ErrorCode.SCHEDULE_NAME_INVALID, field="name", max=NAME_MAX)
    return value


def opposite_name(source: str) -> str:
    """The name of a schedule's opposite ("non-horaire du magasin")."""
    return name(f"{OPPOSITE_PREFIX}{source[:1].lower()}{source[1:]}"[:NAME_MAX])


def ranges(items: tuple[TimeRange, ...] | list[TimeRange]) -> tuple[TimeRange, ...]:
    """The week's ranges, checked (end after start, at most three a day, no overlap) and
    sorted by day and start."""
    ordered = tuple(sorted(items))
    for index, item in enumerate(ordered):
        field = f"ranges.{item.day.name.lower()}"
        if not (0 <= item.start < MINUTES_PER_DAY and 0 < item.end <= MINUTES_PER_DAY):
            raise DomainError(
                ErrorCode.SCHEDULE_TIME_INVALID, field=field, value=f"{item.start}-{item.end}"
            )
        if item.end <= item.start:
            raise DomainError(
                ErrorCode.SCHEDULE_RANGE_INVALID,
                field=field,
                start=clock(item.start),
                end=clock(item.end),
            )
        previous = ordered[index - 1] if index else None
        if previous is not None and previous.day is item.day and item.start < previous.end:
            raise DomainError(
                ErrorCode.SCHEDULE_RANGES_OVERLAP,
                field=field,
                first=previous.label,
                second=item.label,
            )
    for day in Weekday:
        if sum(1 for r in ordered if r.day is day) > MAX_RANGES_PER_DAY:
            raise DomainError(
                ErrorCode.SCHEDULE_TOO_MANY_RANGES,
                field=f"ranges.{day.name.lower()}",
                max=MAX_RANGES_PER_DAY,
            )
    return ordered


def holidays(items: tuple[Holiday, ...] | list[Holiday]) -> tuple[Holiday, ...]:
    """The holidays, checked (a label, the last day not before the first; a yearly period
    within a year) and sorted by first day."""
    if len(items) > MAX_HOLIDAYS:
        raise DomainError(ErrorCode.SCHEDULE_TOO_MANY_HOLIDAYS, field="holidays", max=MAX_HOLIDAYS)
    checked: list[Holiday] = []
    for item in items:
        label = item.label.strip()
        if len(item.label) > LABEL_MAX or not label.isprintable():
            raise DomainError(
                ErrorCode.SCHEDULE_HOLIDAY_LABEL_INVALID, field="holidays", max=LABEL_MAX
            )
        if item.last < item.first or (item.yearly and (item.last - item.first).days >= 365):
            raise DomainError(
                ErrorCode.SCHEDULE_HOLIDAY_INVALID,
                field="holidays",
                first=item.first.isoformat(),
                last=item.last.isoformat(),
            )
        checked.append(Holiday(label=label, first=item.first, last=item.last, yearly=item.yearly))
    return tuple(sorted(checked, key=lambda h: (h.first, h.last, h.label)))


def room_for_one_more(count: int, *, adding: int = 1) -> None:
    """A fleet has at most ``MAX_SCHEDULES_PER_FLEET`` schedules (opposites count)."""
    if count + adding > MAX_SCHEDULES_PER_FLEET:
        raise DomainError(
            ErrorCode.SCHEDULE_LIMIT_REACHED, field="name", max=MAX_SCHEDULES_PER_FLEET
        )
