"""Several criteria per rule in the engine (issue 16 item 2; seed 001 "Liste de critères /
Critère #1 / Actif / Ajouter un critère"), in virtual time: a rule applies when one of its
active criteria matches, tried from #1 on; the record's ``criteria`` event names the one
that matched (its number and name) or, when none did, each active one tried; a criterion
switched off is never tried, and a rule whose criteria are all off applies to no call."""

from __future__ import annotations

from datetime import datetime

import pytest

from fleet.core.criteria import CallerFilter, Criteria, CriteriaTarget, explain
from fleet.core.numbering import E164
from fleet.core.schedules import Schedule
from fleet.core.values import CallEventKind, ForwardingKind, Language
from simulators.netsim.console_texts import why
from tests.memory import World
from tests.test_engine_criteria import (
    COLLEAGUE,
    DESK,
    ENTRY,
    MONDAY_10,
    MONDAY_20,
    OUTSIDE,
    OWNER,
    VIP,
    Make,
    forwards,
    forwards_events,
    make,
    office,
    raw_decisions,
    world,
)

__all__ = ["make", "office", "world"]


def office_or_vip(office: Schedule) -> tuple[Criteria, ...]:
    """Seed 001's example: #1 during the shop's hours, #2 for one chosen caller."""
    return (
        Criteria(name="Bureau", schedule_id=office.id),
        Criteria(name="VIP", callers=CallerFilter.NUMBERS, numbers=(E164("+33699000002"),)),
    )


def listed(world: World, criteria: tuple[Criteria, ...]) -> None:
    line = world.line(1).id
    world.fleets.incoming_list(line, [ENTRY])
    world.fleets.criteria(line, CriteriaTarget.INCOMING_LIST, criteria)


def test_the_second_criterion_matching_rings_the_list_and_the_record_names_it(
    make: Make, world: World, office: Schedule
) -> None:
    listed(world, office_or_vip(office))
    ex = make(MONDAY_20)  # the office is closed: #1 does not match, #2 does
    call = ex.dial(VIP, OWNER)
    ex.advance(1)
    assert ex.ringing(ENTRY) and not ex.ringing(OWNER)
    ex.hang_up(VIP)
    (decided,) = raw_decisions(ex.record(call))
    assert decided == {
        "target": "incoming_list",
        "matched": True,
        "criterion": 2,
        "name": "VIP",
        "rule": "callers",
        "callers": "numbers",
    }
    assert explain(decided, english=True) == (
        "the incoming-call list applies (criterion #2 « VIP »: chosen numbers)"
    )


def test_the_first_criterion_matching_is_the_one_named(
    make: Make, world: World, office: Schedule
) -> None:
    listed(world, office_or_vip(office))
    ex = make(MONDAY_10)  # both match: #1 is tried first
    call = ex.dial(VIP, OWNER)
    ex.advance(1)
    assert ex.ringing(ENTRY)
    ex.hang_up(VIP)
    (decided,) = raw_decisions(ex.record(call))
    assert (decided["criterion"], decided["name"], decided["range"]) == (1, "Bureau", "08:00–12:00")


def test_no_criterion_matching_skips_the_rule_and_the_record_lists_each_tried(
    make: Make, world: World, office: Schedule
) -> None:
    listed(world, office_or_vip(office))
    ex = make(MONDAY_20)
    call = ex.dial(OUTSIDE, OWNER)
    ex.advance(1)
    assert ex.ringing(OWNER) and not ex.ringing(ENTRY)  # the list skipped: the line rings
    ex.hang_up(OUTSIDE)
    (decided,) = raw_decisions(ex.record(call))
    assert (decided["matched"], decided["criterion"]) == (False, None)
    assert [(t["criterion"], t["name"], t["rule"]) for t in decided["tried"]] == [
        (1, "Bureau", "schedule"),
        (2, "VIP", "callers"),
    ]
    assert explain(decided, english=False) == (
        "la liste d'appels ne s'applique pas (aucun critère ne correspond : critère #1 "
        "« Bureau » : horaire « Bureau » fermé à 20:00; critère #2 « VIP » : numéros choisis)"
    )
    (event,) = [e for e in ex.record(call).events if e.kind is CallEventKind.CRITERIA]
    assert "no criterion matches" in why(event, Language.EN, party=lambda number: number or "")


def test_a_criterion_switched_off_is_never_tried(make: Make, world: World) -> None:
    everybody = Criteria(name="Tous", active=False)  # would match any call
    vip = Criteria(callers=CallerFilter.NUMBERS, numbers=(E164("+33699000002"),))
    listed(world, (everybody, vip))
    ex = make(MONDAY_10)
    call = ex.dial(OUTSIDE, OWNER)
    ex.advance(1)
    assert ex.ringing(OWNER) and not ex.ringing(ENTRY)
    ex.hang_up(OUTSIDE)
    (decided,) = raw_decisions(ex.record(call))
    assert [t["criterion"] for t in decided["tried"]] == [2]


def test_a_rule_whose_criteria_are_all_off_applies_to_no_call(make: Make, world: World) -> None:
    listed(world, (Criteria(active=False), Criteria(callers=CallerFilter.HIDDEN, active=False)))
    ex = make(MONDAY_10)
    call = ex.dial(OUTSIDE, OWNER)
    ex.advance(1)
    assert ex.ringing(OWNER) and not ex.ringing(ENTRY)
    ex.hang_up(OUTSIDE)
    (decided,) = raw_decisions(ex.record(call))
    assert decided == {"target": "incoming_list", "matched": False, "criterion": None, "tried": []}
    assert explain(decided, english=True) == (
        "the incoming-call list does not apply (no active criterion)"
    )


@pytest.mark.parametrize(("caller", "forwarded"), [(VIP, True), (OUTSIDE, False)])
def test_unconditional_forwarding_with_two_criteria_follows_the_second(
    make: Make, world: World, office: Schedule, caller: str, forwarded: bool
) -> None:
    line = world.line(1).id
    world.fleets.forward(line, ForwardingKind.UNCONDITIONAL, DESK)
    world.fleets.criteria(line, CriteriaTarget.UNCONDITIONAL, office_or_vip(office))
    ex = make(MONDAY_20)
    call = ex.dial(caller, OWNER)
    ex.advance(1)
    assert (ex.ringing(DESK), ex.ringing(OWNER)) == (forwarded, not forwarded)
    ex.hang_up(caller)
    record = ex.record(call)
    assert bool(forwards(record)) is forwarded
    (decided,) = raw_decisions(record)
    assert decided["criterion"] == (2 if forwarded else None)


@pytest.mark.parametrize(("start", "hunted"), [(MONDAY_10, True), (MONDAY_20, False)])
def test_a_group_with_two_criteria_none_matching_applies_its_no_answer_rule(
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
    world.fleets.group_criteria(
        group.id, (Criteria(callers=CallerFilter.HIDDEN), Criteria(schedule_id=office.id))
    )
    ex = make(start)
    call = ex.dial(OUTSIDE, "0611000012")
    ex.advance(1)
    assert (ex.ringing(COLLEAGUE), ex.ringing(DESK)) == (hunted, not hunted)
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    (decided,) = raw_decisions(record)
    assert decided["criterion"] == (2 if hunted else None)
    reasons = [(e.detail or {}).get("group_no_answer") for e in forwards_events(record)]
    assert reasons == ([] if hunted else ["criteria_not_met"])
