"""The processes of ``sip_stack.py``: SIPp as caller (a run of N calls at a rate, its statistics
file read back) or as the anchor's callee (``-sn uas``), and the bench's own UAS
(``_sip_uas.py``) driven over its stdin."""

from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
LOOPBACK = "127.0.0.1"
SHED_SCENARIO = HERE / "sipp" / "uac_shed.xml"


def free_port() -> int:
    """A UDP port free on loopback now (SIPp would take 5060 and 6000 otherwise)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class SippRun:
    calls: int  # placed
    successful: int  # ended as the scenario says (a 503 too, with uac_shed.xml)
    failed: int
    retransmissions: int
    seconds: float  # wall time of the whole run, from launch to exit
    code: int


class Caller:
    """SIPp placing ``calls`` calls at ``rate`` per second to ``port``; :meth:`wait` reads its
    statistics once it exits. ``scenario``: an XML scenario instead of the built-in ``uac``
    (``shed``: ``uac_shed.xml``); ``limit``: the calls in progress at most (twice the rate, or
    200, by default); ``extra``: more SIPp arguments; ``rtt``: every response time sample
    written to ``rtt_file`` (``-trace_rtt``, read back with :func:`read_rtt`)."""

    def __init__(
        self,
        port: int,
        rate: float,
        calls: int,
        *,
        shed: bool = False,
        scenario: Path | None = None,
        limit: int | None = None,
        extra: Sequence[str] = (),
        rtt: bool = False,
    ) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="sip_stack_")
        self._stats = Path(self._dir.name) / "stats.csv"
        if scenario is None and shed:
            scenario = SHED_SCENARIO
        flags = ["-sf", str(scenario)] if scenario is not None else ["-sn", "uac"]
        if rtt:
            flags += ["-trace_rtt", "-rtt_freq", "1"]
        command = [
            "sipp",
            f"{LOOPBACK}:{port}",
            *flags,
            "-i",
            LOOPBACK,
            "-p",
            str(free_port()),
            "-mp",
            str(free_port()),
            "-r",
            f"{rate:g}",
            "-m",
            str(calls),
            "-l",
            str(limit if limit is not None else max(200, int(rate * 2))),
            "-recv_timeout",
            "4000",
            "-timeout",
            str(int(calls / rate) + 30),
            "-nostdin",
            "-trace_stat",
            "-stf",
            str(self._stats),
            "-fd",
            "1",
            *extra,
        ]
        self.calls = calls
        self.rtt: dict[int, list[Sample]] = {}
        self.started = time.perf_counter()
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self._dir.name
        )

    def wait(self) -> SippRun:
        code = self._process.wait()
        seconds = time.perf_counter() - self.started
        last = read_stats(self._stats.read_text() if self._stats.exists() else "")
        files = sorted(Path(self._dir.name).glob("*_rtt.csv"))
        self.rtt = read_rtt(files[0].read_text()) if files else {}
        self._dir.cleanup()
        return SippRun(
            self.calls,
            last.get("SuccessfulCall", 0),
            last.get("FailedCall", 0),
            last.get("Retransmissions", 0),
            seconds,
            code,
        )


def read_stats(text: str) -> dict[str, int]:
    """The cumulative counters (the ``(C)`` columns, their names without it) of the last row of
    a SIPp statistics file (``-trace_stat``, ``;``-separated); empty when it has no row."""
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    if not rows:
        return {}
    counters: dict[str, int] = {}
    for name, value in rows[-1].items():
        if name and name.endswith("(C)") and value and value.strip().isdigit():
            counters[name[: -len("(C)")]] = int(value)
    return counters


class Sample(NamedTuple):
    at_ms: float  # since SIPp started
    ms: float  # the response time


def read_rtt(text: str) -> dict[int, list[Sample]]:
    """A SIPp response-time trace (``-trace_rtt``: ``date_ms;response_time_ms;rtd_no`` lines
    after a header) as the samples of each rtd, by its number."""
    samples: dict[int, list[Sample]] = {}
    for row in text.splitlines():
        fields = row.strip().rstrip(";").split(";")
        if len(fields) < 3:
            continue
        try:
            sample, rtd = Sample(float(fields[0]), float(fields[1])), int(fields[2])
        except ValueError:  # the header
            continue
        samples.setdefault(rtd, []).append(sample)
    return samples


def place(port: int, rate: float, calls: int) -> SippRun:
    return Caller(port, rate, calls).wait()


class SippCallee:
    """``sipp -sn uas`` (or the UAS ``scenario``) on a free port of loopback: the anchor's
    callee, or the core's side of the handsets."""

    def __init__(self, scenario: Path | None = None) -> None:
        self.port = free_port()
        flags = ["-sf", str(scenario)] if scenario is not None else ["-sn", "uas"]
        self._process = subprocess.Popen(
            ["sipp", *flags, "-i", LOOPBACK, "-p", str(self.port), "-nostdin"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tempfile.gettempdir(),
        )
        time.sleep(0.5)  # let it bind

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait()


@dataclass(frozen=True, slots=True)
class UasStats:
    invites: int
    acks: int
    byes: int
    shed: int
    transactions: int
    max_transactions: int
    lag: float
    worst_lag: float
    cpu: float
    drops: int


class Uas:
    """The bench's UAS process on ``loop``; :meth:`stats` asks it for its counters. ``floor``:
    the bare datagram answerer of ``_sip_floor.py`` instead of the stack."""

    def __init__(
        self,
        loop: str,
        *,
        max_transactions: int,
        max_lag: float,
        profile: Path | None = None,
        floor: bool = False,
    ) -> None:
        command = [
            sys.executable,
            str(HERE / ("_sip_floor.py" if floor else "_sip_uas.py")),
            "--loop",
            loop,
            "--max-transactions",
            str(max_transactions),
            "--max-lag",
            str(max_lag),
        ]
        if profile is not None:
            command += ["--profile", str(profile)]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        first = self._readline()
        if not first.startswith("ready "):
            raise RuntimeError(f"the UAS did not start: {first!r}")
        self.port = int(first.split()[1])

    def _readline(self) -> str:
        assert self._process.stdout is not None
        return self._process.stdout.readline()

    def stats(self) -> UasStats:
        assert self._process.stdin is not None
        self._process.stdin.write("stats\n")
        self._process.stdin.flush()
        return UasStats(**json.loads(self._readline()))

    def stop(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write("quit\n")
        self._process.stdin.close()
        self._process.wait()
