"""Kamailio (``deploy/kamailio/kamailio.cfg``) in front of FleetPBX processes on one PostgreSQL
database (issue 15), the calls placed by SIPp playing the S-CSCF
(``tests/sipp/kamailio_scscf_call.xml``: its ACK and BYE follow Kamailio's Record-Route):

- calls to two fleets end at each fleet's owner whichever process Kamailio picks (it follows
  the 302 of the process that does not own the fleet), and the dialog's ACK and BYE reach that
  process (another would answer the BYE 481; SIPp's call would fail);
- stopping one process moves its fleet's new calls to the other, and once one call got through
  no later call fails;
- an owner that dies after a process redirected a call to it: Kamailio asks the process that
  redirected again, which has taken the fleet by then — the call does not fail.

Which process served a call: its record's id carries the process's prefix, and
``fleet_owners`` says which process owns which fleet."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import text

from fleet.db.engine import create_engine
from fleet.db.owners import OwnerLocks
from tests.owners.cluster import NUMBERS, Cluster, Process, cluster
from tests.owners.kamailio import kamailio
from tests.owners.test_takeover import TAKEOVER_WITHIN, balanced, until
from tests.polling import eventually
from tests.sip.sipp_runner import SippRun, run_sipp, sipp_binary
from tests.sip.sipp_runner import free_port as free_sip_port

SCENARIO = "kamailio_scscf_call"
CALLS = 4  # SIPp calls to each fleet in each batch


@dataclass
class Sipp:
    """SIPp runs through Kamailio, each in its own directory, its calls' Call-IDs marked
    with the run's number (``-cid_str``) so that their records can be found."""

    c: Cluster
    binary: str
    port: int
    runs: int = 0

    async def calls(self, number: str, calls: int) -> tuple[int, SippRun]:
        """``calls`` calls to ``number`` (two at a time); the run's number and result."""
        self.runs += 1
        workdir = self.c.workdir / f"sipp-{self.runs}"
        workdir.mkdir()
        ran = await run_sipp(
            self.binary, SCENARIO, self.port, workdir, calls=calls, rate=10, limit=2,
            service=number, extra=("-cid_str", f"kam{self.runs}-%u-%p@%s"),
        )  # fmt: skip
        return self.runs, ran

    async def served_by(self, run: int, calls: int) -> set[str]:
        """The processes whose records are those of the run's calls (waiting for all)."""
        found: list[str] = []

        async def recorded() -> bool:
            found[:] = [
                call_id.rsplit("-", 1)[0]
                for call_id, network in await self.c.records()
                if (network or "").startswith(f"kam{run}-")
            ]
            return len(found) >= calls

        await eventually(recorded, every=0.2, what=f"the records of SIPp run {run}")
        assert len(found) == calls, found  # none twice
        return set(found)

    async def served_at_owner(self, number: str, owner: str) -> None:
        run, ran = await self.calls(number, CALLS)
        assert ran.passed(CALLS), ran.explain()
        assert await self.served_by(run, CALLS) == {owner}


