"""Voicemail as a destination in the engine (issue 16 item 7), in virtual time: every
forwarding type and a group's no-answer rule reach the voicemail platform's number with the
diversion history naming the mailbox (the line, or the group's number); the hop counts like
any other; the record says voicemail; without a platform the rule does nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fleet.core.calls.diversion import Diversion, DiversionReason
from fleet.core.calls.events import Announcement, ReleaseCause
from fleet.core.calls.ports import LegRequest, Limits
from fleet.core.model import CallEvent, CallRecord
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind, NoAnswerAction
from fleet.core.voicemail import VoicemailPlatform
from portal import calls_view
from simulators.handsets import Behaviour, HandsetState
from tests.exchange import Exchange, make_exchange, n
from tests.memory import MemoryFleets, World, memory_world

OUTSIDE = "0699000001"
PLATFORM = "0699999123"  # the deployment's voicemail platform
GROUP = "0609182236"


@pytest.fixture
def world() -> World:
    return memory_world()


@pytest.fixture
def fleets(world: World) -> MemoryFleets:
    return world.fleets


def _exchange(world: World, *, platform: bool = True, max_hops: int | None = None) -> Exchange:
    exchange = make_exchange(
        world.fleets.table,
        world,
        voicemail=VoicemailPlatform(n(PLATFORM) if platform else None),
        limits=Limits(max_hops=max_hops) if max_hops is not None else None,
    )
    exchange.network.add(n(OUTSIDE), "Client", behaviour=Behaviour(answer_after=None))
    exchange.network.add(n(PLATFORM), "Messagerie", behaviour=Behaviour(answer_after=1))
    return exchange


@pytest.fixture
def ex(world: World) -> Iterator[Exchange]:
    exchange = _exchange(world)
    yield exchange
    exchange.settle()
    exchange.assert_clean()


@pytest.fixture
def requests(ex: Exchange, monkeypatch: pytest.MonkeyPatch) -> list[LegRequest]:
    """Every leg the engine asks the simulated network for, in order."""
    seen: list[LegRequest] = []
    originate = ex.network.originate

    def spy(request: LegRequest) -> None:
        seen.append(request)
        originate(request)

    monkeypatch.setattr(ex.network, "originate", spy)
    return seen


def forwarded(record: CallRecord) -> list[CallEvent]:
    return [e for e in record.events if e.kind is CallEventKind.FORWARDED]


def to_platform(requests: list[LegRequest]) -> list[LegRequest]:
    return [r for r in requests if r.number == n(PLATFORM)]


CONDITIONS = {
    ForwardingKind.UNCONDITIONAL: DiversionReason.UNCONDITIONAL,
    ForwardingKind.BUSY: DiversionReason.BUSY,
    ForwardingKind.NO_REPLY: DiversionReason.NO_REPLY,
    ForwardingKind.NOT_REACHABLE: DiversionReason.NOT_REACHABLE,
}


def _provoke(ex: Exchange, kind: ForwardingKind, number: str) -> None:
    """Put the line's handset in the state that triggers a forwarding of ``kind``."""
    if kind is ForwardingKind.BUSY:
        ex.behave(number, already_busy=True)
    elif kind is ForwardingKind.NOT_REACHABLE:
        ex.switch(number, HandsetState.OFF)


@pytest.mark.parametrize("kind", list(ForwardingKind), ids=lambda k: k.value)
def test_every_forwarding_type_to_voicemail_reaches_the_platform_with_the_line_as_mailbox(
    ex: Exchange,
    fleets: MemoryFleets,
    world: World,
    requests: list[LegRequest],
    kind: ForwardingKind,
) -> None:
    line = world.line(1)
    fleets.forward_to_voicemail(line.id, kind, no_reply_timer=5)
    _provoke(ex, kind, "0611000002")
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(8)
    assert ex.in_call(PLATFORM)  # the platform answered the caller
    legs = to_platform(requests)
    assert [leg.diversions for leg in legs] == [
        (Diversion(CONDITIONS[kind], line.msisdn, n(PLATFORM)),)
    ]
    ex.hang_up(OUTSIDE)
    record = ex.record(call)
    assert record.outcome is CallOutcome.ANSWERED
    assert [
        (e.forwarding_kind, e.from_number, e.to_number, e.detail) for e in forwarded(record)
    ] == [(kind, line.msisdn.value, n(PLATFORM).value, {"target": "voicemail"})]


