"""FleetPBX on SIP for the SIPp tests: the adapter on a :class:`SipStack` built as ``fleet.app``
builds it for ``network = sip`` (the edge as TU, the agent on the stack, the exchange by
``build_sip_exchange``), listening on a free UDP port of 127.0.0.1, its callee legs going to
SIPp playing the core's side of the handsets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fleet.core.numbering import NumberPolicy
from fleet.exchange import Exchange, build_sip_exchange
from fleet.exchange.looptime import LoopTime
from fleet.sip.options import OptionsResponder
from fleet.sip.stack import SipStack
from fleet.sip.timers import TimerConfig
from fleet.sip.transport_types import UDP, Peer, TransportConfig
from fleet.sipnet.edge import SIPNET_POLICY, SipEdge, core_peer
from fleet.sipnet.network import SipNetwork
from fleet.sipnet.onstack import SipSide, agent_on_stack
from fleet.sipnet.trunkbook import NoTrunks, TrunkBook
from tests.memory import World, memory_world
from tests.sipnet.support import Records


@asynccontextmanager
async def fleetpbx(
    core: str,
    records: Records,
    world: World | None = None,
    *,
    media: str | None = None,
    trunks: TrunkBook | None = None,
    timers: TimerConfig | None = None,
) -> AsyncIterator[tuple[int, Exchange[SipNetwork]]]:
    """FleetPBX serving ``world``'s directory (:func:`memory_world` by default), its B-legs to
    ``core`` (``host:port``) but those to fixed numbers, which go over ``trunks`` (none by
    default); yields its port and the exchange."""
    directory = (world or memory_world()).fleets.table
    edge = SipEdge(options=OptionsResponder(policy=SIPNET_POLICY, warn_agent="127.0.0.1"))
    stack = SipStack(
        TransportConfig(host="127.0.0.1", port=0, policy=SIPNET_POLICY), tu=edge, timers=timers
    )
    await stack.start()
    try:
        port = stack.listening[0]
        agent = agent_on_stack(stack, edge, Peer(UDP, "127.0.0.1", port), timers)
        exchange = build_sip_exchange(
            sip=SipSide(
                agent=agent,
                core=core_peer(core),
                media_server=core_peer(media) if media is not None else None,
                trunks=trunks or NoTrunks(),
            ),
            time=LoopTime(),
            directory=directory,
            recorder=records,
            policy=NumberPolicy(),
        )
        yield port, exchange
    finally:
        await stack.stop()