async def owner_processes(c: Cluster) -> dict[int, str]:
    """Each fleet's owner as ``fleet_owners`` says (the process id of its call ids)."""
    engine = create_engine(c.url, pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT fleet_id, process FROM fleet_owners"))
            return {int(r[0]): str(r[1]) for r in rows}
    finally:
        await engine.dispose()


async def test_sipp_calls_through_kamailio_reach_each_fleets_owner_and_fail_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with cluster(tmp_path) as c:
        for _ in range(2):
            await c.started(c.start())
        owners = await balanced(c)
        with kamailio(tmp_path, [p.sip for p in c.processes]) as proxy:
            await eventually(lambda: proxy.listening, every=0.1, what="kamailio listening")
            sipp = Sipp(c=c, binary=sipp_binary(), port=proxy.port)
            # the non-owner's view of the owner's address lags one round: until a call passes
            for number in NUMBERS:
                await eventually(
                    lambda n=number: _passes(sipp, n),  # type: ignore[misc]
                    every=0.2,
                    what=f"a SIPp call to {number} through kamailio",
                )
            process_of = await owner_processes(c)
            for number, fleet_id in zip(NUMBERS, c.fleets, strict=True):
                # round robin: half of them reach the non-owner first and are redirected
                await sipp.served_at_owner(number, process_of[fleet_id])

            stopped = c.by_name(owners[c.fleets[0]])
            survivor: Process = next(p for p in c.processes if p is not stopped)
            stopped.stop()
            since = time.monotonic()
            statuses: list[bool] = []
            while not await _passes(sipp, NUMBERS[0]):
                statuses.append(False)
                assert time.monotonic() - since < TAKEOVER_WITHIN, statuses
                await until(since + 0.2 * len(statuses))  # paced (pike is for floods)
            took = time.monotonic() - since
            with capsys.disabled():
                sys.stdout.write(
                    f"\n[owners] kamailio (SIPp): fleet moved after stop in {took:.2f} s, "
                    f"{len(statuses)} call(s) failed meanwhile\n"
                )
            moved = await owner_processes(c)
            assert moved[c.fleets[0]] == moved[c.fleets[1]] != process_of[c.fleets[0]]
            assert await survivor.owned() == frozenset(c.fleets)
            for number in NUMBERS:  # after the takeover: no failed call, all at the survivor
                await sipp.served_at_owner(number, moved[c.fleets[0]])


async def _passes(sipp: Sipp, number: str) -> bool:
    _, ran = await sipp.calls(number, 1)
    return ran.passed(1)


class _Silent(asyncio.DatagramProtocol):
    """A dead owner's SIP port: reads, never answers; ``heard`` is set at the first INVITE."""

    def __init__(self) -> None:
        self.heard = asyncio.Event()
        self.invites = 0

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if data.startswith(b"INVITE "):
            self.invites += 1
            self.heard.set()


async def test_a_call_redirected_to_an_owner_that_died_is_taken_by_the_process_that_redirected(
    tmp_path: Path,
) -> None:
    # the test holds fleet 2 as a "ghost" process whose SIP port never answers; the one
    # FleetPBX process owns fleet 1 and redirects fleet 2's call to the ghost; the ghost dies
    # as the INVITE reaches it (its owner connection closed: PostgreSQL frees its lock);
    # Kamailio gives up on it and asks the redirecting process again, which has taken fleet
    # 2 meanwhile and answers — before the fix Kamailio had no other process to try (408),
    # and a process asked again refused the same INVITE as merged (482)
    async with cluster(tmp_path) as c:
        loop = asyncio.get_running_loop()
        silent = _Silent()
        port = free_sip_port()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: silent, local_addr=("127.0.0.1", port)
        )
        ghost = OwnerLocks(url=c.url, process="ghost", sip_uri=f"sip:127.0.0.1:{port}")
        try:
            await ghost.connect()
            assert await ghost.take(c.fleets[1])
            process = c.start()
            await c.started(process)
            await eventually(
                lambda: _owns(process, {c.fleets[0]}), every=0.2, what="its share: fleet 1"
            )
            mine = (await owner_processes(c))[c.fleets[0]]
            with kamailio(tmp_path, [process.sip]) as proxy:
                await eventually(lambda: proxy.listening, every=0.1, what="kamailio listening")
                sipp = Sipp(c=c, binary=sipp_binary(), port=proxy.port)
                await eventually(
                    lambda: _passes(sipp, NUMBERS[0]), every=0.2, what="kamailio routing"
                )

                async def ghost_dies() -> None:
                    await silent.heard.wait()
                    await ghost.close()

                dying = asyncio.create_task(ghost_dies())
                try:
                    run, ran = await sipp.calls(NUMBERS[1], 1)
                    assert silent.invites >= 1, ran.explain()  # redirected to the ghost
                    await asyncio.wait_for(dying, 60)
                finally:
                    dying.cancel()
                assert ran.passed(1), ran.explain()
                assert await sipp.served_by(run, 1) == {mine}
                assert await process.owned() == frozenset(c.fleets)
        finally:
            await ghost.close()
            transport.close()


