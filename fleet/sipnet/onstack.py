"""The adapter's user agent on the service's :class:`fleet.sip.stack.SipStack`
(``SipStack.attach``): the stack's transaction layer delivers to a
:class:`fleet.sipnet.edge.SipEdge`, which hands the agent every request but out-of-dialog
OPTIONS; the agent sends through the stack's layer."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.sip.stack import SipStack
from fleet.sip.timers import TimerConfig
from fleet.sip.transport_types import Peer
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.edge import SipEdge
from fleet.sipnet.keepalive import INTERVAL
from fleet.sipnet.trunk_state import Spawn
from fleet.sipnet.trunkbook import NoTrunks, TrunkBook
from fleet.sipnet.trusted import TRUST_EVERYONE, TrustedPeers
from fleet.sipnet.whereabouts import Whereabouts

AGENT_USER = "fleetpbx"


@dataclass(frozen=True, slots=True)
class SipSide:
    """What the exchange needs to run on SIP: the agent, where B-legs go, the media server
    playing announcements (None: none, callers get their final response at once), the trunks
    to the companies' PBXs (none by default) and how their state writes run (by default tasks
    on the running loop: :class:`fleet.sipnet.trunk_state.Background`)."""

    agent: FleetAgent
    core: Peer
    media_server: Peer | None = None
    trunks: TrunkBook = field(default_factory=NoTrunks)
    spawn: Spawn | None = None
    # where handsets are (abroad, white zone), from P-Access-Network-Info; home by default
    whereabouts: Whereabouts = field(default_factory=Whereabouts)
    # who may send calls in as the core (the trunks' PBXs are the trunks'); anyone by default
    trusted: TrustedPeers = TRUST_EVERYONE
    # seconds between two OPTIONS to each trunk's PBX
    trunk_options_interval: float = INTERVAL


def agent_on_stack(
    stack: SipStack, edge: SipEdge, address: Peer, timers: TimerConfig | None = None
) -> FleetAgent:
    """A started ``stack`` whose TU is ``edge``; ``address`` is our sent-by and Contact."""
    agent = FleetAgent(stack.scheduler, stack.port, address, AGENT_USER, timers=timers)
    edge.user = agent
    stack.attach(agent, tu=edge)
    return agent
