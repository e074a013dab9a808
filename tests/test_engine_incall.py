"""In-call services (DESIGN §4): hold, transfer by #1 and the conference key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fleet.core.calls.events import (
    Announcement,
    BridgeFailed,
    BridgeFailure,
    CallState,
)
from fleet.core.calls.incall import Refusal
from fleet.core.values import CallEventKind, CallOutcome
from simulators.handsets import Behaviour, HandsetState
from tests.exchange import Exchange, make_exchange, n
from tests.memory import MemoryFleets, World, memory_world

A, B, C = "0611000001", "0699000001", "0611000003"  # Monsieur A, Madame B (a client), Monsieur C
OUTSIDERS = [f"06990000{i:02d}" for i in range(1, 9)]


@pytest.fixture
def world() -> World:
    return memory_world()


@pytest.fixture
def fleets(world: World) -> MemoryFleets:
    return world.fleets


@pytest.fixture
def ex(world: World) -> Iterator[Exchange]:
    exchange = make_exchange(world.fleets.table, world)
    for number in OUTSIDERS:
        exchange.network.add(
            n(number), f"Client {number[-2:]}", behaviour=Behaviour(answer_after=None)
        )
    exchange.network.add(n("0899123456"), "Service 08", behaviour=Behaviour(answer_after=1))
    yield exchange
    exchange.settle()
    exchange.assert_clean()
    assert exchange.engine.incall.conferences == {}


def call_b_then_hold_and_dial(
    ex: Exchange, target: str, *, answer: bool = True, dial: str | None = None
) -> tuple[str, str]:
    """Madame B calls Monsieur A; he answers, holds her, dials ``target``."""
    ex.behave(A, answer_after=1)
    first = ex.dial(B, A)
    ex.advance(3)
    ex.behave(A, answer_after=None)
    ex.network.hold(n(A))
    if answer:
        ex.behave(target, answer_after=1)
    second = ex.dial(A, dial or target)
    ex.advance(3 if answer else 1.5)
    return first, second


def kinds(ex: Exchange, call_id: str) -> list[CallEventKind]:
    return [e.kind for e in ex.record(call_id).events]


def test_monsieur_a_transfers_madame_b_to_monsieur_c(ex: Exchange) -> None:
    first, second = call_b_then_hold_and_dial(ex, C, dial="2003")  # C's short number
    assert ex.in_call(C)
    assert ex.network.press_transfer(n(A)) is None
    assert not ex.in_call(A)
    assert ex.in_call(B) and ex.in_call(C)
    assert ex.engine.call(second).state is CallState.CONNECTED  # type: ignore[union-attr]
    ex.hang_up(C)
    assert not ex.in_call(B)
    assert CallEventKind.TRANSFERRED in kinds(ex, first)
    assert CallEventKind.TRANSFERRED in kinds(ex, second)
    assert ex.record(first).outcome is CallOutcome.ANSWERED
    assert ex.record(second).outcome is CallOutcome.ANSWERED


def test_transfer_to_a_call_still_alerting_connects_when_it_answers(ex: Exchange) -> None:
    _, second = call_b_then_hold_and_dial(ex, C, answer=False)
    assert ex.ringing(C)
    assert ex.network.press_transfer(n(A)) is None
    assert not ex.in_call(A)
    ex.network.answer(n(C))
    assert ex.in_call(B) and ex.in_call(C)
    assert ex.engine.call(second).state is CallState.CONNECTED  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("state", "refusal", "announcement"),
    [
        (HandsetState.ABROAD, Refusal.ABROAD, Announcement.TRANSFER_REFUSED_ABROAD),
        (HandsetState.WHITE_ZONE, Refusal.WHITE_ZONE, Announcement.TRANSFER_REFUSED_WHITE_ZONE),
    ],
)
def test_transfer_is_refused_abroad_and_in_white_zones(
    ex: Exchange, state: HandsetState, refusal: Refusal, announcement: Announcement
) -> None:
    first, second = call_b_then_hold_and_dial(ex, C)
    ex.switch(A, state)
    assert ex.network.press_transfer(n(A)) is refusal
    talking = ex.engine.call(second).a_leg  # type: ignore[union-attr]
    assert talking is not None  # heard on the call A is talking on, not the one A holds
    assert ex.network.played[-1] == (talking.id, announcement)
    assert ex.in_call(A) and ex.in_call(B) and ex.in_call(C)
    ex.settle()
    assert CallEventKind.TRANSFERRED not in kinds(ex, first) + kinds(ex, second)


def test_transfer_to_a_special_08_number_is_refused(ex: Exchange) -> None:
    call_b_then_hold_and_dial(ex, "0899123456")
    assert ex.network.press_transfer(n(A)) is Refusal.SPECIAL_NUMBER
    assert ex.network.played[-1][1] is Announcement.TRANSFER_REFUSED_SPECIAL_NUMBER
    assert ex.in_call(A)


def test_transfer_without_a_held_call_is_not_possible(ex: Exchange) -> None:
    ex.behave(A, answer_after=1)
    ex.dial(B, A)
    ex.advance(3)
    assert ex.network.press_transfer(n(A)) is Refusal.NO_HELD_CALL
    assert ex.network.played[-1][1] is Announcement.SERVICE_NOT_POSSIBLE


def test_conference_of_a_b_and_c(ex: Exchange) -> None:
    first, second = call_b_then_hold_and_dial(ex, C)
    assert ex.network.press_conference(n(A)) is None
    (mix,) = ex.network.conferences.values()
    assert len(mix) == 4  # A's two legs, B and C
    (conference,) = ex.engine.incall.conferences.values()
    assert conference.participants == 3
    ex.hang_up(B)  # a participant leaves: only that one
    assert ex.in_call(A) and ex.in_call(C)
    assert conference.participants == 2
    ex.hang_up(A)  # the initiator hangs up: everyone is released
    assert not ex.in_call(C)
    for call in (first, second):
        assert CallEventKind.CONFERENCE_JOINED in kinds(ex, call)
        assert CallEventKind.CONFERENCE_LEFT in kinds(ex, call)


def test_a_conference_the_network_cannot_mix_is_announced_to_its_initiator_then_released(
    ex: Exchange,
) -> None:
    first, second = call_b_then_hold_and_dial(ex, C)
    assert ex.network.press_conference(n(A)) is None
    (conference,) = ex.engine.incall.conferences.values()
    calls = [ex.engine.call(c) for c in (first, second)]
    mine = {
        leg.id
        for call in calls
        if call
        for leg in (call.a_leg, call.b_leg)
        if leg and leg.number == n(A)
    }
    ex.engine.bridge_failed(BridgeFailed(min(mine), BridgeFailure.NO_MEDIA_SERVER))
    told = [r[2] for r in ex.network.releases if r[0] in mine]  # A: on one of its two legs
    assert sorted(told, key=str) == [None, Announcement.SERVICE_NOT_POSSIBLE]
    assert not (ex.in_call(A) or ex.in_call(B) or ex.in_call(C))
    assert conference.id not in ex.engine.incall.conferences
    for call in (first, second):
        assert CallEventKind.CONFERENCE_LEFT in kinds(ex, call)


def test_a_transfer_the_network_cannot_bridge_releases_the_call(ex: Exchange) -> None:
    _, second = call_b_then_hold_and_dial(ex, C)
    assert ex.network.press_transfer(n(A)) is None
    c_leg = ex.engine.call(second).b_leg  # type: ignore[union-attr]
    assert c_leg is not None
    ex.engine.bridge_failed(BridgeFailed(c_leg.id, BridgeFailure.GLARE))
    assert not (ex.in_call(B) or ex.in_call(C))
    assert ex.record(second).outcome is CallOutcome.ANSWERED


def conference_id(ex: Exchange) -> str:
    call_b_then_hold_and_dial(ex, C)
    assert ex.network.press_conference(n(A)) is None
    (conference,) = ex.engine.incall.conferences.values()
    ex.hang_up(A)
    ex.settle()
    assert not ex.engine.incall.conferences
    return conference.id


def test_conference_ids_never_repeat_within_a_process_or_across_restarts(
    ex: Exchange, world: World
) -> None:
    first, second = conference_id(ex), conference_id(ex)
    restarted = make_exchange(world.fleets.table, world)  # another process, the same fleet
    after_restart = conference_id(restarted)
    restarted.settle()
    restarted.assert_clean()
    assert len({first, second, after_restart}) == 3, (first, second, after_restart)
    # the engine's id source (``fleet.exchange.ids.CallIds``): the process's prefix in each
    assert first.startswith("conf-") and first.split("-")[1] == second.split("-")[1]
    assert after_restart.split("-")[1] != first.split("-")[1]


def test_conference_takes_up_to_six_participants_and_refuses_a_seventh(ex: Exchange) -> None:
    call_b_then_hold_and_dial(ex, OUTSIDERS[1])
    assert ex.network.press_conference(n(A)) is None
    for extra in OUTSIDERS[2:5]:
        ex.behave(extra, answer_after=1)
        ex.dial(A, extra)
        ex.advance(3)
        assert ex.network.press_conference(n(A)) is None
    (conference,) = ex.engine.incall.conferences.values()
    assert conference.participants == 6
    ex.behave(OUTSIDERS[5], answer_after=1)
    seventh = ex.dial(A, OUTSIDERS[5])
    ex.advance(3)
    assert ex.network.press_conference(n(A)) is Refusal.CONFERENCE_FULL
    assert ex.network.played[-1][1] is Announcement.CONFERENCE_FULL
    assert ex.engine.call(seventh).state is CallState.CONNECTED  # type: ignore[union-attr]
    ex.hang_up(A)
    assert not any(ex.in_call(o) for o in OUTSIDERS)


def test_initiator_hang_up_releases_every_participant(ex: Exchange) -> None:
    call_b_then_hold_and_dial(ex, C)
    ex.network.press_conference(n(A))
    ex.behave(OUTSIDERS[2], answer_after=1)
    ex.dial(A, OUTSIDERS[2])
    ex.advance(3)
    ex.network.press_conference(n(A))
    ex.hang_up(A)
    assert not ex.in_call(B) and not ex.in_call(C) and not ex.in_call(OUTSIDERS[2])
    assert ex.engine.active_calls == 0
