"""One session of the SIPp matrix tests: SIPp as the core's side of the handsets
(``isc_handsets``, each number behaving as the test says), FleetPBX as the service runs it
(:mod:`tests.sipnet.sipp_service`), tshark capturing both ports, SIPp runs as the S-CSCF
calling. Leaving the session waits for the handsets' verdict, the engine idle and the capture
caught up (an OPTIONS answered after everything else), then reads the capture and checks what
every session must show: every packet SIP, none malformed, no expert warning, every dialog
complete — but the B-legs a ``silent`` handset never answered."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from tests.sip.capture import (
    WARNING,
    SipCapture,
    SipMessage,
    expert_infos,
    malformed,
    not_sip,
    read_sip,
)
from tests.sip.sipp_runner import SippRun, free_port, run_sipp, sipp_binary, start_sipp_uas
from tests.sipnet.sipp_dialogs import dialogs, listing
from tests.sipnet.sipp_service import Service, sip_service
from tests.smpp_tshark import tshark_binary


class Handset(StrEnum):
    """What the SIPp handset of a number does with a B-leg (``isc_handsets.xml``)."""

    ANSWER = "answer"
    BUSY = "busy"  # 486
    UNAVAILABLE = "unavailable"  # 480
    RING = "ring"  # 180, never answers: our CANCEL gets 200 and 487
    SILENT = "silent"  # nothing at all, not even 100


def succeeded(run: SippRun, calls: int = 1) -> bool:
    return run.exit_code == 0 and (run.successful, run.failed) == (calls, 0)


@dataclass
class Session:
    sipp: str
    workdir: Path
    service: Service
    handsets: int  # the handsets' port (FleetPBX's sip_core)
    callers: dict[str, int] = field(default_factory=dict)  # a call's name -> its SIPp port
    messages: list[SipMessage] = field(default_factory=list)  # the capture, once left

    async def call(self, name: str, number: str, scenario: str = "isc_scscf_answered_call") -> int:
        """SIPp as the S-CSCF runs ``scenario`` once to ``number`` (its own port, remembered
        as ``name``), which must succeed; returns that port."""
        port = self.callers[name] = free_port()
        (self.workdir / name).mkdir()
        extra = ("-p", str(port), "-mp", str(free_port()))
        run = await run_sipp(
            self.sipp,
            scenario,
            self.service.port,
            self.workdir / name,
            service=number,
            extra=extra,
        )
        assert succeeded(run), run.explain()
        return port

    def to_caller(self, name: str) -> list[SipMessage]:
        """The responses FleetPBX sent the caller ``name``, in order."""
        port = self.callers[name]
        return [m for m in self.messages if m.dst_port == port and m.status is not None]

    def b_legs(self, number: str) -> list[SipMessage]:
        """The INVITEs FleetPBX sent to ``number``'s handset (first sendings, no retransmission
        of the same Call-ID)."""
        seen: set[str | None] = set()
        legs = []
        for m in self.messages:
            if m.method == "INVITE" and m.dst_port == self.handsets:
                call_id = m.value("sip.Call-ID")
                if m.value("sip.r-uri") == f"tel:{number}" and call_id not in seen:
                    seen.add(call_id)
                    legs.append(m)
        return legs

    def requests_on(self, leg: SipMessage, method: str) -> list[SipMessage]:
        call_id = leg.value("sip.Call-ID")
        return [
            m for m in self.messages if m.method == method and m.value("sip.Call-ID") == call_id
        ]

    def shown(self) -> str:
        return listing(self.messages)


def history(message: SipMessage) -> str:
    return " ".join(message.fields.get("sip.History-Info", ()))


def options_probe(port: int) -> bytes:
    """An OPTIONS from 127.0.0.1:``port`` to FleetPBX, the capture's last exchange."""
    tag = uuid.uuid4().hex
    return (
        f"OPTIONS sip:fleetpbx@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{tag}\r\n"
        f"From: <sip:probe@127.0.0.1:{port}>;tag={tag[:8]}\r\n"
        f"To: <sip:fleetpbx@127.0.0.1>\r\n"
        f"Call-ID: {tag}@127.0.0.1\r\n"
        f"CSeq: 1 OPTIONS\r\n"
        f"Max-Forwards: 70\r\n"
        f"Content-Length: 0\r\n\r\n"
    ).encode()


@asynccontextmanager
async def matrix(
    workdir: Path,
    database_url: str,
    handsets: Mapping[str, Handset],
    *,
    b_legs: int,
    t1: float = 0.5,
    silent_legs: int = 0,
) -> AsyncIterator[Session]:
    """The session; ``handsets`` says what each number's handset does (``+E164``), SIPp's
    handsets exit after ``b_legs`` B-legs (none: they are stopped at the end);
    ``silent_legs`` of them (to ``silent`` handsets) end with no final response at all."""
    sipp, tshark = sipp_binary(), tshark_binary()
    for_uas: tuple[str, ...] = ("-timeout", "90s")  # they live for the whole session
    for behaviour in Handset:  # isc_handsets.xml looks the number up in BEHAVIOUR.csv
        numbers = [number for number, handset in handsets.items() if handset is behaviour]
        name = f"{behaviour.value}.csv"
        rows = "".join(f"{number}\n" for number in numbers or ["none"])  # never empty
        (workdir / name).write_text(f"SEQUENTIAL\n{rows}")
        for_uas += ("-inf", name, "-infindex", name, "0")
    calls = max(b_legs, 1)  # SIPp's -m 0 would not wait for any call
    uas = await start_sipp_uas(sipp, "isc_handsets", workdir, calls=calls, extra=for_uas)
    pcap = workdir / "session.pcapng"
    try:
        async with sip_service(database_url, uas.port, workdir, t1=t1) as service:
            ports = (service.port, uas.port)
            session = Session(sipp, workdir, service, uas.port)
            async with SipCapture(tshark, ports=ports, path=pcap) as capture:
                yield session
                if b_legs:
                    callee = await uas.finished()
                    assert succeeded(callee, b_legs), callee.explain()
                await service.idle()
                probe = free_port()
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                    udp.bind(("127.0.0.1", probe))
                    udp.sendto(options_probe(probe), ("127.0.0.1", service.port))
                    await capture.wait_for(
                        f'sip.CSeq.method == "OPTIONS" && udp.dstport == {probe}'
                    )
    finally:
        await uas.stop()

    messages, strays, broken, infos = await asyncio.gather(  # four reads of one file at once
        read_sip(tshark, pcap, ports),
        not_sip(tshark, pcap, ports),
        malformed(tshark, pcap, ports),
        expert_infos(tshark, pcap, ports),
    )
    session.messages = messages
    shown = session.shown()
    assert strays == [], shown
    assert broken == [], shown
    serious = [i for i in infos if i.severity >= WARNING]
    assert serious == [], "\n".join(map(str, serious))
    problems = {cid: d.problems() for cid, d in dialogs(messages).items() if d.problems()}
    unanswered = ["INVITE without final response"]
    silent = [cid for cid, found in problems.items() if found == unanswered]
    assert len(silent) == silent_legs, shown
    assert {cid: p for cid, p in problems.items() if cid not in silent} == {}, shown


def statuses(messages: Sequence[SipMessage]) -> list[int]:
    return [m.status for m in messages if m.status is not None and m.status != 100]
