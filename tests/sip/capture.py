"""tshark for the SIP capture test: capture one UDP and TCP port on loopback to a file, then read
the file back through Wireshark's SIP dissector, one record per SIP message.

The generic parts (finding tshark, running it, skipping or failing under
``FLEETPBX_REQUIRE_TOOLS=1``) are those of the SMPP capture tests (:mod:`tests.smpp_tshark`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.polling import WITHIN, eventually
from tests.smpp_tshark import NOT_PERMITTED, CaptureError, _unable, run_tshark

START_TIMEOUT = 30.0  # tshark loads every dissector before it starts dumpcap
STOP_TIMEOUT = 20.0
# Wireshark's expert severities (epan/proto.h): PI_CHAT, PI_NOTE, PI_WARN, PI_ERROR
CHAT, NOTE, WARNING, ERROR = 0x00200000, 0x00400000, 0x00600000, 0x00800000


class Transport(Enum):
    UDP = "udp"
    TCP = "tcp"


def decoding(ports: tuple[int, ...]) -> tuple[str, ...]:
    """SIP on ``ports`` over UDP and TCP, TCP streams reassembled into whole messages."""
    decode_as = [f"{proto}.port=={port},sip" for port in ports for proto in ("udp", "tcp")]
    return (
        *(option for rule in decode_as for option in ("-d", rule)),
        "-o",
        "tcp.desegment_tcp_streams:TRUE",
    )


@dataclass(frozen=True, slots=True)
class SipMessage:
    """One SIP message as the dissector read it: the transport and ports, and every ``sip.*``
    field it showed, as text."""

    frame: int
    transport: Transport
    src_port: int
    dst_port: int
    fields: Mapping[str, tuple[str, ...]]

    def value(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None

    @property
    def method(self) -> str | None:
        """The request's method; ``None`` for a response."""
        return self.value("sip.Method")

    @property
    def status(self) -> int | None:
        """The response's status code; ``None`` for a request."""
        status = self.value("sip.Status-Code")
        return None if status is None else int(status)

    @property
    def cseq_method(self) -> str | None:
        return self.value("sip.CSeq.method")

    def __str__(self) -> str:
        first = self.method if self.method is not None else f"{self.status} ({self.cseq_method})"
        ports = f":{self.src_port}->:{self.dst_port}"
        return f"#{self.frame} {self.transport.value} {ports} {first}"


@dataclass(frozen=True, slots=True)
class ExpertInfo:
    frame: int
    severity: int
    message: str

    def __str__(self) -> str:
        return f"frame {self.frame}: [{self.severity:#x}] {self.message}"


def _leaves(tree: Any, into: dict[str, list[str]]) -> None:
    """Collect the string leaves of one dissected SIP message's JSON tree."""
    items: Iterator[tuple[str, Any]] = iter(tree.items()) if isinstance(tree, dict) else iter(())
    for name, value in items:
        for element in value if isinstance(value, list) else [value]:
            if isinstance(element, dict):
                _leaves(element, into)
            elif isinstance(element, str):
                into.setdefault(name, []).append(element)


async def read_sip(binary: str, path: Path, ports: tuple[int, ...]) -> list[SipMessage]:
    """Every SIP message of the capture, in order (several in one TCP segment each count)."""
    out = await run_tshark(
        binary,
        "-r",
        str(path),
        *decoding(ports),
        "-Y",
        "sip",
        "-T",
        "json",
        "--no-duplicate-keys",
        "-J",
        "frame udp tcp sip",
    )
    messages: list[SipMessage] = []
    for packet in json.loads(out or "[]"):
        layers = packet["_source"]["layers"]
        frame = int(layers["frame"]["frame.number"])
        transport = Transport.UDP if "udp" in layers else Transport.TCP
        header = layers[transport.value]
        src_port = int(header[f"{transport.value}.srcport"])
        dst_port = int(header[f"{transport.value}.dstport"])
        trees = layers["sip"]
        for tree in trees if isinstance(trees, list) else [trees]:
            fields: dict[str, list[str]] = {}
            _leaves(tree, fields)
            sip = {
                name: tuple(values) for name, values in fields.items() if name.startswith("sip.")
            }
            messages.append(SipMessage(frame, transport, src_port, dst_port, sip))
    return messages


async def frames(binary: str, path: Path, ports: tuple[int, ...], display_filter: str) -> list[int]:
    """The frames matching ``display_filter``, in two passes (``-2``) so that a TCP segment
    knows the later frame its message is reassembled in."""
    out = await run_tshark(
        binary,
        "-2",
        "-r",
        str(path),
        *decoding(ports),
        "-Y",
        display_filter,
        "-T",
        "fields",
        "-e",
        "frame.number",
    )
    return [int(line) for line in out.split()]