def test_no_reply_to_voicemail_waits_for_the_line_s_timer(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    fleets.forward_to_voicemail(world.line(1).id, ForwardingKind.NO_REPLY, no_reply_timer=15)
    ex.dial(OUTSIDE, "0611000002")
    ex.advance(14)
    assert ex.ringing("0611000002")
    assert not ex.ringing(PLATFORM) and not ex.in_call(PLATFORM)
    ex.advance(2)
    assert not ex.ringing("0611000002")
    assert ex.in_call(PLATFORM) or ex.ringing(PLATFORM)
    ex.hang_up(OUTSIDE)


def test_without_a_platform_a_forwarding_to_voicemail_does_nothing(world: World) -> None:
    ex = _exchange(world, platform=False)
    fleets = world.fleets
    fleets.forward_to_voicemail(world.line(1).id, ForwardingKind.UNCONDITIONAL)
    fleets.forward_to_voicemail(world.line(2).id, ForwardingKind.BUSY)
    ringing = ex.dial(OUTSIDE, "0611000002")
    ex.advance(2)
    assert ex.ringing("0611000002")  # not forwarded: the line rings
    ex.hang_up(OUTSIDE)
    ex.behave("0611000003", already_busy=True)
    busy = ex.dial(OUTSIDE, "0611000003")
    ex.advance(2)
    record = ex.record(busy)
    assert (record.outcome, record.cause) == (CallOutcome.BUSY, ReleaseCause.BUSY.value)
    assert forwarded(ex.record(ringing)) == [] == forwarded(record)
    assert not ex.in_call(PLATFORM)
    ex.settle()
    ex.assert_clean()


def test_a_forward_then_voicemail_carries_both_hops_the_last_naming_the_mailbox(
    ex: Exchange, fleets: MemoryFleets, world: World, requests: list[LegRequest]
) -> None:
    first, second = world.line(0), world.line(1)
    fleets.forward(first.id, ForwardingKind.UNCONDITIONAL, "0611000002")
    fleets.forward_to_voicemail(second.id, ForwardingKind.UNCONDITIONAL)
    call = ex.dial(OUTSIDE, "0611000001")
    ex.advance(3)
    assert [leg.diversions for leg in to_platform(requests)] == [
        (
            Diversion(DiversionReason.UNCONDITIONAL, first.msisdn, second.msisdn),
            Diversion(DiversionReason.UNCONDITIONAL, second.msisdn, n(PLATFORM)),
        )
    ]
    ex.hang_up(OUTSIDE)
    assert len(forwarded(ex.record(call))) == 2


def test_the_voicemail_hop_counts_against_the_hop_limit(world: World) -> None:
    ex = _exchange(world, max_hops=1)
    fleets = world.fleets
    fleets.forward(world.line(0).id, ForwardingKind.UNCONDITIONAL, "0611000002")
    fleets.forward_to_voicemail(world.line(1).id, ForwardingKind.UNCONDITIONAL)
    call = ex.dial(OUTSIDE, "0611000001")
    ex.advance(3)
    record = ex.record(call)
    assert (record.outcome, record.cause) == (
        CallOutcome.LOOP,
        ReleaseCause.FORWARDING_LIMIT.value,
    )
    assert not ex.in_call(PLATFORM) and not ex.ringing(PLATFORM)
    ex.settle()
    ex.assert_clean()


def _group(fleets: MemoryFleets, world: World, **fields: object) -> None:
    fleets.add_group(
        world.fleet.id,
        number=GROUP,
        name="Taxis",
        members=[world.line(0).id],
        connected=[world.line(0).id],
        switchover_delay=10,
        max_queue_wait=60,
        **fields,  # type: ignore[arg-type]
    )


def test_a_group_nobody_answers_goes_to_the_group_s_own_mailbox(
    ex: Exchange, fleets: MemoryFleets, world: World, requests: list[LegRequest]
) -> None:
    _group(fleets, world, no_answer_action=NoAnswerAction.FORWARD_TO_VOICEMAIL)
    call = ex.dial(OUTSIDE, GROUP)
    ex.advance(13)
    assert ex.in_call(PLATFORM)
    assert [leg.diversions for leg in to_platform(requests)] == [
        (Diversion(DiversionReason.GROUP_NO_ANSWER, n(GROUP), n(PLATFORM)),)
    ]
    ex.hang_up(OUTSIDE)
    [event] = forwarded(ex.record(call))
    assert (event.from_number, event.to_number, event.detail) == (
        n(GROUP).value,
        n(PLATFORM).value,
        {
            "group_no_answer": "no_member_answered",
            "action": "forward_to_voicemail",
            "target": "voicemail",
        },
    )


def test_a_group_to_voicemail_without_a_platform_ends_with_the_announcement(
    world: World,
) -> None:
    ex = _exchange(world, platform=False)
    _group(world.fleets, world, no_answer_action=NoAnswerAction.FORWARD_TO_VOICEMAIL)
    call = ex.dial(OUTSIDE, GROUP)
    ex.advance(13)
    record = ex.record(call)
    assert (record.outcome, record.cause) == (CallOutcome.NO_ANSWER, "no_answer")
    assert ex.network.played[-1][1] is Announcement.GROUP_NO_ANSWER
    ex.settle()
    ex.assert_clean()


def test_the_portals_call_log_says_the_call_went_to_voicemail(
    ex: Exchange, fleets: MemoryFleets, world: World
) -> None:
    line = world.line(1)
    fleets.forward_to_voicemail(line.id, ForwardingKind.UNCONDITIONAL)
    call = ex.dial(OUTSIDE, "0611000002")
    ex.advance(3)
    ex.hang_up(OUTSIDE)
    shown = calls_view.row(ex.record(call), line, "Europe/Paris")
    assert shown.events == ("forwarded", "voicemail")
