"""A user agent forgets each call once it and its transactions have ended: after calls that were
answered and hung up, rejected, cancelled or never acknowledged, and every timer has run (virtual
time), it holds no call, dialog, transaction or timer. With ``keep_history`` it keeps them."""

from __future__ import annotations

from fleet.sip.ua_calls import IncomingCall, IncomingState, OutgoingState
from fleet.sip.ua_core import UserAgent
from tests.sip.dialog_support import ALICE, BOB, RecordRoutingLink
from tests.sip.virtual import VirtualClock

CALLS = 5


def pair(clock: VirtualClock, *, keep_history: bool = False) -> tuple[UserAgent, UserAgent]:
    alice_link, bob_link = RecordRoutingLink(clock, ALICE), RecordRoutingLink(clock, BOB)
    alice = UserAgent(clock, alice_link, ALICE, "alice", keep_history=keep_history)
    bob = UserAgent(clock, bob_link, BOB, "bob", keep_history=keep_history)
    alice_link.receiver, bob_link.receiver = bob.layer, alice.layer
    return alice, bob


def assert_nothing_held(clock: VirtualClock, *agents: UserAgent) -> None:
    for agent in agents:
        assert agent.calls_held == 0
        assert len(agent.layer) == 0
        assert agent.incoming == [] and agent.outgoing == [] and agent.reinvites == []
    assert clock.pending == 0


def test_answered_calls_hung_up_leave_no_call_dialog_transaction_or_timer() -> None:
    clock = VirtualClock()
    alice, bob = pair(clock)
    answered: list[IncomingCall] = []

    def answer(call: IncomingCall) -> None:
        answered.append(call)
        bob.answer(call)

    bob.on_incoming = answer
    calls = [alice.invite(f"sip:bob@192.0.2.2;n={n}") for n in range(CALLS)]
    clock.advance(0.1)
    assert [call.state for call in calls] == [OutgoingState.CONFIRMED] * CALLS
    assert [call.state for call in answered] == [IncomingState.CONFIRMED] * CALLS
    assert len(bob.dialogs) == CALLS and bob.calls_held > 0
    for call in calls:
        assert call.dialog is not None
        alice.bye(call.dialog)
    clock.advance(0.1)
    assert bob.dialogs == {} and alice.dialogs == {}
    clock.advance(64)
    assert_nothing_held(clock, alice, bob)


def test_rejected_and_cancelled_calls_leave_nothing_behind() -> None:
    clock = VirtualClock()
    alice, bob = pair(clock)
    ringing: list[IncomingCall] = []

    def incoming(call: IncomingCall) -> None:
        if len(ringing) % 2:
            bob.reject(call, 486)
        else:
            bob.ring(call)
        ringing.append(call)

    bob.on_incoming = incoming
    calls = [alice.invite(f"sip:bob@192.0.2.2;n={n}") for n in range(2 * CALLS)]
    clock.advance(0.1)
    for call in calls[::2]:
        alice.cancel(call)
    clock.advance(0.1)
    assert [call.final_status for call in calls] == [487, 486] * CALLS
    assert [call.state for call in ringing] == [
        IncomingState.CANCELLED,
        IncomingState.REJECTED,
    ] * CALLS
    clock.advance(64)
    assert_nothing_held(clock, alice, bob)


def test_a_2xx_never_acknowledged_is_given_up_and_forgotten() -> None:
    clock = VirtualClock()
    alice, bob = pair(clock)
    bob.on_incoming = bob.answer
    alice_link = alice._transport
    assert isinstance(alice_link, RecordRoutingLink)
    alice_link.lose("ACK", every=True)
    alice.invite("sip:bob@192.0.2.2")
    clock.advance(40)  # 64*T1: Bob gives up and sends BYE
    assert bob.dialogs == {} and alice.dialogs == {}
    clock.advance(64)
    assert_nothing_held(clock, alice, bob)


def test_with_keep_history_every_call_stays_listed() -> None:
    clock = VirtualClock()
    alice, bob = pair(clock, keep_history=True)
    bob.on_incoming = bob.answer
    outgoing = [alice.invite(f"sip:bob@192.0.2.2;n={n}") for n in range(CALLS)]
    clock.advance(0.1)
    assert alice.outgoing == outgoing
    assert [call.state for call in bob.incoming] == [IncomingState.CONFIRMED] * CALLS
