"""A VoLTE precondition call through FleetPBX on SIP with SIPp on both sides (ISC terminating
case, :mod:`fleet.sipnet.early_offers`): SIPp as the S-CSCF sends an INVITE supporting 100rel,
PRACKs the relayed reliable 183 with an offer and UPDATEs in the early dialog; SIPp as the
handset sends the reliable 183 and answers the relayed PRACK and UPDATE before its 200. And a
late offer: the INVITE without SDP, the handset's offer in the 200, the S-CSCF's answer in its
ACK reaching the handset in the B-leg's ACK. Both SIPp runs must count every call successful."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.core.values import CallOutcome
from tests.polling import eventually
from tests.sip.sipp_runner import run_sipp, sipp_binary, start_sipp_uas
from tests.sipnet.sipp_support import fleetpbx
from tests.sipnet.support import Records

pytestmark = pytest.mark.slow

CALLS = 2
LINE = "+33611000001"


async def both_sides_succeed(tmp_path: Path, caller_scenario: str, handset_scenario: str) -> None:
    sipp = sipp_binary()
    handset = await start_sipp_uas(sipp, handset_scenario, tmp_path, calls=CALLS)
    records = Records()
    try:
        async with fleetpbx(f"127.0.0.1:{handset.port}", records) as (port, exchange):
            caller = await run_sipp(
                sipp, caller_scenario, port, tmp_path, calls=CALLS, rate=5, limit=1, service=LINE
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


async def test_sipp_precondition_call_relays_the_reliable_183_prack_and_update_end_to_end(
    tmp_path: Path,
) -> None:
    await both_sides_succeed(tmp_path, "isc_scscf_precondition_call", "isc_handset_precondition")


async def test_sipp_late_offer_goes_in_the_200_and_the_answer_in_the_b_legs_ack(
    tmp_path: Path,
) -> None:
    await both_sides_succeed(tmp_path, "isc_scscf_late_offer_call", "isc_handset_late_offer")
