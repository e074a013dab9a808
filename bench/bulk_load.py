"""bulk_load: the bulk loads of issue 13 on PostgreSQL — a 10,000-line CSV imported with
``fleetpbx fleet import`` and a 100,000-line fleet seeded with ``fleetpbx seed`` — each timed
while the running service's REST API is probed, and a bare aiohttp handler beside it.

On a scratch database the script imports a small fleet (07 numbers, which the seeder never
draws) with a manager account, starts ``fleetpbx serve`` on it (a process of its own) and
``_bare.py``, signs in to the API, and then, phase by phase, probes both at a steady rate
(open loop: a probe is sent when due, whatever the answers; latency from its due time)
with ``GET /api/fleets/{id}/lines?limit=25`` (a bearer token) and ``GET /`` of the bare
handler:

- ``idle``: nothing else, for ``--idle-seconds``;
- ``import``: ``fleetpbx fleet import`` of a ``--import-lines`` CSV into an empty fleet;
- ``seed``: ``fleetpbx seed --lines N`` (``--seed-lines``; 0 skips it).

Each load runs as its own process (its CPU is not the probes'); its wall time and CPU time
(``RUSAGE_CHILDREN``) are printed with the probes' percentiles, the bare handler's p95 in
the same phase and the ratio, the load average, and the pure-Python anchor (``_anchor``)
measured before and after. A benchmark, not a test.

    .venv/bin/python bench/bulk_load.py [--import-lines N] [--seed-lines N] [--rate R]
                                        [--idle-seconds S] [--pg-url URL]
"""

from __future__ import annotations

import sys
from pathlib import Path

# the root first: bench/portal.py would shadow the project's ``portal`` package
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import contextlib
import os
import resource
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import BinaryIO

import _anchor
import _service
import aiohttp
from _pg import DEFAULT_PG_URL, PG_URL_ENV, scratch_database
from _report import out, percentile

from fleet.app import build_services
from fleet.config import load_settings
from fleet.core.clock import SystemClock
from fleet.core.values import Actor, Channel
from fleet.db import migrate
from fleet.db.engine import create_engine
from fleet.services.fleetio import decode
from fleet.services.fleetio_spec import Format

ACTOR = Actor(name="bench", channel=Channel.CLI)
LOGIN, PASSWORD = "bench.manager", "bench-password-42"
PROBED_LINES = 2_000  # the fleet the API probes read
PROBED_FIRST, IMPORT_FIRST = 760_000_000, 750_000_000  # 07 60 00 00 00…, 07 50 00 00 00…
BENCH = Path(__file__).resolve().parent


@dataclass
class Probe:
    name: str
    ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def q(self, fraction: float) -> float:
        return percentile(sorted(self.ms), fraction) if self.ms else float("nan")

    def line(self) -> str:
        shown = ", ".join(f"{k} ×{n}" for k, n in self.errors.most_common(3))
        return (
            f"  {self.name:<5} {len(self.ms):>6} probes  p50 {self.q(0.5):8.2f}  "
            f"p95 {self.q(0.95):8.2f}  p99 {self.q(0.99):8.2f}  "
            f"max {max(self.ms, default=float('nan')):8.2f} ms  "
            f"errors {sum(self.errors.values())}" + (f" ({shown})" if shown else "")
        )


