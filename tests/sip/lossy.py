"""A lossy network for the transaction tests: each endpoint sends through a :class:`LossyLink`
that serializes the message and delivers it (parsed again) to the peer's transaction layer
after ``latency`` virtual seconds, unless a named misbehaviour applies to it.

Misbehaviours target the n-th message of a label (the method of a request, the status code of a
response, e.g. ``"INVITE"``, ``"ACK"``, ``"180"``), counted per link from 1; ``every=True`` applies
them to that occurrence and all later ones."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.transaction_layer import TransactionLayer
from fleet.sip.transaction_messages import make_response
from fleet.sip.transaction_ports import TransactionUser
from fleet.sip.transaction_server import ServerTransaction
from fleet.sip.transport_types import UDP, Peer, SendError, Transport
from tests.sip.virtual import VirtualClock

LATENCY = 0.01


class Misbehaviour(Enum):
    LOSS = "lost"
    DUPLICATION = "delivered twice"
    DELAY = "delivered late"
    REORDER = "overtaken by the next message"
    REFUSAL = "refused by the transport"


@dataclass(frozen=True, slots=True)
class Rule:
    kind: Misbehaviour
    label: str
    occurrence: int
    every: bool = False
    extra: float = 0.0

    def applies(self, label: str, occurrence: int) -> bool:
        if label != self.label:
            return False
        return occurrence >= self.occurrence if self.every else occurrence == self.occurrence


@dataclass(frozen=True, slots=True)
class Sent:
    at: float
    label: str
    message: Request | Response
    destination: Peer


def label_of(message: Request | Response) -> str:
    return message.method if isinstance(message, Request) else str(message.status)


@dataclass
class LossyLink:
    """The transport port of one endpoint; ``receiver`` None is a black hole."""

    clock: VirtualClock
    source: Peer
    receiver: TransactionLayer | None = None
    latency: float = LATENCY
    sent: list[Sent] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    _counts: Counter[str] = field(default_factory=Counter)
    _held: list[bytes] = field(default_factory=list)

    def lose(self, label: str, occurrence: int = 1, every: bool = False) -> None:
        self.rules.append(Rule(Misbehaviour.LOSS, label, occurrence, every))

    def duplicate(self, label: str, occurrence: int = 1) -> None:
        self.rules.append(Rule(Misbehaviour.DUPLICATION, label, occurrence))

    def delay(self, label: str, seconds: float, occurrence: int = 1) -> None:
        self.rules.append(Rule(Misbehaviour.DELAY, label, occurrence, extra=seconds))

    def reorder(self, label: str, occurrence: int = 1) -> None:
        """Hold the message back until the next one on this link has been delivered."""
        self.rules.append(Rule(Misbehaviour.REORDER, label, occurrence))

    def refuse(self, label: str, occurrence: int = 1) -> None:
        self.rules.append(Rule(Misbehaviour.REFUSAL, label, occurrence))

    def send(self, message: Request | Response, destination: Peer) -> None:
        label = label_of(message)
        self._counts[label] += 1
        occurrence = self._counts[label]
        kinds = {rule.kind: rule for rule in self.rules if rule.applies(label, occurrence)}
        if Misbehaviour.REFUSAL in kinds:
            raise SendError("refused by the simulator", destination)
        self.sent.append(Sent(self.clock.now(), label, message, destination))
        if Misbehaviour.LOSS in kinds:
            return
        wire = serialize(message)
        if Misbehaviour.REORDER in kinds:
            self._held.append(wire)
            return
        delay = self.latency + (
            kinds[Misbehaviour.DELAY].extra if Misbehaviour.DELAY in kinds else 0
        )
        self.clock.call_later(delay, lambda: self._deliver(wire))
        if Misbehaviour.DUPLICATION in kinds:
            self.clock.call_later(delay, lambda: self._deliver(wire))

    def times(self, label: str) -> list[float]:
        """When each message of ``label`` was handed to the transport (lost ones included)."""
        return [round(sent.at, 6) for sent in self.sent if sent.label == label]

    def labels(self) -> list[str]:
        return [sent.label for sent in self.sent]

    def _deliver(self, wire: bytes) -> None:
        if self.receiver is None:
            return
        message = parse_message(wire)
        if isinstance(message, Request):
            self.receiver.on_request(message, self.source)
        else:
            self.receiver.on_response(message, self.source)
        held, self._held = self._held, []
        for late in held:
            self._deliver(late)


@dataclass
class Endpoint:
    peer: Peer
    link: LossyLink
    tu: RecordingTU
    layer: TransactionLayer


def endpoint(clock: VirtualClock, host: str, transport: Transport = UDP) -> Endpoint:
    peer = Peer(transport, host, 5060)
    link = LossyLink(clock, peer)
    tu = RecordingTU()
    return Endpoint(peer, link, tu, TransactionLayer(clock, link, tu))


def connected(clock: VirtualClock, transport: Transport = UDP) -> tuple[Endpoint, Endpoint]:
    """Alice (192.0.2.1) and Bob (192.0.2.2), each delivering to the other."""
    alice = endpoint(clock, "192.0.2.1", transport)
    bob = endpoint(clock, "192.0.2.2", transport)
    alice.link.receiver = bob.layer
    bob.link.receiver = alice.layer
    return alice, bob


class RecordingTU:
    """A TU that records what the layer hands it, as ``(event, ...)`` tuples in order; a test
    can set ``answer`` to respond synchronously to each new request."""

    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []
        self.answer: int | None = None

    def kinds(self) -> list[object]:
        return [event[0] for event in self.events]

    def of(self, kind: str) -> list[tuple[object, ...]]:
        return [event for event in self.events if event[0] == kind]

    def on_request(self, transaction: ServerTransaction, request: Request) -> None:
        self.events.append(("request", transaction, request))
        if self.answer is not None:
            transaction.respond(make_response(request, self.answer, "Answer", to_tag="bob"))

    def on_cancel(self, transaction: object, request: Request, invite: object) -> None:
        self.events.append(("cancel", transaction, request, invite))

    def on_merged_request(self, transaction: ServerTransaction, request: Request) -> None:
        self.events.append(("merged", transaction, request))
        transaction.respond(make_response(request, 482, "Loop Detected", to_tag="bob"))

    def on_ack(self, request: Request, invite: object) -> None:
        self.events.append(("ack", request, invite))

    def on_response(self, transaction: object, response: Response) -> None:
        self.events.append(("response", transaction, response.status))

    def on_stray_response(self, response: Response) -> None:
        self.events.append(("stray", response.status))

    def on_timeout(self, transaction: object) -> None:
        self.events.append(("timeout", transaction))

    def on_transport_error(self, transaction: object) -> None:
        self.events.append(("transport error", transaction))


def _check_protocol(tu: RecordingTU) -> TransactionUser:
    return tu  # mypy proves RecordingTU satisfies the port