async def not_sip(binary: str, path: Path, ports: tuple[int, ...]) -> list[int]:
    """Frames with payload the SIP dissector did not read as a SIP message: a datagram or a
    TCP segment outside any SIP message, or octets it shows as "continuation data" (what it
    does with bytes that do not start a SIP message, e.g. after a wrong Content-Length)."""
    return await frames(
        binary,
        path,
        ports,
        "(udp && !sip) || (tcp.len > 0 && !sip && !tcp.reassembled_in) || sip.continuation",
    )


async def malformed(binary: str, path: Path, ports: tuple[int, ...]) -> list[int]:
    return await frames(binary, path, ports, "_ws.malformed")


async def expert_infos(binary: str, path: Path, ports: tuple[int, ...]) -> list[ExpertInfo]:
    """Every expert info of the capture (any severity), in frame order."""
    out = await run_tshark(
        binary,
        "-r",
        str(path),
        *decoding(ports),
        "-Y",
        "_ws.expert",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=\x1f",
        "-e",
        "frame.number",
        "-e",
        "_ws.expert.severity",
        "-e",
        "_ws.expert.message",
    )
    infos: list[ExpertInfo] = []
    for line in out.splitlines():
        frame, severities, messages = [*line.split("\t"), "", ""][:3]
        for severity, message in zip(
            severities.split("\x1f"), messages.split("\x1f"), strict=False
        ):
            if severity:
                infos.append(ExpertInfo(int(frame), int(severity, 0), message))
    return infos


class SipCapture:
    """``tshark -i lo -f "udp port N or tcp port N or ..." -w FILE`` for an ``async with``.

    Entering returns once dumpcap captures: tshark says "Capturing on", then dumpcap writes the
    file's header, which it does after opening the interface with its filter. Leaving stops
    tshark with SIGINT and waits for it (killed if it does not stop in time).
    """

    def __init__(
        self, binary: str, *, ports: tuple[int, ...], path: Path, interface: str = "lo"
    ) -> None:
        self.binary, self.ports, self.path, self.interface = binary, ports, path, interface
        self.stderr: list[str] = []
        self._process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> SipCapture:
        try:
            await self._start()
        except BaseException:
            with contextlib.suppress(CaptureError):
                await self._stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None:
            await self._stop()
            return
        with contextlib.suppress(CaptureError):  # keep the error that ended the session
            await self._stop()

    async def _start(self) -> None:
        if self.path.exists():
            raise CaptureError(f"{self.path} exists: the capture would not be fresh")
        self._process = process = await asyncio.create_subprocess_exec(
            self.binary,
            "-i",
            self.interface,
            "-f",
            " or ".join(f"{proto} port {port}" for port in self.ports for proto in ("udp", "tcp")),
            "-w",
            str(self.path),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stderr is not None
        try:
            async with asyncio.timeout(START_TIMEOUT):
                while not any("Capturing on" in line for line in self.stderr):
                    line = await process.stderr.readline()
                    if not line:
                        self._refused()
                        raise CaptureError(f"tshark ended before capturing: {self._said()}")
                    self.stderr.append(line.decode(errors="replace").rstrip())
                while not (self.path.exists() and self.path.stat().st_size > 0):
                    if process.returncode is not None:
                        self.stderr.extend((await process.stderr.read()).decode().splitlines())
                        self._refused()
                        raise CaptureError(f"tshark exited {process.returncode}: {self._said()}")
                    await asyncio.sleep(0.01)
        except TimeoutError:
            raise CaptureError(
                f"tshark not capturing after {START_TIMEOUT} s: {self._said()}"
            ) from None

    def _refused(self) -> None:
        for said in self.stderr:
            if "permission to capture" in said or "Operation not permitted" in said:
                _unable(f"{NOT_PERMITTED}: {said.strip()}")

    async def wait_for(
        self, display_filter: str, *, count: int = 1, within: float = WITHIN
    ) -> None:
        """Wait until the file being written holds ``count`` packets matching
        ``display_filter``: dumpcap flushes the file in blocks, and packets are written in
        order, so once the last expected one is there the whole session is."""

        async def matched() -> bool:
            out = await run_tshark(
                self.binary,
                "-r",
                str(self.path),
                *decoding(self.ports),
                "-Y",
                display_filter,
                "-T",
                "fields",
                "-e",
                "frame.number",
                live=True,
            )
            return len(out.split()) >= count

        await eventually(
            matched, within=within, every=0.1, what=f"{count} packet(s) {display_filter!r}"
        )

    async def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
            async with asyncio.timeout(STOP_TIMEOUT):
                _, err = await process.communicate()
            self.stderr.extend(err.decode(errors="replace").splitlines())
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.communicate()
        if process.returncode != 0:
            raise CaptureError(f"tshark exited {process.returncode}: {self._said()}")

    def _said(self) -> str:
        return " / ".join(line for line in self.stderr if "Running as user" not in line) or "-"
