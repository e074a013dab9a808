"""Calls to fleet lines (DESIGN §4 steps 1–6) in virtual time, records included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from fleet.core.calls.engine import Limits
from fleet.core.calls.events import Announcement, CallState, ReleaseCause
from fleet.core.values import Actor, CallEventKind, CallOutcome, ForwardingKind
from simulators.network import Behaviour, HandsetState, Misbehaviour
from tests.exchange import Exchange, make_exchange, n
from tests.world import World, build_world

OUTSIDE = "0699000001"  # a caller outside every fleet


@pytest.fixture
async def world(services, actor: Actor) -> World:  # type: ignore[no-untyped-def]
    return await build_world(services, actor)


@pytest.fixture
async def ex(services, world: World) -> AsyncIterator[Exchange]:  # type: ignore[no-untyped-def]
    exchange = await make_exchange(services, world)
    exchange.network.add(n(OUTSIDE), "Client", behaviour=Behaviour(answer_after=None))
    yield exchange
    exchange.settle()
    assert exchange.engine.active_calls == 0, "a call is still up"
    assert exchange.time.pending == 0, "a timer was left behind"
    assert exchange.engine.busy == {}, exchange.engine.busy
    await exchange.flush()
    assert exchange.errors == []


def kinds(record) -> list[CallEventKind]:  # type: ignore[no-untyped-def]
    return [e.kind for e in record.events]


def forwards(record) -> list[tuple[ForwardingKind | None, str | None]]:  # type: ignore[no-untyped-def]
    return [
        (e.forwarding_kind, e.to_number) for e in record.events if e.kind is CallEventKind.FORWARDED
    ]


async def test_line_without_pabx_option_rings_plainly_and_ignores_its_forwarding(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    line = world.line(5)
    await services.forwarding.set(actor, line.id, ForwardingKind.BUSY, destination="0145678910")
    await services.lines.update(actor, line.id, pabx_option=False)
    ex.behave("0611000006", already_busy=True)
    call = ex.dial(OUTSIDE, "0611000006")
    ex.advance(5)
    record = ex.record(call)
    assert record.outcome is CallOutcome.BUSY
    assert forwards(record) == []


async def test_unconditional_forwarding_forwards_at_once(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    await services.forwarding.set(
        actor, world.line(0).id, ForwardingKind.UNCONDITIONAL, destination="0145678910"
    )
    ex.behave("0145678910", answer_after=2)
    call = ex.dial(OUTSIDE, "0611000001")
    assert not ex.ringing("0611000001")
    ex.advance(1)
    assert ex.ringing("0145678910")
    ex.advance(2)
    assert ex.in_call("0145678910") and ex.engine.call(call).state is CallState.CONNECTED  # type: ignore[union-attr]
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    assert record.outcome is CallOutcome.ANSWERED
    assert forwards(record) == [(ForwardingKind.UNCONDITIONAL, "+33145678910")]
    assert record.answered_at == record.offered_at + timedelta(seconds=3)


async def test_unconditional_forwarding_takes_precedence_over_list_and_busy(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    line = world.line(0)
    await services.incoming.save(actor, line.id, entries=["0611000002"])
    await services.forwarding.set(actor, line.id, ForwardingKind.BUSY, destination="0611000003")
    await services.forwarding.set(
        actor, line.id, ForwardingKind.UNCONDITIONAL, destination="0145678910"
    )
    call = ex.dial(OUTSIDE, "0611000001")
    ex.advance(2)
    assert ex.ringing("0145678910") and not ex.ringing("0611000002")
    ex.hang_up(OUTSIDE)
    assert ex.record(call).outcome is CallOutcome.ABANDONED


async def test_busy_line_forwards_to_cfb_destination(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    await services.forwarding.set(
        actor, world.line(1).id, ForwardingKind.BUSY, destination="0145678910"
    )
    ex.behave("0611000002", already_busy=True)
    ex.behave("0145678910", answer_after=1)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(3)
    assert ex.in_call("0145678910")
    ex.hang_up("0145678910")
    record = ex.record(call)
    assert record.outcome is CallOutcome.ANSWERED
    assert forwards(record) == [(ForwardingKind.BUSY, "+33145678910")]


async def test_declining_a_call_counts_as_busy(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    await services.forwarding.set(
        actor, world.line(1).id, ForwardingKind.BUSY, destination="0145678910"
    )
    ex.behave("0611000002", reject_after=3)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(5)
    assert ex.ringing("0145678910")
    ex.hang_up(OUTSIDE)
    assert forwards(ex.record(call)) == [(ForwardingKind.BUSY, "+33145678910")]


async def test_busy_line_without_forwarding_releases_the_caller_with_busy(ex: Exchange) -> None:
    ex.behave("0611000002", already_busy=True)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(2)
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.BUSY, ReleaseCause.BUSY.value)
    assert not ex.in_call(OUTSIDE)


async def test_switched_off_line_forwards_to_not_reachable_destination(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    """Monsieur D's mobile is off: calls go to his desk."""
    await services.forwarding.set(
        actor, world.line(4).id, ForwardingKind.NOT_REACHABLE, destination="0145678910"
    )
    ex.switch("0611000005", HandsetState.OFF)
    call = ex.dial(OUTSIDE, "0611000005")
    ex.advance(3)
    assert ex.ringing("0145678910")
    ex.hang_up(OUTSIDE)
    assert forwards(ex.record(call)) == [(ForwardingKind.NOT_REACHABLE, "+33145678910")]


