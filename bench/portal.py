"""portal: the manager pages and the REST API over HTTP, with many clients at once.

Seeds one fleet (10,000 lines and 200 call groups by default) on a fresh PostgreSQL database,
starts ``fleetpbx serve`` on it as a separate process, signs 20 clients in (portal session
cookie with its CSRF token, API bearer token) and drives each endpoint in turn with all the
clients at once, each sending its next request as soon as the previous one is answered (a
closed loop): the lines page (search and page), a line's page, the groups page, and a
forwarding change through the API. Prints requests per second and latency per endpoint; it
is a benchmark, not a test.

    .venv/bin/python bench/portal.py [--lines N] [--groups N] [--clients N]
                                     [--requests N | --seconds S] [--endpoints NAMES]
                                     [--seed N] [--pg-url URL] [--server-log-level LEVEL]
                                     [--profile FILE]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and this file would shadow the
# project's ``portal`` package (which fleet.app imports): the repository root goes first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import _anchor
import aiohttp
from _pg import DEFAULT_PG_URL, PG_URL_ENV, scratch_database
from _pg import seed_fleet as seed_one_fleet
from _pgcpu import DatabaseCpu, Usage
from _report import out, percentile
from _service import (
    ROOT,
    free_port,
    load_average,
    machine_busy,
    process_cpu,
    start,
    wait_healthy,
    wait_idle,
)
from _service import stop as stop_server

from fleet.app import build_services
from fleet.config import load_settings
from fleet.core import model
from fleet.core.clock import SystemClock
from fleet.core.values import Actor, Channel, ForwardingKind
from fleet.db import migrate
from fleet.db.engine import create_engine
from fleet.services.container import Services
from fleet.services.linebrowse import Cursor
from portal.line_pages import PAGE as LINES_PER_PAGE

LOGIN, PASSWORD = "bench.manager", "bench-password-42"
SETUP_ACTOR = Actor(name="bench", channel=Channel.CLI)
TARGET_PAGE_P95_MS = 150.0
TARGET_API_P95_MS = 50.0
DEFAULT_SECONDS = 20.0  # timed per endpoint, unless --requests
WARMUP_PER_CLIENT = 5  # untimed requests per client before each endpoint's timed run
TERMS_PER_KIND = 50  # search terms of each kind drawn for the lines page
COLLECT_PAGE = 500
REQUEST_TIMEOUT_S = 60.0
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
ENDPOINTS = ("lines", "line", "groups", "api")  # the default run
MORE_ENDPOINTS = ("browse", "search")  # the lines page split: no term / a search term


@dataclass(frozen=True, slots=True)
class LineInfo:
    id: int
    national: str  # "06 12 34 56 78": the pages show it
    digits: str  # "0612345678": a forwarding destination
    name: str
    short_number: str | None
    pabx: bool


@dataclass(frozen=True, slots=True)
class Term:
    kind: str  # browse, name, short, number
    text: str
    pages: int  # pages of results for this term (1 when none match)
    # where each page starts: the keyset cursor of the line before it ("" for the first page)
    cursors: tuple[str, ...] = ("",)


@dataclass(frozen=True, slots=True)
class Fleet:
    id: int
    lines: tuple[LineInfo, ...]
    pabx: tuple[LineInfo, ...]
    terms: tuple[Term, ...]


@dataclass
class Client:
    session: aiohttp.ClientSession
    index: int  # among the clients: its share of the lines whose forwardings it changes
    token: str = ""
    rng: random.Random = field(default_factory=random.Random)


Call = Callable[[Client, Fleet], Awaitable[str | None]]  # one request: error label or None


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str
    shown: str  # what is measured, for the output
    target_ms: float
    call: Call


@dataclass
class PhaseResult:
    endpoint: Endpoint
    samples: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0
    server_cpu: float = 0.0
    bench_cpu: float = 0.0
    machine_busy: float | None = None
    postgres: Usage | None = None  # None: the server is not on this machine


# -- the fleet --------------------------------------------------------------------------------


async def seed_fleet(url: str, args: argparse.Namespace) -> Fleet:
    """Seeds the fleet, creates the manager account, collects the lines and the search terms."""
    engine = create_engine(url)
    try:
        settings = load_settings(cli={"database_url": url}, env={})
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        if args.from_database:  # seeded once before: its first fleet
            fleet_id = min(fleet.id for fleet in await services.fleets.all())
            seeded = (await services.lines.search(fleet_id, limit=1)).total
            out(f"fleet {fleet_id} of {args.from_database}: {seeded} lines")
        else:
            report = await seed_one_fleet(
                services, lines=args.lines, groups=args.groups, seed=args.seed
            )
            fleet_id, seeded = report.fleet_ids[0], report.lines
        await services.accounts.create_manager(
            SETUP_ACTOR,
            login=LOGIN,
            password=PASSWORD,
            display_name="Bench manager",
            fleet_ids=[fleet_id],
        )
        lines = await collect_lines(services, fleet_id)
        terms = await search_terms(services, fleet_id, lines, random.Random(args.seed))
        await services.lines.analyze()
    finally:
        await engine.dispose()
    if len(lines) != seeded:
        raise RuntimeError(f"collected {len(lines)} lines, seeded {seeded}")
    pabx = tuple(line for line in lines if line.pabx)
    return Fleet(id=fleet_id, lines=tuple(lines), pabx=pabx, terms=terms)


async def collect_lines(services: Services, fleet_id: int) -> list[LineInfo]:
    found: list[model.Line] = []
    while True:
        page = await services.lines.search(fleet_id, offset=len(found), limit=COLLECT_PAGE)
        found.extend(page.items)
        if not page.items or len(found) >= page.total:
            break
    return [
        LineInfo(
            id=line.id,
            national=line.msisdn.national(),
            digits=line.msisdn.national_digits(),
            name=line.employee_name,
            short_number=line.short_number,
            pabx=line.pabx_option,
        )
        for line in found
    ]


def draw_terms(lines: list[LineInfo], rng: random.Random) -> list[tuple[str, str]]:
    """Search terms as a manager types them, as (kind, text): nothing (browse), three letters
    of a name, the first three digits of a short number, four digits of a phone number."""
    terms = [("browse", "")] * TERMS_PER_KIND
    for _ in range(TERMS_PER_KIND):
        word = rng.choice(rng.choice(lines).name.split())
        start = rng.randrange(max(1, len(word) - 2))
        terms.append(("name", word[start : start + 3].lower()))
    shorts = [line.short_number for line in lines if line.short_number]
    for _ in range(TERMS_PER_KIND):
        terms.append(("short", rng.choice(shorts)[:3]))
    for _ in range(TERMS_PER_KIND):
        start = rng.randrange(2, 7)
        terms.append(("number", rng.choice(lines).digits[start : start + 4]))
    return terms


async def search_terms(
    services: Services, fleet_id: int, lines: list[LineInfo], rng: random.Random
) -> tuple[Term, ...]:
    """The terms with where each of their pages of results starts (pages are drawn in it)."""
    counted: list[Term] = []
    starts: dict[str, tuple[str, ...]] = {}
    for kind, term in draw_terms(lines, rng):
        if term not in starts:
            starts[term] = await page_starts(services, fleet_id, term, lines)
        counted.append(Term(kind, term, len(starts[term]), starts[term]))
    return tuple(counted)


async def page_starts(
    services: Services, fleet_id: int, term: str, lines: list[LineInfo]
) -> tuple[str, ...]:
    """The cursors the lines page's "next" links carry for ``term``, the first page's ""."""
    if term:
        found: list[model.Line] = []
        while True:
            page = await services.lines.search(
                fleet_id, search=term, offset=len(found), limit=COLLECT_PAGE
            )
            found.extend(page.items)
            if not page.items or len(found) >= page.total:
                break
        keys = [(line.employee_name, line.id) for line in found]
    else:  # browsing: every line, in the order they were collected (the pages' order)
        keys = [(line.name, line.id) for line in lines]
    ends = range(LINES_PER_PAGE, len(keys), LINES_PER_PAGE)
    return ("", *(Cursor(*keys[end - 1]).encode() for end in ends))


# -- the service process ----------------------------------------------------------------------


def server_command(port: int, profile: str | None) -> list[str]:
    script = Path(sys.executable).with_name("fleetpbx")
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    if profile:
        return [sys.executable, "-m", "cProfile", "-o", profile, "-m", "fleet.cli", *serve]
    if script.exists():
        return [str(script), *serve]
    return [sys.executable, "-m", "fleet.cli", *serve]


def start_server(
    url: str, port: int, args: argparse.Namespace, log: TextIO
) -> subprocess.Popen[bytes]:
    """``fleetpbx serve`` on the bench database, with the defaults for everything else."""
    settings = {"FLEETPBX_DATABASE_URL": url, "FLEETPBX_LOG_LEVEL": args.server_log_level}
    return start(server_command(port, args.profile), settings, cwd=ROOT, log=log)


# -- clients ------------------------------------------------------------------------------


async def new_client(base: str, index: int, seed_value: int) -> Client:
    """A browser-like client signed in to the portal (cookie; CSRF token from the login
    form) and to the API (bearer token)."""
    session = aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies from 127.0.0.1
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
    )
    client = Client(session=session, index=index, rng=random.Random(seed_value * 1000 + index))
    try:
        async with session.get(f"{base}/portal/login") as response:
            found = CSRF.search(await response.text())
        if response.status != 200 or found is None:
            raise RuntimeError(f"login page: status {response.status}, CSRF token {found}")
        form = {"login": LOGIN, "password": PASSWORD, "csrf": found.group(1)}
        async with session.post(
            f"{base}/portal/login", data=form, allow_redirects=False
        ) as response:
            if response.status != 302 or response.headers.get("Location") != "/portal/":
                raise RuntimeError(f"portal login: status {response.status}")
        credentials = {"login": LOGIN, "password": PASSWORD}
        async with session.post(f"{base}/api/login", json=credentials) as response:
            if response.status != 200:
                raise RuntimeError(f"API login: status {response.status}")
            client.token = (await response.json())["token"]
    except BaseException:
        await session.close()
        raise
    return client


async def fetch_page(
    client: Client, url: str, marker: str, params: dict[str, str] | None = None
) -> str | None:
    """GET a page (redirects not followed: a lost session would show as 302); the error
    label, or None when the page is a 200 containing ``marker``."""
    async with client.session.get(url, params=params, allow_redirects=False) as response:
        body = await response.text()
    if response.status != 200:
        return str(response.status)
    return None if marker in body else "200 without the expected content"


def lines_call(base: str, kinds: frozenset[str] | None = None) -> Call:
    """The lines page with a term drawn among all of them, or among those of ``kinds``."""

    async def call(client: Client, fleet: Fleet) -> str | None:
        terms = [t for t in fleet.terms if kinds is None or t.kind in kinds]
        term = client.rng.choice(terms)
        after = client.rng.choice(term.cursors)
        url = f"{base}/portal/fleets/{fleet.id}/lines"
        query = {"q": term.text, "after": after} if after else {"q": term.text}
        return await fetch_page(client, url, 'id="lines"', query)

    return call


def line_call(base: str, suffix: str) -> Call:
    """A line's page; ``suffix`` is "" (the line page) or "/forwarding" (lines with the
    PABX option, as the lines page links them)."""

    async def call(client: Client, fleet: Fleet) -> str | None:
        line = client.rng.choice(fleet.pabx if suffix else fleet.lines)
        url = f"{base}/portal/fleets/{fleet.id}/lines/{line.id}{suffix}"
        return await fetch_page(client, url, line.national)

    return call


def groups_call(base: str) -> Call:
    async def call(client: Client, fleet: Fleet) -> str | None:
        return await fetch_page(client, f"{base}/portal/fleets/{fleet.id}/groups", 'id="groups"')

    return call


def json_object(text: str) -> dict[str, Any]:
    """The JSON object of an answer; empty when it is not one (an error page, say)."""
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def api_call(base: str, clients: int) -> Call:
    """PUT a forwarding of a random line with the PABX option: a random kind, to another
    line of the fleet, on or off. The lines are dealt out to the clients, so that two of them
    never change the same line at once (as managers each editing their own lines)."""
    kinds = list(ForwardingKind)

    async def call(client: Client, fleet: Fleet) -> str | None:
        rng = client.rng
        line = rng.choice(fleet.pabx[client.index :: clients])
        other = rng.choice(fleet.pabx)
        while other.id == line.id:
            other = rng.choice(fleet.pabx)
        kind = rng.choice(kinds)
        body: dict[str, Any] = {"destination": other.digits, "active": rng.random() < 0.5}
        if kind is ForwardingKind.NO_REPLY:
            body["no_reply_timer"] = rng.choice([10, 15, 20, 25, 30])
        url = f"{base}/api/fleets/{fleet.id}/lines/{line.id}/forwardings/{kind.value}"
        headers = {"Authorization": f"Bearer {client.token}"}
        async with client.session.put(url, json=body, headers=headers) as response:
            answer = json_object(await response.text())
        if response.status != 200:
            return f"{response.status} {answer.get('code', '')}".strip()
        expected = {"kind": kind.value, "active": body["active"]}
        got = {k: answer.get(k) for k in expected}
        return None if got == expected else "200 with another rule"

    return call


async def probe_line_page(client: Client, base: str, fleet: Fleet) -> bool:
    """True when a line's own page answers 200 (until it exists, the bench measures the line's
    forwarding page)."""
    line = fleet.lines[0]
    url = f"{base}/portal/fleets/{fleet.id}/lines/{line.id}"
    async with client.session.get(url, allow_redirects=False) as response:
        await response.read()
        return response.status == 200


def endpoints(base: str, fleet: Fleet, line_page: bool, clients: int) -> list[Endpoint]:
    f = fleet.id
    shown_line = (
        f"GET /portal/fleets/{f}/lines/{{id}} (the line's page, any line)"
        if line_page
        else f"GET /portal/fleets/{f}/lines/{{id}}/forwarding (forwarding page, PABX lines; "
        "the line's own page does not answer 200 yet)"
    )
    return [
        Endpoint(
            "lines",
            f"GET /portal/fleets/{f}/lines?q=…&after=… (search term and page drawn at random)",
            TARGET_PAGE_P95_MS,
            lines_call(base),
        ),
        Endpoint(
            "browse",
            f"GET /portal/fleets/{f}/lines?after=… (no search term, a page drawn at random)",
            TARGET_PAGE_P95_MS,
            lines_call(base, frozenset({"browse"})),
        ),
        Endpoint(
            "search",
            f"GET /portal/fleets/{f}/lines?q=…&after=… (a name, short-number or phone term)",
            TARGET_PAGE_P95_MS,
            lines_call(base, frozenset({"name", "short", "number"})),
        ),
        Endpoint(
            "line",
            shown_line,
            TARGET_PAGE_P95_MS,
            line_call(base, "" if line_page else "/forwarding"),
        ),
        Endpoint("groups", f"GET /portal/fleets/{f}/groups", TARGET_PAGE_P95_MS, groups_call(base)),
        Endpoint(
            "api",
            f"PUT /api/fleets/{f}/lines/{{id}}/forwardings/{{kind}} (bearer token)",
            TARGET_API_P95_MS,
            api_call(base, clients),
        ),
    ]


# -- running -----------------------------------------------------------------------------------


async def worker(
    client: Client,
    endpoint: Endpoint,
    fleet: Fleet,
    budget: Callable[[], bool],
    result: PhaseResult | None,
) -> None:
    """One client in the closed loop: the next request as soon as the previous one is done."""
    while budget():
        t0 = time.perf_counter_ns()
        try:
            error = await endpoint.call(client, fleet)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            error = type(exc).__name__
        if result is not None:
            result.samples.append((time.perf_counter_ns() - t0) / 1e6)
            if error is not None:
                result.errors[error] += 1


def count_budget(total: int) -> Callable[[], bool]:
    left = [total]

    def take() -> bool:
        left[0] -= 1
        return left[0] >= 0

    return take


def time_budget(seconds: float) -> Callable[[], bool]:
    deadline = time.perf_counter() + seconds
    return lambda: time.perf_counter() < deadline


async def run_phase(
    clients: list[Client],
    endpoint: Endpoint,
    fleet: Fleet,
    args: argparse.Namespace,
    pid: int,
    database: DatabaseCpu,
) -> PhaseResult:
    warm = count_budget(WARMUP_PER_CLIENT * len(clients))
    await asyncio.gather(*(worker(c, endpoint, fleet, warm, None) for c in clients))
    result = PhaseResult(endpoint)
    budget = time_budget(args.seconds) if args.seconds else count_budget(args.requests)
    server0, bench0, busy0 = process_cpu(pid), time.process_time(), machine_busy()
    await database.begin()
    started = time.perf_counter()
    await asyncio.gather(*(worker(c, endpoint, fleet, budget, result) for c in clients))
    result.wall = time.perf_counter() - started
    result.server_cpu = process_cpu(pid) - server0
    result.bench_cpu = time.process_time() - bench0
    result.postgres = await database.end()
    busy1 = machine_busy()
    result.machine_busy = busy1 - busy0 if busy0 is not None and busy1 is not None else None
    return result


def report_phase(result: PhaseResult, database: str) -> None:
    n, wall = len(result.samples), result.wall
    ordered = sorted(result.samples)
    errors = sum(result.errors.values())
    out(f"== {result.endpoint.name}: {result.endpoint.shown}")
    out(
        f"{n} requests in {wall:.2f} s -> {n / wall:,.1f} requests/s; latency ms: mean "
        f"{sum(ordered) / n:.2f}  p50 {percentile(ordered, 0.50):.2f}  "
        f"p95 {percentile(ordered, 0.95):.2f}  "
        f"p99 {percentile(ordered, 0.99):.2f}  max {ordered[-1]:.2f}"
    )
    shown = ", ".join(f"{label} ×{count}" for label, count in result.errors.most_common())
    out(f"errors: {errors}" + (f" ({shown})" if shown else ""))
    cpu = (
        f"service CPU {result.server_cpu:.2f} s ({result.server_cpu / wall:.0%} of wall, "
        f"{result.server_cpu / n * 1e3:.2f} ms per request); bench clients "
        f"{result.bench_cpu:.2f} s ({result.bench_cpu / n * 1e3:.2f} ms per request)"
    )
    out(cpu)
    used = result.postgres
    if used is None:
        line = "PostgreSQL CPU not measured (the server is not on this machine)"
    else:
        line = (
            f"PostgreSQL CPU {used.seconds:.2f} s ({used.seconds / n * 1e3:.2f} ms per request): "
            + used.shown(database)
        )
    out(line)
    if result.machine_busy is not None:
        # ticks sampled per process and per machine do not add up exactly: near 0 is 0
        mine = result.server_cpu + result.bench_cpu + (used.seconds if used else 0.0)
        rest = max(0.0, result.machine_busy - mine)
        out(
            f"every other process (other PostgreSQL processes included) {rest:.2f} s "
            f"({rest / wall:.0%} of one CPU)"
        )


def report_targets(results: list[PhaseResult], anchor: _anchor.Anchor) -> None:
    """Each target, with the figure's ratio to the anchor (A) beside it."""
    out(
        f"anchor: A {anchor.ms:.2f} ms wall, Ac {anchor.cpu_ms:.2f} ms CPU (means of before "
        "and after the timed phases)"
    )
    for result in results:
        p95 = percentile(sorted(result.samples), 0.95)
        errors = sum(result.errors.values())
        met = p95 < result.endpoint.target_ms and errors == 0
        cpu = result.server_cpu / len(result.samples) * 1e3
        why = (
            f"p95 {p95:.2f} ms = {anchor.ratio(p95)}; service CPU per request {cpu:.2f} ms = "
            f"{anchor.cpu_ratio(cpu)}"
        )
        why += f", {errors} errors" if errors else ""
        out(
            f"target: {result.endpoint.name} p95 < {result.endpoint.target_ms:g} ms: "
            f"{'met' if met else 'NOT met'} ({why})"
        )


