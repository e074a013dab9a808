"""FleetPBX on SIP with SIPp playing the mobile core (ISC originating case): SIPp as UAC is the
S-CSCF handing FleetPBX a fleet line's call to a colleague's short number (P-Served-User
``sescase=orig``), SIPp as UAS is the core receiving the B-leg, which must carry the colleague's
E.164 number, the line's asserted identity, the P-Served-User, the ICID and the S-CSCF's route
on; both SIPp runs must count every call successful, and every call leaves an originating
record with its ICID and both legs' Call-IDs."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.core.values import CallOutcome, SessionCase
from tests.polling import eventually
from tests.sip.sipp_runner import run_sipp, sipp_binary, start_sipp_uas
from tests.sipnet.sipp_support import fleetpbx
from tests.sipnet.support import Records

pytestmark = pytest.mark.slow

CALLS = 3


async def test_sipp_as_the_scscf_hands_a_lines_short_number_call_back_to_the_core_as_e164(
    tmp_path: Path,
) -> None:
    sipp = sipp_binary()
    core = await start_sipp_uas(sipp, "isc_core_orig_leg", tmp_path, calls=CALLS)
    records = Records()
    try:
        async with fleetpbx(f"127.0.0.1:{core.port}", records) as (port, exchange):
            caller = await run_sipp(
                sipp,
                "isc_scscf_orig_call",
                port,
                tmp_path,
                calls=CALLS,
                rate=5,
                limit=1,
                service="2002",
            )
            assert caller.passed(CALLS), caller.explain()
            callee = await core.finished()
            assert callee.passed(CALLS), callee.explain()
            await eventually(
                lambda: exchange.engine.active_calls == 0 and exchange.network.legs == 0,
                what="every call and leg ended",
            )
    finally:
        await core.stop()
    assert [(r.session_case, r.outcome) for r in records.items] == [
        (SessionCase.ORIGINATING, CallOutcome.ANSWERED)
    ] * CALLS
    for record in records.items:
        assert record.correlation_id and record.correlation_id.startswith("icid")
        assert record.caller_network_id and record.callee_network_id
        assert record.caller_network_id != record.callee_network_id
    assert len({r.correlation_id for r in records.items}) == CALLS