async def test_out_of_coverage_without_forwarding_is_unreachable(ex: Exchange) -> None:
    ex.switch("0611000005", HandsetState.OUT_OF_COVERAGE)
    call = ex.dial(OUTSIDE, "0611000005")
    ex.advance(3)
    assert ex.record(call).outcome is CallOutcome.UNREACHABLE


async def test_no_reply_forwarding_after_25_seconds(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    """Madame C in a meeting: after 25 s without answer, to her assistant."""
    await services.forwarding.set(
        actor,
        world.line(3).id,
        ForwardingKind.NO_REPLY,
        destination="0611000007",
        no_reply_timer=25,
    )
    call = ex.dial(OUTSIDE, "0611000004")
    ex.advance(1)  # alerting starts the timer
    ex.advance(24.9)
    assert ex.ringing("0611000004") and not ex.ringing("0611000007")
    ex.advance(0.2)
    assert not ex.ringing("0611000004")
    ex.advance(1)
    assert ex.ringing("0611000007")
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    forwarded = next(e for e in record.events if e.kind is CallEventKind.FORWARDED)
    assert forwarded.forwarding_kind is ForwardingKind.NO_REPLY
    assert forwarded.at - record.offered_at == timedelta(seconds=26)


async def test_without_forwarding_a_line_rings_until_the_network_limit(ex: Exchange) -> None:
    call = ex.dial(OUTSIDE, "0611000004")
    ex.advance(60.5)
    assert ex.ringing("0611000004")
    ex.advance(1)
    record = ex.record(call)
    assert record.outcome is CallOutcome.NO_ANSWER
    assert record.released_at - record.offered_at == timedelta(seconds=61)  # type: ignore[operator]


async def test_forwarding_chain_applies_each_lines_own_services(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    await services.forwarding.set(
        actor, world.line(0).id, ForwardingKind.UNCONDITIONAL, destination="0611000002"
    )
    await services.forwarding.set(
        actor, world.line(1).id, ForwardingKind.BUSY, destination="0611000003"
    )
    ex.behave("0611000002", already_busy=True)
    ex.behave("0611000003", answer_after=1)
    call = ex.dial(OUTSIDE, "0611000001")
    ex.advance(4)
    assert ex.in_call("0611000003")
    ex.hang_up(OUTSIDE)
    assert forwards(ex.record(call)) == [
        (ForwardingKind.UNCONDITIONAL, "+33611000002"),
        (ForwardingKind.BUSY, "+33611000003"),
    ]


async def test_a_forwarding_loop_is_stopped_and_recorded(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    await services.forwarding.set(
        actor, world.line(0).id, ForwardingKind.UNCONDITIONAL, destination="0611000002"
    )
    await services.forwarding.set(
        actor, world.line(1).id, ForwardingKind.UNCONDITIONAL, destination="0611000001"
    )
    call = ex.dial(OUTSIDE, "0611000001")
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.LOOP, "forwarding_loop")
    assert len(forwards(record)) == 2


async def test_more_than_five_hops_are_refused(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    for i in range(6):  # 1 -> 2 -> 3 -> 4 -> 5 -> 6 -> 7
        await services.forwarding.set(
            actor,
            world.line(i).id,
            ForwardingKind.UNCONDITIONAL,
            destination=f"06110000{i + 2:02d}",
        )
    call = ex.dial(OUTSIDE, "0611000001")
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.LOOP, "forwarding_limit")
    assert len(forwards(record)) == 6


async def test_five_hops_are_allowed(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    for i in range(5):
        await services.forwarding.set(
            actor,
            world.line(i).id,
            ForwardingKind.UNCONDITIONAL,
            destination=f"06110000{i + 2:02d}",
        )
    call = ex.dial(OUTSIDE, "0611000001")
    ex.advance(2)
    assert ex.ringing("0611000006")
    ex.hang_up(OUTSIDE)
    assert len(forwards(ex.record(call))) == 5


async def test_call_waiting_alerts_a_second_call_and_the_no_reply_timer_applies(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    await services.forwarding.set(
        actor,
        world.line(1).id,
        ForwardingKind.NO_REPLY,
        destination="0145678910",
        no_reply_timer=10,
    )
    ex.behave("0611000002", answer_after=1)
    first = ex.dial("0611000003", "0611000002")
    ex.advance(3)
    assert ex.in_call("0611000002")
    ex.behave("0611000002", answer_after=None)
    second = ex.dial(OUTSIDE, "0611000002")
    ex.advance(1)
    leg = next(leg for leg in ex.engine.call(second).legs.values() if leg.number == n("0611000002"))  # type: ignore[union-attr]
    assert leg.waiting
    ex.advance(10.5)
    assert ex.ringing("0145678910")
    ex.settle()
    assert ex.record(first).outcome is CallOutcome.ANSWERED
    assert forwards(ex.record(second)) == [(ForwardingKind.NO_REPLY, "+33145678910")]


async def test_a_line_in_a_call_without_call_waiting_is_busy(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    await services.lines.update(actor, world.line(1).id, call_waiting=False)
    await services.forwarding.set(
        actor, world.line(1).id, ForwardingKind.BUSY, destination="0145678910"
    )
    ex.behave("0611000002", answer_after=1)
    ex.dial("0611000003", "0611000002")
    ex.advance(3)
    second = ex.dial(OUTSIDE, "0611000002")
    ex.advance(1)
    assert ex.ringing("0145678910")
    ex.settle()
    assert forwards(ex.record(second)) == [(ForwardingKind.BUSY, "+33145678910")]


async def test_short_numbers_reach_lines_of_the_callers_fleet(ex: Exchange) -> None:
    ex.behave("0611000002", answer_after=2)
    call = ex.dial("0611000001", "2002")
    ex.advance(4)
    assert ex.in_call("0611000002")
    ex.hang_up("0611000001")
    record = ex.record(call)
    assert (record.called, record.outcome) == ("+33611000002", CallOutcome.ANSWERED)


async def test_an_unknown_short_number_is_rejected_with_an_announcement(ex: Exchange) -> None:
    call = ex.dial("0611000001", "2999")
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.REJECTED, "unknown_number")
    assert any(a is Announcement.NUMBER_UNKNOWN for _, a in ex.network.played)


async def test_short_numbers_mean_nothing_from_outside_the_fleet(ex: Exchange) -> None:
    call = ex.dial(OUTSIDE, "2002")
    assert ex.record(call).outcome is CallOutcome.REJECTED


async def test_calls_to_a_fixed_number_of_the_fleet_go_through_its_trunk(ex: Exchange) -> None:
    ex.behave("0145678910", answer_after=1)
    call = ex.dial("0611000001", "0145678910")
    ex.advance(3)
    assert any("via trunk trunk-siege" in line.text for line in ex.network.timeline)
    ex.hang_up("0611000001")
    assert ex.record(call).outcome is CallOutcome.ANSWERED


async def test_calls_to_numbers_outside_the_fleet_are_plain(ex: Exchange) -> None:
    ex.behave(OUTSIDE, answer_after=1)
    call = ex.dial("0611000001", "06 99 00 00 01")
    ex.advance(3)
    assert ex.in_call(OUTSIDE)
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    assert (record.caller, record.called, record.outcome) == (
        "+33611000001",
        "+33699000001",
        CallOutcome.ANSWERED,
    )


async def test_caller_hanging_up_while_it_rings_abandons_the_call(ex: Exchange) -> None:
    call = ex.dial(OUTSIDE, "0611000004")
    ex.advance(5)
    ex.hang_up(OUTSIDE)
    assert not ex.ringing("0611000004")
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.ABANDONED, "caller_hung_up")


async def test_the_next_call_sees_a_forwarding_changed_a_moment_ago(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    first = ex.dial(OUTSIDE, "0611000004")
    ex.advance(2)
    ex.hang_up(OUTSIDE)
    await services.forwarding.set(
        actor, world.line(3).id, ForwardingKind.UNCONDITIONAL, destination="0145678910"
    )
    second = ex.dial(OUTSIDE, "0611000004")
    ex.advance(2)
    ex.hang_up(OUTSIDE)
    assert forwards(ex.record(first)) == []
    assert forwards(ex.record(second)) == [(ForwardingKind.UNCONDITIONAL, "+33145678910")]
    await services.forwarding.deactivate(actor, world.line(3).id, ForwardingKind.UNCONDITIONAL)
    third = ex.dial(OUTSIDE, "0611000004")
    ex.hang_up(OUTSIDE)
    assert forwards(ex.record(third)) == []


async def test_call_records_are_persisted(ex: Exchange, services) -> None:  # type: ignore[no-untyped-def]
    ex.behave("0611000002", answer_after=2)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(10)
    ex.hang_up(OUTSIDE)
    await ex.flush()
    stored = await services.calls.get(call)
    assert stored == ex.record(call)
    assert kinds(stored) == [CallEventKind.OFFERED, CallEventKind.ANSWERED, CallEventKind.RELEASED]


# -- a network that does not play nice ----------------------------------------------------


async def test_a_leg_that_never_reports_counts_as_not_reachable(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    await services.forwarding.set(
        actor, world.line(1).id, ForwardingKind.NOT_REACHABLE, destination="0145678910"
    )
    ex.behave("0611000002", misbehaviour=Misbehaviour.SILENT_LEG)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(Limits().setup_timeout + 2)
    assert ex.ringing("0145678910")
    ex.hang_up(OUTSIDE)
    assert forwards(ex.record(call)) == [(ForwardingKind.NOT_REACHABLE, "+33145678910")]


async def test_a_handset_that_answers_and_drops_ends_the_call_cleanly(ex: Exchange) -> None:
    ex.behave("0611000002", answer_after=1, misbehaviour=Misbehaviour.ANSWER_AND_DROP)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(3)
    record = ex.record(call)
    assert record.outcome is CallOutcome.ANSWERED
    assert not ex.in_call(OUTSIDE)


async def test_an_answer_after_the_ring_was_withdrawn_is_released(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    await services.forwarding.set(
        actor, world.line(1).id, ForwardingKind.NO_REPLY, destination="0145678910", no_reply_timer=5
    )
    ex.behave("0611000002", answer_after=8, misbehaviour=Misbehaviour.ANSWER_AFTER_CANCEL)
    ex.behave("0145678910", answer_after=1)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(12)
    assert ex.in_call("0145678910") and not ex.in_call("0611000002")
    ex.hang_up(OUTSIDE)
    assert ex.record(call).outcome is CallOutcome.ANSWERED


async def test_duplicate_events_are_harmless(ex: Exchange) -> None:
    ex.behave("0611000002", answer_after=1, misbehaviour=Misbehaviour.DUPLICATE_EVENTS)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(3)
    ex.hang_up(OUTSIDE)
    assert ex.record(call).outcome is CallOutcome.ANSWERED
    assert ex.engine.faults == 0


async def test_a_fault_in_one_call_does_not_disturb_the_others(ex: Exchange) -> None:
    ex.behave("0611000002", answer_after=1)
    healthy = ex.dial(OUTSIDE, "0611000002")
    real = ex.directory.resolve

    def broken(number):  # type: ignore[no-untyped-def]
        if number == n("0611000003"):
            raise RuntimeError("corrupt configuration")
        return real(number)

    ex.directory.resolve = broken  # type: ignore[method-assign]
    faulty = ex.dial("0611000001", "0611000003")
    ex.advance(3)
    assert ex.record(faulty).cause == "internal_error"
    assert ex.engine.faults == 1
    assert ex.in_call("0611000002")
    ex.hang_up(OUTSIDE)
    assert ex.record(healthy).outcome is CallOutcome.ANSWERED


# -- incoming-call lists ------------------------------------------------------------------------


async def test_incoming_list_rings_simultaneously_and_the_first_answer_wins(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    await services.incoming.save(
        actor,
        world.line(1).id,
        entries=["0611000002", "0145678910", "0611000006"],
        mode="simultaneous",
    )
    ex.behave("0611000006", answer_after=4)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(2)
    assert ex.ringing("0611000002") and ex.ringing("0145678910") and ex.ringing("0611000006")
    ex.advance(3.5)
    assert ex.in_call("0611000006")
    assert not ex.ringing("0611000002") and not ex.ringing("0145678910")
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    assert kinds(record).count(CallEventKind.LIST_RING) == 3
    assert record.outcome is CallOutcome.ANSWERED


async def test_incoming_list_in_cascade_rings_one_entry_after_another(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    """Madame B: desk, then mobile, then assistant, 15 s each."""
    await services.incoming.save(
        actor,
        world.line(1).id,
        entries=["0145678910", "0611000002", "0611000006"],
        mode="cascade",
        ring_time=15,
    )
    ex.behave("0611000006", answer_after=3)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(14.9)
    assert ex.ringing("0145678910") and not ex.ringing("0611000002")
    ex.advance(0.2)
    assert not ex.ringing("0145678910")
    ex.advance(1)
    assert ex.ringing("0611000002")
    ex.advance(15)
    assert ex.ringing("0611000006")
    ex.advance(4)
    assert ex.in_call("0611000006")
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    rung = [e.to_number for e in record.events if e.kind is CallEventKind.LIST_RING]
    assert rung == ["+33145678910", "+33611000002", "+33611000006"]
    assert record.answered_at - record.offered_at == timedelta(seconds=34)  # type: ignore[operator]


async def test_a_busy_entry_passes_the_cascade_to_the_next_at_once(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    await services.incoming.save(
        actor, world.line(1).id, entries=["0611000003", "0611000006"], mode="cascade"
    )
    ex.behave("0611000003", already_busy=True)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(1)
    assert ex.ringing("0611000006")
    ex.hang_up(OUTSIDE)
    assert ex.record(call).outcome is CallOutcome.ABANDONED


async def test_an_exhausted_list_goes_to_no_reply_forwarding(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    line = world.line(1)
    await services.incoming.save(
        actor, line.id, entries=["0611000002", "0611000006"], mode="cascade", ring_time=10
    )
    await services.forwarding.set(actor, line.id, ForwardingKind.NO_REPLY, destination="0145678910")
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(20.5)
    assert ex.ringing("0145678910")
    ex.hang_up(OUTSIDE)
    assert forwards(ex.record(call)) == [(ForwardingKind.NO_REPLY, "+33145678910")]


async def test_an_exhausted_list_without_forwarding_releases_the_call(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    await services.incoming.save(
        actor, world.line(1).id, entries=["0611000006"], mode="simultaneous"
    )
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(61)
    record = ex.record(call)
    assert record.outcome is CallOutcome.NO_ANSWER
    assert not ex.ringing("0611000006")


async def test_list_entries_ring_as_plain_lines_without_their_own_forwarding(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    await services.forwarding.set(
        actor, world.line(5).id, ForwardingKind.UNCONDITIONAL, destination="0145678910"
    )
    await services.incoming.save(actor, world.line(1).id, entries=["0611000006"])
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(2)
    assert ex.ringing("0611000006") and not ex.ringing("0145678910")
    ex.hang_up(OUTSIDE)
    assert forwards(ex.record(call)) == []


async def test_the_list_owner_rings_only_when_it_is_an_entry(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    await services.incoming.save(actor, world.line(1).id, entries=["0611000006"])
    ex.dial(OUTSIDE, "0611000002")
    ex.advance(2)
    assert not ex.ringing("0611000002")


async def test_a_changed_line_is_reloaded_alone_and_keeps_its_short_number_routing(
    ex: Exchange,
    services,
    actor: Actor,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    fleet_loads = ex.directory.fleet_loads
    await services.lines.update(actor, world.line(1).id, short_number="2900", call_waiting=False)
    assert ex.directory.fleet_loads == fleet_loads  # one line reloaded, not the whole fleet
    ex.behave("0611000002", answer_after=1)
    call = ex.dial("0611000001", "2900")
    ex.advance(3)
    assert ex.in_call("0611000002")
    ex.hang_up("0611000001")
    assert ex.record(call).outcome is CallOutcome.ANSWERED
    assert ex.record(ex.dial("0611000001", "2002")).outcome is CallOutcome.REJECTED
    created = await services.lines.create(
        actor, world.fleet.id, msisdn="0611000070", short_number="2070", employee_name="Nouveau"
    )
    ex.network.add(created.msisdn, "Nouveau", behaviour=Behaviour(answer_after=None))
    new = ex.dial("0611000001", "2070")
    ex.advance(2)
    assert ex.ringing("0611000070")
    ex.hang_up("0611000001")
    assert ex.record(new).outcome is CallOutcome.ABANDONED
