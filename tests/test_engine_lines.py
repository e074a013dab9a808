"""Calls to fleet lines (DESIGN §4 steps 1–6) in virtual time, records included."""

from __future__ import annotations

from datetime import timedelta

from fleet.core.calls.engine import Limits
from fleet.core.calls.events import Announcement, CallState, ReleaseCause
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind, RingMode
from simulators.handsets import HandsetState, Misbehaviour
from tests.engine_fixtures import OUTSIDE, ex, fleets, world
from tests.exchange import Exchange, n
from tests.memory import MemoryFleets, World

__all__ = ["ex", "fleets", "world"]


def kinds(record) -> list[CallEventKind]:  # type: ignore[no-untyped-def]
    return [e.kind for e in record.events]


def forwards(record) -> list[tuple[ForwardingKind | None, str | None]]:  # type: ignore[no-untyped-def]
    return [
        (e.forwarding_kind, e.to_number) for e in record.events if e.kind is CallEventKind.FORWARDED
    ]


def test_line_without_pabx_option_rings_plainly_and_ignores_its_forwarding(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    line = world.line(5)
    fleets.forward(line.id, ForwardingKind.BUSY, "0145678910")
    fleets.update_line(line.id, pabx_option=False)
    ex.behave("0611000006", already_busy=True)
    call = ex.dial(OUTSIDE, "0611000006")
    ex.advance(5)
    record = ex.record(call)
    assert record.outcome is CallOutcome.BUSY
    assert forwards(record) == []


def test_unconditional_forwarding_forwards_at_once(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    fleets.forward(world.line(0).id, ForwardingKind.UNCONDITIONAL, "0145678910")
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


def test_unconditional_forwarding_takes_precedence_over_list_and_busy(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    line = world.line(0)
    fleets.incoming_list(line.id, ["0611000002"])
    fleets.forward(line.id, ForwardingKind.BUSY, "0611000003")
    fleets.forward(line.id, ForwardingKind.UNCONDITIONAL, "0145678910")
    call = ex.dial(OUTSIDE, "0611000001")
    ex.advance(2)
    assert ex.ringing("0145678910") and not ex.ringing("0611000002")
    ex.hang_up(OUTSIDE)
    assert ex.record(call).outcome is CallOutcome.ABANDONED


def test_busy_line_forwards_to_cfb_destination(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    fleets.forward(world.line(1).id, ForwardingKind.BUSY, "0145678910")
    ex.behave("0611000002", already_busy=True)
    ex.behave("0145678910", answer_after=1)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(3)
    assert ex.in_call("0145678910")
    ex.hang_up("0145678910")
    record = ex.record(call)
    assert record.outcome is CallOutcome.ANSWERED
    assert forwards(record) == [(ForwardingKind.BUSY, "+33145678910")]


def test_declining_a_call_counts_as_busy(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    fleets.forward(world.line(1).id, ForwardingKind.BUSY, "0145678910")
    ex.behave("0611000002", reject_after=3)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(5)
    assert ex.ringing("0145678910")
    ex.hang_up(OUTSIDE)
    assert forwards(ex.record(call)) == [(ForwardingKind.BUSY, "+33145678910")]


def test_busy_line_without_forwarding_releases_the_caller_with_busy(ex: Exchange) -> None:
    ex.behave("0611000002", already_busy=True)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(2)
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.BUSY, ReleaseCause.BUSY.value)
    assert not ex.in_call(OUTSIDE)


def test_switched_off_line_forwards_to_not_reachable_destination(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    """Monsieur D's mobile is off: calls go to his desk."""
    fleets.forward(world.line(4).id, ForwardingKind.NOT_REACHABLE, "0145678910")
    ex.switch("0611000005", HandsetState.OFF)
    call = ex.dial(OUTSIDE, "0611000005")
    ex.advance(3)
    assert ex.ringing("0145678910")
    ex.hang_up(OUTSIDE)
    assert forwards(ex.record(call)) == [(ForwardingKind.NOT_REACHABLE, "+33145678910")]


def test_out_of_coverage_without_forwarding_is_unreachable(ex: Exchange) -> None:
    ex.switch("0611000005", HandsetState.OUT_OF_COVERAGE)
    call = ex.dial(OUTSIDE, "0611000005")
    ex.advance(3)
    assert ex.record(call).outcome is CallOutcome.UNREACHABLE


def test_no_reply_forwarding_after_25_seconds(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    """Madame C in a meeting: after 25 s without answer, to her assistant."""
    fleets.forward(world.line(3).id, ForwardingKind.NO_REPLY, "0611000007", no_reply_timer=25)
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


def test_without_forwarding_a_line_rings_until_the_network_limit(ex: Exchange) -> None:
    call = ex.dial(OUTSIDE, "0611000004")
    ex.advance(60.5)
    assert ex.ringing("0611000004")
    ex.advance(1)
    record = ex.record(call)
    assert record.outcome is CallOutcome.NO_ANSWER
    assert record.released_at - record.offered_at == timedelta(seconds=61)  # type: ignore[operator]


def test_forwarding_chain_applies_each_lines_own_services(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    fleets.forward(world.line(0).id, ForwardingKind.UNCONDITIONAL, "0611000002")
    fleets.forward(world.line(1).id, ForwardingKind.BUSY, "0611000003")
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


def test_a_forwarding_loop_is_stopped_and_recorded(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    fleets.forward(world.line(0).id, ForwardingKind.UNCONDITIONAL, "0611000002")
    fleets.forward(world.line(1).id, ForwardingKind.UNCONDITIONAL, "0611000001")
    call = ex.dial(OUTSIDE, "0611000001")
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.LOOP, "forwarding_loop")
    assert len(forwards(record)) == 2


def test_more_than_five_hops_are_refused(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    for i in range(6):  # 1 -> 2 -> 3 -> 4 -> 5 -> 6 -> 7
        fleets.forward(world.line(i).id, ForwardingKind.UNCONDITIONAL, f"06110000{i + 2:02d}")
    call = ex.dial(OUTSIDE, "0611000001")
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.LOOP, "forwarding_limit")
    assert len(forwards(record)) == 6


def test_five_hops_are_allowed(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    for i in range(5):
        fleets.forward(world.line(i).id, ForwardingKind.UNCONDITIONAL, f"06110000{i + 2:02d}")
    call = ex.dial(OUTSIDE, "0611000001")
    ex.advance(2)
    assert ex.ringing("0611000006")
    ex.hang_up(OUTSIDE)
    assert len(forwards(ex.record(call))) == 5


def test_call_waiting_alerts_a_second_call_and_the_no_reply_timer_applies(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    fleets.forward(world.line(1).id, ForwardingKind.NO_REPLY, "0145678910", no_reply_timer=10)
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


def test_a_line_in_a_call_without_call_waiting_is_busy(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    fleets.update_line(world.line(1).id, call_waiting=False)
    fleets.forward(world.line(1).id, ForwardingKind.BUSY, "0145678910")
    ex.behave("0611000002", answer_after=1)
    ex.dial("0611000003", "0611000002")
    ex.advance(3)
    second = ex.dial(OUTSIDE, "0611000002")
    ex.advance(1)
    assert ex.ringing("0145678910")
    ex.settle()
    assert forwards(ex.record(second)) == [(ForwardingKind.BUSY, "+33145678910")]


def test_short_numbers_reach_lines_of_the_callers_fleet(ex: Exchange) -> None:
    ex.behave("0611000002", answer_after=2)
    call = ex.dial("0611000001", "2002")
    ex.advance(4)
    assert ex.in_call("0611000002")
    ex.hang_up("0611000001")
    record = ex.record(call)
    assert (record.called, record.outcome) == ("+33611000002", CallOutcome.ANSWERED)


def test_an_unknown_short_number_is_rejected_with_an_announcement(ex: Exchange) -> None:
    call = ex.dial("0611000001", "2999")
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.REJECTED, "unknown_number")
    assert any(a is Announcement.NUMBER_UNKNOWN for _, a in ex.network.played)
    texts = [line.text for line in ex.network.timeline]
    heard = texts.index("Salarié 1 hears 'number_unknown'")
    assert texts[heard + 1] == "Salarié 1 is released (unknown_number)", "heard, then released"


def test_short_numbers_mean_nothing_from_outside_the_fleet(ex: Exchange) -> None:
    call = ex.dial(OUTSIDE, "2002")
    assert ex.record(call).outcome is CallOutcome.REJECTED


def test_calls_to_a_fixed_number_of_the_fleet_go_through_its_trunk(ex: Exchange) -> None:
    ex.behave("0145678910", answer_after=1)
    call = ex.dial("0611000001", "0145678910")
    ex.advance(3)
    assert any("via trunk trunk-siege" in line.text for line in ex.network.timeline)
    ex.hang_up("0611000001")
    assert ex.record(call).outcome is CallOutcome.ANSWERED


def test_calls_to_numbers_outside_the_fleet_are_plain(ex: Exchange) -> None:
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


def test_caller_hanging_up_while_it_rings_abandons_the_call(ex: Exchange) -> None:
    call = ex.dial(OUTSIDE, "0611000004")
    ex.advance(5)
    ex.hang_up(OUTSIDE)
    assert not ex.ringing("0611000004")
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.ABANDONED, "caller_hung_up")


def test_the_next_call_sees_a_forwarding_changed_a_moment_ago(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    first = ex.dial(OUTSIDE, "0611000004")
    ex.advance(2)
    ex.hang_up(OUTSIDE)
    fleets.forward(world.line(3).id, ForwardingKind.UNCONDITIONAL, "0145678910")
    second = ex.dial(OUTSIDE, "0611000004")
    ex.advance(2)
    ex.hang_up(OUTSIDE)
    assert forwards(ex.record(first)) == []
    assert forwards(ex.record(second)) == [(ForwardingKind.UNCONDITIONAL, "+33145678910")]
    fleets.switch_forwarding(world.line(3).id, ForwardingKind.UNCONDITIONAL, False)
    third = ex.dial(OUTSIDE, "0611000004")
    ex.hang_up(OUTSIDE)
    assert forwards(ex.record(third)) == []


# -- a network that does not play nice ----------------------------------------------------


def test_a_leg_that_never_reports_counts_as_not_reachable(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    fleets.forward(world.line(1).id, ForwardingKind.NOT_REACHABLE, "0145678910")
    ex.behave("0611000002", misbehaviour=Misbehaviour.SILENT_LEG)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(Limits().setup_timeout + 2)
    assert ex.ringing("0145678910")
    ex.hang_up(OUTSIDE)
    assert forwards(ex.record(call)) == [(ForwardingKind.NOT_REACHABLE, "+33145678910")]


def test_a_handset_that_answers_and_drops_ends_the_call_cleanly(ex: Exchange) -> None:
    ex.behave("0611000002", answer_after=1, misbehaviour=Misbehaviour.ANSWER_AND_DROP)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(3)
    record = ex.record(call)
    assert record.outcome is CallOutcome.ANSWERED
    assert not ex.in_call(OUTSIDE)


def test_an_answer_after_the_ring_was_withdrawn_is_released(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    fleets.forward(world.line(1).id, ForwardingKind.NO_REPLY, "0145678910", no_reply_timer=5)
    ex.behave("0611000002", answer_after=8, misbehaviour=Misbehaviour.ANSWER_AFTER_CANCEL)
    ex.behave("0145678910", answer_after=1)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(12)
    assert ex.in_call("0145678910") and not ex.in_call("0611000002")
    ex.hang_up(OUTSIDE)
    assert ex.record(call).outcome is CallOutcome.ANSWERED


def test_duplicate_events_are_harmless(ex: Exchange) -> None:
    ex.behave("0611000002", answer_after=1, misbehaviour=Misbehaviour.DUPLICATE_EVENTS)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(3)
    ex.hang_up(OUTSIDE)
    assert ex.record(call).outcome is CallOutcome.ANSWERED
    assert ex.engine.faults == 0


def test_a_fault_in_one_call_does_not_disturb_the_others(ex: Exchange) -> None:
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


def test_incoming_list_rings_simultaneously_and_the_first_answer_wins(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    fleets.incoming_list(
        world.line(1).id, ["0611000002", "0145678910", "0611000006"], mode=RingMode.SIMULTANEOUS
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


def test_incoming_list_in_cascade_rings_one_entry_after_another(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    """Madame B: desk, then mobile, then assistant, 15 s each."""
    fleets.incoming_list(
        world.line(1).id,
        ["0145678910", "0611000002", "0611000006"],
        mode=RingMode.CASCADE,
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


def test_a_busy_entry_passes_the_cascade_to_the_next_at_once(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    fleets.incoming_list(world.line(1).id, ["0611000003", "0611000006"], mode=RingMode.CASCADE)
    ex.behave("0611000003", already_busy=True)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(1)
    assert ex.ringing("0611000006")
    ex.hang_up(OUTSIDE)
    assert ex.record(call).outcome is CallOutcome.ABANDONED


def test_an_exhausted_list_goes_to_no_reply_forwarding(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    line = world.line(1)
    fleets.incoming_list(line.id, ["0611000002", "0611000006"], mode=RingMode.CASCADE, ring_time=10)
    fleets.forward(line.id, ForwardingKind.NO_REPLY, "0145678910")
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(20.5)
    assert ex.ringing("0145678910")
    ex.hang_up(OUTSIDE)
    assert forwards(ex.record(call)) == [(ForwardingKind.NO_REPLY, "+33145678910")]


def test_an_exhausted_list_without_forwarding_releases_the_call(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    fleets.incoming_list(world.line(1).id, ["0611000006"], mode=RingMode.SIMULTANEOUS)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(61)
    record = ex.record(call)
    assert record.outcome is CallOutcome.NO_ANSWER
    assert not ex.ringing("0611000006")


def test_list_entries_ring_as_plain_lines_without_their_own_forwarding(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    fleets.forward(world.line(5).id, ForwardingKind.UNCONDITIONAL, "0145678910")
    fleets.incoming_list(world.line(1).id, ["0611000006"])
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(2)
    assert ex.ringing("0611000006") and not ex.ringing("0145678910")
    ex.hang_up(OUTSIDE)
    assert forwards(ex.record(call)) == []


def test_the_list_owner_rings_only_when_it_is_an_entry(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
) -> None:
    fleets.incoming_list(world.line(1).id, ["0611000006"])
    ex.dial(OUTSIDE, "0611000002")
    ex.advance(2)
    assert not ex.ringing("0611000002")


# -- caller-id presentation (CLIR, #31# / *31#) -------------------------------------------


def test_the_callee_sees_the_callers_number(ex: Exchange) -> None:
    ex.dial("0611000001", "0611000003")
    ex.advance(1.5)
    assert ex.network.handset(n("0611000003")).screen == "06 11 00 00 01"
    ex.hang_up("0611000001")


def test_a_line_hiding_its_number_reaches_the_callee_as_a_hidden_number(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.update_line(world.line(0).id, clir=True)
    call = ex.dial("0611000001", "0611000003")
    ex.advance(1.5)
    assert ex.network.handset(n("0611000003")).screen == "Numéro masqué"
    assert any("is ringing: Numéro masqué" in line.text for line in ex.network.timeline)
    ex.hang_up("0611000001")
    offered = next(e for e in ex.record(call).events if e.kind is CallEventKind.OFFERED)
    assert offered.detail == {"presentation": "restricted"}


def test_hash_31_hash_hides_the_number_for_one_call_to_a_short_number(ex: Exchange) -> None:
    call = ex.dial("0611000001", "#31#2003")
    ex.advance(1.5)
    assert ex.network.handset(n("0611000003")).screen == "Numéro masqué"
    ex.hang_up("0611000001")
    record = ex.record(call)
    assert (record.called, record.outcome) == ("+33611000003", CallOutcome.ABANDONED)
    following = ex.dial("0611000001", "2003")
    ex.advance(1.5)
    assert ex.network.handset(n("0611000003")).screen == "06 11 00 00 01"
    ex.hang_up("0611000001")
    assert ex.record(following).outcome is CallOutcome.ABANDONED


def test_star_31_hash_shows_the_number_of_a_hiding_line_for_one_call(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.update_line(world.line(0).id, clir=True)
    ex.dial("0611000001", "*31#0611000003")
    ex.advance(1.5)
    assert ex.network.handset(n("0611000003")).screen == "06 11 00 00 01"
    ex.hang_up("0611000001")


def test_a_hidden_number_stays_hidden_when_the_call_is_forwarded(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.forward(world.line(2).id, ForwardingKind.UNCONDITIONAL, "0145678910")
    ex.dial("0611000001", "#31#0611000003")
    ex.advance(1.5)
    assert ex.network.handset(n("0145678910")).screen == "Numéro masqué"
    ex.hang_up("0611000001")


def test_a_clir_prefix_before_garbage_is_an_unknown_number(ex: Exchange) -> None:
    record = ex.record(ex.dial("0611000001", "#31#"))
    assert (record.outcome, record.cause) == (CallOutcome.REJECTED, "unknown_number")
