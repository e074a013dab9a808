"""Call groups in the engine (DESIGN §5): distribution modes, skipping, queue,
inter-call delay across groups, no-answer rules — in virtual time, records included."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from fleet.core.calls.events import Announcement, CallState
from fleet.core.model import CallGroup, CallRecord
from fleet.core.values import CallEventKind, CallOutcome, DistributionMode, NoAnswerAction
from simulators.handsets import Behaviour, HandsetState
from tests.exchange import Exchange, make_exchange, n
from tests.memory import MemoryFleets, World, memory_world

OUTSIDE = "0699000001"
OUTSIDE_2 = "0699000002"
OUTSIDE_3 = "0699000003"


@pytest.fixture
def world() -> World:
    return memory_world()


@pytest.fixture
def fleets(world: World) -> MemoryFleets:
    return world.fleets


@pytest.fixture
def ex(world: World) -> Iterator[Exchange]:
    exchange = make_exchange(world.fleets.table, world)
    for number in (OUTSIDE, OUTSIDE_2, OUTSIDE_3):
        exchange.network.add(
            n(number), f"Client {number[-1]}", behaviour=Behaviour(answer_after=None)
        )
    yield exchange
    exchange.settle()
    exchange.assert_clean()


def make_group(
    fleets: MemoryFleets,
    world: World,
    members: range | list[int] = range(4),
    *,
    connect: bool = True,
    number: str = "0609182236",
    name: str = "Taxis",
    **fields: Any,
) -> CallGroup:
    settings: dict[str, Any] = {
        "switchover_delay": 10,
        "intercall_delay": 0,
        "queue_size": 2,
        "max_queue_wait": 60,
    }
    settings.update(fields)
    if isinstance(settings.get("distribution"), str):
        settings["distribution"] = DistributionMode(settings["distribution"])
    if isinstance(settings.get("no_answer_action"), str):
        settings["no_answer_action"] = NoAnswerAction(settings["no_answer_action"])
    line_ids = [world.line(i).id for i in members]
    group = fleets.add_group(
        world.fleet.id,
        number=number,
        name=name,
        members=line_ids,
        connected=[m for m in line_ids] if connect else (),
        **settings,
    )
    if connect:  # a member added for numbering the group is connected too
        for member in group.members:
            if not member.connected:
                group = fleets.connect(group.id, member.line_id, True)
    return group


def offered(record: CallRecord) -> list[str]:
    """National numbers of the members offered the call, in order."""
    return [
        n(e.to_number).national_digits() if e.to_number else ""
        for e in record.events
        if e.kind is CallEventKind.GROUP_OFFERED and e.member_line_id is not None
    ]


def mobile(i: int) -> str:
    return f"06110000{i + 1:02d}"


def test_linear_distribution_always_starts_from_the_top(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    make_group(fleets, world, distribution="linear")
    ex.behave(mobile(1), answer_after=2)
    first = ex.dial(OUTSIDE, "0609182236")
    ex.advance(10 + 3.5)
    assert ex.in_call(mobile(1))
    ex.hang_up(OUTSIDE)
    second = ex.dial(OUTSIDE, "0609182236")
    ex.advance(1)
    assert ex.ringing(mobile(0))
    ex.hang_up(OUTSIDE)
    assert offered(ex.record(first)) == [mobile(0), mobile(1)]
    assert offered(ex.record(second))[0] == mobile(0)
    answered = next(e for e in ex.record(first).events if e.kind is CallEventKind.ANSWERED)
    assert answered.member_line_id == world.line(1).id


def test_each_member_rings_for_the_delay_before_switchover(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    make_group(fleets, world, range(3), switchover_delay=12)
    call = ex.dial(OUTSIDE, "0609182236")
    ex.advance(11.9)
    assert ex.ringing(mobile(0)) and not ex.ringing(mobile(1))
    ex.advance(1.2)
    assert ex.ringing(mobile(1)) and not ex.ringing(mobile(0))
    ex.advance(30)
    record = ex.record(call)
    assert offered(record) == [mobile(0), mobile(1), mobile(2)]
    assert record.outcome is CallOutcome.NO_ANSWER
    assert (ex.record(call).events[-1].at - record.offered_at).total_seconds() == 36


def test_cyclic_distribution_starts_after_the_last_taker(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    make_group(fleets, world, distribution="cyclic")
    ex.behave(mobile(1), answer_after=1)
    first = ex.dial(OUTSIDE, "0609182236")
    ex.advance(13)
    ex.hang_up(OUTSIDE)
    second = ex.dial(OUTSIDE, "0609182236")
    ex.advance(1)
    ex.hang_up(OUTSIDE)
    assert offered(ex.record(first)) == [mobile(0), mobile(1)]
    assert offered(ex.record(second)) == [mobile(2)]


def test_simultaneous_distribution_rings_everyone_and_the_first_answer_wins(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    make_group(fleets, world, distribution="simultaneous")
    ex.behave(mobile(2), answer_after=3)
    call = ex.dial(OUTSIDE, "0609182236")
    ex.advance(2)
    assert all(ex.ringing(mobile(i)) for i in range(4))
    ex.advance(2.5)
    assert ex.in_call(mobile(2))
    assert not any(ex.ringing(mobile(i)) for i in range(4))
    ex.hang_up(OUTSIDE)
    assert sorted(offered(ex.record(call))) == [mobile(i) for i in range(4)]


def test_least_active_distribution_offers_the_longest_idle_member_first(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    make_group(fleets, world, range(3), distribution="least_active")
    for taker in (0, 2):  # member 1 then member 3 take a call; member 2 never did
        ex.behave(mobile(taker), answer_after=1)
        ex.groups.idle_since.pop(world.line(taker).id, None)
        call = ex.dial(OUTSIDE, "0609182236")
        ex.advance(35)
        ex.hang_up(OUTSIDE)
        ex.behave(mobile(taker), answer_after=None)
        ex.advance(1)
    last = ex.dial(OUTSIDE, "0609182236")
    ex.advance(35)
    ex.hang_up(OUTSIDE)
    assert offered(ex.record(last)) == [mobile(1), mobile(0), mobile(2)]
    assert ex.record(call).outcome is CallOutcome.ANSWERED


def test_random_distribution_offers_each_member_once_in_a_seeded_order(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    make_group(fleets, world, range(6), distribution="random")
    calls = []
    for _ in range(3):
        calls.append(ex.dial(OUTSIDE, "0609182236"))
        ex.advance(70)
    orders = [offered(ex.record(c)) for c in calls]
    for order in orders:
        assert sorted(order) == [mobile(i) for i in range(6)]
    assert len({tuple(o) for o in orders}) > 1


def test_busy_resting_disconnected_and_unreachable_members_are_skipped(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    group = make_group(fleets, world, range(5), intercall_delay=60)
    fleets.connect(group.id, world.line(2).id, False)  # disconnected
    ex.switch(mobile(3), HandsetState.OFF)  # unreachable
    # member 1 takes a group call, and rests 60 s after it
    ex.behave(mobile(0), answer_after=1)
    ex.dial(OUTSIDE_2, "0609182236")
    ex.advance(3)
    ex.hang_up(OUTSIDE_2)
    # member 2 is busy in a private call
    ex.behave(mobile(1), answer_after=1)
    ex.dial(OUTSIDE_3, mobile(1))
    ex.advance(3)
    call = ex.dial(OUTSIDE, "0609182236")
    ex.advance(5)
    assert ex.ringing(mobile(4))
    ex.hang_up(OUTSIDE)
    # the unreachable member was tried (the network said so) and skipped at once
    assert offered(ex.record(call)) == [mobile(3), mobile(4)]


def test_all_members_busy_queues_the_caller_until_one_is_free(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    make_group(fleets, world, range(2))
    for i in range(2):
        ex.behave(mobile(i), answer_after=1)
        ex.dial(OUTSIDE_2 if i == 0 else OUTSIDE_3, mobile(i))
    ex.advance(3)
    call = ex.dial(OUTSIDE, "0609182236")
    ex.advance(5)
    assert ex.engine.call(call).state is CallState.QUEUED  # type: ignore[union-attr]
    assert (ex.network.played[-1][1]) is Announcement.PLEASE_HOLD
    ex.hang_up(OUTSIDE_3)  # member 2 is free again
    ex.advance(2.5)
    assert ex.in_call(mobile(1))
    ex.settle()
    record = ex.record(call)
    assert CallEventKind.QUEUED in [e.kind for e in record.events]
    assert record.outcome is CallOutcome.ANSWERED


def test_a_full_queue_applies_the_no_answer_rule(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    make_group(fleets, world, range(1), queue_size=1)
    ex.behave(mobile(0), answer_after=1)
    ex.dial(OUTSIDE_2, mobile(0))
    ex.advance(3)
    waiting = ex.dial(OUTSIDE_3, "0609182236")
    refused = ex.dial(OUTSIDE, "0609182236")
    record = ex.record(refused)
    assert (record.outcome, record.cause) == (CallOutcome.NO_ANSWER, "queue_full")
    assert ex.engine.call(waiting).state is CallState.QUEUED  # type: ignore[union-attr]


def test_no_queue_means_no_waiting(ex: Exchange, fleets: MemoryFleets, world: World) -> None:
    make_group(fleets, world, range(1), queue_size=0)
    ex.behave(mobile(0), answer_after=1)
    ex.dial(OUTSIDE_2, mobile(0))
    ex.advance(3)
    assert ex.record(ex.dial(OUTSIDE, "0609182236")).cause == "queue_full"


def test_waiting_longer_than_the_maximum_applies_the_no_answer_rule(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    make_group(fleets, world, range(1), max_queue_wait=30)
    ex.behave(mobile(0), answer_after=1)
    ex.dial(OUTSIDE_2, mobile(0))
    ex.advance(3)
    call = ex.dial(OUTSIDE, "0609182236")
    ex.advance(29)
    assert ex.engine.call(call) is not None
    ex.advance(2)
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.NO_ANSWER, "queue_timeout")


def test_the_inter_call_delay_holds_across_all_groups_of_a_member(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    make_group(fleets, world, [0, 1], intercall_delay=30)
    make_group(fleets, world, [0, 2], number="0609182237", name="Livraisons", intercall_delay=0)
    ex.behave(mobile(0), answer_after=1)
    ex.dial(OUTSIDE_2, "0609182236")
    ex.advance(3)
    ex.hang_up(OUTSIDE_2)  # member 1 rests 30 s, in every group
    call = ex.dial(OUTSIDE, "0609182237")
    ex.advance(2)
    assert ex.ringing(mobile(2)) and not ex.ringing(mobile(0))
    ex.hang_up(OUTSIDE)
    ex.advance(30)
    later = ex.dial(OUTSIDE, "0609182237")
    ex.advance(2.5)
    assert ex.in_call(mobile(0))
    ex.hang_up(OUTSIDE)
    assert offered(ex.record(call)) == [mobile(2)]
    assert offered(ex.record(later))[0] == mobile(0)


def test_a_queued_caller_is_served_when_a_member_ends_his_rest(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    make_group(fleets, world, [0], intercall_delay=20)
    ex.behave(mobile(0), answer_after=1)
    ex.dial(OUTSIDE_2, "0609182236")
    ex.advance(3)
    ex.hang_up(OUTSIDE_2)
    call = ex.dial(OUTSIDE, "0609182236")
    ex.advance(19)
    assert ex.engine.call(call).state is CallState.QUEUED  # type: ignore[union-attr]
    ex.advance(3.5)
    assert ex.in_call(mobile(0))
    ex.hang_up(OUTSIDE)
    assert ex.record(call).outcome is CallOutcome.ANSWERED


def test_no_answer_rule_forwards_to_a_number(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    make_group(
        fleets,
        world,
        [0],
        no_answer_action=NoAnswerAction.FORWARD_TO_NUMBER,
        no_answer_number="0145678910",
    )
    call = ex.dial(OUTSIDE, "0609182236")
    ex.advance(12)
    assert ex.ringing("0145678910")
    ex.hang_up(OUTSIDE)
    forwarded = [e for e in ex.record(call).events if e.kind is CallEventKind.FORWARDED]
    assert [(e.to_number, (e.detail or {}).get("group_no_answer")) for e in forwarded] == [
        ("+33145678910", "no_member_answered")
    ]


def test_no_answer_rule_overflows_to_another_group(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    backup = make_group(fleets, world, [5], number="0609182237", name="Secours")
    make_group(
        fleets,
        world,
        [0],
        no_answer_action=NoAnswerAction.FORWARD_TO_GROUP,
        no_answer_group_id=backup.id,
    )
    call = ex.dial(OUTSIDE, "0609182236")
    ex.advance(12)
    assert ex.ringing(mobile(5))
    ex.hang_up(OUTSIDE)
    assert offered(ex.record(call)) == [mobile(0), mobile(5)]


def test_no_answer_rule_ends_the_call_with_an_announcement(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    make_group(fleets, world, [0, 1], connect=False)
    call = ex.dial(OUTSIDE, "0609182236")
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.NO_ANSWER, "no_answer")
    assert ex.network.played[-1][1] is Announcement.GROUP_NO_ANSWER


def test_a_group_numbered_like_a_member_is_reached_by_that_number(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    make_group(fleets, world, [1, 2], number=mobile(0), distribution="linear")
    call = ex.dial(OUTSIDE, mobile(0))
    ex.advance(1)
    assert ex.ringing(mobile(0))  # the number's owner is the group's first member
    ex.advance(10)
    assert ex.ringing(mobile(1))
    ex.hang_up(OUTSIDE)
    assert offered(ex.record(call))[:2] == [mobile(0), mobile(1)]


def test_a_group_is_reached_by_its_short_number_inside_the_fleet(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    make_group(fleets, world, [1], short_number="2500")
    call = ex.dial(mobile(5), "2500")
    ex.advance(1.5)
    assert ex.ringing(mobile(1))
    ex.hang_up(mobile(5))
    assert ex.record(call).called == "+33609182236"


def test_connecting_a_member_takes_effect_for_the_next_call(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    group = make_group(fleets, world, [0, 1], connect=False)
    fleets.connect(group.id, world.line(1).id, True)
    call = ex.dial(OUTSIDE, "0609182236")
    ex.advance(1.5)
    assert ex.ringing(mobile(1)) and not ex.ringing(mobile(0))
    ex.hang_up(OUTSIDE)
    assert offered(ex.record(call)) == [mobile(1)]


@pytest.mark.parametrize("mode", ["linear", "cyclic", "simultaneous", "least_active", "random"])
def test_every_mode_skips_busy_resting_disconnected_and_unreachable_members(
    mode: str, ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    group = make_group(fleets, world, range(5), distribution=mode, intercall_delay=120)
    fleets.connect(group.id, world.line(2).id, False)  # disconnected
    ex.switch(mobile(3), HandsetState.OUT_OF_COVERAGE)  # unreachable
    ex.groups.rest_until[world.line(0).id] = ex.time.now() + timedelta(seconds=100)
    ex.behave(mobile(1), answer_after=1)
    ex.dial(OUTSIDE_2, mobile(1))  # busy in a private call
    ex.advance(3)
    ex.behave(mobile(4), answer_after=1)
    call = ex.dial(OUTSIDE, "0609182236")
    ex.advance(15)
    assert ex.in_call(mobile(4))
    ex.settle()
    record = ex.record(call)
    assert record.outcome is CallOutcome.ANSWERED
    assert set(offered(record)) <= {mobile(3), mobile(4)}
    answered = next(e for e in record.events if e.kind is CallEventKind.ANSWERED)
    assert answered.member_line_id == world.line(4).id


def test_a_queued_caller_is_offered_to_a_member_whose_rest_began_after_the_caller_queued(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    """The member was busy in a group call when the caller joined the queue; that call
    ends, the member rests 30 s, and the caller is offered to him as soon as the rest
    ends — not released at the maximum wait."""
    make_group(fleets, world, [0], intercall_delay=30, queue_size=1, max_queue_wait=120)
    ex.behave(mobile(0), answer_after=1)
    first = ex.dial(OUTSIDE, "0609182236")
    ex.advance(3)
    assert ex.in_call(mobile(0))
    waiting = ex.dial(OUTSIDE_2, "0609182236")
    ex.advance(5)
    assert ex.engine.call(waiting).state is CallState.QUEUED  # type: ignore[union-attr]
    ex.hang_up(OUTSIDE)  # at 8 s: the member rests until 38 s
    ex.advance(29.5)
    assert not ex.ringing(mobile(0))
    ex.advance(1)  # 38.5 s: rest over, the waiting caller rings him
    assert ex.ringing(mobile(0)) or ex.in_call(mobile(0))
    ex.advance(2)
    assert ex.in_call(mobile(0))
    ex.settle()
    record = ex.record(waiting)
    assert record.outcome is CallOutcome.ANSWERED
    answered = next(e for e in record.events if e.kind is CallEventKind.ANSWERED)
    assert answered.at - record.offered_at < timedelta(seconds=40)
    assert ex.record(first).outcome is CallOutcome.ANSWERED


def test_two_waiting_callers_are_taken_by_two_members_as_they_come_free(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    make_group(fleets, world, [0, 1], queue_size=2)
    ex.behave(mobile(0), answer_after=1)
    ex.behave(mobile(1), answer_after=1)
    ex.dial(OUTSIDE, mobile(0))  # both members busy in private calls
    ex.dial(OUTSIDE_2, mobile(1))
    ex.advance(3)
    first = ex.dial(OUTSIDE_3, "0609182236")
    ex.network.add(n("0699000004"), "Client 4", behaviour=Behaviour(answer_after=None))
    second = ex.dial("0699000004", "0609182236")
    ex.advance(1)
    assert [len(queue) for queue in ex.groups.queues.values()] == [2]
    ex.hang_up(OUTSIDE)  # member 1 free: the head of the queue rings him
    ex.hang_up(OUTSIDE_2)  # member 2 free: the next caller rings him
    ex.advance(3)
    assert ex.in_call(mobile(0)) and ex.in_call(mobile(1))
    ex.settle()
    assert ex.record(first).outcome is CallOutcome.ANSWERED
    assert ex.record(second).outcome is CallOutcome.ANSWERED


def test_a_member_connecting_takes_a_waiting_caller_at_once(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    group = make_group(fleets, world, [0, 1], connect=False, queue_size=1)
    group = fleets.connect(group.id, world.line(0).id, True)
    ex.behave(mobile(0), answer_after=1)
    ex.dial(OUTSIDE, mobile(0))  # the only connected member is busy
    ex.advance(3)
    waiting = ex.dial(OUTSIDE_2, "0609182236")
    ex.advance(1)
    assert ex.engine.call(waiting).state is CallState.QUEUED  # type: ignore[union-attr]
    group = fleets.connect(group.id, world.line(1).id, True)
    ex.groups.group_changed(group, group.id)  # what the service tells on a member change
    ex.advance(1.5)
    assert ex.ringing(mobile(1))
    ex.hang_up(OUTSIDE_2)
    ex.settle()
    assert ex.record(waiting).outcome is CallOutcome.ABANDONED


def test_waiting_callers_are_indexed_by_the_members_of_their_group(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    taxis = make_group(fleets, world, [0, 1], queue_size=2)
    make_group(fleets, world, [2], number="0609182237", name="Livraisons", queue_size=2)
    for member in (0, 1, 2):
        ex.behave(mobile(member), answer_after=1)
    ex.dial(OUTSIDE, mobile(0))
    ex.dial(OUTSIDE_2, mobile(1))
    ex.advance(3)
    ex.dial(OUTSIDE_3, "0609182236")
    ex.advance(1)
    assert ex.groups.groups_waiting_for(n(mobile(0))) == {taxis.id}
    assert ex.groups.groups_waiting_for(n(mobile(1))) == {taxis.id}
    assert ex.groups.groups_waiting_for(n(mobile(2))) == set()
    ex.settle()
    assert ex.groups.groups_waiting_for(n(mobile(0))) == set()


def test_a_new_caller_rings_the_members_even_while_they_ring_for_another_group_call(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    """Only callers taken from the queue skip members already ringing for a group call;
    a caller who just dialled rings every available member (queue or not)."""
    make_group(fleets, world, [0, 1], distribution="simultaneous", queue_size=0)
    first = ex.dial(OUTSIDE, "0609182236")
    ex.advance(1.5)
    second = ex.dial(OUTSIDE_2, "0609182236")
    ex.advance(1.5)
    assert ex.engine.call(second) is not None  # not refused: it rings the members too
    ex.behave(mobile(0), answer_after=0)
    ex.network.answer(n(mobile(0)))
    ex.advance(0.5)
    ex.settle()
    assert ex.record(first).outcome is CallOutcome.ANSWERED
    assert ex.record(second).outcome is not CallOutcome.NO_ANSWER
