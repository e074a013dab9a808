"""netsim's parts in virtual time, without sockets: netsim's user agent (192.0.2.20) and a
user agent playing FleetPBX (192.0.2.10) over the lossy link simulator, the fleets of
``tests.memory``. What FleetPBX's side does with each INVITE is up to the test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fleet.core.numbering import E164, NumberPolicy
from fleet.sip.message import Request
from fleet.sip.transport_types import UDP, Peer
from fleet.sip.ua_calls import IncomingCall
from fleet.sip.ua_core import UserAgent
from simulators.netsim.agent import NetsimAgent
from simulators.netsim.assembly import assemble
from simulators.netsim.handset import Answering, Behaviour
from simulators.netsim.handsets import FleetView
from simulators.netsim.network import Netsim
from tests.memory import memory_world
from tests.sip.lossy import LossyLink
from tests.sip.virtual import VirtualClock

FLEETPBX = Peer(UDP, "192.0.2.10", 5060)
NETSIM = Peer(UDP, "192.0.2.20", 5070)
SDP = b"v=0\r\no=fleetpbx 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"


@dataclass
class Virtual:
    clock: VirtualClock
    netsim: Netsim
    fleetpbx: UserAgent  # FleetPBX's side
    to_netsim: LossyLink  # what FleetPBX's side sent
    to_fleetpbx: LossyLink  # what netsim sent
    received: list[IncomingCall] = field(default_factory=list)
    on_invite: Callable[[UserAgent, IncomingCall], None] = lambda ua, call: ua.ring(call)

    def invites(self) -> list[Request]:
        """The initial INVITEs netsim sent FleetPBX."""
        return [
            s.message
            for s in self.to_fleetpbx.sent
            if isinstance(s.message, Request)
            and s.message.method == "INVITE"
            and s.message.to is not None
            and s.message.to.tag is None
        ]

    def invite(self, uri: str, headers: list[tuple[str, str]] | None = None) -> None:
        """FleetPBX's side sends netsim an INVITE (a B-leg, or to the media server)."""
        self.fleetpbx.invite(
            uri, NETSIM, body=SDP, content_type="application/sdp", headers=headers or []
        )


def virtual(
    *,
    announcement_seconds: float = 3.0,
    voicemail: E164 | None = None,
    message_seconds: float = 5.0,
) -> Virtual:
    clock = VirtualClock()
    to_fleetpbx = LossyLink(clock, NETSIM)
    to_netsim = LossyLink(clock, FLEETPBX)
    ua = NetsimAgent(clock, to_fleetpbx, NETSIM, "netsim")
    fleetpbx = UserAgent(clock, to_netsim, FLEETPBX, "fleetpbx", keep_history=True)
    to_fleetpbx.receiver = fleetpbx.layer
    to_netsim.receiver = ua.layer
    view = FleetView(memory_world().fleets.table)

    async def load() -> FleetView:
        return view

    netsim = assemble(
        ua,
        fleetpbx=FLEETPBX,
        policy=NumberPolicy(),
        view=view,
        load_fleets=load,
        behaviour=Behaviour(Answering.AFTER, 2),
        announcement_seconds=announcement_seconds,
        voicemail=voicemail,
        message_seconds=message_seconds,
    )
    built = Virtual(clock, netsim, fleetpbx, to_netsim, to_fleetpbx)

    def incoming(call: IncomingCall) -> None:
        built.received.append(call)
        built.on_invite(fleetpbx, call)

    fleetpbx.on_incoming = incoming
    return built
