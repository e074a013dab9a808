"""netsim's SIP and FleetPBX's, as Wireshark reads them: calls through both processes (an
answered call held and retrieved, busy, no-reply and not-reachable forwarding, an unknown short
number's announcement) captured on the loopback and decoded by ``tshark``'s SIP dissector —
no malformed packet, no expert warning, nothing but SIP on the ports, and every dialog
complete (every INVITE answered, every 2xx ACKed, every confirmed dialog BYEd)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from tests.netsim.processes import Pair
from tests.netsim.seeded import line
from tests.ports import free_port
from tests.sip.capture import (
    WARNING,
    SipCapture,
    expert_infos,
    malformed,
    not_sip,
    read_sip,
)
from tests.sipnet.sipp_dialogs import dialogs, listing
from tests.sipnet.sipp_matrix import options_probe
from tests.smpp_tshark import tshark_binary

pytestmark = pytest.mark.slow

OUTSIDE = "0699000021"


async def _answered_held_and_retrieved(pair: Pair) -> None:
    await pair.post(f"/handsets/{line(10)}/behaviour", {"answer": "after", "seconds": 0})
    await pair.post("/dial", {"from": line(9), "to": "2010"}, status=201)
    await pair.until_handset(line(9), lambda h: h["screen"]["in_call_with"] == ["2010"], "9 in")
    await pair.post("/hold", {"number": line(9)})
    await pair.until_handset(line(10), lambda h: bool(h["screen"]["held"]), "10 held")
    await pair.until_handset(line(9), lambda h: h["screen"]["held"] == ["2010"], "9 holding")
    await pair.post("/retrieve", {"number": line(9)})
    await pair.until_handset(line(10), lambda h: not h["screen"]["held"], "10 retrieved")
    await pair.post("/hang_up", {"number": line(10)})
    await pair.until_handset(line(9), lambda h: not h["legs"], "9 idle")


async def _forwarded(pair: Pair, to: int, answering: int) -> None:
    await pair.post("/dial", {"from": OUTSIDE, "to": line(to)}, status=201)
    await pair.until_handset(
        line(answering), lambda h: bool(h["screen"]["in_call_with"]), f"{answering} answers"
    )
    await pair.post("/hang_up", {"number": OUTSIDE})
    await pair.until_handset(line(answering), lambda h: not h["legs"], f"{answering} idle")


async def test_netsim_and_fleetpbx_speak_sip_tshark_decodes_with_every_dialog_complete(
    pair: Pair, tmp_path: Path
) -> None:
    tshark = tshark_binary()
    ports = (pair.sip, pair.netsim_sip)
    pcap = tmp_path / "netsim.pcapng"
    for number, behaviour in ((3, "never"), (4, "after"), (5, "busy"), (6, "after")):
        await pair.post(f"/handsets/{line(number)}/behaviour", {"answer": behaviour})
    await pair.post(f"/handsets/{line(7)}/state", {"state": "off"})
    await pair.post(f"/handsets/{line(8)}/behaviour", {"answer": "after"})
    async with SipCapture(tshark, ports=ports, path=pcap) as capture:
        await _answered_held_and_retrieved(pair)
        await _forwarded(pair, 5, 6)  # busy
        await _forwarded(pair, 3, 4)  # no reply
        await _forwarded(pair, 7, 8)  # not reachable
        await pair.post("/dial", {"from": line(11), "to": "2999"}, status=201)
        await pair.until_handset(line(11), lambda h: not h["legs"], "the announcement heard")
        await pair.idle()
        probe = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:  # the capture's end
            udp.bind(("127.0.0.1", probe))
            udp.sendto(options_probe(probe), ("127.0.0.1", pair.sip))
            await capture.wait_for(f'sip.CSeq.method == "OPTIONS" && udp.dstport == {probe}')
    await pair.post(f"/handsets/{line(7)}/state", {"state": "on"})
    messages, strays, broken, infos = await asyncio.gather(
        read_sip(tshark, pcap, ports),
        not_sip(tshark, pcap, ports),
        malformed(tshark, pcap, ports),
        expert_infos(tshark, pcap, ports),
    )
    shown = listing(messages)
    assert strays == [] and broken == [], shown
    assert [i for i in infos if i.severity >= WARNING] == [], shown
    found = dialogs(messages)
    assert len(found) >= 15, shown  # each call crosses netsim and FleetPBX on several legs
    assert {cid: d.problems() for cid, d in found.items() if d.problems()} == {}, shown
    methods = {m.method for m in messages if m.method}
    assert {"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"} <= methods, shown
