"""A netsim handset rung by its peer, in virtual time: each state and behaviour gives its peer
what a handset of the network would (ringing, the answer, 486, 603, 480, 408), and a handset
holds no timer once its call has ended."""

from __future__ import annotations

import pytest

from fleet.core.numbering import E164
from simulators.netsim.handset import (
    Answering,
    Behaviour,
    Directory,
    Handset,
    HandsetKind,
    HandsetState,
)
from simulators.netsim.handset_leg import HandsetError, HandsetLeg
from simulators.netsim.legs import Calls, Leg, LegKind, LegState, OfferDone, join
from tests.sip.virtual import VirtualClock

CALLER = E164("+33699000001")


class Heard(Leg):
    """The caller's side: records what the handset's side did."""

    kind = LegKind.SIP_IN

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.heard: list[str] = []

    def peer_progress(self, status: int, body: bytes) -> None:
        self.heard.append(str(status))

    def peer_answered(self, body: bytes) -> None:
        self.heard.append("answered" if b"a=sendrecv" in body else "answered without audio")

    def peer_refused(self, status: int) -> None:
        self.heard.append(str(status))
        self.end(status)

    def peer_gone(self) -> None:
        self.heard.append("gone")
        self.end()

    def peer_offer(self, body: bytes, done: OfferDone, *, update: bool = False) -> None:
        done(body, 200)


def state_of(leg: Leg) -> LegState:
    """Read afresh (a leg changes under the clock and the person's actions)."""
    return leg.state


def holding(leg: HandsetLeg) -> bool:
    return leg.on_hold


def ring(
    state: HandsetState = HandsetState.ON, behaviour: Behaviour | None = None
) -> tuple[VirtualClock, Heard, HandsetLeg, Calls]:
    clock = VirtualClock()
    calls = Calls(now=clock.now)
    call = calls.new()
    handset = Handset(
        E164("+33611000004"),
        Directory(HandsetKind.LINE, "Madame C", 1, "2004"),
        state=state,
        behaviour=behaviour or Behaviour(),
    )
    caller = Heard(call, role="caller", party="06 99 00 00 01")
    callee = HandsetLeg(call, handset, role="callee", scheduler=clock, other=CALLER)
    join(caller, callee)
    callee.alert()
    return clock, caller, callee, calls


def test_a_handset_rings_then_answers_after_its_delay() -> None:
    clock, caller, callee, _ = ring(behaviour=Behaviour(Answering.AFTER, 4))
    assert caller.heard == ["180"] and callee.shows == "06 99 00 00 01"
    clock.advance(3.9)
    assert state_of(callee) is LegState.RINGING
    clock.advance(0.2)
    assert caller.heard == ["180", "answered"]
    assert state_of(callee) is LegState.ANSWERED and clock.pending == 0


def test_a_declining_handset_rings_then_refuses_603() -> None:
    clock, caller, callee, calls = ring(behaviour=Behaviour(Answering.DECLINE, 2))
    clock.advance(2.1)
    assert caller.heard == ["180", "603"]
    assert callee.cause == 603 and not calls.active


@pytest.mark.parametrize(
    ("state", "behaviour", "status"),
    [
        (HandsetState.ON, Behaviour(Answering.BUSY), "486"),
        (HandsetState.OFF, Behaviour(), "480"),
        (HandsetState.OUT_OF_COVERAGE, Behaviour(), "408"),
    ],
)
def test_a_handset_that_cannot_take_the_call_refuses_at_once(
    state: HandsetState, behaviour: Behaviour, status: str
) -> None:
    clock, caller, callee, calls = ring(state, behaviour)
    assert caller.heard == [status]
    assert callee.ended and clock.pending == 0 and not calls.active
    assert callee.handset.legs == []


def test_a_handset_that_never_answers_rings_until_the_caller_gives_up() -> None:
    clock, caller, callee, calls = ring(behaviour=Behaviour(Answering.NEVER))
    clock.advance(3600)
    assert caller.heard == ["180"] and callee.state is LegState.RINGING
    caller.end()
    callee.peer_gone()
    assert callee.cause == 487 and not calls.active and calls.ended[-1] is callee.call


def test_abroad_and_in_the_white_zone_a_handset_still_answers() -> None:
    for state in (HandsetState.ABROAD, HandsetState.WHITE_ZONE):
        clock, caller, _, _ = ring(state, Behaviour(Answering.AFTER, 1))
        clock.advance(1)
        assert caller.heard == ["180", "answered"]


def test_a_person_answers_declines_and_holds_through_the_handset() -> None:
    _, caller, callee, _ = ring(behaviour=Behaviour(Answering.NEVER))
    callee.answer()
    assert caller.heard == ["180", "answered"]
    with pytest.raises(HandsetError):
        callee.answer()
    callee.hold()
    assert holding(callee)
    with pytest.raises(HandsetError):
        callee.hold()
    callee.hold(retrieve=True)
    assert not holding(callee)
    callee.hang_up()
    assert caller.heard[-1] == "gone" and callee.handset.legs == []
    with pytest.raises(HandsetError):
        callee.hang_up()
    _, caller, callee, _ = ring(behaviour=Behaviour(Answering.NEVER))
    callee.hang_up()  # the reject key while it rings
    assert caller.heard == ["180", "603"]
