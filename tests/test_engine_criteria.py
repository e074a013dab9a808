"""Time-based routing and selective ringing in the engine (issue 16 item 2; seeds 001 and
003), in virtual time: a line's incoming-call list, its forwardings, its do-not-disturb and a
group's routing apply only when their criteria match — a schedule of the fleet open at the
engine clock's now (Europe/Paris wall clock: boundaries, a holiday, the opposite schedule, a
daylight-saving change) and a caller filter (chosen numbers, hidden numbers, inside or
outside the VPN). The record's ``criteria`` events name the rule that decided."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from fleet.core.calls.phases import DEFAULT_NO_REPLY_TIMER
from fleet.core.criteria import CallerFilter, Criteria, CriteriaTarget, explain
from fleet.core.model import CallRecord
from fleet.core.schedules import Holiday, Schedule, TimeRange, Weekday
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind, Language, RingMode
from simulators.handsets import Behaviour
from simulators.netsim.console_texts import why
from tests.exchange import Exchange, make_exchange, n
from tests.memory import World, memory_world

OUTSIDE = "0699000001"  # a caller outside every fleet
VIP = "0699000002"  # another one, on the line's list of chosen callers
DESK = "0145678910"  # the fleet's fixed number (a colleague, too)
OWNER = "0611000002"  # world.line(1): the line whose rules have criteria
ENTRY = "0611000004"  # world.line(3): its incoming-call list's entry
COLLEAGUE = "0611000006"  # world.line(5)

WEEKDAYS = (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)
OFFICE = tuple(
    TimeRange(day=day, start=start, end=end)
    for day in WEEKDAYS
    for start, end in ((8 * 60, 12 * 60), (14 * 60, 18 * 60))
)
NEW_YEAR = Holiday(label="Jour de l'an", first=date(2026, 1, 1), last=date(2026, 1, 1), yearly=True)

MONDAY_10 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # 10:00 in Paris (winter, UTC+1)
MONDAY_20 = datetime(2026, 1, 5, 19, 0, tzinfo=UTC)  # 20:00 in Paris
NEW_YEARS_DAY_10 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)  # a Thursday, 10:00 in Paris

Make = Callable[[datetime], Exchange]


@pytest.fixture
def world() -> World:
    return memory_world()


@pytest.fixture
def office(world: World) -> Schedule:
    return world.fleets.schedule(world.fleet.id, "Bureau", OFFICE, holidays=(NEW_YEAR,))


@pytest.fixture
def closed(world: World, office: Schedule) -> Schedule:
    return world.fleets.schedule(world.fleet.id, "non-bureau", opposite_of=office)


@pytest.fixture
def make(world: World) -> Iterator[Make]:
    made: list[Exchange] = []

    def build(start: datetime) -> Exchange:
        exchange = make_exchange(world.fleets.table, world, start=start)
        for number in (OUTSIDE, VIP):
            exchange.network.add(n(number), "Client", behaviour=Behaviour(answer_after=None))
        made.append(exchange)
        return exchange

    yield build
    for exchange in made:
        exchange.settle()
        exchange.assert_clean()


def raw_decisions(record: CallRecord) -> list[dict[str, Any]]:
    return [dict(e.detail or {}) for e in record.events if e.kind is CallEventKind.CRITERIA]


def decisions(record: CallRecord) -> list[dict[str, Any]]:
    """Each rule decided, as its one criterion (#1, unnamed: the rules of these tests have
    one) decided it — the criterion that matched, or the only one tried."""
    found = []
    for decided in raw_decisions(record):
        tried = decided.pop("tried", [])
        if not decided["matched"]:
            (only,) = tried
            decided.update(only)
        assert (decided.pop("criterion"), decided.pop("name")) == (1, ""), decided
        found.append(decided)
    return found


def forwards(record: CallRecord) -> list[tuple[ForwardingKind | None, str | None]]:
    return [
        (e.forwarding_kind, e.to_number) for e in record.events if e.kind is CallEventKind.FORWARDED
    ]


def during(schedule: Schedule, callers: CallerFilter = CallerFilter.ANY) -> Criteria:
    return Criteria(schedule_id=schedule.id, callers=callers)


def selective_list(world: World, criteria: Criteria, mode: RingMode = RingMode.SIMULTANEOUS) -> int:
    line = world.line(1).id
    world.fleets.incoming_list(line, [ENTRY], mode=mode)
    world.fleets.criteria(line, CriteriaTarget.INCOMING_LIST, criteria)
    return line


# -- schedules --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(RingMode))
def test_during_its_schedule_the_list_rings_and_the_record_names_the_range(
    make: Make, world: World, office: Schedule, mode: RingMode
) -> None:
    selective_list(world, during(office), mode)
    ex = make(MONDAY_10)
    call = ex.dial(OUTSIDE, OWNER)
    ex.advance(1)
    assert ex.ringing(ENTRY) and not ex.ringing(OWNER)
    ex.hang_up(OUTSIDE)
    assert decisions(ex.record(call)) == [
        {
            "target": "incoming_list",
            "matched": True,
            "rule": "schedule",
            "schedule": "Bureau",
            "at": "10:00",
            "range": "08:00–12:00",
        }
    ]


def test_outside_its_schedule_the_list_does_not_ring_the_line_does(
    make: Make, world: World, office: Schedule
) -> None:
    selective_list(world, during(office))
    ex = make(MONDAY_20)
    call = ex.dial(OUTSIDE, OWNER)
    ex.advance(1)
    assert ex.ringing(OWNER) and not ex.ringing(ENTRY)
    ex.hang_up(OUTSIDE)
    (decided,) = decisions(ex.record(call))
    assert (decided["matched"], decided["schedule"], decided["range"], decided["at"]) == (
        False,
        "Bureau",
        None,
        "20:00",
    )


@pytest.mark.parametrize(
    ("start", "list_rings"),
    [
        (datetime(2026, 1, 5, 10, 59, 59, tzinfo=UTC), True),  # 11:59:59 in Paris
        (datetime(2026, 1, 5, 11, 0, 0, tzinfo=UTC), False),  # 12:00: the lunch break
        (datetime(2026, 1, 5, 12, 59, 59, tzinfo=UTC), False),  # 13:59:59
        (datetime(2026, 1, 5, 13, 0, 0, tzinfo=UTC), True),  # 14:00: open again
        (datetime(2026, 1, 5, 6, 59, 59, tzinfo=UTC), False),  # 07:59:59
        (datetime(2026, 1, 5, 7, 0, 0, tzinfo=UTC), True),  # 08:00
    ],
)
def test_a_schedule_opens_at_the_start_of_a_range_and_closes_at_its_end(
    make: Make, world: World, office: Schedule, start: datetime, list_rings: bool
) -> None:
    selective_list(world, during(office))
    ex = make(start)
    ex.dial(OUTSIDE, OWNER)
    ex.advance(1)
    assert (ex.ringing(ENTRY), ex.ringing(OWNER)) == (list_rings, not list_rings)
    ex.hang_up(OUTSIDE)


def test_on_a_holiday_the_schedule_is_closed_and_the_record_names_the_holiday(
    make: Make, world: World, office: Schedule
) -> None:
    selective_list(world, during(office))
    ex = make(NEW_YEARS_DAY_10)
    call = ex.dial(OUTSIDE, OWNER)
    ex.advance(1)
    assert ex.ringing(OWNER) and not ex.ringing(ENTRY)
    ex.hang_up(OUTSIDE)
    (decided,) = decisions(ex.record(call))
    assert (decided["matched"], decided["holiday"]) == (False, "Jour de l'an")


@pytest.mark.parametrize(("start", "forwarded"), [(MONDAY_20, True), (MONDAY_10, False)])
def test_unconditional_forwarding_outside_office_hours_uses_the_opposite_schedule(
    make: Make, world: World, closed: Schedule, start: datetime, forwarded: bool
) -> None:
    line = world.line(1).id
    world.fleets.forward(line, ForwardingKind.UNCONDITIONAL, DESK)
    world.fleets.criteria(line, CriteriaTarget.UNCONDITIONAL, during(closed))
    ex = make(start)
    call = ex.dial(OUTSIDE, OWNER)
    ex.advance(1)
    assert (ex.ringing(DESK), ex.ringing(OWNER)) == (forwarded, not forwarded)
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    assert bool(forwards(record)) is forwarded
    (decided,) = decisions(record)
    assert (decided["target"], decided["schedule"], decided["matched"]) == (
        "forwarding_unconditional",
        "non-bureau",
        forwarded,
    )


def test_on_a_holiday_the_opposite_schedule_is_open(
    make: Make, world: World, closed: Schedule
) -> None:
    line = world.line(1).id
    world.fleets.forward(line, ForwardingKind.UNCONDITIONAL, DESK)
    world.fleets.criteria(line, CriteriaTarget.UNCONDITIONAL, during(closed))
    ex = make(NEW_YEARS_DAY_10)
    ex.dial(OUTSIDE, OWNER)
    ex.advance(1)
    assert ex.ringing(DESK) and not ex.ringing(OWNER)
    ex.hang_up(OUTSIDE)


@pytest.mark.parametrize(
    ("start", "list_rings"),
    [
        # 06:30 UTC is 07:30 in Paris in winter (closed) and 08:30 in summer (open)
        (datetime(2026, 3, 23, 6, 30, tzinfo=UTC), False),  # Monday before the change
        (datetime(2026, 3, 30, 6, 30, tzinfo=UTC), True),  # Monday after (29 March)
        (datetime(2026, 10, 26, 6, 30, tzinfo=UTC), False),  # back to winter (25 October)
        (datetime(2026, 10, 26, 7, 0, tzinfo=UTC), True),  # 08:00 in winter
    ],
)
def test_schedules_follow_the_fleets_wall_clock_across_daylight_saving_changes(
    make: Make, world: World, office: Schedule, start: datetime, list_rings: bool
) -> None:
    selective_list(world, during(office))
    ex = make(start)
    ex.dial(OUTSIDE, OWNER)
    ex.advance(1)
    assert ex.ringing(ENTRY) is list_rings
    ex.hang_up(OUTSIDE)


def test_a_call_is_decided_when_it_arrives_and_the_next_call_sees_the_schedule_close(
    make: Make, world: World, office: Schedule
) -> None:
    selective_list(world, during(office))
    ex = make(datetime(2026, 1, 5, 10, 59, 50, tzinfo=UTC))  # 11:59:50 in Paris
    ex.dial(OUTSIDE, OWNER)
    ex.advance(1)
    assert ex.ringing(ENTRY)
    ex.advance(15)  # past noon: the call in progress goes on ringing the list
    assert ex.ringing(ENTRY)
    ex.hang_up(OUTSIDE)
    ex.dial(VIP, OWNER)
    ex.advance(1)
    assert ex.ringing(OWNER) and not ex.ringing(ENTRY)
    ex.hang_up(VIP)


# -- callers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("caller", "listed"), [(VIP, True), (OUTSIDE, False)])
def test_a_list_for_chosen_numbers_rings_only_for_them(
    make: Make, world: World, caller: str, listed: bool
) -> None:
    chosen = Criteria(callers=CallerFilter.NUMBERS, numbers=(n(VIP),))
    selective_list(world, chosen)
    ex = make(MONDAY_10)
    call = ex.dial(caller, OWNER)
    ex.advance(1)
    assert (ex.ringing(ENTRY), ex.ringing(OWNER)) == (listed, not listed)
    ex.hang_up(caller)
    (decided,) = decisions(ex.record(call))
    assert (decided["rule"], decided["callers"], decided["matched"]) == (
        "callers",
        "numbers",
        listed,
    )


def test_schedule_and_numbers_together_seed_001s_selective_ring(
    make: Make, world: World, office: Schedule
) -> None:
    """Seed 001: the chosen number, during the schedule, rings the list; the same number
    outside it reaches the line itself; another number during it too."""
    both = Criteria(schedule_id=office.id, callers=CallerFilter.NUMBERS, numbers=(n(VIP),))
    selective_list(world, both)
    ex = make(MONDAY_10)
    ex.dial(VIP, OWNER)
    ex.advance(1)
    assert ex.ringing(ENTRY)
    ex.hang_up(VIP)
    ex.dial(OUTSIDE, OWNER)
    ex.advance(1)
    assert ex.ringing(OWNER) and not ex.ringing(ENTRY)
    ex.hang_up(OUTSIDE)
    evening = make(MONDAY_20)
    call = evening.dial(VIP, OWNER)
    evening.advance(1)
    assert evening.ringing(OWNER) and not evening.ringing(ENTRY)
    evening.hang_up(VIP)
    (decided,) = decisions(evening.record(call))
    assert (decided["rule"], decided["matched"]) == ("schedule", False)


@pytest.mark.parametrize(
    ("caller", "dialled", "hidden"),
    [
        (None, OWNER, True),  # no number at all
        (COLLEAGUE, "#31#" + OWNER, True),  # withheld for this call
        (COLLEAGUE, OWNER, False),
        (OUTSIDE, OWNER, False),
    ],
)
def test_busy_forwarding_for_hidden_numbers_only(
    make: Make, world: World, caller: str | None, dialled: str, hidden: bool
) -> None:
    line = world.line(1).id
    world.fleets.forward(line, ForwardingKind.BUSY, DESK)
    world.fleets.criteria(line, CriteriaTarget.BUSY, Criteria(callers=CallerFilter.HIDDEN))
    ex = make(MONDAY_10)
    ex.behave(OWNER, already_busy=True)
    call = ex.dial(caller, dialled)
    ex.advance(2)
    assert ex.ringing(DESK) is hidden
    ex.advance(70)  # the desk never answers: the network's ring limit ends the call
    record = ex.record(call)
    if hidden:
        assert forwards(record) == [(ForwardingKind.BUSY, n(DESK).value)]
    else:
        assert record.outcome is CallOutcome.BUSY and not forwards(record)
    assert [d["matched"] for d in decisions(record)] == [hidden]


@pytest.mark.parametrize(
    ("callers", "caller", "list_rings"),
    [
        (CallerFilter.INSIDE_VPN, COLLEAGUE, True),
        (CallerFilter.INSIDE_VPN, DESK, True),  # the fleet's fixed number is a colleague
        (CallerFilter.INSIDE_VPN, OUTSIDE, False),
        (CallerFilter.INSIDE_VPN, "0622000001", False),  # another fleet's line
        (CallerFilter.OUTSIDE_VPN, OUTSIDE, True),
        (CallerFilter.OUTSIDE_VPN, "0622000001", True),
        (CallerFilter.OUTSIDE_VPN, COLLEAGUE, False),
    ],
)
def test_a_list_for_callers_inside_or_outside_the_vpn(
    make: Make, world: World, callers: CallerFilter, caller: str, list_rings: bool
) -> None:
    selective_list(world, Criteria(callers=callers))
    ex = make(MONDAY_10)
    ex.dial(caller, OWNER)
    ex.advance(1)
    assert (ex.ringing(ENTRY), ex.ringing(OWNER)) == (list_rings, not list_rings)
    ex.hang_up(caller)


# -- forwardings that ring, do-not-disturb, groups --------------------------------------------


def test_no_reply_forwarding_outside_its_schedule_lets_the_line_ring_to_the_network_limit(
    make: Make, world: World, office: Schedule
) -> None:
    line = world.line(1).id
    world.fleets.forward(line, ForwardingKind.NO_REPLY, DESK)
    world.fleets.criteria(line, CriteriaTarget.NO_REPLY, during(office))
    ex = make(MONDAY_20)
    call = ex.dial(OUTSIDE, OWNER)
    ex.advance(DEFAULT_NO_REPLY_TIMER + 5)
    assert ex.ringing(OWNER) and not ex.ringing(DESK)
    ex.advance(60)
    record = ex.record(call)
    assert record.outcome is CallOutcome.NO_ANSWER and not forwards(record)
    assert [d["matched"] for d in decisions(record)] == [False]  # decided once


def test_no_reply_forwarding_during_its_schedule_forwards_after_the_timer(
    make: Make, world: World, office: Schedule
) -> None:
    line = world.line(1).id
    world.fleets.forward(line, ForwardingKind.NO_REPLY, DESK)
    world.fleets.criteria(line, CriteriaTarget.NO_REPLY, during(office))
    ex = make(MONDAY_10)
    call = ex.dial(OUTSIDE, OWNER)
    ex.advance(DEFAULT_NO_REPLY_TIMER + 2)
    assert ex.ringing(DESK) and not ex.ringing(OWNER)
    ex.hang_up(OUTSIDE)
    assert forwards(ex.record(call)) == [(ForwardingKind.NO_REPLY, n(DESK).value)]


@pytest.mark.parametrize(("start", "held_off"), [(MONDAY_20, True), (MONDAY_10, False)])
def test_do_not_disturb_only_outside_office_hours(
    make: Make, world: World, closed: Schedule, start: datetime, held_off: bool
) -> None:
    line = world.line(1)
    world.fleets.update_line(line.id, dnd=True)
    world.fleets.criteria(line.id, CriteriaTarget.DND, during(closed))
    ex = make(start)
    call = ex.dial(OUTSIDE, OWNER)
    ex.advance(1)
    assert ex.ringing(OWNER) is not held_off
    if not held_off:
        ex.hang_up(OUTSIDE)
    record = ex.record(call)
    assert (record.outcome is CallOutcome.BUSY) is held_off
    dnd = [e for e in record.events if e.kind is CallEventKind.DO_NOT_DISTURB]
    assert len(dnd) == int(held_off)
    assert [(d["target"], d["matched"]) for d in decisions(record)] == [("dnd", held_off)]


@pytest.mark.parametrize(("start", "hunted"), [(MONDAY_10, True), (MONDAY_20, False)])
def test_outside_its_schedule_a_group_applies_its_no_answer_rule_at_once(
    make: Make, world: World, office: Schedule, start: datetime, hunted: bool
) -> None:
    member = world.line(5)
    group = world.fleets.add_group(
        world.fleet.id,
        number="0611000012",
        name="Accueil",
        members=[member.id],
        connected=[member.id],
        no_answer_action="forward_to_number",
        no_answer_number=DESK,
    )
    world.fleets.group_criteria(group.id, during(office))
    ex = make(start)
    call = ex.dial(OUTSIDE, "0611000012")
    ex.advance(1)
    assert (ex.ringing(COLLEAGUE), ex.ringing(DESK)) == (hunted, not hunted)
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    (decided,) = decisions(record)
    assert (decided["target"], decided["matched"]) == ("group", hunted)
    reasons = [(e.detail or {}).get("group_no_answer") for e in forwards_events(record)]
    assert reasons == ([] if hunted else ["criteria_not_met"])


def forwards_events(record: CallRecord) -> list[Any]:
    return [e for e in record.events if e.kind is CallEventKind.FORWARDED]


def test_rules_without_criteria_record_no_decision(make: Make, world: World) -> None:
    line = world.line(1).id
    world.fleets.incoming_list(line, [ENTRY])
    ex = make(MONDAY_10)
    call = ex.dial(OUTSIDE, OWNER)
    ex.advance(1)
    assert ex.ringing(ENTRY)
    ex.hang_up(OUTSIDE)
    assert decisions(ex.record(call)) == []


def test_a_deleted_schedule_never_matches(make: Make, world: World, office: Schedule) -> None:
    from fleet.core.changes import ScheduleChange

    selective_list(world, during(office))
    world.fleets.table.apply(
        ScheduleChange(fleet_id=world.fleet.id, schedule_id=office.id, before=office, after=None)
    )
    ex = make(MONDAY_10)
    call = ex.dial(OUTSIDE, OWNER)
    ex.advance(1)
    assert ex.ringing(OWNER) and not ex.ringing(ENTRY)
    ex.hang_up(OUTSIDE)
    assert decisions(ex.record(call))[0]["schedule"] is None


def test_the_console_and_the_timeline_say_which_rule_matched(
    make: Make, world: World, office: Schedule
) -> None:
    selective_list(world, during(office))
    ex = make(MONDAY_10)
    call = ex.dial(OUTSIDE, OWNER)
    ex.advance(1)
    ex.hang_up(OUTSIDE)
    (event,) = [e for e in ex.record(call).events if e.kind is CallEventKind.CRITERIA]
    english = why(event, Language.EN, party=lambda number: number or "")
    french = why(event, Language.FR, party=lambda number: number or "")
    assert english.endswith(
        "the incoming-call list applies (criterion #1: schedule « Bureau » 08:00–12:00)"
    )
    assert french.endswith(
        "la liste d'appels s'applique (critère #1 : horaire « Bureau » 08:00–12:00)"
    )
    assert explain({"target": "dnd", "matched": False, "callers": "hidden"}, english=True) == (
        "do-not-disturb does not apply (hidden numbers)"
    )
