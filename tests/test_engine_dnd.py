"""Do-not-disturb in the engine (issue 16; seeds 000 and 001), in virtual time: a line in DND
does not ring, its callers get the busy treatment (busy forwarding when active, else busy),
colleagues of the fleet get through when the line exempts them, a group skips a member in
DND, an incoming-call list does not ring an entry in DND; the record says why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from fleet.core.calls.dnd import DndVerdict
from fleet.core.calls.events import ReleaseCause
from fleet.core.model import CallEvent, CallRecord
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind, Language, RingMode
from simulators.netsim.console_texts import why
from tests.engine_fixtures import OUTSIDE, ex, fleets, world
from tests.exchange import Exchange
from tests.memory import MemoryFleets, World

__all__ = ["ex", "fleets", "world"]

DESK = "0145678910"  # the fleet's fixed number (a colleague, too)


def mobile(i: int) -> str:
    return f"06110000{i + 1:02d}"


def verdicts(record: CallRecord) -> list[tuple[str | None, Any]]:
    """The DND decisions the record notes: (the line, the verdict)."""
    return [
        (e.to_number, (e.detail or {}).get("dnd"))
        for e in record.events
        if e.kind is CallEventKind.DO_NOT_DISTURB
    ]


def forwards(record: CallRecord) -> list[tuple[ForwardingKind | None, str | None]]:
    return [
        (e.forwarding_kind, e.to_number) for e in record.events if e.kind is CallEventKind.FORWARDED
    ]


def test_a_line_in_dnd_sends_its_caller_to_busy_forwarding_without_ringing(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    line = world.line(1)
    fleets.update_line(line.id, dnd=True)
    fleets.forward(line.id, ForwardingKind.BUSY, DESK)
    ex.behave(DESK, answer_after=2)
    call = ex.dial(OUTSIDE, mobile(1))
    assert not ex.ringing(mobile(1))
    ex.advance(1)
    assert ex.ringing(DESK) and not ex.ringing(mobile(1))
    ex.advance(2)
    assert ex.in_call(DESK)
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    assert record.outcome is CallOutcome.ANSWERED
    assert forwards(record) == [(ForwardingKind.BUSY, "+33145678910")]
    assert verdicts(record) == [("+33611000002", DndVerdict.BUSY.value)]
    assert [e.to_number for e in record.events if e.kind is CallEventKind.ANSWERED] == [
        "+33145678910"
    ]


def test_a_line_in_dnd_without_busy_forwarding_gives_the_caller_busy(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.update_line(world.line(1).id, dnd=True)
    fleets.forward(world.line(1).id, ForwardingKind.NO_REPLY, DESK)  # not the busy treatment
    call = ex.dial(OUTSIDE, mobile(1))
    ex.advance(2)
    assert not ex.ringing(mobile(1)) and not ex.ringing(DESK)
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.BUSY, ReleaseCause.BUSY.value)
    assert record.answered_at is None
    assert verdicts(record) == [("+33611000002", "busy")]
    assert not ex.in_call(OUTSIDE)


def test_a_line_without_pabx_option_in_dnd_gives_busy(ex: Exchange, world: World) -> None:
    world.fleets.update_line(world.plain.id, dnd=True)
    call = ex.dial(OUTSIDE, "0611000050")
    ex.advance(2)
    assert ex.record(call).outcome is CallOutcome.BUSY
    assert not ex.ringing("0611000050")


def test_an_exempt_line_rings_for_a_colleague_of_the_fleet(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    line = world.line(1)
    fleets.update_line(line.id, dnd=True, dnd_vpn_exempt=True)
    fleets.forward(line.id, ForwardingKind.BUSY, DESK)
    ex.behave(mobile(1), answer_after=2)
    call = ex.dial(mobile(5), mobile(1))
    ex.advance(1)
    assert ex.ringing(mobile(1)) and not ex.ringing(DESK)
    ex.advance(2)
    assert ex.in_call(mobile(1))
    ex.hang_up(mobile(5))
    record = ex.record(call)
    assert record.outcome is CallOutcome.ANSWERED
    assert forwards(record) == []
    assert verdicts(record) == [("+33611000002", DndVerdict.COLLEAGUE_EXEMPT.value)]


def test_the_fleets_fixed_number_is_a_colleague_too(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.update_line(world.line(1).id, dnd=True, dnd_vpn_exempt=True)
    call = ex.dial(DESK, mobile(1))
    ex.advance(1)
    assert ex.ringing(mobile(1))
    ex.hang_up(DESK)
    assert verdicts(ex.record(call)) == [("+33611000002", "colleague_exempt")]


@pytest.mark.parametrize("caller", [OUTSIDE, "0622000001"], ids=["outside", "other-fleet"])
def test_an_exempt_line_still_holds_off_callers_outside_the_fleet(
    caller: str, ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.update_line(world.line(1).id, dnd=True, dnd_vpn_exempt=True)
    if caller != OUTSIDE:
        ex.behave(caller, answer_after=None)
    call = ex.dial(caller, mobile(1))
    ex.advance(2)
    assert not ex.ringing(mobile(1))
    record = ex.record(call)
    assert record.outcome is CallOutcome.BUSY
    assert verdicts(record) == [("+33611000002", "busy")]


def test_without_the_exemption_a_colleague_gets_busy_too(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.update_line(world.line(1).id, dnd=True)
    call = ex.dial(mobile(5), mobile(1))
    ex.advance(2)
    assert not ex.ringing(mobile(1))
    assert ex.record(call).outcome is CallOutcome.BUSY


def test_unconditional_forwarding_goes_before_dnd(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    line = world.line(1)
    fleets.update_line(line.id, dnd=True)
    fleets.forward(line.id, ForwardingKind.UNCONDITIONAL, DESK)
    call = ex.dial(OUTSIDE, mobile(1))
    ex.advance(1)
    assert ex.ringing(DESK)
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    assert forwards(record) == [(ForwardingKind.UNCONDITIONAL, "+33145678910")]
    assert verdicts(record) == []


def test_dnd_switched_off_rings_again(ex: Exchange, fleets: MemoryFleets, world: World) -> None:
    fleets.update_line(world.line(1).id, dnd=True)
    first = ex.dial(OUTSIDE, mobile(1))
    ex.advance(2)
    assert ex.record(first).outcome is CallOutcome.BUSY
    fleets.update_line(world.line(1).id, dnd=False)
    second = ex.dial(OUTSIDE, mobile(1))
    ex.advance(1)
    assert ex.ringing(mobile(1))
    ex.hang_up(OUTSIDE)
    assert verdicts(ex.record(second)) == []


def test_a_list_in_cascade_passes_over_an_entry_in_dnd(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.incoming_list(world.line(1).id, [mobile(2), mobile(5)], mode=RingMode.CASCADE)
    fleets.update_line(world.line(2).id, dnd=True)
    call = ex.dial(OUTSIDE, mobile(1))
    ex.advance(1)
    assert ex.ringing(mobile(5)) and not ex.ringing(mobile(2))
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    assert record.outcome is CallOutcome.ABANDONED
    assert verdicts(record) == [("+33611000003", "busy")]


def test_the_owner_of_a_list_in_dnd_holds_off_the_whole_list(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.incoming_list(world.line(1).id, [mobile(2), mobile(5)])
    fleets.update_line(world.line(1).id, dnd=True)
    call = ex.dial(OUTSIDE, mobile(1))
    ex.advance(1)
    assert not ex.ringing(mobile(2)) and not ex.ringing(mobile(5))
    assert ex.record(call).outcome is CallOutcome.BUSY


def test_a_group_skips_a_member_in_dnd_like_a_busy_one(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    line_ids = [world.line(i).id for i in range(3)]
    fleets.add_group(
        world.fleet.id,
        number="0609182236",
        name="Taxis",
        members=line_ids,
        connected=line_ids,
        switchover_delay=10,
        intercall_delay=0,
        queue_size=2,
        max_queue_wait=60,
    )
    fleets.update_line(world.line(0).id, dnd=True, dnd_vpn_exempt=True)
    ex.behave(mobile(1), answer_after=2)
    call = ex.dial(mobile(5), "0609182236")  # a colleague: the exemption is not for groups
    ex.advance(1)
    assert ex.ringing(mobile(1)) and not ex.ringing(mobile(0))
    ex.advance(2)
    assert ex.in_call(mobile(1))
    ex.hang_up(mobile(5))
    offered = [
        e.to_number
        for e in ex.record(call).events
        if e.kind is CallEventKind.GROUP_OFFERED and e.member_line_id is not None
    ]
    assert "+33611000001" not in offered


def test_a_group_whose_connected_members_are_all_in_dnd_applies_its_no_answer_rule(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    line_ids = [world.line(i).id for i in range(2)]
    fleets.add_group(
        world.fleet.id,
        number="0609182236",
        name="Taxis",
        members=line_ids,
        connected=line_ids,
        switchover_delay=10,
        intercall_delay=0,
        queue_size=2,
        max_queue_wait=60,
    )
    for line_id in line_ids:
        fleets.update_line(line_id, dnd=True)
    call = ex.dial(OUTSIDE, "0609182236")
    ex.advance(2)
    assert not ex.ringing(mobile(0)) and not ex.ringing(mobile(1))
    record = ex.record(call)
    assert record.outcome is CallOutcome.NO_ANSWER
    assert CallEventKind.QUEUED not in [e.kind for e in record.events]
    released = [e for e in record.events if e.kind is CallEventKind.RELEASED]
    assert released and record.released_at is not None


@pytest.mark.parametrize(
    ("verdict", "french", "english"),
    [
        (DndVerdict.BUSY, "traité comme occupé", "the busy treatment"),
        (DndVerdict.COLLEAGUE_EXEMPT, "collègue exempté", "a colleague, exempt"),
    ],
)
def test_the_console_says_why_a_line_in_dnd_did_or_did_not_ring(
    verdict: DndVerdict, french: str, english: str
) -> None:
    event = CallEvent(
        seq=1,
        at=datetime(2026, 12, 3, tzinfo=UTC),
        kind=CallEventKind.DO_NOT_DISTURB,
        to_number="+33611000002",
        detail={"dnd": verdict.value},
    )
    shown = why(event, Language.FR, party=lambda number: number or "")
    assert shown.startswith("+33611000002 en « ne pas déranger »") and french in shown
    assert english in why(event, Language.EN, party=lambda number: number or "")
