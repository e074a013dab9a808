"""The processes of ``sip_stack.py``: SIPp as caller (a run of N calls at a rate, its statistics
file read back) or as the anchor's callee (``-sn uas``), and the bench's own UAS
(``_sip_uas.py``) driven over its stdin."""

from __future__ import annotations

import csv
import json
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

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
    statistics once it exits."""

    def __init__(self, port: int, rate: float, calls: int, *, shed: bool = False) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="sip_stack_")
        self._stats = Path(self._dir.name) / "stats.csv"
        scenario = ["-sf", str(SHED_SCENARIO)] if shed else ["-sn", "uac"]
        command = [
            "sipp",
            f"{LOOPBACK}:{port}",
            *scenario,
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
            str(max(200, int(rate * 2))),
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
        ]
        self.calls = calls
        self.started = time.perf_counter()
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self._dir.name
        )

    def wait(self) -> SippRun:
        code = self._process.wait()
        seconds = time.perf_counter() - self.started
        with self._stats.open(newline="") as file:
            rows = list(csv.DictReader(file, delimiter=";"))
        self._dir.cleanup()
        last = rows[-1] if rows else {}

        def column(name: str) -> int:
            value = last.get(f"{name}(C)", "0") or "0"
            return int(value)

        return SippRun(
            self.calls,
            column("SuccessfulCall"),
            column("FailedCall"),
            column("Retransmissions"),
            seconds,
            code,
        )


def place(port: int, rate: float, calls: int) -> SippRun:
    return Caller(port, rate, calls).wait()


class SippCallee:
    """``sipp -sn uas`` on a free port of loopback: the anchor's callee."""

    def __init__(self) -> None:
        self.port = free_port()
        self._process = subprocess.Popen(
            ["sipp", "-sn", "uas", "-i", LOOPBACK, "-p", str(self.port), "-nostdin"],
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