async def drive(
    base: str, fleet: Fleet, args: argparse.Namespace, pid: int, database: DatabaseCpu
) -> list[PhaseResult]:
    if len(fleet.pabx) < args.clients:
        raise RuntimeError(
            f"{len(fleet.pabx)} lines with the PABX option for {args.clients} clients"
        )
    clients: list[Client] = []
    try:
        for index in range(args.clients):
            clients.append(await new_client(base, index, args.seed))
        line_page = await probe_line_page(clients[0], base, fleet)
        which = (
            "answers 200: it is measured"
            if line_page
            else "does not answer 200 yet: the line's forwarding page is measured instead"
        )
        out(f"{len(clients)} clients signed in (portal cookie, API token); the line page {which}")
        out()
        results: list[PhaseResult] = []
        for endpoint in endpoints(base, fleet, line_page, len(clients)):
            if endpoint.name not in args.endpoints:
                continue
            results.append(await run_phase(clients, endpoint, fleet, args, pid, database))
            report_phase(results[-1], database.database)
            out(f"load average: {load_average()}")
            out()
        return results
    finally:
        await asyncio.gather(*(c.session.close() for c in clients))


async def serve_and_drive(
    url: str, fleet: Fleet, args: argparse.Namespace, database: DatabaseCpu
) -> list[PhaseResult]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as log:
        server = start_server(url, port, args, log)
        try:
            healthy = await wait_healthy(base, server)
            idle = await wait_idle(server.pid)
            out(
                f"service: pid {server.pid} on {base}, /healthz 200 after {healthy:.1f} s, idle "
                f"after {idle:.1f} s more (routing cache loaded); logs at {args.server_log_level}"
            )
            return await drive(base, fleet, args, server.pid, database)
        finally:
            status = stop_server(server)
            log.seek(0)
            lines = log.read().splitlines()
            out(f"service stopped (exit status {status}); {len(lines)} log lines")
            for line in lines[-10:]:
                out(f"  | {line}")


