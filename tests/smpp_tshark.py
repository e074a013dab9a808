"""tshark for the SMPP capture tests: capture one TCP port on loopback to a file, then read the
file back through Wireshark's SMPP dissector, one record per SMPP PDU.

Capturing needs root or CAP_NET_RAW. Without tshark, or without that right, the tests skip, or
fail when ``FLEETPBX_REQUIRE_TOOLS=1`` (CI installs tshark in ``.ci/run`` and runs as root).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn, Self

import pytest

from tests.polling import WITHIN, eventually

REQUIRE_TOOLS = "FLEETPBX_REQUIRE_TOOLS"
MISSING = "tshark not installed (apt-get install tshark)"
NOT_PERMITTED = "no permission to capture on loopback (needs root or CAP_NET_RAW)"
ERROR_SEVERITY = 0x00800000  # Wireshark's PI_ERROR: the expert-info level of malformed packets
START_TIMEOUT = 30.0  # tshark has to load every dissector before it starts dumpcap
STOP_TIMEOUT = 20.0
READ_TIMEOUT = 60.0
# data_coding 0 is "SMSC default alphabet": read it as GSM 03.38, one septet an octet
SMPP_PREFERENCES = ("-o", "smpp.decode_sms_over_smpp:GSM 7-bit", "-o", "smpp.gsm7_unpacked:TRUE")

COMMAND_NAMES = {
    0x00000009: "bind_transceiver",
    0x80000009: "bind_transceiver_resp",
    0x00000004: "submit_sm",
    0x80000004: "submit_sm_resp",
    0x00000005: "deliver_sm",
    0x80000005: "deliver_sm_resp",
    0x00000006: "unbind",
    0x80000006: "unbind_resp",
    0x00000015: "enquire_link",
    0x80000015: "enquire_link_resp",
    0x80000000: "generic_nack",
}


class CaptureError(RuntimeError):
    """tshark could not capture, or could not read a capture back."""


def _unable(reason: str) -> NoReturn:
    """Fails under ``FLEETPBX_REQUIRE_TOOLS=1``, skips otherwise."""
    if os.environ.get(REQUIRE_TOOLS) == "1":
        pytest.fail(f"{reason}; {REQUIRE_TOOLS}=1 requires it")
    pytest.skip(reason)


def tshark_binary() -> str:
    """The ``tshark`` binary; fails under ``FLEETPBX_REQUIRE_TOOLS=1``, skips otherwise."""
    binary = shutil.which("tshark")
    if binary is None:
        _unable(MISSING)
    return binary


async def run_tshark(binary: str, *args: str, live: bool = False) -> str:
    """Run tshark to completion (within ``READ_TIMEOUT``); returns its standard output.

    ``live``: the file is still being written, so it may end in the middle of a packet (exit
    code 2); a finished capture must read without error.
    """
    process = await asyncio.create_subprocess_exec(
        binary,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(READ_TIMEOUT):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.communicate()
    if process.returncode not in ((0, 2) if live else (0,)):
        raise CaptureError(f"tshark {' '.join(args)} exited {process.returncode}: {err.decode()}")
    return out.decode()


@dataclass(frozen=True, slots=True)
class SmppPdu:
    """One SMPP PDU as Wireshark's dissector shows it: every ``smpp.*`` field, as text."""

    frame: int
    src_port: int
    fields: Mapping[str, tuple[str, ...]]

    def value(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None

    def number(self, name: str) -> int | None:
        text = self.value(name)
        return int(text, 0) if text is not None else None

    @property
    def command_id(self) -> int:
        command_id = self.number("smpp.command_id")
        assert command_id is not None, f"frame {self.frame}: an SMPP PDU without command_id"
        return command_id

    @property
    def command(self) -> str:
        return COMMAND_NAMES.get(self.command_id, f"0x{self.command_id:08X}")

    def __str__(self) -> str:
        shown = ", ".join(
            f"{name.removeprefix('smpp.')}={'|'.join(values)}"
            for name, values in self.fields.items()
            if name in _SHOWN
        )
        return f"#{self.frame} :{self.src_port} {self.command} {shown}"


_SHOWN = (
    "smpp.command_status",
    "smpp.sequence_number",
    "smpp.system_id",
    "smpp.source_addr",
    "smpp.destination_addr",
    "smpp.data_coding",
    "smpp.ussd_service_op",
    "smpp.its_session.number",
    "smpp.its_session.sequence",
    "smpp.message_text",
)


def _smpp_fields(tree: Any, into: dict[str, list[str]]) -> None:
    """Collect the ``smpp.*`` leaves of one PDU's JSON tree (subtrees included)."""
    items: Iterator[tuple[str, Any]] = iter(tree.items()) if isinstance(tree, dict) else iter(())
    for name, value in items:
        for element in value if isinstance(value, list) else [value]:
            if isinstance(element, dict):
                _smpp_fields(element, into)
            elif name.startswith("smpp.") and isinstance(element, str):
                into.setdefault(name, []).append(element)


async def read_smpp(binary: str, path: Path, port: int) -> list[SmppPdu]:
    """Every SMPP PDU of the capture, in order (several PDUs of one TCP segment each count)."""
    out = await run_tshark(
        binary,
        "-r",
        str(path),
        "-d",
        f"tcp.port=={port},smpp",
        *SMPP_PREFERENCES,
        "-Y",
        "smpp",
        "-T",
        "json",
        "--no-duplicate-keys",
        "-J",
        "frame tcp smpp",
    )
    pdus: list[SmppPdu] = []
    for packet in json.loads(out or "[]"):
        layers = packet["_source"]["layers"]
        frame = int(layers["frame"]["frame.number"])
        src_port = int(layers["tcp"]["tcp.srcport"])
        trees = layers["smpp"]
        for tree in trees if isinstance(trees, list) else [trees]:
            fields: dict[str, list[str]] = {}
            _smpp_fields(tree, fields)
            pdus.append(SmppPdu(frame, src_port, {k: tuple(v) for k, v in fields.items()}))
    return pdus


async def frames(binary: str, path: Path, port: int, display_filter: str) -> list[int]:
    """The numbers of the frames matching ``display_filter``, SMPP decoded on ``port``; two
    passes (``-2``), so a segment knows the later frame its PDU is reassembled in."""
    out = await run_tshark(
        binary,
        "-2",
        "-r",
        str(path),
        "-d",
        f"tcp.port=={port},smpp",
        *SMPP_PREFERENCES,
        "-Y",
        display_filter,
        "-T",
        "fields",
        "-e",
        "frame.number",
    )
    return [int(line) for line in out.split()]


@dataclass(frozen=True, slots=True)
class ExpertInfo:
    """One expert info of a dissected frame (Wireshark's severity: chat, note, warning, error)."""

    frame: int
    severity: int
    message: str

    def __str__(self) -> str:
        return f"frame {self.frame}: [{self.severity:#x}] {self.message}"


async def read_expert_infos(binary: str, path: Path, options: tuple[str, ...]) -> list[ExpertInfo]:
    """Every expert info of the capture at ``path`` (any severity), in frame order, read with
    the dissector ``options`` (``-d`` decode-as, ``-o`` preferences)."""
    out = await run_tshark(
        binary,
        "-r",
        str(path),
        *options,
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


async def dissection_problems(binary: str, path: Path, port: int) -> list[str]:
    """Malformed packets and expert infos of severity error, as ``frame N: message`` lines."""
    malformed = await frames(binary, path, port, "_ws.malformed")
    problems = [f"frame {frame}: malformed packet" for frame in malformed]
    options = ("-d", f"tcp.port=={port},smpp", *SMPP_PREFERENCES)
    for info in await read_expert_infos(binary, path, options):
        if info.severity >= ERROR_SEVERITY:
            problems.append(f"frame {info.frame}: {info.message}")
    return problems


async def not_smpp(binary: str, path: Path, port: int) -> list[int]:
    """Frames carrying TCP payload that the SMPP dissector did not take (an unknown command id,
    a stream it lost track of). A segment holding the first part of a PDU that the next one
    completes (a peer writing one PDU in two sends) is reassembled there: it is not one."""
    return await frames(binary, path, port, "tcp.len > 0 && !smpp && !tcp.reassembled_in")


class TsharkCapture:
    """``tshark -i lo -f FILTER -w FILE`` for the length of an ``async with``; ``decode_as``
    are the ``-d`` options reading the file back (``wait_for``).

    Entering returns once dumpcap captures (tshark says "Capturing on", then dumpcap writes the
    file's header: it does so after opening the interface with its filter). Leaving stops tshark
    with SIGINT and waits for it; it is killed if it does not stop in time.
    """

    def __init__(
        self,
        binary: str,
        *,
        path: Path,
        capture_filter: str,
        decode_as: tuple[str, ...],
        interface: str = "lo",
    ) -> None:
        self.binary, self.path, self.interface = binary, path, interface
        self.capture_filter, self.decode_as = capture_filter, decode_as
        self.stderr: list[str] = []
        self._process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Self:
        try:
            await self.start()
        except BaseException:
            with contextlib.suppress(CaptureError):  # keep the reason it could not start
                await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None:
            await self.stop()
            return
        with contextlib.suppress(CaptureError):  # keep the error that ended the session
            await self.stop()

    async def start(self) -> None:
        if self.path.exists():
            raise CaptureError(f"{self.path} exists: the capture would not be fresh")
        self._process = process = await asyncio.create_subprocess_exec(
            self.binary,
            "-i",
            self.interface,
            "-f",
            self.capture_filter,
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
        ``display_filter``: dumpcap flushes the file in blocks (every half second or so) and
        writes packets in order, so once the last expected one is there the whole session is.
        """

        async def matched() -> bool:
            out = await run_tshark(
                self.binary,
                "-r",
                str(self.path),
                *self.decode_as,
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

    async def stop(self) -> None:
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


class LoopbackCapture(TsharkCapture):
    """The SMPP session on TCP ``port``, read back by the SMPP dissector."""

    def __init__(self, binary: str, *, port: int, path: Path, interface: str = "lo") -> None:
        super().__init__(
            binary,
            path=path,
            capture_filter=f"tcp port {port}",
            decode_as=("-d", f"tcp.port=={port},smpp"),
            interface=interface,
        )
        self.port = port
