"""Running SIPp (Debian's ``sip-tester``) non-interactively against a local port: one scenario
of ``tests/sipp/``, a number of calls, its statistics read back from the CSV it dumps.

Without ``sipp`` the tests skip, or fail under ``FLEETPBX_REQUIRE_TOOLS=1`` (``.ci/run``
installs it)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import shutil
import socket
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import NoReturn

import pytest

REQUIRE_TOOLS = "FLEETPBX_REQUIRE_TOOLS"
MISSING = "sipp not installed (apt-get install sip-tester)"
SCENARIOS = Path(__file__).resolve().parent.parent / "sipp"
START_TIMEOUT = 30.0  # seconds for SIPp to bind its port
RUN_TIMEOUT = 60.0  # SIPp's own -timeout (30 s) ends it first; this only guards a hang


def _unable(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_TOOLS) == "1":
        pytest.fail(f"{reason}; {REQUIRE_TOOLS}=1 requires it")
    pytest.skip(reason)


def sipp_binary() -> str:
    """The ``sipp`` binary; fails under ``FLEETPBX_REQUIRE_TOOLS=1``, skips otherwise."""
    binary = shutil.which("sipp")
    if binary is None:
        _unable(MISSING)
    return binary


class SippTransport(StrEnum):
    """SIPp's ``-t``: one UDP socket, or one TCP connection (``t1``)."""

    UDP = "u1"
    TCP = "t1"


@dataclass(frozen=True)
class SippRun:
    """One SIPp run: its exit code (0: every call successful), the cumulative counts of its
    last statistics line, and its logs (unexpected messages, errors) for failure messages."""

    exit_code: int
    successful: int
    failed: int
    created: int
    logs: str

    def explain(self) -> str:
        return (
            f"sipp exit {self.exit_code}: {self.successful} successful, {self.failed} failed,"
            f" {self.created} created\n{self.logs}"
        )

    def passed(self, calls: int) -> bool:
        """Exit 0 with ``calls`` successful and none failed (assert it: the message says
        why not, ``explain``)."""
        return self.exit_code == 0 and (self.successful, self.failed) == (calls, 0)


def _last_stats(path: Path) -> dict[str, str]:
    with path.open(newline="") as stats:
        rows = list(csv.reader(stats, delimiter=";"))
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0], rows[-1], strict=False))


def _count(stats: dict[str, str], name: str) -> int:
    value = stats.get(name, "").strip()
    return int(value) if value.isdigit() else -1


def _trace_options(workdir: Path, scenario: str) -> tuple[str, ...]:
    """Statistics, errors and messages into ``workdir`` (read back by :func:`_result`)."""
    return (
        "-timeout",
        "30s",
        "-timeout_error",
        "-nostdin",
        "-trace_stat",
        "-stf",
        str(workdir / f"{scenario}_stats.csv"),
        "-trace_err",
        "-error_file",
        str(workdir / f"{scenario}_errors.log"),
        "-trace_msg",
        "-message_file",
        str(workdir / f"{scenario}_messages.log"),
    )


def _result(workdir: Path, scenario: str, exit_code: int | None, stderr: bytes) -> SippRun:
    stats = workdir / f"{scenario}_stats.csv"
    counts = _last_stats(stats) if stats.exists() else {}
    logs = [stderr.decode(errors="replace")]
    for log in (workdir / f"{scenario}_errors.log", workdir / f"{scenario}_messages.log"):
        if log.exists():
            logs.append(f"--- {log.name}\n{log.read_text(errors='replace')[-6000:]}")
    return SippRun(
        exit_code=exit_code if exit_code is not None else -1,
        successful=_count(counts, "SuccessfulCall(C)"),
        failed=_count(counts, "FailedCall(C)"),
        created=_count(counts, "TotalCallCreated"),
        logs="\n".join(logs),
    )


async def _finish(process: asyncio.subprocess.Process) -> bytes:
    """Wait for SIPp to exit (its own -timeout ends it first); its stderr."""
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    return stderr


