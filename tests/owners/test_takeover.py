"""Two ``fleetpbx serve --network sip`` processes on one PostgreSQL database and two fleets
(issue 15): each owns one; an INVITE to the process that does not own the fleet is
redirected (302) to the owner; ``kill -9`` of an owner → the other process takes its fleet
and answers its next call; no call record is lost or duplicated."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from tests.owners.cluster import NUMBERS, Cluster, Process, cluster
from tests.owners.uac import Caller
from tests.polling import eventually

TAKEOVER_WITHIN = 60.0  # generous on a busy machine; the measured time is printed


async def balanced(c: Cluster) -> dict[int, str]:
    """Wait until each fleet has exactly one owner and each process owns one; the owners."""

    async def each_owns_one() -> bool:
        owners = await c.owners()
        names = [names[0] for names in owners.values() if len(names) == 1]
        return len(names) == len(owners) == 2 and len(set(names)) == 2

    await eventually(each_owns_one, within=60, every=0.2, what="each process owning one fleet")
    return {fleet_id: names[0] for fleet_id, names in (await c.owners()).items()}


async def test_each_process_owns_one_fleet_and_redirects_the_other_fleets_calls(
    tmp_path: Path,
) -> None:
    async with cluster(tmp_path) as c, Caller() as caller:
        for _ in range(2):
            await c.started(c.start())
        owners = await balanced(c)
        for number, fleet_id in zip(NUMBERS, c.fleets, strict=True):
            owner = c.by_name(owners[fleet_id])
            other = next(p for p in c.processes if p is not owner)
            # 503 until the other process's next round has seen the owner's row
            redirected = await caller.call(number, other.sip)
            deadline = time.monotonic() + TAKEOVER_WITHIN
            while redirected.final.status == 503 and time.monotonic() < deadline:
                redirected = await caller.call(number, other.sip)
            assert redirected.final.status == 302, redirected.final.raw
            contact = redirected.final.header("contact")
            assert f"sip:{number}@127.0.0.1:{owner.sip};user=phone" in contact, contact
            answered = await caller.call(number, owner.sip)
            assert answered.final.status == 200, answered.final.raw
            assert answered.bye is not None and answered.bye.status == 200
        await eventually(lambda: _count(c, 2), every=0.2, what="two call records")


async def until(moment: float) -> None:
    """Let time pass to ``moment`` (``time.monotonic``): the pace of repeated attempts."""
    await eventually(lambda: time.monotonic() >= moment, every=0.05, what="the next attempt")


async def _count(c: Cluster, expected: int) -> bool:
    return len(await c.records()) >= expected


async def test_killing_an_owner_moves_its_fleet_to_the_other_process_without_losing_a_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with cluster(tmp_path) as c, Caller() as caller:
        for _ in range(2):
            await c.started(c.start())
        owners = await balanced(c)
        made: list[str] = []
        for number in NUMBERS:  # one call to each fleet, at its owner
            owner = c.by_name(owners[c.fleets[NUMBERS.index(number)]])
            call = await caller.call(number, owner.sip)
            assert call.final.status == 200, call.final.raw
            made.append(call.call_id)
        await eventually(lambda: _count(c, 2), every=0.2, what="the first two call records")

        victim = c.by_name(owners[c.fleets[0]])
        survivor: Process = next(p for p in c.processes if p is not victim)
        victim.kill()
        killed = time.monotonic()
        statuses: list[int] = []
        while True:  # the survivor's answers to the dead owner's fleet: 302/503, then 200
            call = await caller.call(NUMBERS[0], survivor.sip)
            statuses.append(call.final.status)
            if call.final.status == 200:
                made.append(call.call_id)
                break
            assert call.final.status in (302, 503), call.final.raw
            assert time.monotonic() - killed < TAKEOVER_WITHIN, statuses
            await until(killed + 0.2 * len(statuses))  # paced: a few attempts a second
        took = time.monotonic() - killed
        with capsys.disabled():
            sys.stdout.write(f"\n[owners] takeover after kill -9: {took:.2f} s ({statuses})\n")
        assert await survivor.owned() == frozenset(c.fleets)
        other = await caller.call(NUMBERS[1], survivor.sip)
        assert other.final.status == 200, other.final.raw
        made.append(other.call_id)

        await eventually(lambda: _count(c, len(made)), every=0.2, what="every call's record")
        records = await c.records()
        assert len({call_id for call_id, _ in records}) == len(records)  # none twice
        assert sorted(network or "" for _, network in records) == sorted(made)  # none lost