async def main(args: argparse.Namespace) -> int:
    out(
        f"portal: 1 fleet, {args.lines} lines, {args.groups} groups; {args.clients} concurrent "
        f"clients (closed loop), "
        + (f"{args.seconds:g} s" if args.seconds else f"{args.requests} requests")
        + f" per endpoint after {WARMUP_PER_CLIENT} warm-up requests per client; seed {args.seed}"
    )
    out(f"machine: {os.cpu_count()} CPUs, load average {load_average()}")
    async with scratch_database(args.pg_url, template=args.from_database) as db:
        out(f"PostgreSQL {db.version}  {db.shown}")
        started = time.perf_counter()
        await migrate.upgrade(db.url)
        out(f"migrate: {time.perf_counter() - started:.1f} s")
        fleet = await seed_fleet(db.url, args)
        kinds = Counter(term.kind for term in fleet.terms)
        out(
            f"search terms: {', '.join(f'{k} {v}' for k, v in kinds.items())}; "
            f"{max(t.pages for t in fleet.terms)} pages at most ({LINES_PER_PAGE} per page)"
        )
        database = DatabaseCpu(args.pg_url, db.name)
        try:
            before = _anchor.measure("before")
            results = await serve_and_drive(db.url, fleet, args, database)
            anchor = _anchor.mean(before, _anchor.measure("after"))
        finally:
            await database.close()
    report_targets(results, anchor)
    if args.profile:
        out(f"cProfile of the service (whole life, start-up included): {args.profile}")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=10_000, help="lines in the fleet")
    parser.add_argument("--groups", type=int, default=200, help="call groups in the fleet")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--requests", type=int, help="timed requests per endpoint")
    budget.add_argument(
        "--seconds",
        type=float,
        help=f"timed seconds per endpoint (the default: {DEFAULT_SECONDS:g} s)",
    )
    parser.add_argument(
        "--endpoints",
        type=lambda v: [e.strip() for e in v.split(",") if e.strip()],
        default=list(ENDPOINTS),
        help=f"comma-separated, among {','.join(ENDPOINTS + MORE_ENDPOINTS)} (default: "
        f"{','.join(ENDPOINTS)}, in that order)",
    )
    parser.add_argument("--seed", type=int, default=42, help="seed of the fleet and the draws")
    parser.add_argument(
        "--from-database",
        metavar="NAME",
        help="copy this database (seeded once, e.g. `fleetpbx seed --lines 100000`) instead of "
        "seeding; its first fleet is used, --lines/--groups are ignored",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(PG_URL_ENV, DEFAULT_PG_URL),
        help=f"PostgreSQL server URL (env {PG_URL_ENV}; default {DEFAULT_PG_URL})",
    )
    parser.add_argument(
        "--server-log-level",
        default="warning",
        choices=("debug", "info", "warning", "error"),
        help="the service's log level (FLEETPBX_LOG_LEVEL)",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="run the service under cProfile, pstats written to FILE"
    )
    args = parser.parse_args(argv)
    if args.lines < 50 or args.groups < 1 or args.clients < 1:
        parser.error("--lines must be 50 or more; --groups and --clients 1 or more")
    if args.requests is None and args.seconds is None:
        args.seconds = DEFAULT_SECONDS
    if (args.requests is not None and args.requests < 1) or (args.seconds or 1) <= 0:
        parser.error("--requests must be 1 or more, --seconds more than 0")
    if unknown := set(args.endpoints) - set(ENDPOINTS) - set(MORE_ENDPOINTS):
        parser.error(f"--endpoints: unknown {', '.join(sorted(unknown))}")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
