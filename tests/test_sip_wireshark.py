"""SIPp sessions with our stack (:mod:`tests.sip.sipp_app`) on loopback, captured with tshark and
read back through Wireshark's SIP dissector.

The dissector was written by others from RFC 3261: every datagram and every TCP octet between
SIPp and our stack must be a SIP message it recognises, with no malformed packet and no expert
info of severity warning or error, and the methods and status codes of the scenarios must all be
there, over UDP and over TCP. Needs tshark, sipp and the right to capture (root or CAP_NET_RAW).
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.sip.capture import (
    NOTE,
    WARNING,
    SipCapture,
    SipMessage,
    Transport,
    expert_infos,
    frames,
    malformed,
    not_sip,
    read_sip,
)
from tests.sip.sipp_app import REALM, USERNAME, Script, SippApp, sipp_app
from tests.sip.sipp_runner import SCENARIOS, SippTransport, free_port, run_sipp, sipp_binary
from tests.smpp_tshark import tshark_binary

pytestmark = pytest.mark.slow

CALLS = 2
UDP, TCP = Transport.UDP, Transport.TCP
TCP_NOTES = {  # TCP's notes on its connections
    "This frame initiates the connection closing",
    "This frame undergoes the connection closing",
}
TCP_CHATS = ("Connection establish", "Connection finish", *TCP_NOTES)
# what the kernel's TCP does on a loaded machine (a segment sent again, a duplicate SACK): TCP's
# analysis, not the SIP dissector's; the SIP in those segments is checked like any other
TCP_UNDER_LOAD = (
    "D-SACK Sequence",
    "Duplicate ACK",
    "This frame is a (suspected) retransmission",
    "This frame is a (suspected) spurious retransmission",
    "This frame is a (suspected) fast retransmission",
)
SIPP_LOG_LINE = re.compile(r"(UDP|TCP) message (sent|received)\b")
OPTIONS_ANSWERED = 'sip.Status-Code == 200 && sip.CSeq.method == "OPTIONS"'


@pytest.fixture
def tshark() -> str:
    return tshark_binary()


@pytest.fixture
def sipp() -> str:
    return sipp_binary()


def listing(messages: list[SipMessage]) -> str:
    return "\n".join(str(message) for message in messages)


def over_tcp(scenario: str, workdir: Path) -> str:
    """``tests/sipp/<scenario>.xml`` with ``;transport=tcp`` in SIPp's Contact, written to
    ``workdir``: without it the Contact is a UDP target (RFC 3263 §4.1), so our in-dialog
    requests (the BYE of ``uas_bye``) would go by UDP where SIPp only speaks TCP. Returns what
    :func:`run_sipp` takes as the scenario (an absolute path replaces its directory)."""
    text = (SCENARIOS / f"{scenario}.xml").read_text(encoding="iso-8859-1")
    contact = "Contact: <sip:sipp@[local_ip]:[local_port]>"
    assert contact in text
    variant = workdir / f"{scenario}_tcp"
    tcp_contact = contact.replace(">", ";transport=tcp>")
    variant.with_suffix(".xml").write_text(text.replace(contact, tcp_contact), "iso-8859-1")
    return str(variant)


@dataclass(frozen=True)
class Run:
    """One SIPp run: its scenario, the application's script for it, SIPp's transport and
    options, and SIPp's own port (one each, so no TCP connection reuses an earlier one's)."""

    scenario: str
    script: Script
    transport: SippTransport
    extra: tuple[str, ...] = ()
    sipp_port: int = field(default_factory=free_port)


def scenarios(port: int, workdir: Path) -> list[Run]:
    """Every scenario against our stack on ``port``, by UDP and by TCP; OPTIONS by UDP last."""
    digest = ("-auth_uri", f"fleetpbx@127.0.0.1:{port}")
    hang_up = Script(hang_up_after=0.2)
    udp, tcp = SippTransport.UDP, SippTransport.TCP
    return [
        Run("uac", Script(), udp),
        Run("uas_bye", hang_up, udp),
        Run("cancel_before_180", Script(ring=False, answer=False), udp),
        Run("cancel_after_180", Script(ring=True, answer=False), udp),
        Run("reinvite_hold", Script(), udp),
        Run("digest_invite", Script(digest=True), udp, digest),
        Run("reinvite_hold", Script(), tcp),
        Run("digest_invite", Script(digest=True), tcp, digest),
        Run(over_tcp("uas_bye", workdir), hang_up, tcp),
        Run("options", Script(), tcp),
        Run("options", Script(), udp),  # last: its answers mark the end of the capture
    ]


async def run_scenarios(sipp: str, app: SippApp, runs: list[Run], workdir: Path) -> None:
    """Each run as SIPp's UAC, the application following the run's script; all successful."""
    for number, run in enumerate(runs):
        app.script = run.script
        where = workdir / f"{number}_{Path(run.scenario).name}_{run.transport.name}"
        where.mkdir()
        result = await run_sipp(
            sipp,
            run.scenario,
            app.address.port,
            where,
            calls=CALLS,
            transport=run.transport,
            extra=("-p", str(run.sipp_port), *run.extra),
        )
        explained = f"{run.scenario} over {run.transport.name}: {result.explain()}"
        assert result.exit_code == 0, explained
        assert (result.successful, result.failed) == (CALLS, 0), explained


async def test_sipp_sessions_with_our_stack_are_well_formed_sip_for_wireshark(
    tshark: str, sipp: str, tmp_path: Path
) -> None:
    pcap = tmp_path / "sip.pcapng"
    async with sipp_app(Script()) as app:
        port = app.address.port
        runs = scenarios(port, tmp_path)
        sipp_ports = {run.sipp_port for run in runs}
        ports = (port, *sipp_ports)
        async with SipCapture(tshark, ports=ports, path=pcap) as capture:
            await run_scenarios(sipp, app, runs, tmp_path)
            options = CALLS * sum(1 for run in runs if run.scenario == "options")
            await capture.wait_for(OPTIONS_ANSWERED, count=options)

    messages = await read_sip(tshark, pcap, ports)
    shown = listing(messages)
    assert await malformed(tshark, pcap, ports) == [], shown
    infos = [
        info
        for info in await expert_infos(tshark, pcap, ports)
        if not info.message.startswith(TCP_UNDER_LOAD)
    ]
    assert [str(info) for info in infos if info.severity >= WARNING] == [], shown
    assert await not_sip(tshark, pcap, ports) == [], shown  # every payload octet is SIP
    # below warning, only TCP's notes and chats on connections: none from the SIP dissector
    assert {info.message for info in infos if info.severity >= NOTE} <= TCP_NOTES, shown
    assert all(info.message.startswith(TCP_CHATS) for info in infos), shown

    def sent_by_us(message: SipMessage) -> bool:
        return message.src_port == port or message.dst_port in sipp_ports

    ours = [message for message in messages if sent_by_us(message)]
    theirs = [message for message in messages if not sent_by_us(message)]

    # as many messages as SIPp sent (a message the dissector split or merged would show), and
    # at least as many of ours as it received (a late retransmission may find it gone)
    logged = sipp_logged(tmp_path)
    for transport in (UDP, TCP):
        from_sipp = sum(1 for m in theirs if m.transport is transport)
        from_us = sum(1 for m in ours if m.transport is transport)
        assert from_sipp == logged[transport, "sent"], shown
        assert from_us >= logged[transport, "received"] > 0, shown

    def methods(of: list[SipMessage], transport: Transport) -> set[str]:
        return {m.method for m in of if m.transport is transport and m.method is not None}

    def statuses(of: list[SipMessage], transport: Transport) -> set[int]:
        return {m.status for m in of if m.transport is transport and m.status is not None}

    for transport in (UDP, TCP):  # each side's requests and responses, by both transports
        assert methods(theirs, transport) == {"INVITE", "ACK", "BYE", "OPTIONS"} | (
            {"CANCEL"} if transport is UDP else set()
        ), shown
        assert methods(ours, transport) == {"BYE"}, shown  # uas_bye: our side hangs up
        assert statuses(theirs, transport) == {200}, shown
        assert statuses(ours, transport) - {100} == {180, 200, 401} | (
            {487} if transport is UDP else set()
        ), shown
    assert 100 in statuses(ours, UDP), shown  # cancel_before_180 waits for it

    # re-INVITEs (in dialog: a To tag), and a CANCEL answered 200 besides the INVITE's 487
    reinvites = [m for m in theirs if m.method == "INVITE" and m.value("sip.to.tag")]
    assert len(reinvites) == 2 * 2 * CALLS, shown  # hold and retrieve, each call, UDP and TCP
    cancel_answers = [m for m in ours if m.status == 200 and m.cseq_method == "CANCEL"]
    assert len(cancel_answers) == 2 * CALLS, shown  # both cancel scenarios

    # the Digest exchange: our challenge, then SIPp's credentials for it, as the dissector reads
    challenges = [m for m in ours if m.status == 401]
    assert len(challenges) == 2 * CALLS, shown
    assert {m.value("sip.auth.scheme") for m in challenges} == {"Digest"}, shown
    assert {m.value("sip.auth.realm") for m in challenges} == {f'"{REALM}"'}, shown
    answered = [m for m in theirs if m.method == "INVITE" and m.value("sip.auth.digest.response")]
    assert len(answered) == 2 * CALLS, shown
    assert {m.value("sip.auth.username") for m in answered} == {f'"{USERNAME}"'}, shown
    nonces = {m.value("sip.auth.nonce") for m in challenges}
    assert {m.value("sip.auth.nonce") for m in answered} <= nonces, shown


def sipp_logged(workdir: Path) -> Counter[tuple[Transport, str]]:
    """The messages SIPp's ``-trace_msg`` logs under ``workdir`` show it sending and receiving,
    counted by transport and direction (``sent``, ``received``)."""
    logged: Counter[tuple[Transport, str]] = Counter()
    for log in workdir.rglob("*_messages.log"):
        for line in log.read_text(errors="replace").splitlines():
            match = SIPP_LOG_LINE.match(line)
            if match is not None:
                logged[Transport(match[1].lower()), match[2]] += 1
    return logged


def send_datagram(port: int, payload: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(payload, ("127.0.0.1", port))


SHORT_CONTENT_LENGTH = (
    b"OPTIONS sip:fleetpbx@127.0.0.1 SIP/2.0\r\n"
    b"Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-short-length\r\n"
    b"From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:fleetpbx@127.0.0.1>\r\n"
    b"Call-ID: short-length\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
    b"Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n"
    b"ok\x00\x01 octets past the Content-Length start no message\xff"
)


async def test_the_dissector_checks_do_see_what_is_not_sip(tshark: str, tmp_path: Path) -> None:
    """The checks above are not vacuous: a datagram that is not SIP is not taken for SIP, and
    octets past a TCP message's Content-Length are a warning (Wireshark 4.0 reads them as part
    of the message and says "Trailing stray characters")."""
    pcap = tmp_path / "not_sip.pcapng"
    async with sipp_app(Script()) as app:
        port = app.address.port
        ports = (port,)
        async with SipCapture(tshark, ports=ports, path=pcap) as capture:
            send_datagram(port, b"\x00\x01 not SIP at all \xff\xfe")
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                writer.write(SHORT_CONTENT_LENGTH)
                await writer.drain()
                await capture.wait_for(f"udp.dstport == {port}")
                await capture.wait_for(f"tcp.dstport == {port} && tcp.len > 0")
            finally:
                writer.close()
                await writer.wait_closed()

    [datagram] = await frames(tshark, pcap, ports, "udp")
    assert await not_sip(tshark, pcap, ports) == [datagram]
    [segment] = await frames(tshark, pcap, ports, f"tcp.dstport == {port} && tcp.len > 0")
    warnings = [
        info for info in await expert_infos(tshark, pcap, ports) if info.severity >= WARNING
    ]
    assert [(info.frame, info.message) for info in warnings] == [
        (segment, "Trailing stray characters")
    ]
