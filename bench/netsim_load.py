"""netsim_load: the busy hour of a fleet placed by ``fleetpbx netsim --load`` against
``fleetpbx serve --network sip``, both processes on a fleet of 10,000 lines in PostgreSQL —
FleetPBX's setup times as netsim's calling handsets hear them (INVITE → 180, INVITE → 200,
p50 / p99) and its failures, by SIP status; in the same run the anchor: the same netsim load
with Kamailio (a stateful relay, ``kamailio/relay.cfg``) in FleetPBX's place, relaying
netsim's INVITEs back to netsim (calls to outside numbers only: a relay has no fleet to
serve), and the pure-Python loop of ``_anchor.py`` before and after.

- The fleet: a scratch database ``fleetpbx_bench_<pid>`` (``_pg.py``) seeded by ``fleet.seed``
  (``--lines``, ``--groups`` call groups, forwardings and fixed numbers as it draws them).
- The model (``simulators/netsim/load_model.py``): ``--calls`` calls per line per hour,
  ``--holding`` s mean holding time, ``--group-share`` to call groups, ``--outside-share`` to
  outside numbers, the rest to colleagues' short numbers; ``--duration`` s of the busy hour
  (traffic time) played ``--compression`` times faster. The handsets answer after
  ``--answer-after`` s (not compressed).
- FleetPBX's core and media server are netsim's SIP port; netsim exits once its run is done
  and writes its summary (JSON), read here.

    .venv/bin/python bench/netsim_load.py [--quick] [--duration 3600] [--compression 10]
        [--lines 10000] [--pg-url URL] [--skip-anchor]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/portal.py would
# shadow the project's ``portal`` package (which fleet.app imports): the root goes first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import json
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import _anchor
import _service
from _pg import DEFAULT_PG_URL, PG_URL_ENV, scratch_database, seed_fleet
from _report import out
from _sip_load import Kamailio, serving

from fleet.app import build_services
from fleet.config import load_settings
from fleet.core.clock import SystemClock
from fleet.db import migrate
from fleet.db.engine import create_engine

QUICK = {"lines": 1000, "groups": 20, "duration": 600.0}
NETSIM_WAIT_S = 1800.0  # its start (10,000 handsets read) and its run, at most


async def prepare(url: str, args: argparse.Namespace) -> None:
    await migrate.upgrade(url)
    engine = create_engine(url)
    try:
        settings = load_settings(cli={"database_url": url}, env={})
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        started = time.perf_counter()
        report = await seed_fleet(services, lines=args.lines, groups=args.groups, seed=args.seed)
        out(f"seeded fleet {report.fleet_ids} in {time.perf_counter() - started:.0f} s")
    finally:
        await engine.dispose()


def sip_ports(count: int) -> list[int]:
    """``count`` distinct ports free on loopback for both UDP and TCP (SIP listens on both),
    the probing sockets held until all are found."""
    held: list[socket.socket] = []
    try:
        while len(held) < 2 * count:
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind(("127.0.0.1", 0))
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                tcp.bind(("127.0.0.1", udp.getsockname()[1]))
            except OSError:
                udp.close()
                tcp.close()
                continue
            held += [udp, tcp]
        return [sock.getsockname()[1] for sock in held[::2]]
    finally:
        for sock in held:
            sock.close()


def env_of(url: str, workdir: Path) -> dict[str, str]:
    return {
        "FLEETPBX_DATABASE_URL": url,
        "FLEETPBX_LOG_LEVEL": "info",
        "FLEETPBX_LOG_FORMAT": "json",
        "FLEETPBX_RECORDS_JOURNAL_DIR": str(workdir / "records"),
    }


@contextmanager
def fleetpbx(url: str, netsim_sip: int, sip_port: int, workdir: Path) -> Iterator[tuple[int, int]]:
    """``fleetpbx serve --network sip`` on ``sip_port``, its core and media server netsim's SIP
    port; yields its SIP port and pid once healthy and idle."""
    http_port = _service.free_port()
    settings = env_of(url, workdir) | {
        "FLEETPBX_LOG_LEVEL": "warning",
        "FLEETPBX_NETWORK": "sip",
        "FLEETPBX_SIP_PORT": str(sip_port),
        "FLEETPBX_SIP_CORE": f"127.0.0.1:{netsim_sip}",
        "FLEETPBX_SIP_MEDIA_SERVER": f"127.0.0.1:{netsim_sip}",
    }
    with serving(
        _service.serve_command(http_port), settings, http_port=http_port, workdir=workdir
    ) as pid:
        yield sip_port, pid


def netsim_load(
    url: str,
    target: int,
    sip_port: int,
    workdir: Path,
    args: argparse.Namespace,
    label: str,
    *,
    outside_share: float,
    group_share: float,
) -> tuple[dict[str, Any], float]:
    """``fleetpbx netsim --load`` against ``target``; its summary and its CPU seconds."""
    summary = workdir / f"netsim_{label}.json"
    script = Path(sys.executable).with_name("fleetpbx")
    command = [
        str(script), "netsim", "--fleetpbx", f"127.0.0.1:{target}",
        "--sip-port", str(sip_port), "--control-port", str(_service.free_port()),
        "--reload-every", "0", "--answer-after", str(args.answer_after), "--load",
        "--load-calls", str(args.calls), "--load-holding", str(args.holding),
        "--load-group-share", str(group_share), "--load-outside-share", str(outside_share),
        "--load-duration", str(args.duration), "--load-compression", str(args.compression),
        "--load-seed", str(args.seed), "--load-summary", str(summary),
    ]  # fmt: skip
    path = workdir / f"netsim_{label}.log"
    with path.open("w") as log:
        process = _service.start(command, env_of(url, workdir), cwd=workdir, log=log)
        started = time.perf_counter()
        cpu = 0.0
        try:
            while process.poll() is None and time.perf_counter() - started < NETSIM_WAIT_S:
                cpu = _service.process_cpu(process.pid)
                time.sleep(0.5)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
    if process.returncode != 0 or not summary.exists():
        tail = path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"netsim {label} ended with status {process.returncode}:\n{tail}")
    for row in path.read_text(errors="replace").splitlines():
        if '"netsim_load_progress"' in row or '"netsim_listening"' in row:
            try:
                shown = json.loads(row)
            except ValueError:
                continue
            keep = ("event", "elapsed", "attempts", "answered", "failed", "in_progress")
            out(f"  {label}: " + " ".join(f"{k}={shown[k]}" for k in keep if k in shown))
    return json.loads(summary.read_text()), cpu


def show(label: str, summary: dict[str, Any], cpu: float) -> None:
    ringing, answer = summary["setup_ringing"], summary["setup_answer"]
    out(
        f"{label}: {summary['attempts']} attempts, {summary['answered']} answered, "
        f"{summary['failed']} failed {summary['failed_by_status']} (by kind "
        f"{summary['failed_by_kind']}), not placed "
        f"{summary['not_placed']}, cut at the end {summary['cut_at_end']}, peak in progress "
        f"{summary['peak_in_progress']}, by kind {summary['by_kind']}; attempts placed late: "
        f"{summary['late_over_1s']} by more than 1 s, at most {summary['late_max_s']} s"
    )
    out(
        f"  INVITE→180 p50 {ringing['p50_ms']} ms, p90 {ringing['p90_ms']} ms, p99 "
        f"{ringing['p99_ms']} ms, max {ringing['max_ms']} ms ({ringing['count']} samples); "
        f"INVITE→200 p50 {answer['p50_ms']} ms, p99 {answer['p99_ms']} ms "
        f"({answer['count']}); netsim CPU {cpu:.0f} s over its {summary['elapsed']:.0f} s run"
    )


def bench(url: str, args: argparse.Namespace, workdir: Path) -> None:
    asyncio.run(prepare(url, args))
    netsim_sip, sip_port = sip_ports(2)
    with fleetpbx(url, netsim_sip, sip_port, workdir) as (port, pid):
        cpu_before = _service.process_cpu(pid)
        found, netsim_cpu = netsim_load(
            url, port, netsim_sip, workdir, args, "fleetpbx",
            outside_share=args.outside_share, group_share=args.group_share,
        )  # fmt: skip
        fleetpbx_cpu = _service.process_cpu(pid) - cpu_before
    show("FleetPBX", found, netsim_cpu)
    out(f"  FleetPBX CPU {fleetpbx_cpu:.0f} s over the run")
    if args.skip_anchor:
        return
    (netsim_sip,) = sip_ports(1)
    kamailio = Kamailio(netsim_sip)
    try:
        anchor, anchor_cpu = netsim_load(
            url, kamailio.port, netsim_sip, workdir, args, "kamailio",
            outside_share=1.0, group_share=0.0,
        )  # fmt: skip
    finally:
        kamailio.stop()
    show("anchor (Kamailio relaying netsim's outside calls)", anchor, anchor_cpu)
    mine, theirs = found["setup_ringing"]["p99_ms"], anchor["setup_ringing"]["p99_ms"]
    ratio = f"{mine / theirs:.2f}" if mine and theirs else "-"
    out(f"INVITE→180 p99: FleetPBX {mine} ms / Kamailio {theirs} ms = {ratio}")


async def scratch(args: argparse.Namespace) -> None:
    async with scratch_database(args.pg_url) as db:
        out(f"PostgreSQL {db.version}: {db.shown}")
        with tempfile.TemporaryDirectory(prefix="netsim_load_") as workdir:
            await asyncio.to_thread(bench, db.url, args, Path(workdir))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: small fleet, a slice")
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--calls", type=float, default=3.0, help="calls per line per hour")
    parser.add_argument("--holding", type=float, default=90.0, help="mean holding time, s")
    parser.add_argument("--group-share", type=float, default=0.1)
    parser.add_argument("--outside-share", type=float, default=0.3)
    parser.add_argument("--duration", type=float, default=3600.0, help="traffic seconds")
    parser.add_argument("--compression", type=float, default=10.0)
    parser.add_argument("--answer-after", type=float, default=3.0, help="handsets answer, s")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-anchor", action="store_true")
    parser.add_argument("--pg-url", default=os.environ.get(PG_URL_ENV, DEFAULT_PG_URL))
    if parser.parse_known_args(argv)[0].quick:
        parser.set_defaults(**QUICK)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    out(
        f"netsim_load: {args.lines} lines, {args.groups} groups; {args.calls:g} calls/line/h, "
        f"holding {args.holding:g} s, groups {args.group_share:g}, outside "
        f"{args.outside_share:g}; {args.duration:g} s of traffic ×{args.compression:g} = "
        f"{args.duration / args.compression:g} s; handsets answer after {args.answer_after:g} s; "
        f"machine: {os.cpu_count()} CPUs, load average {_service.load_average()}"
    )
    before = _anchor.measure("before")
    asyncio.run(scratch(args))
    _anchor.mean(before, _anchor.measure("after"))
    out(f"load average at the end {_service.load_average()}")


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as exc:
        out(f"failed: {exc}")
        raise
