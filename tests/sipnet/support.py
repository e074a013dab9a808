"""FleetPBX on SIP in virtual time, without sockets: the exchange built on the SIP network
(``build_sip_exchange``) with its agent at 192.0.2.10, and two user agents playing the core over
the lossy link simulator: the S-CSCF sending callers' INVITEs (192.0.2.1) and the core's
side of the callees' handsets, where B-legs go (192.0.2.2), answering each number as told; a
company's PBX behind a trunk (192.0.2.3, :class:`tests.sipnet.pbx.Pbx`), the trunks in an
in-memory book (:class:`tests.sipnet.trunkbook_memory.MemoryTrunkBook`); with
``core(media=True)`` a fourth plays the media server (192.0.2.5, :class:`MediaServer`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fleet.core.calls.engine import Engine
from fleet.core.model import CallRecord
from fleet.core.numbering import NumberPolicy
from fleet.core.voicemail import NO_VOICEMAIL, VoicemailPlatform
from fleet.exchange import build_sip_exchange
from fleet.sip.message import Request, Response
from fleet.sip.transport_types import UDP, Peer
from fleet.sip.ua_calls import IncomingCall, OutgoingCall
from fleet.sip.ua_core import UserAgent
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.network import SipNetwork
from fleet.sipnet.onstack import SipSide
from fleet.sipnet.trusted import TRUST_EVERYONE, TrustedPeers
from tests.memory import World, memory_world
from tests.sip.lossy import LossyLink, Sent
from tests.sip.virtual import VirtualClock, VirtualHandle
from tests.sipnet.pbx import Pbx
from tests.sipnet.trunkbook_memory import MemoryTrunkBook, run_now

FLEETPBX = Peer(UDP, "192.0.2.10", 5060)
SCSCF = Peer(UDP, "192.0.2.1", 5060)
HANDSETS = Peer(UDP, "192.0.2.2", 5060)
PBX = Peer(UDP, "192.0.2.3", 5060)
MEDIA = Peer(UDP, "192.0.2.5", 5060)
CALLER = "+33699000009"  # outside the fleet
OFFER = b"v=0\r\no=caller 1 1 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n"
ANSWER = b"v=0\r\no=callee 1 1 IN IP4 192.0.2.60\r\ns=-\r\nc=IN IP4 192.0.2.60\r\nt=0 0\r\n"
MEDIA_SDP = b"v=0\r\no=mrf 1 1 IN IP4 192.0.2.70\r\ns=-\r\nc=IN IP4 192.0.2.70\r\nt=0 0\r\n"

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
class MediaServer:
    """The media server's behaviour: an INVITE answered 200 with :data:`MEDIA_SDP` (or
    refused ``refuse``, or left unanswered with ``silent``); an announcement (no
    ``repeat=forever``) BYEd ``plays`` seconds after its ACK (None: never)."""

    ua: UserAgent
    clock: VirtualClock
    link: LossyLink  # what FleetPBX sent the media server
    plays: float | None = 5.0
    refuse: int | None = None
    silent: bool = False

    def incoming(self, call: IncomingCall) -> None:
        if self.silent:
            return
        if self.refuse is not None:
            self.ua.reject(call, self.refuse)
            return
        self.ua.answer(call, body=MEDIA_SDP, content_type="application/sdp")
        once = "repeat=forever" not in str(call.invite.request_uri)
        if once and self.plays is not None:
            self.clock.call_later(self.plays, lambda: self._played(call))

    def _played(self, call: IncomingCall) -> None:
        if call.dialog is not None and call.dialog.id in self.ua.dialogs:
            self.ua.bye(call.dialog)

    def invites(self) -> list[Request]:
        return [
            s.message
            for s in self.link.sent
            if isinstance(s.message, Request) and _initial_invite(s)
        ]

    def byes(self) -> list[Request]:
        return [
            s.message
            for s in self.link.sent
            if isinstance(s.message, Request) and s.message.method == "BYE"
        ]


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
    pbx: Pbx
    to_pbx: LossyLink  # what FleetPBX sent the PBX (trunk legs, OPTIONS, REGISTER answers)
    trunks: MemoryTrunkBook
    fabric: Fabric
    answers: dict[str, Behaviour] = field(default_factory=dict)
    media: MediaServer | None = None

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

    def pbx_invites(self) -> list[Request]:
        """The initial INVITEs FleetPBX sent the PBX (a retry with credentials included)."""
        return [
            s.message
            for s in self.to_pbx.sent
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


def core(
    world: World | None = None,
    trunks: MemoryTrunkBook | None = None,
    *,
    media: bool = False,
    media_server: Peer | None = None,
    trusted: TrustedPeers = TRUST_EVERYONE,
    voicemail: VoicemailPlatform = NO_VOICEMAIL,
) -> Core:
    """``media``: the :class:`MediaServer` of this support plays the media server; else
    ``media_server`` names one the test attaches itself (through ``Core.fabric``);
    ``voicemail``: the deployment's voicemail platform."""
    clock = VirtualClock()
    trunks = trunks or MemoryTrunkBook()
    world = world or memory_world()
    scscf_link = LossyLink(clock, SCSCF)
    handset_link = LossyLink(clock, HANDSETS)
    to_scscf = LossyLink(clock, FLEETPBX)
    to_handsets = LossyLink(clock, FLEETPBX)
    media_link = LossyLink(clock, MEDIA)
    to_media = LossyLink(clock, FLEETPBX)
    pbx_link = LossyLink(clock, PBX)
    to_pbx = LossyLink(clock, FLEETPBX)
    fabric = Fabric(
        {
            SCSCF.host: to_scscf,
            HANDSETS.host: to_handsets,
            PBX.host: to_pbx,
            MEDIA.host: to_media,
        }
    )
    agent = FleetAgent(
        clock,
        fabric,
        FLEETPBX,
        "fleetpbx",
        keep_history=True,
    )
    scscf = UserAgent(clock, scscf_link, SCSCF, CALLER, keep_history=True)
    handsets = UserAgent(clock, handset_link, HANDSETS, "handsets", keep_history=True)
    pbx = Pbx(clock, pbx_link, PBX, "pbx", keep_history=True)
    pbx.setup(clock.now, FLEETPBX)
    scscf_link.receiver = agent.layer
    handset_link.receiver = agent.layer
    pbx_link.receiver = agent.layer
    to_pbx.receiver = pbx.layer
    to_scscf.receiver = scscf.layer
    to_handsets.receiver = handsets.layer
    server = MediaServer(UserAgent(clock, media_link, MEDIA, "mrf"), clock, to_media)
    media_link.receiver = agent.layer
    to_media.receiver = server.ua.layer
    server.ua.on_incoming = server.incoming
    records = Records()
    built = build_sip_exchange(
        sip=SipSide(
            agent=agent,
            core=HANDSETS,
            media_server=MEDIA if media else media_server,
            trunks=trunks,
            spawn=run_now,
            trusted=trusted,
        ),
        time=ClockTime(clock),
        directory=world.fleets.table,
        recorder=records,
        policy=NumberPolicy(),
        voicemail=voicemail,
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
        media=server if media else None,
        pbx=pbx,
        to_pbx=to_pbx,
        trunks=trunks,
        fabric=fabric,
    )
    handsets.on_incoming = result._incoming
    return result


def settled(c: Core) -> None:
    """Every timer runs out; nothing is left in the engine, the adapter or any user agent
    (the core's, the PBX, the media server)."""
    c.advance(64)
    assert c.engine.active_calls == 0
    assert c.network.legs == 0
    assert c.network.agent.calls_held == 0
    assert c.scscf.calls_held == 0
    assert c.handsets.calls_held == 0
    assert c.pbx.calls_held == 0
    if c.media is not None:
        assert c.media.ua.calls_held == 0
