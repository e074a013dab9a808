"""Restriction profiles in the engine (issue 16; seed 002 §2.4), in virtual time: a fleet
line's own call to a destination its profile forbids is refused with the "call restricted"
announcement and the record says why; emergency numbers always get through; a forwarding
or an incoming-call list entry its profile forbids (set before the profile was tightened)
is not followed: the call takes the next treatment, and the record notes it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fleet.core.calls.events import Announcement, ReleaseCause
from fleet.core.model import CallRecord
from fleet.core.restrictions import Destination, allows
from fleet.core.values import (
    CallEventKind,
    CallOutcome,
    ForwardingKind,
    Language,
    RestrictionProfile,
    RingMode,
)
from simulators.handsets import Behaviour, HandsetState
from simulators.netsim.console_texts import why
from tests.exchange import Exchange, make_exchange, n
from tests.memory import MemoryFleets, World, memory_world
from tests.test_engine_originating import Bench, bench

__all__ = ["bench"]  # the originating visit's bench, shared with its tests

CALLER = "0611000001"  # Salarié 1, short number 2001
COLLEAGUE = "0611000002"  # Salarié 2, short number 2002
OUTSIDE_MOBILE = "0699000001"
OUTSIDE_FIXED = "0146000000"

# one destination of each class, as a line dials it
DIALLED = {
    Destination.EMERGENCY: "112",
    Destination.FREE: "0800123456",
    Destination.VPN: "2002",
    Destination.NATIONAL: OUTSIDE_FIXED,
    Destination.SHARED_COST: "0810123456",
    Destination.MOBILE: OUTSIDE_MOBILE,
    Destination.OVERSEAS: "+262262123456",
    Destination.PREMIUM: "0899123456",
    Destination.INTERNATIONAL: "+442071234567",
}


@pytest.fixture
def world() -> World:
    return memory_world()


@pytest.fixture
def fleets(world: World) -> MemoryFleets:
    return world.fleets


@pytest.fixture
def ex(world: World) -> Iterator[Exchange]:
    exchange = make_exchange(world.fleets.table, world)
    for number in (OUTSIDE_MOBILE, OUTSIDE_FIXED):
        exchange.network.add(n(number), number, behaviour=Behaviour(answer_after=None))
    yield exchange
    exchange.settle()
    exchange.assert_clean()


def restricted(record: CallRecord) -> list[tuple[str | None, object, object]]:
    """What the record says the profile refused: (number, profile, destination class)."""
    return [
        (e.to_number, (e.detail or {}).get("restriction"), (e.detail or {}).get("destination"))
        for e in record.events
        if e.kind is CallEventKind.RESTRICTED
    ]


def profile(fleets: MemoryFleets, world: World, line: int, value: RestrictionProfile) -> None:
    fleets.update_line(world.line(line).id, restriction_profile=value)


@pytest.mark.parametrize("destination", list(DIALLED), ids=str)
@pytest.mark.parametrize("value", list(RestrictionProfile), ids=str)
def test_a_lines_call_goes_on_or_is_refused_as_its_profile_says(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
    value: RestrictionProfile,
    destination: Destination,
) -> None:
    profile(fleets, world, 0, value)
    call = ex.dial(CALLER, DIALLED[destination])
    ex.advance(1)
    record = ex.record(call) if not ex.engine.active_calls else None
    if allows(value, destination):
        assert record is None or not restricted(record)
        assert all(a is not Announcement.CALL_RESTRICTED for _, a in ex.network.played)
        return
    assert record is not None, "refused at once"
    assert (record.outcome, record.cause) == (CallOutcome.REJECTED, ReleaseCause.NOT_ALLOWED.value)
    assert [(p, d) for _, p, d in restricted(record)] == [(value.value, destination.value)]
    texts = [line.text for line in ex.network.timeline]
    heard = texts.index("Salarié 1 hears 'call_restricted'")
    assert texts[heard + 1] == "Salarié 1 is released (not_allowed)", "heard, then released"


def test_an_emergency_number_gets_through_the_most_restricted_profile(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    profile(fleets, world, 0, RestrictionProfile.EMERGENCY)
    for dialled in ("112", "15", "17", "18", "114"):
        record = ex.record(ex.dial(CALLER, dialled))
        assert not restricted(record), dialled
        assert record.cause != ReleaseCause.NOT_ALLOWED.value


def test_a_restricted_line_still_receives_calls_and_others_are_not_restricted(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    profile(fleets, world, 1, RestrictionProfile.EMERGENCY)
    call = ex.dial(OUTSIDE_MOBILE, COLLEAGUE)  # to the restricted line: it rings
    assert ex.ringing(COLLEAGUE)
    ex.hang_up(OUTSIDE_MOBILE)
    assert not restricted(ex.record(call))
    other = ex.dial(CALLER, "+442071234567")  # another line of the fleet: unrestricted
    ex.advance(1)
    assert not any(a is Announcement.CALL_RESTRICTED for _, a in ex.network.played)
    ex.settle()
    assert not restricted(ex.record(other))


def test_a_forbidden_unconditional_forwarding_is_not_followed_the_line_rings(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    line = world.line(1)
    fleets.forward(line.id, ForwardingKind.UNCONDITIONAL, OUTSIDE_MOBILE)
    profile(fleets, world, 1, RestrictionProfile.NATIONAL)  # tightened afterwards
    call = ex.dial(CALLER, COLLEAGUE)
    assert ex.ringing(COLLEAGUE) and not ex.ringing(OUTSIDE_MOBILE)
    ex.hang_up(CALLER)
    record = ex.record(call)
    assert restricted(record) == [("+33699000001", "national", "mobile")]
    (event,) = [e for e in record.events if e.kind is CallEventKind.RESTRICTED]
    assert event.forwarding_kind is ForwardingKind.UNCONDITIONAL
    assert not [e for e in record.events if e.kind is CallEventKind.FORWARDED]
    party = str
    assert why(event, Language.EN, party=party) == (
        "+33699000001 not allowed by the restriction profile (national, mobile): "
        "unconditional forwarding not followed"
    )
    assert "renvoi immédiat non suivi" in why(event, Language.FR, party=party)


def test_an_allowed_forwarding_is_followed_under_a_profile(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.forward(world.line(1).id, ForwardingKind.UNCONDITIONAL, OUTSIDE_FIXED)
    profile(fleets, world, 1, RestrictionProfile.NATIONAL)
    call = ex.dial(CALLER, COLLEAGUE)
    assert ex.ringing(OUTSIDE_FIXED) and not ex.ringing(COLLEAGUE)
    ex.hang_up(CALLER)
    assert not restricted(ex.record(call))


def test_a_forbidden_busy_forwarding_gives_the_caller_busy(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.forward(world.line(1).id, ForwardingKind.BUSY, OUTSIDE_MOBILE)
    profile(fleets, world, 1, RestrictionProfile.VPN)
    ex.behave(COLLEAGUE, already_busy=True)
    call = ex.dial(CALLER, COLLEAGUE)
    ex.advance(2)
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.BUSY, ReleaseCause.BUSY.value)
    assert restricted(record) == [("+33699000001", "vpn", "mobile")]
    assert not ex.ringing(OUTSIDE_MOBILE)


def test_a_forbidden_no_reply_forwarding_lets_the_line_ring_to_the_ring_limit(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.forward(world.line(1).id, ForwardingKind.NO_REPLY, OUTSIDE_MOBILE, no_reply_timer=10)
    profile(fleets, world, 1, RestrictionProfile.NATIONAL_SHARED_COST)
    call = ex.dial(CALLER, COLLEAGUE)
    ex.advance(15)
    assert ex.ringing(COLLEAGUE), "no no-reply timer: the line rings on"
    ex.advance(60)
    record = ex.record(call)
    assert record.outcome is CallOutcome.NO_ANSWER
    assert restricted(record) == [("+33699000001", "national_shared_cost", "mobile")]
    assert not ex.ringing(OUTSIDE_MOBILE)


def test_a_forbidden_not_reachable_forwarding_leaves_the_call_unreachable(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.forward(world.line(1).id, ForwardingKind.NOT_REACHABLE, OUTSIDE_MOBILE)
    profile(fleets, world, 1, RestrictionProfile.EMERGENCY)
    ex.switch(COLLEAGUE, HandsetState.OFF)
    call = ex.dial(CALLER, COLLEAGUE)
    ex.advance(12)
    record = ex.record(call)
    assert record.outcome is CallOutcome.UNREACHABLE
    assert restricted(record) == [("+33699000001", "emergency", "mobile")]


def test_an_incoming_list_rings_only_the_entries_the_owners_profile_allows(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    owner = world.line(1)
    fleets.incoming_list(owner.id, ["0611000003", "0145678910"], mode=RingMode.SIMULTANEOUS)
    profile(fleets, world, 1, RestrictionProfile.EMERGENCY)  # not even the fleet's numbers
    call = ex.dial(OUTSIDE_MOBILE, COLLEAGUE)
    ex.advance(1)
    assert not ex.ringing("0611000003") and not ex.ringing("0145678910")
    ex.settle()
    record = ex.record(call)
    assert [to for to, _, _ in restricted(record)] == ["+33611000003", "+33145678910"]
    assert not [e for e in record.events if e.kind is CallEventKind.LIST_RING]


def test_the_originating_visit_refuses_a_forbidden_call_with_the_announcement(
    bench: Bench,
) -> None:
    line = bench.world.lines[0]
    bench.world.fleets.update_line(line.id, restriction_profile=RestrictionProfile.FRANCE)
    bench.call("#31#00442071234567")
    assert bench.wire.legs == [], "nothing goes on"
    assert bench.wire.released == [("a", ReleaseCause.NOT_ALLOWED)]
    assert bench.wire.announced == [("a", Announcement.CALL_RESTRICTED)]
    (record,) = bench.records.items
    assert record.outcome is CallOutcome.REJECTED
    assert restricted(record) == [("00442071234567", "france", "international")]
    bench.call("0612345678")  # a mobile: allowed
    assert [leg.number.value for leg in bench.wire.legs] == ["+33612345678"]
