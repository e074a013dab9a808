"""Schedules, pure: evaluation on the fleet's wall clock (DST included) and validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fleet.core import schedules as sch
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.schedules import Holiday, Rule, Schedule, TimeRange, Weekday
from fleet.core.values import Language

PARIS = ZoneInfo("Europe/Paris")
BRUSSELS = ZoneInfo("Europe/Brussels")
WEEKDAYS = (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)


def hm(text: str) -> int:
    return sch.parse_clock(text, field="t")


def span(day: Weekday, start: str, end: str) -> TimeRange:
    return TimeRange(day=day, start=hm(start), end=hm(end))


SHOP = Schedule(  # seed 001: 9-17 with a lunch break 12-13, as two ranges a day
    id=1,
    fleet_id=1,
    name="Horaire du magasin",
    ranges=tuple(
        r for d in WEEKDAYS for r in (span(d, "09:00", "12:00"), span(d, "13:00", "17:00"))
    ),
    holidays=(
        Holiday(label="Noël", first=date(2026, 12, 25), last=date(2026, 12, 25), yearly=True),
        Holiday(label="Inventaire", first=date(2026, 7, 6), last=date(2026, 7, 8)),
    ),
)
OPPOSITE = Schedule(
    id=2,
    fleet_id=1,
    name="non-horaire du magasin",
    ranges=SHOP.ranges,
    holidays=SHOP.holidays,
    opposite_of=1,
)


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


@pytest.mark.parametrize(
    ("local", "open_", "rule"),
    [
        ("2026-12-01T08:59", False, Rule.OUTSIDE),  # a Tuesday
        ("2026-12-01T09:00", True, Rule.RANGE),
        ("2026-12-01T11:59", True, Rule.RANGE),
        ("2026-12-01T12:00", False, Rule.OUTSIDE),  # lunch
        ("2026-12-01T13:00", True, Rule.RANGE),
        ("2026-12-01T16:59", True, Rule.RANGE),
        ("2026-12-01T17:00", False, Rule.OUTSIDE),  # the end is excluded
        ("2026-12-05T10:00", False, Rule.OUTSIDE),  # Saturday
        ("2026-07-07T10:00", False, Rule.HOLIDAY),  # a one-off period
        ("2027-07-07T10:00", True, Rule.RANGE),  # ...not repeated
        ("2026-12-25T10:00", False, Rule.HOLIDAY),
        ("2030-12-25T10:00", False, Rule.HOLIDAY),  # yearly
    ],
)
def test_a_schedule_is_open_in_its_ranges_outside_holidays(
    local: str, open_: bool, rule: Rule
) -> None:
    verdict = sch.evaluate(SHOP, paris(local), PARIS)
    assert (verdict.open, verdict.rule) == (open_, rule)
    assert sch.is_open(SHOP, paris(local), PARIS) is open_


def test_the_verdict_says_which_range_or_holiday_matched() -> None:
    in_range = sch.evaluate(SHOP, paris("2026-12-01T13:30"), PARIS)
    assert in_range.range == span(Weekday.TUESDAY, "13:00", "17:00")
    holiday = sch.evaluate(SHOP, paris("2028-12-25T13:30"), PARIS).holiday
    assert holiday is not None and holiday.label == "Noël"


def test_the_opposite_schedule_is_open_exactly_when_its_source_is_closed() -> None:
    start = datetime(2026, 12, 20, tzinfo=UTC)
    for step in range(0, 14 * 24 * 60, 17):
        at = start + timedelta(minutes=step)
        assert sch.is_open(OPPOSITE, at, PARIS) is not sch.is_open(SHOP, at, PARIS)
    christmas = sch.evaluate(OPPOSITE, paris("2026-12-25T10:00"), PARIS)
    assert christmas.open and christmas.rule is Rule.HOLIDAY and christmas.inverted


def test_the_instant_is_read_on_the_fleets_wall_clock() -> None:
    at = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)  # 09:30 in Paris
    assert sch.is_open(SHOP, at, PARIS)
    assert not sch.is_open(SHOP, at, ZoneInfo("Europe/London"))  # 08:30 there


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        sch.evaluate(SHOP, datetime(2026, 12, 1, 10, 0), PARIS)


def open_minutes(schedule: Schedule, day: date, tz: ZoneInfo) -> list[datetime]:
    """The UTC minutes of the 48 hours around ``day`` at which ``schedule`` is open."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=12)
    minutes = (start + timedelta(minutes=m) for m in range(48 * 60))
    return [at for at in minutes if sch.is_open(schedule, at, tz)]


