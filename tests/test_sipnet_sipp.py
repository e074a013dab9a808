"""FleetPBX on SIP with SIPp playing the mobile core (ISC terminating case): SIPp as UAC is the
S-CSCF calling a fleet line, SIPp as UAS is the core's side of the line's handset, which
rings and answers. The adapter runs on a :class:`SipStack` built as ``fleet.app`` builds it
(:mod:`tests.sipnet.sipp_support`); both SIPp runs must count every call successful."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.core.values import CallOutcome
from tests.polling import eventually
from tests.sip.sipp_runner import run_sipp, sipp_binary, start_sipp_uas
from tests.sipnet.sipp_support import fleetpbx
from tests.sipnet.support import Records

pytestmark = pytest.mark.slow

CALLS = 3
LINE = "+33611000001"


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
            assert caller.passed(CALLS), caller.explain()
            callee = await handset.finished()
            assert callee.passed(CALLS), callee.explain()
            await eventually(
                lambda: exchange.engine.active_calls == 0 and exchange.network.legs == 0,
                what="every call and leg ended",
            )
    finally:
        await handset.stop()
    assert [r.outcome for r in records.items] == [CallOutcome.ANSWERED] * CALLS