async def _owns(process: Process, fleets: set[int]) -> bool:
    return await process.owned() == frozenset(fleets)


class _Giving(asyncio.DatagramProtocol):
    """An owner's SIP port that answers the first INVITE 100 Trying, then (``redirect``) 302
    to another process: it gave the fleet up meanwhile."""

    def __init__(self) -> None:
        self.heard = asyncio.Event()
        self.invite: tuple[str, tuple[str | int, ...]] | None = None
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if data.startswith(b"INVITE ") and self.invite is None:
            self.invite = (data.decode(errors="replace"), addr)
            self.heard.set()
            self._respond("100 Trying")

    def redirect(self, contact: str) -> None:
        self._respond("302 Moved Temporarily", f"Contact: <{contact}>\r\n", tag=";tag=gave-up")

    def _respond(self, status: str, extra: str = "", *, tag: str = "") -> None:
        assert self.invite is not None and self.transport is not None
        text, addr = self.invite
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
        kept = [h for h in head if h.split(":", 1)[0].strip().lower() in COPIED]
        lines = [f"{h}{tag}" if h.lower().startswith("to:") else h for h in kept]
        body = "\r\n".join(lines)
        reply = f"SIP/2.0 {status}\r\n{body}\r\n{extra}Content-Length: 0\r\n\r\n"
        self.transport.sendto(reply.encode(), addr)


COPIED = {"via", "v", "from", "f", "to", "t", "call-id", "i", "cseq"}


async def test_a_call_redirected_to_an_owner_that_gave_the_fleet_up_follows_its_redirect(
    tmp_path: Path,
) -> None:
    # the "ghost" owns fleet 2; the FleetPBX process redirects fleet 2's call to it; the ghost
    # gives the fleet up (the process takes it) and answers 302 to the process, as an owner
    # that gave the fleet up does: Kamailio follows that 302 too (before: the caller got it)
    async with cluster(tmp_path) as c:
        loop = asyncio.get_running_loop()
        giving = _Giving()
        port = free_sip_port()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: giving, local_addr=("127.0.0.1", port)
        )
        ghost = OwnerLocks(url=c.url, process="ghost", sip_uri=f"sip:127.0.0.1:{port}")
        try:
            await ghost.connect()
            assert await ghost.take(c.fleets[1])
            process = c.start()
            await c.started(process)
            await eventually(
                lambda: _owns(process, {c.fleets[0]}), every=0.2, what="its share: fleet 1"
            )
            mine = (await owner_processes(c))[c.fleets[0]]
            with kamailio(tmp_path, [process.sip]) as proxy:
                await eventually(lambda: proxy.listening, every=0.1, what="kamailio listening")
                sipp = Sipp(c=c, binary=sipp_binary(), port=proxy.port)
                await eventually(
                    lambda: _passes(sipp, NUMBERS[0]), every=0.2, what="kamailio routing"
                )

                async def ghost_gives_up() -> None:
                    await giving.heard.wait()
                    await ghost.close()
                    await eventually(
                        lambda: _owns(process, set(c.fleets)), every=0.1, what="fleet 2 taken"
                    )
                    giving.redirect(f"sip:{NUMBERS[1]}@127.0.0.1:{process.sip};user=phone")

                moving = asyncio.create_task(ghost_gives_up())
                try:
                    run, ran = await sipp.calls(NUMBERS[1], 1)
                    assert giving.invite is not None, ran.explain()  # redirected to the ghost
                    await asyncio.wait_for(moving, 60)
                finally:
                    moving.cancel()
                assert ran.passed(1), ran.explain()
                assert await sipp.served_by(run, 1) == {mine}
        finally:
            await ghost.close()
            transport.close()
