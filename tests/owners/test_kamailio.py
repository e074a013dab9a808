"""Kamailio (``deploy/kamailio/kamailio.cfg``) in front of two FleetPBX processes on one
PostgreSQL database (issue 15): calls to two fleets sent to Kamailio reach each fleet's
owner (Kamailio follows the 302 of the process that does not own it), the dialog's BYE
comes back through Kamailio to that process; stopping one process moves its fleet's new
calls to the other, and once one call got through no later call fails."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from tests.owners.cluster import NUMBERS, Process, cluster
from tests.owners.kamailio import kamailio
from tests.owners.test_takeover import TAKEOVER_WITHIN, balanced, until
from tests.owners.uac import Call, Caller
from tests.polling import eventually


def answered_by(call: Call) -> int:
    """The SIP port of the FleetPBX process that answered (its Contact in the 200)."""
    assert call.final.status == 200, call.final.raw
    assert call.bye is not None and call.bye.status == 200, call.bye
    contact = call.final.header("contact").strip("<>").split(">", 1)[0]
    return int(contact.rsplit(":", 1)[1].split(";", 1)[0])


async def test_kamailio_sends_each_fleets_calls_to_its_owner_and_fails_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with cluster(tmp_path) as c, Caller() as caller:
        for _ in range(2):
            await c.started(c.start())
        owners = await balanced(c)
        with kamailio(tmp_path, [p.sip for p in c.processes]) as proxy:
            await eventually(lambda: proxy.listening, every=0.1, what="kamailio listening")
            owner_of = {
                number: c.by_name(owners[fleet_id])
                for number, fleet_id in zip(NUMBERS, c.fleets, strict=True)
            }
            # the non-owner's view of the owner lags one round: wait until calls settle
            for number, owner in owner_of.items():
                await eventually(
                    lambda n=number, o=owner: _reaches(caller, n, proxy.port, o),  # type: ignore[misc]
                    every=0.2,
                    what=f"{number} reaching its owner through kamailio",
                )
            for _ in range(2):  # every call, round robin or not, ends at the owner
                for number, owner in owner_of.items():
                    assert answered_by(await caller.call(number, proxy.port)) == owner.sip

            stopped = owner_of[NUMBERS[0]]
            survivor: Process = next(p for p in c.processes if p is not stopped)
            stopped.stop()
            since = time.monotonic()
            failed = 0
            statuses: list[int] = []
            while True:
                call = await caller.call(NUMBERS[0], proxy.port)
                statuses.append(call.final.status)
                if call.final.status == 200:
                    assert answered_by(call) == survivor.sip
                    break
                failed += 1
                assert time.monotonic() - since < TAKEOVER_WITHIN, call.final.raw
                # paced: a few attempts a second (pike would take a burst for a flood)
                await until(since + 0.2 * failed)
            took = time.monotonic() - since
            with capsys.disabled():
                sys.stdout.write(
                    f"\n[owners] kamailio: fleet moved after stop in {took:.2f} s, "
                    f"{failed} call(s) failed meanwhile ({statuses})\n"
                )
            for _ in range(3):  # after the takeover: no failed call, all at the survivor
                for number in NUMBERS:
                    assert answered_by(await caller.call(number, proxy.port)) == survivor.sip


async def _reaches(caller: Caller, number: str, port: int, owner: Process) -> bool:
    call = await caller.call(number, port)
    return call.final.status == 200 and answered_by(call) == owner.sip