async def probe_until(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    rate: float,
    done: asyncio.Event,
    probe: Probe,
) -> None:
    """GETs ``url`` every 1/``rate`` s until ``done``; each must answer 200."""
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()

    async def one(due: float) -> None:
        try:
            async with session.get(url, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    probe.errors[str(response.status)] += 1
        except (aiohttp.ClientError, TimeoutError) as error:
            probe.errors[type(error).__name__] += 1
        probe.ms.append((loop.time() - due) * 1e3)

    due = loop.time()
    while not done.is_set():
        task = asyncio.create_task(one(due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        due += 1 / rate
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), max(0.0, due - loop.time()))
    if tasks:
        await asyncio.gather(*tasks)


@dataclass(frozen=True)
class Phase:
    name: str
    wall_s: float
    cpu_s: float  # of the load's process (0 when idle)
    load_before: str
    load_after: str
    api: Probe
    bare: Probe


@dataclass(frozen=True)
class Probing:
    api_url: str
    bare_url: str
    token: str
    rate: float


async def run_phase(name: str, load: Callable[[], Awaitable[None]], probing: Probing) -> Phase:
    done = asyncio.Event()
    api, bare = Probe("api"), Probe("bare")
    load_before = _service.load_average()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    async with aiohttp.ClientSession() as session:
        probes = [
            asyncio.create_task(
                probe_until(
                    session,
                    probing.api_url,
                    {"Authorization": f"Bearer {probing.token}"},
                    probing.rate,
                    done,
                    api,
                )
            ),
            asyncio.create_task(
                probe_until(session, probing.bare_url, {}, probing.rate, done, bare)
            ),
        ]
        started = time.perf_counter()
        try:
            await load()
        finally:
            wall = time.perf_counter() - started
            done.set()
            await asyncio.gather(*probes)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    phase = Phase(name, wall, cpu, load_before, _service.load_average(), api, bare)
    out(
        f"{name}: {wall:.1f} s wall, {cpu:.1f} s CPU (the load's process); "
        f"load average {phase.load_before} → {phase.load_after}"
    )
    out(api.line())
    out(bare.line())
    out(f"  API p95 / bare p95: {api.q(0.95) / bare.q(0.95):.1f}")
    return phase


async def run_command(command: list[str], url: str, log: Path) -> None:
    """A ``fleetpbx`` command on the bench database, waited for on a thread (its exit
    status reaped once); it must succeed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEETPBX_")}
    env |= {"FLEETPBX_DATABASE_URL": url, "FLEETPBX_LOG_LEVEL": "warning"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_service.ROOT), env.get("PYTHONPATH")]))
    with log.open("ab") as sink:
        process = _spawn(command, env, sink)
        status = await asyncio.to_thread(process.wait)
    if status:
        raise RuntimeError(f"{' '.join(command[:3])}… exited with {status}: see {log}")


def lines_csv(first: int, lines: int) -> bytes:
    """A CSV of ``lines`` lines numbered from 07…``first`` on: 07 numbers, which the seeder
    never draws (06 only), so that the seeded fleet cannot take one of them."""
    rows = [
        f"0{first + i};{10000 + i};Salarié {i};salarie{i}@example.com;fr;yes;yes;no"
        for i in range(lines)
    ]
    header = "msisdn;short_number;employee_name;email;language;pabx_option;call_waiting;clir"
    return ("\ufeff" + header + "\n" + "\n".join(rows) + "\n").encode("utf-8")


def _spawn(command: list[str], env: dict[str, str], sink: BinaryIO) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)


async def prepare(url: str) -> tuple[int, int]:
    """The probed fleet with its manager, and the empty fleet the CSV goes to."""
    await migrate.upgrade(url)
    engine = create_engine(url)
    try:
        services = build_services(
            engine=engine,
            settings=load_settings(cli={"database_url": url}, env={}),
            clock=SystemClock(),
        )
        probed = (await services.fleets.create(ACTOR, name="Probed", short_number_length=5)).id
        filled = await services.fleetio.import_file(
            ACTOR, probed, decode(lines_csv(PROBED_FIRST, PROBED_LINES), Format.CSV)
        )
        if not filled.applied:
            raise RuntimeError(f"the probed fleet: {filled.faults[:3]}")
        await services.accounts.create_manager(
            ACTOR, login=LOGIN, password=PASSWORD, display_name="Bench", fleet_ids=[probed]
        )
        target = await services.fleets.create(ACTOR, name="Import", short_number_length=5)
        services.accounts.passwords.close()
        return probed, target.id
    finally:
        await engine.dispose()


async def main(args: argparse.Namespace) -> int:
    out(
        f"bulk_load: import of {args.import_lines:,} CSV lines, seeding of "
        f"{args.seed_lines:,} lines; probes {args.rate:g}/s each; "
        f"{os.cpu_count()} CPUs, load average {_service.load_average()}"
    )
    fleetpbx = str(Path(sys.executable).with_name("fleetpbx"))
    async with scratch_database(args.pg_url) as db:
        out(f"PostgreSQL {db.version}  {db.shown}")
        probed, target = await prepare(db.url)
        with tempfile.TemporaryDirectory(prefix="fleetpbx-bulk-") as tmp:
            folder = Path(tmp)
            csv_file = folder / "lines.csv"
            csv_file.write_bytes(lines_csv(IMPORT_FIRST, args.import_lines))
            port, bare_port = _service.free_port(), _service.free_port()
            log = folder / "service.log"
            settings = {"FLEETPBX_DATABASE_URL": db.url, "FLEETPBX_LOG_LEVEL": "warning"}
            with log.open("w") as sink:
                server = _service.start(
                    _service.serve_command(port), settings, cwd=_service.ROOT, log=sink
                )
            try:
                base = f"http://127.0.0.1:{port}"
                await _service.wait_healthy(base, server)
                await _service.wait_idle(server.pid)
                async with _service.helper(BENCH / "_bare.py", str(bare_port)):
                    async with aiohttp.ClientSession() as session:
                        credentials = {"login": LOGIN, "password": PASSWORD}
                        async with session.post(f"{base}/api/login", json=credentials) as answer:
                            token = (await answer.json())["token"]
                    before = _anchor.measure("before")
                    probing = Probing(
                        api_url=f"{base}/api/fleets/{probed}/lines?limit=25",
                        bare_url=f"http://127.0.0.1:{bare_port}/",
                        token=token,
                        rate=args.rate,
                    )

                    async def idle() -> None:
                        await asyncio.sleep(args.idle_seconds)

                    async def imported() -> None:
                        command = [fleetpbx, "fleet", "import", str(target), str(csv_file)]
                        await run_command(command, db.url, folder / "import.log")

                    async def seeded() -> None:
                        command = [fleetpbx, "seed", "--lines", str(args.seed_lines)]
                        await run_command([*command, "--seed", "42"], db.url, folder / "seed.log")

                    await run_phase("idle", idle, probing)
                    await run_phase("import", imported, probing)
                    if args.seed_lines:
                        await run_phase("seed", seeded, probing)
                    _anchor.mean(before, _anchor.measure("after"))
            finally:
                _service.stop(server)
                tail = log.read_text(errors="replace").splitlines()[-5:]
                if tail:
                    out("service log (last lines): " + " | ".join(tail))
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--import-lines", type=int, default=10_000, help="lines in the CSV")
    parser.add_argument(
        "--seed-lines", type=int, default=100_000, help="lines of the seeded fleet (0: no seed)"
    )
    parser.add_argument("--rate", type=float, default=10.0, help="probes per second, each kind")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="the idle phase")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(PG_URL_ENV, DEFAULT_PG_URL),
        help=f"PostgreSQL server URL (env {PG_URL_ENV}; default {DEFAULT_PG_URL})",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.import_lines <= 89_999 or args.seed_lines < 0:
        parser.error("--import-lines: 1 to 89,999; --seed-lines: 0 or more")
    if args.rate <= 0 or args.idle_seconds <= 0:
        parser.error("--rate and --idle-seconds: more than 0")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
