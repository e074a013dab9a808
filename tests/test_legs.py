"""A leg as an explicit state machine: only the transitions a call can make."""

from __future__ import annotations

import pytest

from fleet.core.calls.events import LegState
from fleet.core.calls.legs import IllegalTransition, Leg
from fleet.core.numbering import E164

NUMBER = E164("+33611000001")


def leg_in(*path: LegState) -> Leg:
    leg = Leg(id="l1", number=NUMBER)
    for state in path:
        leg.move(state)
    return leg


def test_an_originated_leg_rings_then_is_answered() -> None:
    offered = leg_in(LegState.OFFERED)
    assert (offered.ringing, offered.live, offered.up) == (True, True, False)
    alerting = leg_in(LegState.OFFERED, LegState.ALERTING)
    assert alerting.ringing
    answered = leg_in(LegState.OFFERED, LegState.ALERTING, LegState.ANSWERED)
    assert (answered.up, answered.ringing) == (True, False)


def test_an_answered_leg_can_be_held_and_retrieved() -> None:
    leg = leg_in(LegState.OFFERED, LegState.ANSWERED, LegState.HELD)
    assert leg.up
    leg.move(LegState.ANSWERED)
    assert leg.state is LegState.ANSWERED


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ((LegState.OFFERED, LegState.ALERTING), LegState.OFFERED),
        ((LegState.OFFERED,), LegState.HELD),
        ((LegState.OFFERED, LegState.ANSWERED), LegState.ALERTING),
        ((LegState.RELEASED,), LegState.ANSWERED),
        ((LegState.OFFERED, LegState.RELEASED), LegState.OFFERED),
    ],
)
def test_a_leg_refuses_a_transition_its_state_does_not_allow(
    path: tuple[LegState, ...], illegal: LegState
) -> None:
    leg = leg_in(*path)
    with pytest.raises(IllegalTransition):
        leg.move(illegal)
    assert leg.state is path[-1]


def test_releasing_a_leg_twice_is_harmless() -> None:
    leg = leg_in(LegState.OFFERED)
    leg.release()
    leg.release()
    assert leg.state is LegState.RELEASED and not leg.live and not leg.ringing


def test_a_released_leg_is_neither_ringing_nor_up() -> None:
    leg = leg_in(LegState.OFFERED, LegState.ANSWERED)
    leg.release()
    assert not leg.up and not leg.ringing
