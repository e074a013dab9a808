"""FleetPBX on SIP with SIPp playing the mobile core (ISC terminating case): SIPp as UAC is the
S-CSCF calling a fleet line, SIPp as UAS is the core's side of the line's handset, which
rings and answers. The adapter runs on a :class:`SipStack` built as ``fleet.app`` builds it
for ``network = sip`` (the edge as TU, the agent on the stack, the exchange by
``build_exchange``); both SIPp runs must count every call successful."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from fleet.config import NetworkKind
from fleet.core.numbering import NumberPolicy
from fleet.core.values import CallOutcome
from fleet.exchange import Exchange, build_exchange
from fleet.exchange.looptime import LoopTime
from fleet.sip.options import OptionsResponder
from fleet.sip.stack import SipStack
from fleet.sip.transport_types import UDP, Peer, TransportConfig
from fleet.sip.validate import UasPolicy
from fleet.sipnet.edge import SipEdge, core_peer
from fleet.sipnet.network import SipNetwork
from fleet.sipnet.onstack import SipSide, agent_on_stack
from tests.memory import memory_world
from tests.polling import eventually
from tests.sip.sipp_runner import run_sipp, sipp_binary, start_sipp_uas
from tests.sipnet.support import Records

pytestmark = pytest.mark.slow

CALLS = 3
LINE = "+33611000001"


@asynccontextmanager
async def fleetpbx(core: str, records: Records) -> AsyncIterator[tuple[int, Exchange[SipNetwork]]]:
    edge = SipEdge(options=OptionsResponder(policy=UasPolicy(), warn_agent="127.0.0.1"))
    stack = SipStack(TransportConfig(host="127.0.0.1", port=0, policy=UasPolicy()), tu=edge)
    await stack.start()
    try:
        port = stack.listening[0]
        agent = agent_on_stack(stack, edge, Peer(UDP, "127.0.0.1", port))
        exchange = build_exchange(
            network=NetworkKind.SIP,
            sip=SipSide(agent=agent, core=core_peer(core)),
            time=LoopTime(),
            directory=memory_world().fleets.table,
            recorder=records,
            policy=NumberPolicy(),
        )
        yield port, exchange
    finally:
        await stack.stop()


async def test_sipp_as_the_scscf_reaches_a_fleet_line_answered_by_sipp_as_the_handset(
    tmp_path: Path,
) -> None:
    sipp = sipp_binary()
    handset = await start_sipp_uas(sipp, "isc_handset_answer", tmp_path, calls=CALLS)
    records = Records()
    try:
        async with fleetpbx(f"127.0.0.1:{handset.port}", records) as (port, exchange):
            caller = await run_sipp(
                sipp, "isc_scscf_call", port, tmp_path, calls=CALLS, rate=5, limit=1, service=LINE
            )
            assert caller.exit_code == 0, caller.explain()
            assert (caller.successful, caller.failed) == (CALLS, 0), caller.explain()
            callee = await handset.finished()
            assert callee.exit_code == 0, callee.explain()
            assert (callee.successful, callee.failed) == (CALLS, 0), callee.explain()
            await eventually(
                lambda: exchange.engine.active_calls == 0 and exchange.network.legs == 0,
                what="every call and leg ended",
            )
    finally:
        await handset.stop()
    assert [r.outcome for r in records.items] == [CallOutcome.ANSWERED] * CALLS
