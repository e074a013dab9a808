"""In-call services through FleetPBX on SIP (DESIGN §4, issue 12) with SIPp as the S-CSCF, as
the core's side of the handsets and as the media server, under a tshark capture: hold and
retrieve, the transfer by REFER (#1), the conference of three, and a refused #1 heard on the
answered leg (moved onto the media server's announcement and back).

The scene of :mod:`tests.sipnet.incall_support`, on the wire: the outside caller A calls the
fleet line B (SIPp S-CSCF), B's handset (SIPp handsets) answers and holds A (a re-INVITE with
``a=sendonly`` FleetPBX relays to A); B then calls the fleet line C (a second SIPp S-CSCF run,
P-Asserted-Identity B) and C's handset answers. Wireshark reads every packet as SIP, none
malformed, no expert warning, every dialog complete (each INVITE answered, each 2xx ACKed, each
confirmed dialog BYEd and the BYE answered)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from fleet.exchange import Exchange
from fleet.sipnet.network import SipNetwork
from tests.polling import eventually
from tests.sip.capture import (
    WARNING,
    SipCapture,
    SipMessage,
    expert_infos,
    malformed,
    not_sip,
    read_sip,
)
from tests.sip.sipp_runner import (
    SippRun,
    SippServer,
    free_port,
    run_sipp,
    sipp_binary,
    start_sipp_uas,
)
from tests.sipnet.sipp_dialogs import Dialog, dialogs, listing
from tests.sipnet.sipp_support import fleetpbx
from tests.sipnet.support import Records
from tests.smpp_tshark import tshark_binary

pytestmark = pytest.mark.slow

B = "+33611000002"  # fleet lines of tests.memory
C = "+33611000003"


def succeeded(run: SippRun, calls: int = 1) -> bool:
    return run.exit_code == 0 and (run.successful, run.failed) == (calls, 0)


@dataclass
class Scene:
    """FleetPBX under capture, its B-legs to the handsets' SIPp."""

    sipp: str
    workdir: Path
    port: int
    exchange: Exchange[SipNetwork]
    handsets: SippServer
    capture: SipCapture

    async def scscf(self, scenario: str, service: str) -> SippRun:
        """Run ``scenario`` as the S-CSCF towards FleetPBX for one call to ``service``."""
        extra = ("-p", str(free_port()), "-mp", str(free_port()))
        return await run_sipp(
            self.sipp, scenario, self.port, self.workdir, service=service, extra=extra
        )

    async def ended(self, dialogs: int) -> None:
        """Wait until the engine is idle and ``dialogs`` BYEs were answered 200 on the wire."""
        exchange = self.exchange
        await eventually(
            lambda: exchange.engine.active_calls == 0 and exchange.network.legs == 0,
            what="every call and leg ended",
        )
        bye_ok = 'sip.Status-Code == 200 && sip.CSeq.method == "BYE"'
        await self.capture.wait_for(bye_ok, count=dialogs)


@dataclass(frozen=True)
class Capture:
    messages: Sequence[SipMessage]
    calls: dict[str, Dialog]

    def shown(self) -> str:
        return listing(self.messages)


@asynccontextmanager
async def scene(
    workdir: Path, handsets_scenario: str, *, calls: int, media: SippServer | None = None
) -> AsyncIterator[Scene]:
    """FleetPBX with SIPp ``handsets_scenario`` on its core side for ``calls`` calls (and
    ``media`` as its media server), captured into ``workdir``/incall.pcapng."""
    sipp = sipp_binary()
    handsets = await start_sipp_uas(sipp, handsets_scenario, workdir, calls=calls)
    media_at = f"127.0.0.1:{media.port}" if media is not None else None
    try:
        async with fleetpbx(f"127.0.0.1:{handsets.port}", Records(), media=media_at) as (
            port,
            exchange,
        ):
            ports = (port, handsets.port) + ((media.port,) if media is not None else ())
            async with SipCapture(
                tshark_binary(), ports=ports, path=workdir / "incall.pcapng"
            ) as capture:
                yield Scene(sipp, workdir, port, exchange, handsets, capture)
    finally:
        await handsets.stop()


