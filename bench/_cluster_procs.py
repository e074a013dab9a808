"""The processes of ``cluster.py``: ``fleetpbx serve --network sip`` processes on one database
(each its own HTTP and SIP port, its legs to the handsets' SIPp), their fleets as ``/healthz``
shows them, and Kamailio on the deployment's configuration (``deploy/kamailio/kamailio.cfg``)
with a dispatcher list of those processes."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import _service
import aiohttp
from _kamailio import KamailioProcess
from _sipp_run import LOOPBACK, free_port

CONFIG = _service.ROOT / "deploy" / "kamailio" / "kamailio.cfg"
BALANCED_WITHIN_S = 60.0


@dataclass
class Fleetpbx:
    """One ``fleetpbx serve --network sip``."""

    name: str
    http: int
    sip: int
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http}"

    @property
    def pid(self) -> int:
        return self.process.pid

    async def owned(self) -> frozenset[int] | None:
        """The fleets ``/healthz`` says this process owns; None when it does not answer."""
        timeout = aiohttp.ClientTimeout(total=5)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                http.get(f"{self.base}/healthz") as response,
            ):
                if response.status != 200:
                    return None
                body = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None
        return frozenset(int(f) for f in body.get("fleets_owned", ()))

    def kill(self) -> None:
        """``kill -9``: no clean-up, its connections dropped by the kernel."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> int:
        return _service.stop(self.process)


def start_fleetpbx(
    name: str, url: str, core: int, workdir: Path, *, owner_interval: float
) -> Fleetpbx:
    """Started and waited for until healthy and idle (its routing cache loaded)."""
    http, sip = _service.free_port(), free_port()
    journal = workdir / name
    journal.mkdir()
    settings = {
        "FLEETPBX_DATABASE_URL": url,
        "FLEETPBX_LOG_LEVEL": "warning",
        "FLEETPBX_RECORDS_JOURNAL_DIR": str(journal),
        "FLEETPBX_NETWORK": "sip",
        "FLEETPBX_SIP_PORT": str(sip),
        "FLEETPBX_SIP_CORE": f"{LOOPBACK}:{core}",
        "FLEETPBX_OWNER_INTERVAL": f"{owner_interval:g}",
    }
    log = workdir / f"{name}.log"
    with log.open("w") as sink:
        process = _service.start(_service.serve_command(http), settings, cwd=workdir, log=sink)
    found = Fleetpbx(name, http, sip, log, process)
    try:
        asyncio.run(_service.wait_healthy(found.base, process))
        asyncio.run(_service.wait_idle(process.pid))
    except BaseException:
        found.stop()
        raise
    return found


async def balanced(processes: Sequence[Fleetpbx], fleets: int) -> dict[str, frozenset[int]]:
    """Waits until every fleet has exactly one owner and each process its share; returns
    each process's fleets."""
    share = -(-fleets // len(processes))
    started = time.perf_counter()
    while time.perf_counter() - started < BALANCED_WITHIN_S:
        owned = {p.name: await p.owned() for p in processes}
        sets = [s for s in owned.values() if s is not None]
        every = [f for s in sets for f in s]
        complete = len(sets) == len(processes) and len(every) == len(set(every)) == fleets
        if complete and all(len(s) <= share for s in sets):
            return {name: s for name, s in owned.items() if s is not None}
        await asyncio.sleep(0.2)
    raise RuntimeError(f"ownership not balanced within {BALANCED_WITHIN_S:g} s: {owned}")


def split_failed(calls: int, answered: int, failed: int) -> tuple[int, int]:
    """SIPp's failed calls as (never answered, answered then cut): a call whose INVITE got its
    200 but whose BYE got no answer (its process killed) is answered and failed."""
    never = calls - answered
    return never, max(0, failed - never)


class Kamailio(KamailioProcess):
    """Debian's Kamailio on ``deploy/kamailio/kamailio.cfg``, in the foreground, on a free UDP
    port of loopback; its dispatcher list the given SIP ports. ``children``: UDP workers (the
    configuration's 2 can relay a handset's 180 and 200, sent back to back, out of order —
    see ``_sip_load.Kamailio``); pike's density raised above the bench's rates (SIPp sends
    every call from one address)."""

    def __init__(self, workdir: Path, sip_ports: Sequence[int], *, children: int) -> None:
        binary = shutil.which("kamailio") or shutil.which("kamailio", path="/usr/sbin")
        if binary is None:
            raise RuntimeError("kamailio is not installed (apt-get install kamailio)")
        self.port = free_port()
        listed = workdir / f"dispatcher-{self.port}.list"
        listed.write_text("".join(f"1 sip:{LOOPBACK}:{port}\n" for port in sip_ports))
        log = workdir / f"kamailio-{self.port}.log"
        command = [
            binary, "-f", str(CONFIG), "-DD", "-E", "-w", str(workdir), "-m", "128", "-M", "16",
            "-n", str(children), "-l", f"udp:{LOOPBACK}:{self.port}",
            "-A", f'DISPATCHER_LIST="{listed}"', "-A", "PING_INTERVAL=1",
            "-A", "FR_TIMER=1500", "-A", "PIKE_DENSITY=1000000",
        ]  # fmt: skip
        super().__init__(command, log=log, settle=1.5, grace=20)