async def run_sipp(
    binary: str,
    scenario: str,
    port: int,
    workdir: Path,
    *,
    calls: int = 1,
    rate: int = 10,
    limit: int = 5,
    service: str = "fleetpbx",
    transport: SippTransport = SippTransport.UDP,
    extra: tuple[str, ...] = (),
) -> SippRun:
    """Run ``tests/sipp/<scenario>.xml`` as UAC towards 127.0.0.1:``port`` for ``calls`` calls
    (``rate`` a second, at most ``limit`` at once, over ``transport``) and wait for it to
    finish."""
    process = await asyncio.create_subprocess_exec(
        binary,
        f"127.0.0.1:{port}",
        "-sf",
        str(SCENARIOS / f"{scenario}.xml"),
        "-i",
        "127.0.0.1",
        "-s",
        service,
        "-m",
        str(calls),
        "-r",
        str(rate),
        "-l",
        str(limit),
        "-t",
        transport.value,
        *_trace_options(workdir, scenario),
        *extra,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        cwd=workdir,
    )
    stderr = await _finish(process)
    return _result(workdir, scenario, process.returncode, stderr)


def free_port() -> int:
    """A port of 127.0.0.1 free for both UDP and TCP when asked (it may be taken since)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port


def _listening(port: int, transport: SippTransport) -> bool:
    """Whether a socket of 127.0.0.1 (or any address) listens on ``port`` (Linux /proc)."""
    table = Path("/proc/net/udp" if transport is SippTransport.UDP else "/proc/net/tcp")
    wanted = f":{port:04X}"
    for line in table.read_text().splitlines()[1:]:
        fields = line.split()
        local, state = fields[1], fields[3]
        if local.endswith(wanted) and (transport is SippTransport.UDP or state == "0A"):
            return True
    return False


@dataclass
class SippServer:
    """SIPp started as UAS (:func:`start_sipp_uas`), listening on 127.0.0.1:``port``."""

    scenario: str
    port: int
    workdir: Path
    process: asyncio.subprocess.Process

    async def finished(self) -> SippRun:
        """Wait for SIPp to exit (after its ``-m`` calls, or its timeout); its run."""
        stderr = await _finish(self.process)
        return _result(self.workdir, self.scenario, self.process.returncode, stderr)

    async def stop(self) -> SippRun:
        """Kill SIPp if it still runs; what it logged (for a failure message)."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        _, stderr = await self.process.communicate()
        return _result(self.workdir, self.scenario, self.process.returncode, stderr)


async def _start_uas(
    binary: str,
    scenario: str,
    workdir: Path,
    calls: int,
    transport: SippTransport,
    port: int,
    extra: tuple[str, ...],
) -> SippServer | str:
    """SIPp listening, or why it exited before (e.g. the port was taken meanwhile)."""
    process = await asyncio.create_subprocess_exec(
        binary,
        "-sf",
        str(SCENARIOS / f"{scenario}.xml"),
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-mp",
        str(free_port()),
        "-m",
        str(calls),
        "-t",
        transport.value,
        *_trace_options(workdir, scenario),
        *extra,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        cwd=workdir,
    )
    server = SippServer(scenario, port, workdir, process)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT
    while not _listening(port, transport):
        if process.returncode is not None:
            return (await process.communicate())[1].decode(errors="replace")
        if loop.time() > deadline:
            await server.stop()
            pytest.fail(f"sipp did not listen on {port} within {START_TIMEOUT} s")
        await asyncio.sleep(0.01)
    return server


async def start_sipp_uas(
    binary: str,
    scenario: str,
    workdir: Path,
    *,
    calls: int = 1,
    transport: SippTransport = SippTransport.UDP,
    extra: tuple[str, ...] = (),
) -> SippServer:
    """Start ``tests/sipp/<scenario>.xml`` as UAS on a free port of 127.0.0.1 (tried again
    once on another port when the bind fails), exiting after ``calls`` calls; returns once it
    listens (``extra``: more SIPp options, an injection file…). Wait for its verdict with
    :meth:`SippServer.finished`."""
    why = ""
    for _ in range(2):
        started = await _start_uas(binary, scenario, workdir, calls, transport, free_port(), extra)
        if isinstance(started, SippServer):
            return started
        why = started
    pytest.fail(f"sipp exited before listening for {scenario}:\n{why}")
