"""FleetPBX's trunks with SIPp over real sockets: SIPp as a company's PBX behind a static
trunk, SIPp as the S-CSCF and the core's side of the handsets.

- a busy line forwarding when busy to the fleet's fixed number: its handset answers 486, and
  the forwarded leg goes to the trunk's PBX (not the core), which sees Diversion
  (reason=user-busy) and History-Info (cause=486), answers, and the caller's BYE ends it;
- a trunk whose PBX never answers OPTIONS goes out of service (timer F, shortened by a small
  T1) and a call to its fixed number gets 480 at once, no INVITE sent to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.core.trunks import HistoryStyle, Trunk, TrunkMode, TrunkState, TrunkTransport
from fleet.core.values import ForwardingKind
from fleet.sip.timers import TimerConfig
from tests.memory import World, memory_world
from tests.polling import eventually
from tests.sip.sipp_runner import free_port, run_sipp, sipp_binary, start_sipp_uas
from tests.sipnet.sipp_support import fleetpbx
from tests.sipnet.support import Records
from tests.sipnet.trunkbook_memory import MemoryTrunkBook

pytestmark = pytest.mark.slow

BUSY_LINE = "+33611000001"  # forwards to the fixed number when busy
FIXED = "+33145678910"  # the fleet's fixed number, on trunk-siege


def static_trunk(world: World, port: int) -> MemoryTrunkBook:
    book = MemoryTrunkBook()
    book.add(
        Trunk(
            id=1,
            fleet_id=world.fleet.id,
            name="trunk-siege",
            mode=TrunkMode.STATIC,
            host="127.0.0.1",
            port=port,
            transport=TrunkTransport.UDP,
            username=None,
            realm=None,
            history=HistoryStyle.BOTH,
        )
    )
    return book


async def test_sipp_busy_forwarding_to_a_fixed_number_reaches_the_trunk_pbx_with_history(
    tmp_path: Path,
) -> None:
    sipp = sipp_binary()
    world = memory_world()
    world.fleets.forward(world.lines[0].id, ForwardingKind.BUSY, "0145678910")
    handsets = await start_sipp_uas(sipp, "uas_busy", tmp_path, calls=1)
    pbx = await start_sipp_uas(sipp, "trunk_pbx_forwarded", tmp_path, calls=1)
    book = static_trunk(world, pbx.port)
    try:
        async with fleetpbx(f"127.0.0.1:{handsets.port}", Records(), world, trunks=book) as (
            port,
            exchange,
        ):
            extra = ("-p", str(free_port()), "-mp", str(free_port()))
            run = await run_sipp(
                sipp, "isc_scscf_forwarded_call", port, tmp_path, service=BUSY_LINE, extra=extra
            )
            assert run.exit_code == 0 and (run.successful, run.failed) == (1, 0), run.explain()
            busy = await handsets.finished()
            assert (busy.successful, busy.failed) == (1, 0), busy.explain()
            answered = await pbx.finished()
            assert (answered.successful, answered.failed) == (1, 0), answered.explain()
            await eventually(
                lambda: exchange.engine.active_calls == 0 and exchange.network.legs == 0,
                what="every call and leg ended",
            )
    finally:
        await handsets.stop()
        await pbx.stop()


async def test_sipp_trunk_down_by_options_makes_its_fixed_number_unreachable(
    tmp_path: Path,
) -> None:
    sipp = sipp_binary()
    world = memory_world()
    book = static_trunk(world, free_port())  # nobody there: OPTIONS unanswered
    timers = TimerConfig(t1=0.05, t2=0.4, t4=0.5)  # timer F: 3.2 s
    async with fleetpbx("127.0.0.1:9", Records(), world, trunks=book, timers=timers) as (
        port,
        exchange,
    ):
        exchange.network.trunks.start()
        try:
            await eventually(
                lambda: book.state(1) is TrunkState.OUT_OF_SERVICE,
                what="the trunk out of service",
                within=10.0,
            )
            extra = ("-p", str(free_port()), "-mp", str(free_port()))
            run = await run_sipp(
                sipp, "isc_scscf_unreachable", port, tmp_path, service=FIXED, extra=extra
            )
            assert run.exit_code == 0 and (run.successful, run.failed) == (1, 0), run.explain()
            assert book.written == [(1, TrunkState.OUT_OF_SERVICE)]
        finally:
            exchange.network.trunks.stop()
