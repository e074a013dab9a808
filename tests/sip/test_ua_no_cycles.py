"""A call that ends leaves no reference cycle: its objects (the UAS core's 2xx retransmitter, the
incoming call, its dialog, its messages) are freed by reference counting as soon as nothing
holds them, rather than promoted into the collector's oldest generation to wait for a full pass
(issue 12: those passes walked them all, the INVITE→180 p99 of a long run). In virtual time."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tests.sip.dialog_support import established, phones
from tests.sip.virtual import VirtualClock

CALL_OBJECTS = {
    "AnswerRetransmitter",
    "IncomingCall",
    "OutgoingCall",
    "Dialog",
    "Request",
    "Response",
}


@contextmanager
def collector_off() -> Iterator[Callable[[], list[str]]]:
    """Inside, the collector does not run; the function gives the types of what only the
    collector could free (unreachable objects in reference cycles), made since."""
    gc.collect()
    gc.disable()

    def cyclic_garbage() -> list[str]:
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
            return [type(o).__qualname__ for o in gc.garbage]
        finally:
            gc.garbage.clear()
            gc.set_debug(0)

    try:
        yield cyclic_garbage
    finally:
        gc.enable()


def test_an_answered_call_hung_up_leaves_nothing_in_a_reference_cycle() -> None:
    with collector_off() as cyclic_garbage:
        clock = VirtualClock()
        alice, bob = phones(clock)  # they stay: only the call's own objects may be unreachable
        outgoing, incoming = established(clock, alice, bob)
        assert outgoing.dialog is not None
        alice.ua.bye(outgoing.dialog)
        clock.advance(70)  # every timer of the call over (64*T1 and the BYE's)
        assert alice.ua.calls_held == 0 and bob.ua.calls_held == 0
        del outgoing, incoming
        assert sorted(set(cyclic_garbage()) & CALL_OBJECTS) == []
        assert len(bob.sent("200", "BYE")) == 1


def test_a_2xx_never_acked_leaves_nothing_in_a_reference_cycle_once_given_up() -> None:
    with collector_off() as cyclic_garbage:
        clock = VirtualClock()
        alice, bob = phones(clock)
        alice.link.lose("ACK", every=True)  # Bob resends his 2xx until 64*T1, then BYEs
        established(clock, alice, bob)
        clock.advance(70)
        assert len(bob.sent("BYE")) == 1
        assert sorted(set(cyclic_garbage()) & CALL_OBJECTS) == []