async def read(workdir: Path, ports: tuple[int, ...]) -> Capture:
    """The capture, checked: all SIP, nothing malformed, no expert warning, dialogs complete."""
    tshark, pcap = tshark_binary(), workdir / "incall.pcapng"
    messages = await read_sip(tshark, pcap, ports)
    shown = listing(messages)
    assert await not_sip(tshark, pcap, ports) == [], shown
    assert await malformed(tshark, pcap, ports) == [], shown
    serious = [i for i in await expert_infos(tshark, pcap, ports) if i.severity >= WARNING]
    assert serious == [], "\n".join(map(str, serious))
    calls = dialogs(messages)
    assert {cid: d.problems() for cid, d in calls.items() if d.problems()} == {}, shown
    return Capture(messages, calls)


def reinvites(messages: Sequence[SipMessage], dst_port: int) -> list[SipMessage]:
    return [
        m
        for m in messages
        if m.method == "INVITE" and m.dst_port == dst_port and m.value("sip.to.tag") is not None
    ]


async def test_sipp_hold_and_retrieve_from_the_handset_are_relayed_to_the_caller(
    tmp_path: Path,
) -> None:
    async with scene(tmp_path, "isc_handset_holds_and_retrieves", calls=1) as s:
        caller = await s.scscf("isc_scscf_held_and_retrieved", B)
        assert succeeded(caller), caller.explain()
        await s.ended(dialogs=2)
        ports = (s.port, s.handsets.port)
        handsets = await s.handsets.finished()
        assert succeeded(handsets), handsets.explain()
    seen = await read(tmp_path, ports)
    assert len(seen.calls) == 2, seen.shown()
    to_caller = [m for m in seen.messages if m.method == "INVITE" and m.src_port == s.port]
    relayed = [m for m in to_caller if m.value("sip.to.tag") is not None]
    assert len(relayed) == 2, seen.shown()


async def test_sipp_refer_transfers_the_held_caller_to_c_by_third_party_call_control(
    tmp_path: Path,
) -> None:
    async with scene(tmp_path, "isc_handsets_transfer", calls=2) as s:
        caller = asyncio.create_task(s.scscf("isc_scscf_transferred", B))
        held = f'sip.Method == "ACK" && udp.srcport == {s.handsets.port}'
        await s.capture.wait_for(held)  # B's handset holds A
        transferring = await s.scscf("isc_scscf_transferring", C)
        assert succeeded(transferring), transferring.explain()
        assert succeeded(await caller), "A's call"
        await s.ended(dialogs=4)
        handsets = await s.handsets.finished()
        assert succeeded(handsets, 2), handsets.explain()
        ports = (s.port, s.handsets.port)
    seen = await read(tmp_path, ports)
    shown = seen.shown()
    assert len(seen.calls) == 4, shown  # A → B, its B-leg, B → C, its B-leg
    messages = seen.messages
    (refer,) = [m for m in messages if m.method == "REFER"]
    (accepted,) = [m for m in messages if m.status == 202 and m.cseq_method == "REFER"]
    (notify,) = [m for m in messages if m.method == "NOTIFY"]
    b_second = refer.value("sip.Call-ID")
    assert notify.value("sip.Call-ID") == b_second and refer.frame < accepted.frame, shown
    offerless = [m for m in reinvites(messages, refer.src_port) if m.frame > refer.frame]
    assert offerless == [], "nothing is re-INVITEd on B's side"
    (third_party,) = [
        m
        for m in messages
        if m.method == "INVITE"
        and m.src_port == s.port
        and m.frame > accepted.frame
        and m.dst_port != s.handsets.port
    ]
    assert third_party.value("sip.Content-Length") == "0", shown  # A re-INVITEd without SDP
    (to_c,) = [m for m in reinvites(messages, s.handsets.port) if m.frame > third_party.frame]
    assert to_c.value("sip.Content-Length") not in (None, "0"), shown  # A's offer goes to C
    b_first = next(
        m.value("sip.Call-ID")
        for m in messages
        if m.method == "INVITE" and m.dst_port == s.handsets.port and B in (m.value("sip.To") or "")
    )
    b_byes = [
        m for m in messages if m.method == "BYE" and m.value("sip.Call-ID") in (b_first, b_second)
    ]
    assert {m.value("sip.Call-ID") for m in b_byes} == {b_first, b_second}, shown
    assert all(m.src_port == s.port for m in b_byes), "FleetPBX ends B's dialogs"
    assert notify.frame < min(m.frame for m in b_byes), "the NOTIFY comes before B's BYEs"
    a_bye = [m for m in messages if m.method == "BYE" and m.src_port == third_party.dst_port]
    assert len(a_bye) == 1, "A hangs up on C at last"


