"""Two user agents over the lossy link simulator, in virtual time, for the dialog tests.

Alice is 192.0.2.1, Bob 192.0.2.2. Alice's link can stand for a chain of record-routing proxies:
it adds Record-Route values to each INVITE that starts a dialog, as they would reach Bob, and
still delivers to Bob whatever the destination."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from fleet.sip.dialog import Dialog
from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.reliable import Rel100
from fleet.sip.session_timer import SessionTimerConfig
from fleet.sip.transport_types import UDP, Peer
from fleet.sip.ua_calls import IncomingCall, OfferHook, OutgoingCall
from fleet.sip.ua_core import UserAgent
from tests.sip.lossy import LossyLink, Sent
from tests.sip.virtual import VirtualClock

ALICE = Peer(UDP, "192.0.2.1", 5060)
BOB = Peer(UDP, "192.0.2.2", 5060)


@dataclass
class RecordRoutingLink(LossyLink):
    """``record_route``: the Record-Route values an initial INVITE carries when it reaches the
    far end (the proxy nearest it first)."""

    record_route: list[str] = field(default_factory=list)

    def send(self, message: Request | Response, destination: Peer) -> None:
        if self.record_route and isinstance(message, Request) and message.method == "INVITE":
            to = message.to
            if to is not None and to.tag is None:
                copy = parse_message(serialize(message))
                for value in self.record_route:
                    copy.headers.add("Record-Route", value)
                message = copy
        super().send(message, destination)


@dataclass
class Phone:
    ua: UserAgent
    link: RecordRoutingLink

    def sent(self, label: str, method: str | None = None) -> list[Sent]:
        """What this phone handed to its transport: ``label`` a method or a status, ``method``
        the CSeq method (to tell the 200 of a BYE from the 200 of an INVITE)."""
        out = []
        for sent in self.link.sent:
            cseq = sent.message.cseq
            if sent.label == label and (method is None or (cseq and cseq.method == method)):
                out.append(sent)
        return out

    @property
    def dialog(self) -> Dialog:
        (dialog,) = self.ua.dialogs.values()
        return dialog


def phones(
    clock: VirtualClock,
    *,
    random: Callable[[], float] = lambda: 0.5,
    record_route: tuple[str, ...] = (),
    alice_session: SessionTimerConfig | None = None,
    bob_session: SessionTimerConfig | None = None,
    alice_rel100: Rel100 = Rel100.NONE,
    bob_offer: OfferHook | None = None,
) -> tuple[Phone, Phone]:
    """``alice_rel100``: what Alice's INVITEs say about 100rel; ``bob_offer``: Bob's offer
    hook."""
    alice_link = RecordRoutingLink(clock, ALICE, record_route=list(record_route))
    bob_link = RecordRoutingLink(clock, BOB)
    alice_ua = UserAgent(
        clock,
        alice_link,
        ALICE,
        "alice",
        random=random,
        session=alice_session,
        rel100=alice_rel100,
        keep_history=True,
    )
    bob_ua = UserAgent(
        clock,
        bob_link,
        BOB,
        "bob",
        random=random,
        session=bob_session,
        on_offer=bob_offer,
        keep_history=True,
    )
    alice, bob = Phone(alice_ua, alice_link), Phone(bob_ua, bob_link)
    alice_link.receiver = bob.ua.layer
    bob_link.receiver = alice.ua.layer
    return alice, bob


def ringing(clock: VirtualClock, alice: Phone, bob: Phone) -> tuple[OutgoingCall, IncomingCall]:
    """Alice calls Bob, Bob's phone rings (180 within the 100 Trying delay)."""
    outgoing = alice.ua.invite("sip:bob@192.0.2.2")
    clock.advance(0.05)
    (incoming,) = bob.ua.incoming
    bob.ua.ring(incoming)
    clock.advance(0.05)
    return outgoing, incoming


def established(clock: VirtualClock, alice: Phone, bob: Phone) -> tuple[OutgoingCall, IncomingCall]:
    outgoing, incoming = ringing(clock, alice, bob)
    bob.ua.answer(incoming)
    clock.advance(0.1)
    return outgoing, incoming


def phase(call: OutgoingCall | IncomingCall) -> Enum:
    """A call's state, read through a call so that mypy does not narrow it across clock steps."""
    return call.state


def route_values(message: Request | Response) -> list[str]:
    return message.headers.values("Route")
