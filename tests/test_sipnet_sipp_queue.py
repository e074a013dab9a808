"""FleetPBX on SIP with SIPp as the S-CSCF, as the core's side of the handsets and as the media
server (MRF), under a tshark capture: a caller queued by a group hears the queue's music as
early media until the member is free and answers.

The group's only member is in a call (SIPp S-CSCF ``isc_scscf_held_call``, answered by SIPp
``isc_handset_answer``); a second caller dials the group and is queued: FleetPBX INVITEs SIPp
``mrf_music`` with ``sip:annc@…;play=…/please_hold.wav;repeat=forever`` and the caller's offer,
and the caller (``isc_scscf_queued_call``) gets 183s with the media server's SDP, sent again
while it waits; the first call ends, the member's handset is rung and answers, the media server
is BYEd and the caller's 200 carries the member's SDP under another To tag than the music's.
Wireshark reads every packet as SIP, none malformed, no expert warning, every dialog complete."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fleet.core.numbering import E164
from fleet.core.values import CallOutcome
from tests.memory import World, memory_world
from tests.polling import eventually
from tests.sip.capture import WARNING, SipCapture, expert_infos, malformed, not_sip, read_sip
from tests.sip.sipp_runner import SippRun, free_port, run_sipp, sipp_binary, start_sipp_uas
from tests.sipnet.sipp_dialogs import dialogs, listing
from tests.sipnet.sipp_support import fleetpbx
from tests.sipnet.support import Records
from tests.smpp_tshark import tshark_binary

pytestmark = pytest.mark.slow

GROUP = "+33609182236"
MEMBER = "+33611000001"
HELD_MS = 3000  # the member's first call lasts this long: the group's caller waits
REFRESH = 1.0  # seconds between the music's 183s in this test (60 in service)


def queue_world() -> World:
    world = memory_world()
    world.fleets.add_group(
        world.fleet.id,
        number=GROUP,
        name="Taxis",
        members=[world.lines[0].id],
        connected=[world.lines[0].id],
        queue_size=2,
        max_queue_wait=60,
    )
    return world


def succeeded(run: SippRun, calls: int = 1) -> bool:
    return run.exit_code == 0 and (run.successful, run.failed) == (calls, 0)


async def test_sipp_queued_caller_hears_the_media_servers_music_until_the_member_answers(
    tmp_path: Path,
) -> None:
    sipp, tshark = sipp_binary(), tshark_binary()
    handsets = await start_sipp_uas(sipp, "isc_handset_answer", tmp_path, calls=2)
    mrf = await start_sipp_uas(sipp, "mrf_music", tmp_path, calls=1)
    records = Records()
    pcap = tmp_path / "queue.pcapng"
    held_port, queued_port = free_port(), free_port()
    try:
        async with fleetpbx(
            f"127.0.0.1:{handsets.port}", records, queue_world(), media=f"127.0.0.1:{mrf.port}"
        ) as (port, exchange):
            exchange.network.media.refresh = REFRESH
            ports = (port, handsets.port, mrf.port)
            async with SipCapture(tshark, ports=ports, path=pcap) as capture:

                async def scscf(scenario: str, service: str, own: int, *more: str) -> SippRun:
                    extra = ("-p", str(own), "-mp", str(free_port()), *more)
                    return await run_sipp(
                        sipp, scenario, port, tmp_path, service=service, extra=extra
                    )

                held = asyncio.create_task(
                    scscf("isc_scscf_held_call", MEMBER, held_port, "-d", str(HELD_MS))
                )
                await eventually(
                    lambda: exchange.engine.is_busy(E164(MEMBER)), what="the member is busy"
                )
                queued = await scscf("isc_scscf_queued_call", GROUP, queued_port)
                assert succeeded(queued), queued.explain()
                assert succeeded(await held), "the held call"
                for server, served in ((handsets, 2), (mrf, 1)):
                    run = await server.finished()
                    assert succeeded(run, served), run.explain()
                await eventually(
                    lambda: exchange.engine.active_calls == 0 and exchange.network.legs == 0,
                    what="every call and leg ended",
                )
                bye_ok = 'sip.Status-Code == 200 && sip.CSeq.method == "BYE"'
                await capture.wait_for(f"{bye_ok} && udp.dstport == {queued_port}")
                await capture.wait_for(f"{bye_ok} && udp.srcport == {handsets.port}")
    finally:
        await handsets.stop()
        await mrf.stop()

    messages = await read_sip(tshark, pcap, ports)
    shown = listing(messages)
    assert await not_sip(tshark, pcap, ports) == [], shown
    assert await malformed(tshark, pcap, ports) == [], shown
    serious = [i for i in await expert_infos(tshark, pcap, ports) if i.severity >= WARNING]
    assert serious == [], "\n".join(map(str, serious))

    calls = dialogs(messages)
    assert {cid: d.problems() for cid, d in calls.items() if d.problems()} == {}, shown
    assert len(calls) == 5, shown  # two callers, two B-legs, the media server

    to_queued = [m for m in messages if m.dst_port == queued_port and m.cseq_method == "INVITE"]
    statuses = [m.status for m in to_queued]
    assert statuses.count(183) >= 2, shown  # the music, sent again while the caller waits
    music_tag = to_queued[statuses.index(183)].value("sip.to.tag")
    answer = to_queued[statuses.index(200)]
    assert answer.value("sip.to.tag") != music_tag, shown
    (ms_bye,) = [m for m in messages if m.method == "BYE" and m.dst_port == mrf.port]
    member_ok = next(
        m
        for m in messages
        if m.src_port == handsets.port and m.status == 200 and m.cseq_method == "INVITE"
    )
    # asked before the caller's 200; the stack sends requests from a task, responses at once,
    # so on the wire the BYE may follow that 200 by a moment
    assert member_ok.frame < ms_bye.frame, shown
    assert [r.outcome for r in records.items] == [CallOutcome.ANSWERED] * 2, records
