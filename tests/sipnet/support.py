"""FleetPBX on SIP in virtual time, without sockets: the exchange built on the SIP network
(``build_sip_exchange``) with its agent at 192.0.2.10, and two user agents playing the core over
the lossy link simulator: the S-CSCF sending callers' INVITEs (192.0.2.1) and the core's
side of the callees' handsets, where B-legs go (192.0.2.2), answering each number as told."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fleet.core.calls.engine import Engine
from fleet.core.model import CallRecord
from fleet.core.numbering import NumberPolicy
from fleet.exchange import build_sip_exchange
from fleet.sip.message import Request, Response
from fleet.sip.transport_types import UDP, Peer
from fleet.sip.ua_calls import IncomingCall, OutgoingCall
from fleet.sip.ua_core import UserAgent
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.network import SipNetwork
from fleet.sipnet.onstack import SipSide
from tests.memory import World, memory_world
from tests.sip.lossy import LossyLink, Sent
from tests.sip.virtual import VirtualClock, VirtualHandle

FLEETPBX = Peer(UDP, "192.0.2.10", 5060)
SCSCF = Peer(UDP, "192.0.2.1", 5060)
HANDSETS = Peer(UDP, "192.0.2.2", 5060)
CALLER = "+33699000009"  # outside the fleet
OFFER = b"v=0\r\no=caller 1 1 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n"
ANSWER = b"v=0\r\no=callee 1 1 IN IP4 192.0.2.60\r\ns=-\r\nc=IN IP4 192.0.2.60\r\nt=0 0\r\n"

Behaviour = Callable[[UserAgent, IncomingCall], None]


class ClockTime:
    """The engine's clock and timers on the SIP tests' virtual clock (one time for both)."""

    origin = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        return self.origin + timedelta(seconds=self.clock.now())

    def start(self, delay: float, callback: Callable[[], None]) -> VirtualHandle:
        return self.clock.call_later(delay, callback)


@dataclass
class Fabric:
    """FleetPBX's transport port: a lossy link to each peer, chosen by destination host."""

    links: dict[str, LossyLink]

    def send(self, message: Request | Response, destination: Peer) -> None:
        self.links[destination.host].send(message, destination)


@dataclass
class Records:
    items: list[CallRecord] = field(default_factory=list)

    def record(self, record: CallRecord) -> None:
        self.items.append(record)


@dataclass
class Core:
    """Two UAs playing the core, FleetPBX between them; ``answers`` says what the handset of
    each dialled E.164 number does with its INVITE (nothing by default: it rings)."""

    clock: VirtualClock
    world: World
    engine: Engine
    network: SipNetwork
    records: Records
    scscf: UserAgent
    handsets: UserAgent
    to_scscf: LossyLink  # what FleetPBX sent the S-CSCF (A-legs)
    to_handsets: LossyLink  # what FleetPBX sent the handsets (B-legs)
    fabric: Fabric
    answers: dict[str, Behaviour] = field(default_factory=dict)

    def call(self, number: str, *, caller: UserAgent | None = None) -> OutgoingCall:
        """The S-CSCF sends FleetPBX an INVITE for ``number`` (terminating case)."""
        ua = caller or self.scscf
        return ua.invite(
            f"sip:{number}@{FLEETPBX.host};user=phone",
            FLEETPBX,
            body=OFFER,
            content_type="application/sdp",
        )

    def _incoming(self, call: IncomingCall) -> None:
        uri = call.invite.uri
        number = uri.opaque.split(";")[0] if uri.scheme == "tel" else (uri.user or "")
        behaviour = self.answers.get(number, ring)
        behaviour(self.handsets, call)

    def b_invites(self) -> list[Request]:
        return [
            s.message
            for s in self.to_handsets.sent
            if isinstance(s.message, Request) and _initial_invite(s)
        ]

    def to_caller(self, label: str) -> list[Sent]:
        return [s for s in self.to_scscf.sent if s.label == label]

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)


def _initial_invite(sent: Sent) -> bool:
    message = sent.message
    if not isinstance(message, Request) or message.method != "INVITE":
        return False
    to = message.to
    return to is not None and to.tag is None


def ring(ua: UserAgent, call: IncomingCall) -> None:
    ua.ring(call)


def answer_after(seconds: float, clock: VirtualClock) -> Behaviour:
    def behave(ua: UserAgent, call: IncomingCall) -> None:
        ua.ring(call)
        clock.call_later(
            seconds, lambda: ua.answer(call, body=ANSWER, content_type="application/sdp")
        )

    return behave


def refuse(status: int, *, ring_first: bool = True) -> Behaviour:
    def behave(ua: UserAgent, call: IncomingCall) -> None:
        if ring_first:
            ua.ring(call)
        ua.reject(call, status)

    return behave


def core(world: World | None = None, *, media_server: Peer | None = None) -> Core:
    clock = VirtualClock()
    world = world or memory_world()
    scscf_link = LossyLink(clock, SCSCF)
    handset_link = LossyLink(clock, HANDSETS)
    to_scscf = LossyLink(clock, FLEETPBX)
    to_handsets = LossyLink(clock, FLEETPBX)
    fabric = Fabric({SCSCF.host: to_scscf, HANDSETS.host: to_handsets})
    agent = FleetAgent(
        clock,
        fabric,
        FLEETPBX,
        "fleetpbx",
        keep_history=True,
    )
    scscf = UserAgent(clock, scscf_link, SCSCF, CALLER, keep_history=True)
    handsets = UserAgent(clock, handset_link, HANDSETS, "handsets", keep_history=True)
    scscf_link.receiver = agent.layer
    handset_link.receiver = agent.layer
    to_scscf.receiver = scscf.layer
    to_handsets.receiver = handsets.layer
    records = Records()
    built = build_sip_exchange(
        sip=SipSide(agent=agent, core=HANDSETS, media_server=media_server),
        time=ClockTime(clock),
        directory=world.fleets.table,
        recorder=records,
        policy=NumberPolicy(),
    )
    result = Core(
        clock=clock,
        world=world,
        engine=built.engine,
        network=built.network,
        records=records,
        scscf=scscf,
        handsets=handsets,
        to_scscf=to_scscf,
        to_handsets=to_handsets,
        fabric=fabric,
    )
    handsets.on_incoming = result._incoming
    return result
