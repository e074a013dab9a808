"""login_storm: USSD and /healthz latency while 20 clients hammer the logins.

Seeds one fleet (1,000 lines, 50 call groups by default) and a manager account on a fresh
SQLite file (or PostgreSQL with ``--pg``), starts ``fleetpbx serve`` on it as a separate
process, bound over SMPP to the SMSC simulator run here, and a bare aiohttp handler in a
process of its own. Then, for each variant (``pool``: the service as it is; ``loop``: the
same with argon2 on the event loop, ``bench/_argon2_on_loop.py``), phases of paced probes
— USSD interrogations (``*#21#``), GET /healthz and GET of the bare handler — first alone
(baseline), then while ``bench/_storm.py`` signs in with 20 clients at once, portal and API,
right and wrong passwords, from varied addresses: ``hammer`` (each client's next sign-in as
soon as the last is answered, Retry-After ignored) and ``polite`` (Retry-After obeyed).
Prints latency per probe, the logins' outcomes, and ratios; it is a benchmark, not a test.

    .venv/bin/python bench/login_storm.py [--lines N] [--groups N] [--seconds S] [--rate R]
                                          [--settle S] [--clients N] [--addresses N]
                                          [--right F] [--storms hammer,polite]
                                          [--variants pool,loop] [--login-workers N]
                                          [--pg] [--pg-url URL] [--seed N]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/portal.py would
# shadow the project's ``portal`` package (which fleet.app imports): the root goes first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import _anchor
import _probes
import _service
import aiohttp
from _login_report import STORMS, Phase, report_phase, report_summary
from _pg import DEFAULT_PG_URL, PG_URL_ENV, scratch_database, seed_fleet
from _probes import Samples
from _report import out
from _stop import stopped_by_signals
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from ussd import LogTally, answer_patterns, collect, quiet_logs

from fleet.app import build_services
from fleet.config import Settings, load_settings
from fleet.core.clock import SystemClock
from fleet.core.values import Actor, Channel
from fleet.db import migrate
from fleet.db.engine import create_engine
from simulators.smsc import SmscSimulator

BENCH = Path(__file__).resolve().parent
SYSTEM_ID, SMPP_PASSWORD = "fleetpbx", "benchpw"
LOGIN, PASSWORD = "storm.manager", "storm-password-42"
DIALLED = "*#21#"
VARIANTS = {"pool": None, "loop": BENCH / "_argon2_on_loop.py"}  # the service's entry point
# the storm's addresses (first octets): no phase inherits another's locks and delays
NETWORKS = {("pool", "hammer"): "10.1", ("pool", "polite"): "10.2"}
NETWORKS |= {("loop", "hammer"): "10.3", ("loop", "polite"): "10.4"}
ANSWER_TIMEOUT_S = 60.0  # the simulator waits this long for a USSD answer
WARM_UP = 20  # USSD and HTTP probes of each kind before the phases, untimed
ARGON2_PASSES = 7


@dataclass
class Rig:
    """What every phase of a variant uses."""

    args: argparse.Namespace
    variant: str
    base: str
    pid: int
    smsc: SmscSimulator
    bare: str
    handsets: list[str]
    http: aiohttp.ClientSession


def argon2_time() -> tuple[float, float]:
    """Median wall and CPU ms of a wrong password's verification, the service's parameters
    (argon2-cffi's defaults), here in the bench process while nothing else of the bench runs."""
    hasher = PasswordHasher()
    stored = hasher.hash(PASSWORD)
    wall, cpu = [], []
    for _ in range(ARGON2_PASSES):
        t0, c0 = time.perf_counter(), time.process_time()
        with contextlib.suppress(VerifyMismatchError):
            hasher.verify(stored, "a wrong password")
        wall.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return statistics.median(wall), statistics.median(cpu)


async def prepare(url: str, args: argparse.Namespace) -> list[str]:
    """Migrates, seeds the fleet and the manager; returns the PABX lines' MSISDNs."""
    started = time.perf_counter()
    await migrate.upgrade(url)
    out(f"migrate: {time.perf_counter() - started:.1f} s")
    engine = create_engine(url)
    try:
        settings = load_settings(cli={"database_url": url}, env={})
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        report = await seed_fleet(services, lines=args.lines, groups=args.groups, seed=args.seed)
        fleet_id = report.fleet_ids[0]
        actor = Actor(name="bench", channel=Channel.CLI)
        await services.accounts.create_manager(
            actor, login=LOGIN, password=PASSWORD, display_name="Storm", fleet_ids=[fleet_id]
        )
        lines, _total = await collect(services, fleet_id)
        services.accounts.passwords.close()
    finally:
        await engine.dispose()
    handsets = [line.msisdn.value for line in lines if line.pabx_option]
    out(f"handsets: {len(handsets)} lines with the PABX option; manager account {LOGIN!r}")
    return handsets


async def probe(rig: Rig, count: int) -> list[Samples]:
    """The three kinds of probe at once, ``count`` of each at ``--rate``."""
    rate = rig.args.rate
    valid = answer_patterns()[DIALLED]
    return list(
        await asyncio.gather(
            _probes.ussd(rig.smsc, rig.handsets, DIALLED, valid, count, rate),
            _probes.http(
                rig.http, "GET /healthz", f"{rig.base}/healthz", _probes.healthz_check, count, rate
            ),
            _probes.http(rig.http, "bare aiohttp", rig.bare, _probes.bare_check, count, rate),
        )
    )


@contextlib.asynccontextmanager
async def storm(rig: Rig, kind: str) -> AsyncIterator[dict[str, Any]]:
    """``bench/_storm.py`` running while the block runs (from ``--settle`` seconds after it
    started); what it printed is in the dict once the block has ended."""
    a = rig.args
    named = {
        "--base": rig.base,
        "--login": LOGIN,
        "--password": PASSWORD,
        "--clients": str(a.clients),
        "--addresses": str(a.addresses),
        "--network": NETWORKS[rig.variant, kind],
        "--right": str(a.right),
        "--seed": str(a.seed),
    }
    options = [x for option in named.items() for x in option]
    if kind == "polite":
        options.append("--polite")
    result: dict[str, Any] = {}
    async with _service.helper(BENCH / "_storm.py", *options) as process:
        await asyncio.sleep(a.settle)
        yield result
    result.update(json.loads(process.output))


async def phase(rig: Rig, kind: str) -> Phase:
    """Probes, alone (``kind`` "") or during a storm of that kind."""
    count = round(rig.args.rate * rig.args.seconds)
    logins: dict[str, Any] = {}
    async with contextlib.AsyncExitStack() as stack:
        if kind:
            logins = await stack.enter_async_context(storm(rig, kind))
        cpu0, busy0, t0 = (
            _service.process_cpu(rig.pid),
            _service.machine_busy(),
            time.perf_counter(),
        )
        samples = await probe(rig, count)
        wall, busy1 = time.perf_counter() - t0, _service.machine_busy()
        cpu = _service.process_cpu(rig.pid) - cpu0
    machine = busy1 - busy0 if busy0 is not None and busy1 is not None else None
    return Phase(rig.variant, kind, samples, wall, cpu, machine, logins or None)


async def ready(rig: Rig) -> None:
    """Bound, routing cache loaded (an interrogation answered right), warmed up, idle."""
    valid = answer_patterns()[DIALLED]
    async with asyncio.timeout(_service.HEALTH_WAIT_S):
        await wait_bound(rig.smsc)
        await _service.wait_idle(rig.pid)  # the routing cache loaded, as a rule
        while True:  # the routing cache loads in the background: ask until it answers
            if valid.fullmatch(await rig.smsc.ussd(rig.handsets[0], DIALLED)):
                break
            await asyncio.sleep(0.2)
    await probe(rig, WARM_UP)
    await _service.wait_idle(rig.pid)


async def wait_bound(smsc: SmscSimulator) -> None:
    for _ in range(int(_service.HEALTH_WAIT_S * 10)):
        if smsc.bound:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the service did not bind to the SMSC simulator")


async def run_variant(
    url: str, args: argparse.Namespace, variant: str, bare: str, handsets: list[str]
) -> list[Phase]:
    smsc = SmscSimulator(
        system_id=SYSTEM_ID, password=SMPP_PASSWORD, answer_timeout=ANSWER_TIMEOUT_S
    )
    await smsc.start()
    port = _service.free_port()
    settings = {
        "FLEETPBX_DATABASE_URL": url,
        "FLEETPBX_LOG_LEVEL": "warning",
        "FLEETPBX_SMPP_PORT": str(smsc.port),
        "FLEETPBX_SMPP_SYSTEM_ID": SYSTEM_ID,
        "FLEETPBX_SMPP_PASSWORD": SMPP_PASSWORD,
        "FLEETPBX_TRUSTED_PROXIES": "127.0.0.1",  # the storm's X-Forwarded-For is believed
        "FLEETPBX_RECORDS_JOURNAL_DIR": str(Path(args.workdir) / f"records-{variant}"),
        "FLEETPBX_LOGIN_WORKERS": str(args.login_workers),
    }
    command = _service.serve_command(port, VARIANTS[variant])
    with tempfile.TemporaryFile("w+") as log:
        server = _service.start(command, settings, cwd=Path(args.workdir), log=log)
        try:
            async with aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=ANSWER_TIMEOUT_S)
            ) as http:
                base = f"http://127.0.0.1:{port}"
                rig = Rig(args, variant, base, server.pid, smsc, bare, handsets, http)
                healthy = await _service.wait_healthy(rig.base, server)
                await ready(rig)
                out(
                    f"== {variant}: service pid {server.pid} on {rig.base} ("
                    + ("argon2 on the event loop" if VARIANTS[variant] else "as it is")
                    + f"), /healthz 200 after {healthy:.1f} s, SMPP bound, warmed up; "
                    f"load average {_service.load_average()}"
                )
                phases = []
                for kind in ["", *args.storms]:
                    phases.append(await phase(rig, kind))
                    report_phase(phases[-1], args.rate)
                return phases
        finally:
            status = await asyncio.to_thread(_service.stop, server)  # the loop sees it go
            await smsc.stop()
            log.seek(0)
            lines = log.read().splitlines()
            out(f"service stopped (exit status {status}); {len(lines)} log lines at warning+")
            for line in lines[:5]:
                out(f"  | {line[:160]}")


