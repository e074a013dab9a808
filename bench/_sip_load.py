"""The load of ``sip_calls.py``: SIPp as the S-CSCF (``sipp/core_call.xml``) placing calls
read from an injection file at a target — FleetPBX, Kamailio, or the handsets' SIPp directly —
and the processes under test: Kamailio as a relay (``kamailio/relay.cfg``) and the resident
set size of a process."""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import _service
from _kamailio import KamailioProcess
from _knee import Step, Trial
from _report import out, percentile
from _service import process_cpu
from _sipp_run import LOOPBACK, Caller, Sample, SippRun, free_port

HERE = Path(__file__).resolve().parent
CORE_CALL = HERE / "sipp" / "core_call.xml"
HANDSET = HERE / "sipp" / "handset.xml"
RELAY = HERE / "kamailio" / "relay.cfg"
INVITE_TO_180 = 1  # the scenario's rtd numbers
INVITE_TO_200 = 2


@dataclass(frozen=True, slots=True)
class Load:
    """What SIPp places: the injection file and how long a call holds (ms)."""

    injection: Path
    hold_ms: int


@dataclass(frozen=True, slots=True)
class Placed:
    """One SIPp run read back: ``run`` counts a call successful only when answered (a 503
    accepted by the scenario is counted failed there); ``shed``: the calls ended by a 503;
    ``rtd``: the response-time samples by rtd number."""

    run: SippRun
    answered: int
    shed: int
    rtd: dict[int, list[Sample]]

    def answered_within(self, seconds: float) -> int:
        """The calls answered in the first ``seconds`` of the run (their 200 received)."""
        return sum(1 for sample in self.rtd.get(INVITE_TO_200, []) if sample.at_ms <= seconds * 1e3)

    def latency(self, rtd: int = INVITE_TO_180) -> tuple[float, float] | None:
        """p50 and p99 of one rtd, ms; None without samples."""
        samples = sorted(sample.ms for sample in self.rtd.get(rtd, []))
        if not samples:
            return None
        return percentile(samples, 0.5), percentile(samples, 0.99)


def read_back(run: SippRun, rtd: dict[int, list[Sample]]) -> Placed:
    """SIPp's counts with the answered calls from the rtd samples: a call is answered when its
    INVITE got a 200 (one INVITE→200 sample); one SIPp counted successful without it was shed."""
    answered = len(rtd.get(INVITE_TO_200, []))
    shed = max(0, run.successful - answered)
    counted = dataclasses.replace(run, successful=answered, failed=run.failed + shed)
    return Placed(counted, answered, shed, rtd)


def place(port: int, load: Load, rate: float, calls: int, *, limit: int | None = None) -> Caller:
    """Starts SIPp placing ``calls`` calls at ``rate`` per second to ``port``."""
    in_progress = int(rate * (load.hold_ms / 1000 + 1)) + 200
    return Caller(
        port,
        rate,
        calls,
        scenario=CORE_CALL,
        limit=limit if limit is not None else in_progress,
        extra=["-inf", str(load.injection), "-d", str(load.hold_ms)],
        rtt=True,
    )


def run_calls(port: int, load: Load, rate: float, seconds: float) -> Placed:
    caller = place(port, load, rate, max(1, int(rate * seconds)))
    run = caller.wait()
    return read_back(run, caller.rtt)


def rss_mb(pid: int) -> float:
    """The resident set size of a process now, MB (VmRSS of /proc/<pid>/status)."""
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    return 0.0


def settle(pid: int, quiet_s: float = 1.0, limit_s: float = 40.0) -> None:
    """Waits until the process has used no CPU for ``quiet_s`` (the retransmissions and the
    timers of a failed step are over), ``limit_s`` at most."""
    started, still, last = time.perf_counter(), 0.0, process_cpu(pid)
    while still < quiet_s and time.perf_counter() - started < limit_s:
        time.sleep(0.25)
        now = process_cpu(pid)
        still = still + 0.25 if now - last < 0.02 else 0.0
        last = now


@contextmanager
def serving(
    command: list[str], settings: Mapping[str, str], *, http_port: int, workdir: Path
) -> Iterator[int]:
    """``fleetpbx serve`` (``command``, its HTTP on ``http_port``) in ``workdir`` with these
    ``FLEETPBX_*`` settings, its log in ``fleetpbx.log``; yields its pid once healthy and idle,
    and stops it at the end, the last lines of its log shown."""
    path = workdir / "fleetpbx.log"
    with path.open("w") as log:
        server = _service.start(command, settings, cwd=workdir, log=log)
        try:
            asyncio.run(_service.wait_healthy(f"http://127.0.0.1:{http_port}", server))
            settle(server.pid)
            yield server.pid
        finally:
            status = _service.stop(server)
            rows = path.read_text(errors="replace").splitlines()
            out(f"fleetpbx serve stopped (status {status}); its log (warnings): {len(rows)} lines")
            for row in rows[-3:]:
                out(f"  last: {row[:200]}")


def trial(port: int, load: Load, pid: int | None = None) -> Trial:
    """Steps against ``port``; with ``pid`` (the process under test) its CPU per answered call,
    and after a failed step a wait until it is idle again."""

    def step(rate: float, seconds: float) -> Step:
        cpu = process_cpu(pid) if pid else 0.0
        placed = run_calls(port, load, rate, seconds)
        used = process_cpu(pid) - cpu if pid else 0.0
        result = Step(rate, placed.run, placed.answered, used, shed=placed.shed)
        if pid and not result.ok:
            settle(pid)
        return result

    return step


class Kamailio(KamailioProcess):
    """Kamailio as a stateful relay on a free port of loopback, in the foreground (``-DD -E``),
    relaying every new INVITE to ``target`` (a port of loopback). One UDP worker by default:
    with two, the handsets' 180 and 200, sent back to back, are now and then relayed in the
    wrong order by two workers (a few calls in a thousand fail at SIPp, with no loss)."""

    def __init__(self, target: int, *, children: int = 1) -> None:
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="sip_calls_kamailio_")
        command = [
            "kamailio",
            "-f",
            str(RELAY),
            "-DD",
            "-E",
            "-w",
            self._dir.name,
            "-n",
            str(children),
            "-l",
            f"udp:{LOOPBACK}:{self.port}",
            "-A",
            f'UAS="sip:{LOOPBACK}:{target}"',
        ]
        log = Path(self._dir.name) / "kamailio.log"
        super().__init__(command, log=log, settle=1.0, grace=10)

    def stop(self) -> None:
        super().stop()
        self._dir.cleanup()