async def test_sipp_conference_key_moves_the_four_legs_onto_the_media_servers_conference(
    tmp_path: Path,
) -> None:
    mrf = await start_sipp_uas(sipp_binary(), "mrf_conference", tmp_path, calls=4)
    try:
        async with scene(tmp_path, "isc_handsets_conference", calls=2, media=mrf) as s:
            caller = asyncio.create_task(s.scscf("isc_scscf_conferenced", B))
            await s.capture.wait_for(f'sip.Method == "ACK" && udp.srcport == {s.handsets.port}')
            initiator = await s.scscf("isc_scscf_conferencing", C)
            assert succeeded(initiator), initiator.explain()
            assert succeeded(await caller), "A's call"
            await s.ended(dialogs=8)
            for server in (s.handsets, mrf):
                run = await server.finished()
                assert succeeded(run, 2 if server is s.handsets else 4), run.explain()
            ports = (s.port, s.handsets.port, mrf.port)
    finally:
        await mrf.stop()
    seen = await read(tmp_path, ports)
    shown = seen.shown()
    assert len(seen.calls) == 8, shown  # the four legs' dialogs and their four on the mix
    to_mix = [m for m in seen.messages if m.method == "INVITE" and m.dst_port == mrf.port]
    (uri,) = {m.value("sip.r-uri") for m in to_mix}
    assert uri is not None and uri.startswith("sip:conf-conf-"), shown
    assert len(to_mix) == 4, shown


async def test_sipp_a_refused_hash_one_is_heard_on_the_answered_leg_then_it_returns_to_a(
    tmp_path: Path,
) -> None:
    mrf = await start_sipp_uas(sipp_binary(), "mrf_announcement", tmp_path, calls=1)
    try:
        async with scene(tmp_path, "isc_handset_refused_transfer", calls=1, media=mrf) as s:
            caller = await s.scscf("isc_scscf_refusal_heard", B)
            assert succeeded(caller), caller.explain()
            await s.ended(dialogs=3)
            for server in (s.handsets, mrf):
                run = await server.finished()
                assert succeeded(run), run.explain()
            ports = (s.port, s.handsets.port, mrf.port)
    finally:
        await mrf.stop()
    seen = await read(tmp_path, ports)
    shown = seen.shown()
    assert len(seen.calls) == 3, shown  # A → B, its B-leg, the media server's
    messages = seen.messages
    (annc,) = [m for m in messages if m.method == "INVITE" and m.dst_port == mrf.port]
    uri = annc.value("sip.r-uri") or ""
    assert uri.startswith("sip:annc@") and uri.endswith(
        ";play=file:///announcements/service_not_possible.wav"
    ), shown
    infos = [m for m in messages if m.method == "INFO"]
    (played,) = [m for m in messages if m.method == "BYE" and m.src_port == mrf.port]
    moves = reinvites(messages, s.handsets.port)
    assert len(moves) == 2, shown  # onto the media server, and back
    assert all(m.value("sip.Content-Length") == "0" for m in moves), shown
    assert infos[-1].frame < moves[0].frame < annc.frame < played.frame < moves[1].frame, shown
    to_a = [
        m
        for m in messages
        if m.method == "INVITE"
        and m.value("sip.to.tag") is not None
        and m.dst_port not in (s.handsets.port, mrf.port)
    ]
    assert to_a == [], "A's session is left alone"
