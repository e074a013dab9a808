"""Call barring on the legs a call sets up besides its own (TS 22.088; issue 16 item 5), in
virtual time: a line barring incoming calls (BAIC, 35) is not rung as a call group's member
or an incoming-call list's entry — skipped like a member in do-not-disturb, the record and
the console's "why" say so, the activity monitor shows it; a line's outgoing barring (BAOC
33, BOIC 331, BOIC-exHC 332) bars its own forwardings (an outgoing leg of the line: not
followed, the call takes the next treatment) and its list's entries outside the fleet."""

from __future__ import annotations

import pytest

from callgroups.activity import EngineActivity
from fleet.core import barring
from fleet.core.activity import MemberState
from fleet.core.barring import Barring
from fleet.core.calls.events import Announcement, ReleaseCause
from fleet.core.model import CallEvent, CallRecord
from fleet.core.numbering import NumberPolicy
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind, Language, RingMode
from fleet.exchange.scenarios import play_scenario
from simulators.handsets import Behaviour, HandsetState
from simulators.netsim.console_texts import why
from simulators.scenario import find, load, parse
from tests.engine_fixtures import GROUP, OUTSIDE, ex, fleets, group_of, world
from tests.exchange import Exchange, n
from tests.memory import MemoryFleets, World, demo_fleets

__all__ = ["ex", "fleets", "world"]

ELSEWHERE = "0146000000"  # a national fixed number outside every fleet
ABROAD = "+442071234567"


def mobile(i: int) -> str:
    """The number of the world's line ``i``."""
    return f"06110000{i + 1:02d}"


def bar(fleets: MemoryFleets, world: World, line: int, *programs: Barring) -> None:
    fields = {barring.SETTINGS[p].name: True for p in programs}
    fleets.update_line(world.line(line).id, **fields)


def refusals(record: CallRecord) -> list[CallEvent]:
    return [e for e in record.events if e.kind is CallEventKind.RESTRICTED]


def reachable(ex: Exchange, *numbers: str) -> None:
    """Handsets outside the fleets that ring without answering."""
    for number in numbers:
        ex.network.add(n(number), number, behaviour=Behaviour(answer_after=None))


# -- BAIC on a group's members and a list's entries ---------------------------------------------


