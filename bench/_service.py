"""``fleetpbx serve`` as a process of its own for a benchmark: started on a free port with
the defaults plus what the bench sets (the caller's FLEETPBX_* variables are not passed on),
on the code of the checkout this file is in (its root first on PYTHONPATH); waited for until
``/healthz`` answers 200 and it stops using CPU; its CPU read from /proc; stopped with SIGINT
(as Ctrl-C), SIGKILL if it does not end in time. Also the bench's helper scripts
(``_bare.py``, ``_storm.py``) as processes of their own (``helper``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
HEALTH_WAIT_S = 60.0
STOP_WAIT_S = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (all its threads), from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float | None:
    """Busy CPU seconds of the whole machine so far, from /proc/stat (Linux)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def serve_command(port: int, entry: Path | None = None) -> list[str]:
    """``fleetpbx serve`` on 127.0.0.1:``port``; ``entry``: a script to run instead of the
    ``fleetpbx`` command, with the same arguments."""
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    if entry is not None:
        return [sys.executable, str(entry), *args]
    script = Path(sys.executable).with_name("fleetpbx")
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "fleet.cli", *args]


def start(
    command: list[str], settings: Mapping[str, str], *, cwd: Path, log: TextIO
) -> subprocess.Popen[bytes]:
    """``settings``: FLEETPBX_* variables, over the defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEETPBX_")} | dict(settings)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)


async def wait_healthy(base: str, server: subprocess.Popen[bytes]) -> float:
    """Polls /healthz until it answers 200; returns the seconds it took."""
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() - started < HEALTH_WAIT_S:
            if server.poll() is not None:
                raise RuntimeError(f"the service exited with status {server.returncode}")
            try:
                async with session.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"/healthz did not answer 200 within {HEALTH_WAIT_S:g} s")


async def wait_idle(pid: int, quiet_s: float = 1.0, limit_s: float = 60.0) -> float:
    """Waits until the process uses no CPU for ``quiet_s`` (the routing cache is loaded in
    the background after start-up); returns the seconds waited."""
    started = time.perf_counter()
    last, still = process_cpu(pid), 0.0
    while time.perf_counter() - started < limit_s and still < quiet_s:
        await asyncio.sleep(0.25)
        now = process_cpu(pid)
        still = still + 0.25 if now - last < 0.02 else 0.0
        last = now
    return time.perf_counter() - started


def stop(server: subprocess.Popen[bytes]) -> int:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return server.returncode


@dataclass
class Helper:
    process: subprocess.Popen[bytes]
    output: bytes = b""  # what it printed after "ready", once it has ended


def _spawn(script: Path, args: tuple[str, ...]) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(script), *args]
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)


@contextlib.asynccontextmanager
async def helper(script: Path, *args: str) -> AsyncIterator[Helper]:
    """A helper script run with this Python: it prints "ready" when it is, and ends once
    its standard input closes; what it printed then is in ``output`` after the block. Plain
    ``subprocess``, its pipes read on a thread: Python 3.11's asyncio child watcher can lose
    a child's exit status to the ``Popen`` it keeps (both reap it), and logs a warning."""
    process = _spawn(script, args)
    stdout = process.stdout
    assert stdout is not None
    found = Helper(process)
    try:
        if await asyncio.to_thread(stdout.readline) != b"ready\n":
            raise RuntimeError(f"{script.name} did not start (status {process.poll()})")
        yield found
    finally:
        found.output = await _finish(process)
    if process.returncode:
        raise RuntimeError(f"{script.name} ended with status {process.returncode}")


async def _finish(process: subprocess.Popen[bytes]) -> bytes:
    """Closes its standard input, so that it ends, and reads what it printed meanwhile (it
    never blocks on a full pipe); killed if it does not end in time."""
    try:
        output, _ = await asyncio.to_thread(process.communicate, None, STOP_WAIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = await asyncio.to_thread(process.communicate)
    return output