@contextlib.asynccontextmanager
async def bare_server() -> AsyncIterator[str]:
    port = _service.free_port()
    async with _service.helper(BENCH / "_bare.py", str(port)):
        yield f"http://127.0.0.1:{port}/"


async def measure(url: str, args: argparse.Namespace) -> None:
    handsets = await prepare(url, args)
    argon2 = argon2_time()
    out(f"argon2 verification here: {argon2[0]:.0f} ms wall, {argon2[1]:.0f} ms CPU")
    async with bare_server() as bare:
        before = _anchor.measure("before")
        phases = []
        for variant in args.variants:
            phases.extend(await run_variant(url, args, variant, bare, handsets))
        anchor = _anchor.mean(before, _anchor.measure("after"))
    report_summary(phases, anchor, argon2)


async def main(args: argparse.Namespace, tally: LogTally) -> int:
    out(
        f"login_storm: 1 fleet, {args.lines} lines, {args.groups} groups; probes {args.rate:g}/s "
        f"of each kind for {args.seconds:g} s a phase; storm {args.clients} clients, "
        f"{args.addresses} addresses, {args.right:.0%} right passwords; login workers "
        f"{args.login_workers} (queue {Settings().login_queue}); variants {','.join(args.variants)}"
    )
    out(f"machine: {os.cpu_count()} CPUs, load average {_service.load_average()}")
    with tempfile.TemporaryDirectory(prefix="login_storm_") as workdir:
        args.workdir = workdir
        if args.pg:
            async with scratch_database(args.pg_url) as db:
                out(f"PostgreSQL {db.version}  {db.shown}")
                await measure(db.url, args)
        else:
            async with stopped_by_signals(f"removing {workdir}"):
                out(f"SQLite {workdir}/fleet.db")
                await measure(f"sqlite+aiosqlite:///{workdir}/fleet.db", args)
    shown = ", ".join(f"{k} {v}" for k, v in tally.events.most_common()) or "none"
    out(f"bench process log events at warning or above: {shown}")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add = parser.add_argument
    add("--lines", type=int, default=1_000, help="lines in the fleet")
    add("--groups", type=int, default=50, help="call groups in the fleet")
    add("--seconds", type=float, default=30.0, help="seconds of probes in each phase")
    add("--rate", type=float, default=20.0, help="probes per second of each kind")
    add("--settle", type=float, default=2.0, help="seconds of storm before its probes")
    add("--clients", type=int, default=20, help="storm clients (half portal, half API)")
    add("--addresses", type=int, default=1_000, help="source addresses of the storm")
    add("--right", type=float, default=0.25, help="share of right passwords in the storm")
    add(
        "--storms",
        type=lambda v: [x.strip() for x in v.split(",") if x.strip()],
        default=list(STORMS),
        help="hammer (Retry-After ignored), polite (obeyed): both by default, in that order",
    )
    add(
        "--variants",
        type=lambda v: [x.strip() for x in v.split(",") if x.strip()],
        default=list(VARIANTS),
        help="pool (the service), loop (argon2 on the event loop): both by default",
    )
    add("--login-workers", type=int, default=Settings().login_workers, help="argon2 threads")
    add("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    add(
        "--pg-url",
        default=os.environ.get(PG_URL_ENV, DEFAULT_PG_URL),
        help=f"PostgreSQL server URL (env {PG_URL_ENV}; default {DEFAULT_PG_URL})",
    )
    add("--seed", type=int, default=42, help="seed of the fleet and of the storm")
    args = parser.parse_args(argv)
    if args.lines < 50 or args.groups < 1 or args.clients < 1 or args.login_workers < 1:
        parser.error("--lines 50 or more; --groups, --clients, --login-workers 1 or more")
    if not 1 <= args.addresses <= 62_500:
        parser.error("--addresses 1 to 62,500")
    if args.seconds <= 0 or args.rate <= 0 or args.settle < 0 or not 0 <= args.right <= 1:
        parser.error("--seconds and --rate more than 0, --settle 0 or more, --right 0-1")
    if not args.variants or set(args.variants) - set(VARIANTS):
        parser.error(f"--variants among {','.join(VARIANTS)}")
    if not args.storms or set(args.storms) - set(STORMS):
        parser.error(f"--storms among {','.join(STORMS)}")
    return args


def run(args: argparse.Namespace) -> int:
    with open(os.devnull, "w") as sink:
        tally = quiet_logs("warning", "console", sink)
        return asyncio.run(main(args, tally))


if __name__ == "__main__":
    sys.exit(run(parse_args()))