def test_a_group_skips_a_member_barring_incoming_calls_and_the_record_says_why(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    group_of(fleets, world, [0, 1, 2])
    bar(fleets, world, 0, Barring.BAIC)
    call = ex.dial(OUTSIDE, GROUP)
    ex.advance(1)
    assert ex.ringing(mobile(1)) and not ex.ringing(mobile(0))
    ex.advance(10)  # the next step: still not the barred member
    assert ex.ringing(mobile(2)) and not ex.ringing(mobile(0))
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    assert record.outcome is CallOutcome.ABANDONED
    (event,) = refusals(record)
    assert (event.to_number, event.member_line_id, event.detail) == (
        "+33611000001",
        world.line(0).id,
        {"barring": "35", "skipped": True},
    )
    offered = [e.to_number for e in record.events if e.kind is CallEventKind.GROUP_OFFERED]
    assert "+33611000001" not in offered
    assert why(event, Language.EN, party=str) == "+33611000001: call barring 35 — not rung"
    assert why(event, Language.FR, party=str) == (
        "+33611000001 : restriction d'appels 35 — ne sonne pas"
    )
    assert not [a for _, a in ex.network.played if a is Announcement.CALL_BARRED]


def test_a_group_whose_connected_members_all_bar_incoming_calls_applies_its_no_answer_rule(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    group_of(fleets, world, [0, 1])
    bar(fleets, world, 0, Barring.BAIC)
    bar(fleets, world, 1, Barring.BAIC)
    call = ex.dial(OUTSIDE, GROUP)
    ex.advance(2)
    assert not ex.ringing(mobile(0)) and not ex.ringing(mobile(1))
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.NO_ANSWER, ReleaseCause.NO_ANSWER.value)
    assert CallEventKind.QUEUED not in [e.kind for e in record.events]
    assert [e.to_number for e in refusals(record)] == ["+33611000001", "+33611000002"]


def test_the_activity_monitor_shows_a_member_barring_incoming_calls(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    group_of(fleets, world, [0, 1, 2])
    bar(fleets, world, 1, Barring.BAIC)
    fleets.update_line(world.line(2).id, dnd=True)
    live = EngineActivity(engine=ex.engine, hunter=ex.groups, directory=fleets.table)
    (group,) = live.groups(world.fleet.id)
    assert [m.state for m in group.members] == [
        MemberState.AVAILABLE,
        MemberState.BARRED,
        MemberState.DO_NOT_DISTURB,
    ]
    fleets.update_line(world.line(1).id, barring_all_incoming=False)  # lifted: rung again
    call = ex.dial(OUTSIDE, GROUP)
    ex.advance(11)
    assert ex.ringing(mobile(1))
    ex.hang_up(OUTSIDE)
    assert refusals(ex.record(call)) == []


def test_a_list_in_cascade_passes_over_an_entry_barring_incoming_calls(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.incoming_list(world.line(1).id, [mobile(2), mobile(5)], mode=RingMode.CASCADE)
    bar(fleets, world, 2, Barring.BAIC)
    call = ex.dial(OUTSIDE, mobile(1))
    ex.advance(1)
    assert ex.ringing(mobile(5)) and not ex.ringing(mobile(2))
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    assert record.outcome is CallOutcome.ABANDONED
    (event,) = refusals(record)
    assert (event.to_number, event.detail) == ("+33611000003", {"barring": "35", "skipped": True})


def test_a_simultaneous_list_whose_entries_all_bar_incoming_calls_takes_the_no_reply_treatment(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    reachable(ex, ELSEWHERE)
    owner = world.line(1)
    fleets.incoming_list(owner.id, [mobile(2), mobile(5)], mode=RingMode.SIMULTANEOUS)
    fleets.forward(owner.id, ForwardingKind.NO_REPLY, ELSEWHERE, no_reply_timer=10)
    bar(fleets, world, 2, Barring.BAIC)
    bar(fleets, world, 5, Barring.BAIC)
    call = ex.dial(OUTSIDE, mobile(1))
    ex.advance(1)
    assert ex.ringing(ELSEWHERE), "no entry to ring: the owner's no-reply forwarding at once"
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    assert [e.to_number for e in refusals(record)] == ["+33611000003", "+33611000006"]
    forwarded = [e for e in record.events if e.kind is CallEventKind.FORWARDED]
    assert [e.forwarding_kind for e in forwarded] == [ForwardingKind.NO_REPLY]


# -- BAOC / BOIC on the line's own forwardings ---------------------------------------------------


def test_baoc_activated_after_a_forwarding_was_set_stops_it_the_line_rings(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    reachable(ex, ELSEWHERE)
    fleets.forward(world.line(1).id, ForwardingKind.UNCONDITIONAL, ELSEWHERE)
    bar(fleets, world, 1, Barring.BAOC)
    call = ex.dial(OUTSIDE, mobile(1))
    assert ex.ringing(mobile(1)) and not ex.ringing(ELSEWHERE)
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    (event,) = refusals(record)
    assert event.forwarding_kind is ForwardingKind.UNCONDITIONAL
    assert (event.from_number, event.to_number) == ("+33611000002", "+33146000000")
    assert event.detail == {"barring": "33", "destination": "national"}
    assert not [e for e in record.events if e.kind is CallEventKind.FORWARDED]
    assert why(event, Language.EN, party=str) == (
        "+33146000000: call barring 33: unconditional forwarding not followed"
    )
    assert "renvoi immédiat non suivi" in why(event, Language.FR, party=str)
    assert not [a for _, a in ex.network.played if a is Announcement.CALL_BARRED]


def test_baoc_bars_a_forwarding_to_a_colleague_too(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.forward(world.line(1).id, ForwardingKind.BUSY, mobile(3))
    bar(fleets, world, 1, Barring.BAOC)
    ex.behave(mobile(1), already_busy=True)
    call = ex.dial(OUTSIDE, mobile(1))
    ex.advance(2)
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.BUSY, ReleaseCause.BUSY.value)
    assert [(e.to_number, e.detail) for e in refusals(record)] == [
        ("+33611000004", {"barring": "33", "destination": "vpn"})
    ]
    assert not ex.ringing(mobile(3))


@pytest.mark.parametrize("program", [Barring.BOIC, Barring.BOIC_EXHC])
def test_an_international_barring_stops_a_forwarding_abroad_but_not_one_at_home(
    ex: Exchange, fleets: MemoryFleets, world: World, program: Barring
) -> None:
    reachable(ex, ELSEWHERE)
    owner = world.line(1)
    fleets.forward(owner.id, ForwardingKind.NOT_REACHABLE, ABROAD)
    fleets.forward(owner.id, ForwardingKind.NO_REPLY, ELSEWHERE, no_reply_timer=10)
    bar(fleets, world, 1, program)
    ex.switch(mobile(1), HandsetState.OFF)
    call = ex.dial(OUTSIDE, mobile(1))
    ex.advance(12)
    record = ex.record(call)
    assert record.outcome is CallOutcome.UNREACHABLE
    assert [(e.forwarding_kind, e.detail) for e in refusals(record)] == [
        (ForwardingKind.NOT_REACHABLE, {"barring": program.value, "destination": "international"})
    ]
    ex.switch(mobile(1), HandsetState.ON)
    other = ex.dial(OUTSIDE, mobile(1))
    ex.advance(11)
    assert ex.ringing(ELSEWHERE), "a national forwarding is followed"
    ex.hang_up(OUTSIDE)
    assert refusals(ex.record(other)) == []


def test_baoc_lets_the_line_ring_to_the_ring_limit_instead_of_its_no_reply_forwarding(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    reachable(ex, ELSEWHERE)
    fleets.forward(world.line(1).id, ForwardingKind.NO_REPLY, ELSEWHERE, no_reply_timer=10)
    bar(fleets, world, 1, Barring.BAOC)
    call = ex.dial(OUTSIDE, mobile(1))
    ex.advance(15)
    assert ex.ringing(mobile(1)), "no no-reply timer: the line rings on"
    ex.advance(60)
    record = ex.record(call)
    assert record.outcome is CallOutcome.NO_ANSWER
    assert [e.detail for e in refusals(record)] == [{"barring": "33", "destination": "national"}]
    assert not ex.ringing(ELSEWHERE)


def test_baoc_of_a_lists_owner_bars_its_entries_outside_the_fleet_only(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    reachable(ex, ELSEWHERE)
    owner = world.line(1)
    fleets.incoming_list(owner.id, [ELSEWHERE, mobile(2), "0145678910"])
    bar(fleets, world, 1, Barring.BAOC)
    call = ex.dial(OUTSIDE, mobile(1))
    ex.advance(1)
    assert ex.ringing(mobile(2)) and not ex.ringing(ELSEWHERE)
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    assert [(e.to_number, e.detail) for e in refusals(record)] == [
        ("+33146000000", {"barring": "33", "destination": "national"})
    ]
    rung = [e.to_number for e in record.events if e.kind is CallEventKind.LIST_RING]
    assert rung == ["+33611000003", "+33145678910"], "the fleet's line and fixed number"


def test_the_simulators_timeline_says_why_a_barred_entry_and_forwarding_are_passed_over() -> None:
    scenario = load(find("cascade"))  # Madame B's list: desk, mobile, then the assistant
    barred = parse(
        {
            "name": "cascade, the assistant barring incoming calls",
            "handsets": {"06 11 00 00 06": {"answer_after": 5}},
            "setup": {
                "06 11 00 00 06": {"barring_all_incoming": True},
                "06 11 00 00 02": {"barring_all_outgoing": True, "no_reply": "01 46 00 00 00"},
            },
            "steps": [
                {"at": 0, "dial": {"from": "06 11 00 00 01", "to": "06 11 00 00 02"}},
                {"at": 120, "hang_up": "06 11 00 00 01"},
            ],
        },
        policy=NumberPolicy(),
    )
    assert scenario.steps == barred.steps
    result = play_scenario(barred, demo_fleets().table, policy=NumberPolicy())
    whys = [text.strip() for _, text in result.timeline if "why:" in text]
    assert "why: 06 11 00 00 06: call barring 35, not rung" in whys
    assert "why: 01 46 00 00 00: call barring 33, forwarding (no_reply) not followed" in whys
    (record,) = result.records
    assert record.outcome is CallOutcome.NO_ANSWER, "the assistant never rang"