@pytest.mark.parametrize("tz", [PARIS, BRUSSELS], ids=str)
def test_a_range_over_the_spring_forward_gap_lasts_two_real_hours(tz: ZoneInfo) -> None:
    night = Schedule(
        id=3, fleet_id=1, name="nuit", ranges=(span(Weekday.SUNDAY, "01:00", "04:00"),)
    )
    opened = open_minutes(night, date(2026, 3, 29), tz)  # 02:00 CET -> 03:00 CEST
    assert len(opened) == 120
    assert opened[0] == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # 01:00 CET
    assert opened[59] == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)  # 01:59 CET
    assert opened[60] == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert opened[-1] == datetime(2026, 3, 29, 1, 59, tzinfo=UTC)  # 03:59 CEST


@pytest.mark.parametrize("tz", [PARIS, BRUSSELS], ids=str)
def test_the_hour_repeated_in_autumn_is_open_twice(tz: ZoneInfo) -> None:
    night = Schedule(
        id=3, fleet_id=1, name="nuit", ranges=(span(Weekday.SUNDAY, "02:00", "03:00"),)
    )
    opened = open_minutes(night, date(2026, 10, 25), tz)  # 03:00 CEST -> 02:00 CET
    assert len(opened) == 120
    assert opened[0] == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 02:00 CEST
    assert opened[60] == datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 02:00 CET, again
    assert opened[-1] == datetime(2026, 10, 25, 1, 59, tzinfo=UTC)
    whole_day = Schedule(
        id=4, fleet_id=1, name="dimanche", ranges=(span(Weekday.SUNDAY, "00:00", "24:00"),)
    )
    assert len(open_minutes(whole_day, date(2026, 10, 25), tz)) == 25 * 60
    assert len(open_minutes(whole_day, date(2026, 3, 29), tz)) == 23 * 60


def test_a_yearly_period_may_run_over_new_year() -> None:
    winter = Holiday(label="fêtes", first=date(2025, 12, 24), last=date(2026, 1, 2), yearly=True)
    assert winter.covers(date(2031, 12, 31)) and winter.covers(date(2032, 1, 2))
    assert not winter.covers(date(2032, 1, 3)) and not winter.covers(date(2031, 12, 23))


def test_ranges_are_sorted_and_may_end_at_midnight() -> None:
    checked = sch.ranges(
        [span(Weekday.MONDAY, "13:00", "24:00"), span(Weekday.MONDAY, "08:00", "12:00")]
    )
    assert [r.label for r in checked] == ["08:00–12:00", "13:00–24:00"]
    assert sch.ranges(
        [span(Weekday.MONDAY, "08:00", "12:00"), span(Weekday.MONDAY, "12:00", "13:00")]
    )


@pytest.mark.parametrize(
    ("items", "code"),
    [
        ([span(Weekday.MONDAY, "12:00", "09:00")], ErrorCode.SCHEDULE_RANGE_INVALID),
        ([span(Weekday.MONDAY, "09:00", "09:00")], ErrorCode.SCHEDULE_RANGE_INVALID),
        (
            [span(Weekday.MONDAY, "09:00", "12:00"), span(Weekday.MONDAY, "11:59", "14:00")],
            ErrorCode.SCHEDULE_RANGES_OVERLAP,
        ),
        (
            [span(Weekday.FRIDAY, f"0{h}:00", f"0{h}:30") for h in range(1, 5)],
            ErrorCode.SCHEDULE_TOO_MANY_RANGES,
        ),
        ([TimeRange(day=Weekday.MONDAY, start=-5, end=10)], ErrorCode.SCHEDULE_TIME_INVALID),
    ],
)
def test_bad_ranges_are_refused_with_their_code(items: list[TimeRange], code: ErrorCode) -> None:
    with pytest.raises(DomainError) as caught:
        sch.ranges(items)
    assert caught.value.code is code
    assert caught.value.field is not None and caught.value.field.startswith("ranges.")


