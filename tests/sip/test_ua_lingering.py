"""What an answered call leaves while its timers run (timer M, 32 s, for every call): once the
2xx is ACKed the UAC core lets go of the outgoing call, its INVITE, 2xx and dialog, keeping the
ACK's bytes (the same ACK for each retransmitted 2xx) and what building another fork's dialog
needs (its 2xx is ACKed and BYEd, RFC 3261 §13.2.2.4); after timer M a 2xx is a stray one. The
transactions waiting out their last timer (M, L, J, K) keep no timer of their own. In virtual
time."""

from __future__ import annotations

import gc
import weakref

from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.transaction_client import InviteClientState, InviteClientTransaction
from fleet.sip.transaction_server import InviteServerState, InviteServerTransaction
from fleet.sip.transport_types import Peer
from fleet.sip.ua_calls import IncomingCall, OutgoingState
from fleet.sip.ua_core import UserAgent
from tests.sip.dialog_support import ALICE, BOB, Phone, established, phase, phones
from tests.sip.listener_support import Ear, Heard
from tests.sip.test_ua_memory import pair
from tests.sip.virtual import VirtualClock, state


def _acks(phone: Phone) -> list[bytes]:
    return [serialize(sent.message) for sent in phone.sent("ACK")]


def _bobs_200(bob: Phone) -> bytes:
    (ok,) = bob.sent("200", "INVITE")
    return serialize(ok.message)


def _deliver(ua: UserAgent, data: bytes) -> None:
    response = parse_message(data)
    assert isinstance(response, Response)
    ua.layer.on_response(response, BOB)


def _from_another_fork(ok: bytes, bob: Phone, tag: str) -> bytes:
    return ok.replace(f";tag={bob.dialog.id.local_tag}".encode(), f";tag={tag}".encode())


def test_a_call_hung_up_is_let_go_of_while_its_retransmitted_2xx_gets_the_same_ack() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    alice.link.lose("ACK", 1)
    alice.ua.keep_history = False
    call = alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.answer(incoming)
    clock.advance(0.05)
    assert call.dialog is not None and phase(call) is OutgoingState.CONFIRMED
    gone = weakref.ref(call)
    del call
    gc.collect()
    assert gone() is None  # neither the UA nor its transaction keeps it
    clock.advance(0.6)  # Bob's 2xx again (its ACK was lost): the same ACK goes again
    first, second = _acks(alice)
    assert first == second
    assert incoming.state.value == "confirmed"


def test_a_second_fork_answering_after_the_ack_is_acked_and_byed_and_the_call_stays() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    alice.ua.listener = ear = Ear()
    outgoing, _ = established(clock, alice, bob)
    answered = outgoing.dialog
    assert answered is not None
    fork = _from_another_fork(_bobs_200(bob), bob, "fork2")
    clock.advance(5)
    _deliver(alice.ua, fork)
    _deliver(alice.ua, fork)  # retransmitted: ACKed again, not BYEd again
    _, *again = alice.sent("ACK")
    assert [ack.message.to.tag for ack in again if ack.message.to] == ["fork2", "fork2"]
    assert serialize(again[0].message) == serialize(again[1].message)
    (bye,) = alice.sent("BYE")
    assert isinstance(bye.message, Request) and bye.message.to and bye.message.to.tag == "fork2"
    assert bye.message.call_id == answered.id.call_id
    assert list(alice.ua.dialogs.values()) == [answered]
    assert phase(outgoing) is OutgoingState.CONFIRMED and outgoing.dialog is answered
    assert ear.statuses() == [180, 200]
    ended = [dialog for kind, dialog, _ in ear.heard if kind is Heard.DIALOG_ENDED]
    assert [dialog.id.remote_tag for dialog in ended] == ["fork2"]  # type: ignore[attr-defined]


def test_after_timer_m_a_2xx_gets_no_ack_and_the_ua_holds_nothing() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    outgoing, _ = established(clock, alice, bob)
    assert outgoing.dialog is not None
    ok = _bobs_200(bob)
    late = _from_another_fork(ok, bob, "late")
    alice.ua.bye(outgoing.dialog)
    clock.advance(32.5)  # timer M of the ACK, and of the INVITE's transaction
    _deliver(alice.ua, ok)
    _deliver(alice.ua, late)
    assert len(alice.sent("ACK")) == 1 and len(alice.sent("BYE")) == 1
    clock.advance(64)
    assert alice.ua.calls_held == 0 and len(alice.ua.layer) == 0


def test_the_ua_ends_its_invite_transaction_at_the_ack_the_server_waits_out_timer_l() -> None:
    clock = VirtualClock()
    alice, bob = pair(clock)
    accepted: list[InviteServerTransaction] = []

    def answer(call: IncomingCall) -> None:
        accepted.append(call.transaction)
        bob.answer(call)

    bob.on_incoming = answer
    call = alice.invite("sip:bob@192.0.2.2")
    clock.advance(0.1)
    client, (server,) = call.transaction, accepted
    assert isinstance(client, InviteClientTransaction)
    # the ACK sent, the UA core answers the 2xx's retransmissions itself until timer M
    assert state(client) is InviteClientState.TERMINATED
    assert len(alice.layer) == 0
    assert state(server) is InviteServerState.ACCEPTED and server.running_timers == frozenset()
    clock.advance(31.8)
    assert state(server) is InviteServerState.ACCEPTED
    clock.advance(0.3)  # 64*T1 after the 2xx
    assert state(server) is InviteServerState.TERMINATED


class _Wire:
    """A link that keeps nothing: each message serialized, parsed again at the far end."""

    def __init__(self, clock: VirtualClock, source: Peer) -> None:
        self.clock, self.source = clock, source
        self.receiver: UserAgent | None = None

    def send(self, message: Request | Response, destination: Peer) -> None:
        data, receiver, source = serialize(message), self.receiver, self.source
        assert receiver is not None

        def deliver() -> None:
            received = parse_message(data)
            if isinstance(received, Request):
                receiver.layer.on_request(received, source)
            else:
                receiver.layer.on_response(received, source)

        self.clock.call_later(0.01, deliver)


def _calls_over(clock: VirtualClock, count: int) -> tuple[UserAgent, UserAgent]:
    alice_wire, bob_wire = _Wire(clock, ALICE), _Wire(clock, BOB)
    alice = UserAgent(clock, alice_wire, ALICE, "alice")
    bob = UserAgent(clock, bob_wire, BOB, "bob")
    alice_wire.receiver, bob_wire.receiver = bob, alice
    bob.on_incoming = lambda call: bob.answer(call, body=b"v=0\r\n", content_type="application/sdp")
    calls = [alice.invite(f"sip:bob@192.0.2.2;n={n}", body=b"v=0\r\n") for n in range(count)]
    clock.advance(0.2)
    for call in calls:
        assert call.dialog is not None
        alice.bye(call.dialog)
    clock.advance(1)
    return alice, bob


def test_calls_over_leave_few_objects_for_the_collector_while_their_timers_run() -> None:
    calls = 300
    gc.collect()
    before = len(gc.get_objects())
    clock = VirtualClock()
    alice, bob = _calls_over(clock, calls)
    gc.collect()
    per_call = (len(gc.get_objects()) - before) / calls
    # both sides the BYE's transaction; the UAS's INVITE one too (the UAC ended its own at
    # the ACK, handing the 2xx's retransmissions to its core)
    assert len(alice.layer) == calls and len(bob.layer) == 2 * calls
    # an INVITE and a BYE transaction each side, their peers, and this virtual clock's
    # cancelled timers (B, F: 8 objects a call); 60 a call when the UAC kept each call
    assert per_call < 22
