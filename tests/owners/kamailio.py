"""Debian's Kamailio running ``deploy/kamailio/kamailio.cfg`` in the foreground on a free UDP
port of 127.0.0.1, its dispatcher list generated for the test's FleetPBX processes, OPTIONS
probing every second. Without ``kamailio`` the tests skip (fail under
``FLEETPBX_REQUIRE_TOOLS=1``)."""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.sip.sipp_runner import SippTransport, _listening, _unable
from tests.sip.sipp_runner import free_port as free_sip_port

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "kamailio" / "kamailio.cfg"


@dataclass
class Kamailio:
    port: int
    log: Path
    popen: subprocess.Popen[bytes]

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    @property
    def listening(self) -> bool:
        if self.popen.poll() is not None:
            raise AssertionError(f"kamailio exited:\n{self.output()}")
        return _listening(self.port, SippTransport.UDP)


@contextmanager
def kamailio(workdir: Path, sip_ports: Sequence[int]) -> Iterator[Kamailio]:
    binary = shutil.which("kamailio") or shutil.which("kamailio", path="/usr/sbin")
    if binary is None:
        _unable("kamailio not installed (apt-get install kamailio)")
    assert binary is not None
    listed = workdir / "dispatcher.list"
    listed.write_text("".join(f"1 sip:127.0.0.1:{port}\n" for port in sip_ports))
    port = free_sip_port()
    log = workdir / "kamailio.log"
    command = [
        binary, "-f", str(CONFIG), "-DD", "-E", "-w", str(workdir), "-m", "64", "-M", "8",
        "-l", f"udp:127.0.0.1:{port}",
        "-A", f'DISPATCHER_LIST="{listed}"', "-A", "PING_INTERVAL=1", "-A", "FR_TIMER=1500",
    ]  # fmt: skip
    with log.open("wb") as out:
        popen = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield Kamailio(port=port, log=log, popen=popen)
    finally:
        popen.send_signal(signal.SIGTERM)
        try:
            popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()