def test_three_ranges_a_day_are_allowed_and_other_days_do_not_overlap() -> None:
    items = [span(Weekday.FRIDAY, f"0{h}:00", f"0{h}:30") for h in range(1, 4)]
    items.append(span(Weekday.SATURDAY, "01:00", "02:00"))
    assert len(sch.ranges(items)) == 4


@pytest.mark.parametrize(
    "raw", ["9", "24:01", "25:00", "12:60", "ab:cd", "", "12:5", "-1:00", " 9:00", "١٢:00", "²:00"]
)
def test_a_bad_time_is_refused(raw: str) -> None:
    with pytest.raises(DomainError) as caught:
        sch.parse_clock(raw, field="start")
    assert caught.value.code is ErrorCode.SCHEDULE_TIME_INVALID


def test_times_read_and_print_as_hours_and_minutes() -> None:
    assert (hm("9:05"), hm("24:00"), sch.clock(hm("07:30"))) == (545, 1440, "07:30")


def test_names_are_checked_and_the_opposite_is_prefixed() -> None:
    assert sch.name("  Horaire du magasin ") == "Horaire du magasin"
    assert sch.opposite_name("Horaire du magasin") == "non-horaire du magasin"
    assert len(sch.opposite_name("x" * 40)) == 40
    for bad in ("", "   ", "x" * 41, " " + "x" * 40, "tab\x07"):
        with pytest.raises(DomainError) as caught:
            sch.name(bad)
        assert caught.value.code is ErrorCode.SCHEDULE_NAME_INVALID


def test_holidays_are_checked() -> None:
    with pytest.raises(DomainError) as caught:
        sch.holidays([Holiday(label="x", first=date(2026, 5, 2), last=date(2026, 5, 1))])
    assert caught.value.code is ErrorCode.SCHEDULE_HOLIDAY_INVALID
    with pytest.raises(DomainError) as caught:
        sch.holidays(
            [Holiday(label="x", first=date(2026, 1, 1), last=date(2027, 1, 1), yearly=True)]
        )
    assert caught.value.code is ErrorCode.SCHEDULE_HOLIDAY_INVALID
    with pytest.raises(DomainError) as caught:
        sch.holidays([Holiday(label="x" * 61, first=date(2026, 1, 1), last=date(2026, 1, 1))])
    assert caught.value.code is ErrorCode.SCHEDULE_HOLIDAY_LABEL_INVALID
    many = [Holiday(label="", first=date(2026, 1, 1), last=date(2026, 1, 1))] * 101
    with pytest.raises(DomainError) as caught:
        sch.holidays(many)
    assert caught.value.code is ErrorCode.SCHEDULE_TOO_MANY_HOLIDAYS


def test_a_fleet_has_at_most_twenty_schedules() -> None:
    sch.room_for_one_more(19)
    with pytest.raises(DomainError) as caught:
        sch.room_for_one_more(19, adding=2)
    assert caught.value.code is ErrorCode.SCHEDULE_LIMIT_REACHED


def test_every_schedule_error_speaks_french_and_english() -> None:
    error = DomainError(
        ErrorCode.SCHEDULE_RANGES_OVERLAP, first="09:00–12:00", second="11:00–13:00"
    )
    assert error.message(Language.FR) == "Les plages 09:00–12:00 et 11:00–13:00 se recouvrent."
    assert error.message(Language.EN) == "Ranges 09:00–12:00 and 11:00–13:00 overlap."
