"""ussd: feature codes over SMPP, from simulated handsets to PostgreSQL and back.

Seeds one fleet (2,000 lines and 100 call groups by default) on a fresh PostgreSQL database,
starts the SMSC simulator on loopback and the USSD gateway bound to it with the real
``FeatureCodeHandler``, then drives USSD transactions from many handsets at once (a mix of
interrogations, forwarding changes, call-waiting toggles and group status). Prints
transactions per second and latency; it is a benchmark, not a test.

    .venv/bin/python bench/ussd.py [--lines N] [--groups N] [--concurrency N]
                                   [--transactions N] [--per-kind N] [--rate R] [--paced N]
                                   [--max-in-flight N] [--max-lag S] [--pg-url URL] [--seed N]
                                   [--log-level LEVEL] [--log-format FMT] [--profile FILE]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/portal.py would
# shadow the project's ``portal`` package (which fleet.app imports): the root goes first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import cProfile
import math
import os
import random
import re
import time
from collections import Counter
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import _anchor
import _paced
import structlog
from _paced import Paced
from _pg import DEFAULT_PG_URL, PG_URL_ENV, scratch_database, seed_fleet
from _report import out, percentile
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from featurecodes import texts
from featurecodes.handler import FeatureCodeHandler
from featurecodes.notify import Notifier
from featurecodes.smpp import UssdGateway
from featurecodes.smpp.gateway import DEFAULT_ERROR_TEXT
from featurecodes.ussd import UssdHandler, UssdReply, UssdRequest
from fleet import heap, logs
from fleet.app import build_services
from fleet.config import Settings, load_settings
from fleet.core import model
from fleet.core.clock import SystemClock
from fleet.core.linesettings import CALL_WAITING, Text
from fleet.core.values import Language
from fleet.db import migrate
from fleet.db.engine import create_engine
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from simulators.smsc import SmscSimulator, UssdRejected

SYSTEM_ID, PASSWORD = "fleetpbx", "benchpw"
DESTINATION = "0145678910"  # a valid 01 number, outside the fleet: the forwarding target
WARMUP = 200
PAGE = 500
BIND_TIMEOUT = 10.0
TARGET_RATE = 500.0  # transactions per second (wall)
TARGET_P99_MS = 30.0
SLOT = "\x00"
POOL = Settings().database_pool_size

# kind: (share of the mix, the text keys of a valid answer, the parameters of those texts)
MIX: dict[str, float] = {
    "*#21#": 0.20,  # unconditional forwarding: status
    "*#55#": 0.10,  # my status in all my groups
    "*#55*G#": 0.15,  # my status in group G (its short number; a group of the line)
    "**67*N#": 0.15,  # forwarding on busy to N: register and activate
    "#67#": 0.15,  # forwarding on busy: deactivate
    "*43#": 0.125,  # call waiting on
    "#43#": 0.125,  # call waiting off
}
EXPECTED: dict[str, tuple[str, ...]] = {
    "*#21#": ("fwd_status_on", "fwd_status_off"),
    "*#55#": ("no_groups", "status_member"),
    "*#55*G#": ("status_member",),
    "**67*N#": ("fwd_on",),
    "#67#": ("fwd_off",),
    "*43#": ("cw_on",),
    "#43#": ("cw_off",),
}
NUMBER = r"0[1-9](?: [0-9]{2}){4}"  # a national number as answers show it


def _setting_texts() -> dict[str, Text]:
    """The answers of call waiting's code, from the setting's description."""
    answers = CALL_WAITING.answers
    if answers is None:
        raise SystemExit("call waiting has no USSD answers")
    return {"cw_on": answers.on, "cw_off": answers.off}


SETTING_TEXTS = _setting_texts()
STATES = ("state_connected", "state_disconnected")
PARAMS: dict[str, dict[str, str]] = {  # the parameters of those texts, as regular expressions
    "fwd_status_on": {"kind": ".+?", "number": NUMBER},
    "fwd_status_off": {"kind": ".+?"},
    "fwd_on": {"kind": ".+?", "number": NUMBER},
    "fwd_off": {"kind": ".+?"},
    "status_member": {"group": ".+?", "state": "|".join([*STATES, "-"])},  # text keys, or -
}
MULTILINE = {"*#55#"}  # one status line per group


@dataclass(frozen=True, slots=True)
class Tx:
    kind: str
    msisdn: str  # as the simulator takes it: "+33612345678" (sent as international TON)
    text: str


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str
    ms: float
    answer: str | None  # None: no answer (the error is in ``error``)
    error: str = ""


@dataclass(frozen=True, slots=True)
class Handset:
    msisdn: str
    groups: tuple[str, ...]  # short numbers of the groups the line belongs to


@dataclass
class SqlCounter:
    """SQLAlchemy events on the engine: statements, pool checkouts, commits, rollbacks, and
    new database connections."""

    statements: int = 0
    checkouts: int = 0
    commits: int = 0
    rollbacks: int = 0
    connects: int = 0

    def attach(self, engine: AsyncEngine) -> None:
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._statement)
        event.listen(sync, "checkout", self._checkout)
        event.listen(sync, "commit", self._commit)
        event.listen(sync, "rollback", self._rollback)
        event.listen(sync, "connect", self._connect)

    def _statement(self, *_args: Any) -> None:
        self.statements += 1

    def _checkout(self, *_args: Any) -> None:
        self.checkouts += 1

    def _commit(self, *_args: Any) -> None:
        self.commits += 1

    def _rollback(self, *_args: Any) -> None:
        self.rollbacks += 1

    def _connect(self, *_args: Any) -> None:
        self.connects += 1

    def snapshot(self) -> tuple[int, int, int, int, int]:
        return self.statements, self.checkouts, self.commits, self.rollbacks, self.connects


class TimedHandler:
    """Wraps the real handler: the time spent in ``handle`` (database and feature logic)."""

    def __init__(self, inner: UssdHandler) -> None:
        self._inner = inner
        self.samples: list[float] = []
        self.recording = False

    async def handle(self, request: UssdRequest) -> UssdReply:
        t0 = time.perf_counter_ns()
        try:
            return await self._inner.handle(request)
        finally:
            if self.recording:
                self.samples.append((time.perf_counter_ns() - t0) / 1e6)


@dataclass
class LogTally:
    """A structlog processor counting events at warning or above (the output is discarded)."""

    events: Counter[str] = field(default_factory=Counter)

    def __call__(
        self, _logger: Any, method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        if method in ("warning", "warn", "error", "exception", "critical"):
            self.events[f"{method} {event_dict.get('event')}"] += 1
        return event_dict


def quantiles(samples: Sequence[float]) -> str:
    ordered = sorted(samples)
    return (
        f"p50 {percentile(ordered, 0.50):6.2f}  p95 {percentile(ordered, 0.95):6.2f}  "
        f"p99 {percentile(ordered, 0.99):6.2f}  max {ordered[-1]:7.2f}"
    )


def quiet_logs(level: str, fmt: str, sink: TextIO) -> LogTally:
    """The service's structlog set-up (level, renderer), written to ``sink``, with a tally."""
    logs.configure(level=level, fmt=fmt)
    tally = LogTally()
    processors = list(structlog.get_config()["processors"])
    structlog.configure(
        processors=[tally, *processors],
        logger_factory=lambda *_args: structlog.PrintLogger(file=sink),
    )
    return tally


def machine_cpu() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat (Linux)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / tick, sum(fields[:8]) / tick


def answer_patterns() -> dict[str, re.Pattern[str]]:
    """Per kind, a regular expression matching every valid answer (French or English)."""
    compiled: dict[str, re.Pattern[str]] = {}
    for kind, keys in EXPECTED.items():
        variants = []
        for key in keys:
            for lang in Language:
                params = PARAMS.get(key, {})
                slots = {name: f"{SLOT}{i}{SLOT}" for i, name in enumerate(params)}
                shown = re.escape(
                    texts.fit(SETTING_TEXTS[key](lang))
                    if key in SETTING_TEXTS
                    else texts.text(lang, key, **slots)
                )
                for name, slot in slots.items():
                    found = params[name]
                    if name == "state":
                        found = "|".join(
                            re.escape(texts.text(lang, v) if v in STATES else v)
                            for v in found.split("|")
                        )
                    shown = shown.replace(re.escape(slot), f"(?:{found})")
                variants.append(shown)
        one = "(?:" + "|".join(variants) + ")"
        compiled[kind] = re.compile(f"{one}(?:\n{one})*" if kind in MULTILINE else one)
    return compiled


def is_service_error(answer: str) -> bool:
    """The gateway's fallback text, or the refusal of a line without the PABX option."""
    refusals = [texts.text(lang, "unknown_line") for lang in Language]
    return answer == DEFAULT_ERROR_TEXT or answer in refusals


def make_tx(kind: str, handset: Handset, rng: random.Random) -> Tx:
    if kind == "*#55*G#":
        dialled = f"*#55*{rng.choice(handset.groups)}#"
    elif kind == "**67*N#":
        dialled = f"**67*{DESTINATION}#"
    else:
        dialled = kind
    return Tx(kind=kind, msisdn=handset.msisdn, text=dialled)


def plan(workers: list[list[Handset]], count: int, rng: random.Random) -> list[list[Tx]]:
    """``count`` transactions spread over the workers, each from one of its own handsets."""
    kinds = list(MIX)
    plans: list[list[Tx]] = []
    for index, handsets in enumerate(workers):
        members = [h for h in handsets if h.groups]
        share = count // len(workers) + (index < count % len(workers))
        txs = []
        for kind in rng.choices(kinds, weights=[MIX[k] for k in kinds], k=share):
            if kind == "*#55*G#" and not members:
                kind = "*#55#"
            pool = members if kind == "*#55*G#" else handsets
            txs.append(make_tx(kind, rng.choice(pool), rng))
        plans.append(txs)
    return plans


async def drive(smsc: SmscSimulator, txs: list[Tx], outcomes: list[Outcome]) -> None:
    """One handset at a time per worker: dial, wait for the answer, dial again."""
    for tx in txs:
        t0 = time.perf_counter_ns()
        try:
            answer = await smsc.ussd(tx.msisdn, tx.text)
        except (TimeoutError, UssdRejected, ConnectionError) as error:
            ms = (time.perf_counter_ns() - t0) / 1e6
            outcomes.append(Outcome(tx.kind, ms, None, repr(error)))
            continue
        outcomes.append(Outcome(tx.kind, (time.perf_counter_ns() - t0) / 1e6, answer))


async def run_plans(smsc: SmscSimulator, plans: list[list[Tx]]) -> tuple[list[Outcome], float]:
    """Runs the workers concurrently; returns the outcomes and the wall time in seconds."""
    outcomes: list[Outcome] = []
    started = time.perf_counter()
    await asyncio.gather(*(drive(smsc, txs, outcomes) for txs in plans))
    return outcomes, time.perf_counter() - started


def paced_plan(workers: list[list[Handset]], count: int, rng: random.Random) -> list[Tx]:
    """``count`` transactions from the mix, the handsets taken in turn (each one's next
    transaction comes 1,831 transactions later with the default fleet)."""
    handsets = [h for hs in workers for h in hs]
    rng.shuffle(handsets)
    members = [h for h in handsets if h.groups]
    turns = {"all": 0, "members": 0}
    kinds = list(MIX)
    txs = []
    for kind in rng.choices(kinds, weights=[MIX[k] for k in kinds], k=count):
        if kind == "*#55*G#" and not members:
            kind = "*#55#"
        which = "members" if kind == "*#55*G#" else "all"
        pool = members if which == "members" else handsets
        txs.append(make_tx(kind, pool[turns[which] % len(pool)], rng))
        turns[which] += 1
    return txs


async def run_paced(
    smsc: SmscSimulator, txs: list[Tx], rate: float, *, max_in_flight: int, max_lag: float
) -> tuple[Paced, list[Outcome]]:
    """The latency run (``_paced.run_paced``): each transaction from its handset, never two
    at once from one handset; latency from the due time. Each ends within the simulator's
    answer timeout, so the run ends even when the service stops answering."""
    loop = asyncio.get_running_loop()
    outcomes: list[Outcome] = []

    async def dial(tx: Tx, due: float) -> None:
        try:
            answer = await smsc.ussd(tx.msisdn, tx.text)
        except (TimeoutError, UssdRejected, ConnectionError) as error:
            outcomes.append(Outcome(tx.kind, (loop.time() - due) * 1e3, None, repr(error)))
        else:
            outcomes.append(Outcome(tx.kind, (loop.time() - due) * 1e3, answer))

    paced = await _paced.run_paced(
        txs,
        rate,
        dial,
        key=lambda tx: tx.msisdn,
        max_in_flight=max_in_flight,
        max_lag=max_lag,
    )
    return paced, outcomes


def report_paced(paced: Paced, outcomes: list[Outcome], rate: float, max_lag: float) -> float:
    """Prints the paced run; returns its p99 (ms; infinite when nothing was answered)."""
    answered = len(outcomes)
    out(
        f"paced run: {paced.offered} of {paced.planned} offered in {paced.offering:.2f} s "
        f"({paced.offered / paced.offering:,.0f}/s offered, {rate:,.0f}/s asked), "
        f"{answered} ended in {paced.wall:.2f} s -> {answered / paced.wall:,.0f}/s achieved; "
        f"started at most {paced.worst_lag * 1e3:.1f} ms after the due time, "
        f"{paced.most_in_flight} in flight at most"
    )
    if paced.gave_up_lag is not None:
        out(
            f"SHORTFALL: the service could not keep up with {rate:,.0f}/s: the driver ran "
            f"{paced.gave_up_lag:.2f} s behind the schedule (limit --max-lag {max_lag:g} s) "
            f"and stopped offering; {paced.shortfall} transactions not offered"
        )
    if not outcomes:
        return math.inf
    latencies = sorted(o.ms for o in outcomes)
    out(f"latency ms, from due time to answer: {quantiles(latencies)}")
    report_answers(outcomes)
    return percentile(latencies, 0.99)


def report_answers(outcomes: list[Outcome]) -> int:
    """Prints the answer check; returns the number of answers that were not valid."""
    patterns = answer_patterns()
    bad: Counter[str] = Counter()
    service_errors = failed = 0
    by_kind: dict[str, list[float]] = {kind: [] for kind in MIX}
    valid: Counter[str] = Counter()
    for o in outcomes:
        by_kind[o.kind].append(o.ms)
        if o.answer is None:
            failed += 1
            bad[f"{o.kind}: no answer: {o.error}"] += 1
        elif patterns[o.kind].fullmatch(o.answer):
            valid[o.kind] += 1
        else:
            service_errors += is_service_error(o.answer)
            bad[f"{o.kind}: {o.answer!r}"] += 1
    out(f"{'kind':<10} {'count':>6} {'valid':>6}   latency ms")
    for kind, samples in by_kind.items():
        if samples:
            out(f"{kind:<10} {len(samples):>6} {valid[kind]:>6}   {quantiles(samples)}")
    invalid = sum(bad.values())
    out(
        f"answers: {len(outcomes)}, valid {sum(valid.values())}, other {invalid - failed}, "
        f"no answer {failed}; service errors ('{DEFAULT_ERROR_TEXT[:34]}…' or "
        f"'{texts.text(Language.FR, 'unknown_line')}'): {service_errors}"
    )
    for what, count in bad.most_common(5):
        out(f"  {count} x {what}")
    return invalid


async def per_kind(
    smsc: SmscSimulator,
    workers: list[list[Handset]],
    counter: SqlCounter,
    rounds: int,
    rng: random.Random,
) -> None:
    """Each kind ``rounds`` times, one transaction at a time: latency and SQL per transaction."""
    handsets = [h for hs in workers for h in hs]
    members = [h for h in handsets if h.groups]
    out(f"by kind, one transaction at a time ({rounds} each, after the run):")
    out(
        f"{'kind':<10} {'p50 ms':>7} {'max ms':>7} {'statements':>10} {'checkouts':>9} "
        f"{'commits':>7} {'rollbacks':>9}   (per transaction)"
    )
    for kind in MIX:
        pool = members if kind == "*#55*G#" else handsets
        if not pool:
            continue
        txs = [make_tx(kind, rng.choice(pool), rng) for _ in range(rounds)]
        outcomes: list[Outcome] = []
        before = counter.snapshot()
        await drive(smsc, txs, outcomes)
        delta = [(b - a) / rounds for a, b in zip(before, counter.snapshot(), strict=True)]
        ordered = sorted(o.ms for o in outcomes)
        out(
            f"{kind:<10} {percentile(ordered, 0.5):>7.2f} {ordered[-1]:>7.2f} {delta[0]:>10.1f} "
            f"{delta[1]:>9.1f} {delta[2]:>7.1f} {delta[3]:>9.1f}"
        )


async def collect(services: Services, fleet_id: int) -> tuple[list[model.Line], int]:
    """The fleet's lines (pages of ``PAGE``) and the total."""
    lines: list[model.Line] = []
    while True:
        page = await services.lines.search(fleet_id, offset=len(lines), limit=PAGE)
        lines.extend(page.items)
        if not page.items or len(lines) >= page.total:
            return lines, page.total


async def handsets_of(services: Services, fleet_id: int, concurrency: int) -> list[list[Handset]]:
    """The PABX lines, dealt out to ``concurrency`` workers (no line in two workers)."""
    lines, total = await collect(services, fleet_id)
    groups = await services.groups.in_fleet(fleet_id)
    memberships: dict[int, list[str]] = {}
    for group in groups:
        dialled = group.short_number or group.number.national_digits()
        for member in group.members:
            memberships.setdefault(member.line_id, []).append(dialled)
    pabx = [line for line in lines if line.pabx_option]
    handsets = [Handset(line.msisdn.value, tuple(memberships.get(line.id, ()))) for line in pabx]
    out(
        f"handsets: {len(pabx)} lines with the PABX option (of {total}), "
        f"{sum(1 for h in handsets if h.groups)} of them in a group ({len(groups)} groups); "
        f"dealt to {concurrency} concurrent handsets"
    )
    if len(pabx) < concurrency:
        raise RuntimeError(f"{len(pabx)} PABX lines for {concurrency} concurrent handsets")
    return [handsets[i::concurrency] for i in range(concurrency)]


@dataclass(frozen=True, slots=True)
class Figures:
    rate: float  # transactions per second, closed loop
    cpu_ms: float  # the process's CPU per transaction, closed loop
    paced_rate: float  # offered in the paced run (0: not run)
    p99: float | None  # paced run, ms
    shortfall: int  # transactions of the paced run not offered
    anchor: _anchor.Anchor


async def exchange(url: str, args: argparse.Namespace, tally: LogTally) -> Figures:
    """Seed, bind, drive; returns the figures the targets are judged on."""
    local = make_url(url).host in ("127.0.0.1", "localhost", "::1", None)
    engine = create_engine(url, pool_size=POOL)
    counter = SqlCounter()
    counter.attach(engine)
    smsc = SmscSimulator(system_id=SYSTEM_ID, password=PASSWORD)
    gateway: UssdGateway | None = None
    try:
        settings = load_settings(cli={"database_url": url}, env={})
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        settings.number_policy().destination(DESTINATION)  # raises if the policy refuses it
        report = await seed_fleet(services, lines=args.lines, groups=args.groups, seed=args.seed)
        workers = await handsets_of(services, report.fleet_ids[0], args.concurrency)

        started = time.perf_counter()
        directory = await CachedDirectory.open(services=services)  # as fleet.app wires it
        out(
            f"routing cache: {len(directory.all_lines())} lines loaded in "
            f"{time.perf_counter() - started:.2f} s"
        )
        handler = TimedHandler(
            FeatureCodeHandler(
                services=services,
                view=directory,
                clock=SystemClock(),
                catalogue=settings.catalogue(),
            )
        )
        notifier = Notifier(services=services)  # wired as in fleet.app (manager changes only)
        notifier.attach_to(services.changes)
        await smsc.start()
        gateway = UssdGateway(
            host="127.0.0.1",
            port=smsc.port,
            system_id=SYSTEM_ID,
            password=PASSWORD,
            handler=handler,
            number_policy=settings.number_policy(),
        )
        notifier.attach(gateway.sms_sender)
        started = time.perf_counter()
        await gateway.start()
        async with asyncio.timeout(BIND_TIMEOUT):
            await gateway.wait_bound()
        out(
            f"SMSC simulator on 127.0.0.1:{smsc.port}; gateway bound in "
            f"{(time.perf_counter() - started) * 1e3:.0f} ms (gateway window 10, database pool "
            f"{POOL} + {POOL} overflow: the default)"
        )

        out(f"heap settled as fleet.app does once started: {heap.settle():,} objects frozen")
        rng = random.Random(args.seed + 1)
        warm, warm_s = await run_plans(smsc, plan(workers, WARMUP, rng))
        out(f"warm-up: {len(warm)} transactions in {warm_s:.2f} s")
        out()

        anchor = _anchor.measure("before the timed run")
        timed = plan(workers, args.transactions, rng)
        handler.recording = True
        sql0 = counter.snapshot()
        profiler = cProfile.Profile() if args.profile else None
        machine0 = machine_cpu()
        cpu0 = time.process_time()
        if profiler is not None:
            profiler.enable()
        outcomes, wall = await run_plans(smsc, timed)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        cpu = time.process_time() - cpu0
        machine1 = machine_cpu()
        handler.recording = False
        sql = [b - a for a, b in zip(sql0, counter.snapshot(), strict=True)]
        n = len(outcomes)
        rate = n / wall
        latencies = sorted(o.ms for o in outcomes)
        out(
            f"run: {n} transactions, {args.concurrency} concurrent handsets: wall {wall:.2f} s "
            f"-> {rate:,.0f} transactions/s"
        )
        out(
            f"process CPU {cpu:.2f} s ({cpu / wall:.0%} of wall; {cpu / n * 1e3:.2f} ms per "
            f"transaction: simulator, gateway, handler, SQLAlchemy, asyncpg in one process)"
        )
        if machine0 and machine1:
            busy, total = machine1[0] - machine0[0], machine1[1] - machine0[1]
            out(
                f"machine: {busy:.1f} CPU-s busy of {total:.1f} ({busy / total:.0%} of "
                f"{os.cpu_count()} CPUs); other processes ("
                + ("PostgreSQL and anything else" if local else "not PostgreSQL: not local")
                + f"): {busy - cpu:.1f} CPU-s ({(busy - cpu) / n * 1e3:.2f} ms per transaction)"
            )
        out(f"latency ms, around smsc.ussd():    {quantiles(latencies)}")
        out(f"of which FeatureCodeHandler.handle: {quantiles(handler.samples)}")
        out(
            f"  handler time {sum(handler.samples) / 1e3:.2f} s of {sum(latencies) / 1e3:.2f} s "
            f"summed latency ({sum(handler.samples) / sum(latencies):.0%})"
        )
        out(
            f"SQL: {sql[0]} statements ({sql[0] / n:.1f} per transaction), {sql[1]} pool "
            f"checkouts ({sql[1] / n:.1f}), {sql[2]} commits ({sql[2] / n:.1f}), "
            f"{sql[3]} rollbacks ({sql[3] / n:.1f}); {sql[4]} new database connections"
        )
        if args.profile:
            out(f"cProfile of the timed run (figures above include its overhead): {args.profile}")
        out()
        report_answers(outcomes)
        stats = gateway.stats
        for _ in range(100):  # the last submit_sm_resp may still be on its way to the gateway
            if stats.ussd_answers + stats.ussd_answers_lost >= stats.ussd_requests:
                break
            await asyncio.sleep(0.01)
        out(
            f"gateway since the bind (warm-up included): {stats.ussd_requests} requests, "
            f"{stats.ussd_answers} answers, {stats.ussd_answers_lost} lost, "
            f"{stats.refused_pdus} PDUs refused, {stats.binds} bind(s); simulator protocol "
            f"errors: {len(smsc.protocol_errors)}"
        )
        shown = ", ".join(f"{k} {v}" for k, v in tally.events.most_common()) or "none"
        out(f"log events at warning or above: {shown}")
        out()
        paced_p99: float | None = None
        shortfall = 0
        if args.rate:
            out(
                f"paced: {args.paced} transactions offered at {args.rate:,.0f}/s (open loop), "
                f"latency from each one's due time; at most {args.max_in_flight} in flight, "
                f"given up beyond {args.max_lag:g} s behind the schedule"
            )
            paced, outcomes = await run_paced(
                smsc,
                paced_plan(workers, args.paced, rng),
                args.rate,
                max_in_flight=args.max_in_flight,
                max_lag=args.max_lag,
            )
            paced_p99 = report_paced(paced, outcomes, args.rate, args.max_lag)
            shortfall = paced.shortfall
            out()
        anchor = _anchor.mean(anchor, _anchor.measure("after the paced run"))
        out()
        if args.per_kind:
            await per_kind(smsc, workers, counter, args.per_kind, rng)
            out()
        return Figures(rate, cpu / n * 1e3, args.rate, paced_p99, shortfall, anchor)
    finally:
        if gateway is not None:
            await gateway.stop()
        await smsc.stop()
        await engine.dispose()


async def main(args: argparse.Namespace, tally: LogTally) -> int:
    out(
        f"ussd: 1 fleet, {args.lines} lines, {args.groups} groups; {args.concurrency} "
        f"concurrent handsets; {args.transactions} timed transactions after {WARMUP} warm-up; "
        f"seed {args.seed}"
    )
    out(f"mix: {', '.join(f'{kind} {share:.1%}' for kind, share in MIX.items())}")
    out(f"logs: structlog at {args.log_level}, {args.log_format} renderer, to {os.devnull}")
    async with scratch_database(args.pg_url) as db:
        out(f"PostgreSQL {db.version}  {db.shown}")
        started = time.perf_counter()
        await migrate.upgrade(db.url)
        out(f"migrate: {time.perf_counter() - started:.1f} s")
        figures = await exchange(db.url, args, tally)
    report_targets(figures)
    return 0


def report_targets(figures: Figures) -> None:
    """The targets, with each figure's ratio to the anchor (A) beside it."""
    a = figures.anchor
    out(
        f"anchor: A {a.ms:.2f} ms wall, Ac {a.cpu_ms:.2f} ms CPU (means of before the timed run "
        "and after the paced run)"
    )
    met = figures.rate >= TARGET_RATE
    out(
        f"target: >= {TARGET_RATE:,.0f} transactions/s: {'met' if met else 'NOT met'} "
        f"({figures.rate:,.0f}/s; CPU per transaction {figures.cpu_ms:.2f} ms = "
        f"{a.cpu_ratio(figures.cpu_ms)}; {figures.rate * a.ms / 1e3:.3g} transactions per A)"
    )
    goal = f"p99 < {TARGET_P99_MS:g} ms at {TARGET_RATE:,.0f}/s"
    if figures.p99 is None:
        out(f"target: {goal}: not judged (no paced run: --rate 0)")
        return
    met = figures.p99 < TARGET_P99_MS and not figures.shortfall
    shown = f"p99 {figures.p99:.2f} ms = {a.ratio(figures.p99)}"
    if figures.shortfall:
        shown += f"; {figures.shortfall} transactions not offered"
    if figures.paced_rate != TARGET_RATE:
        shown += f"; paced at {figures.paced_rate:,.0f}/s, not the target's rate"
        met = met and figures.paced_rate >= TARGET_RATE
    out(f"target: {goal}: {'met' if met else 'NOT met'} ({shown})")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=2_000, help="lines in the fleet")
    parser.add_argument("--groups", type=int, default=100, help="call groups in the fleet")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent handsets")
    parser.add_argument("--transactions", type=int, default=5_000, help="timed transactions")
    parser.add_argument(
        "--per-kind", type=int, default=50, help="sequential transactions per kind (0: skip)"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=TARGET_RATE,
        help="offered rate of the paced (open-loop) run, transactions/s (0: skip it)",
    )
    parser.add_argument("--paced", type=int, default=5_000, help="transactions of the paced run")
    parser.add_argument(
        "--max-in-flight",
        type=int,
        default=1_000,
        help="paced run: dialogues open at once at most (the driver waits beyond)",
    )
    parser.add_argument(
        "--max-lag",
        type=float,
        default=2.0,
        help="paced run: seconds behind the schedule at which the driver gives up",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(PG_URL_ENV, DEFAULT_PG_URL),
        help=f"PostgreSQL server URL (env {PG_URL_ENV}; default {DEFAULT_PG_URL})",
    )
    parser.add_argument("--seed", type=int, default=42, help="seed of the fleet and traffic")
    parser.add_argument(
        "--log-level",
        default="info",
        choices=("debug", "info", "warning", "error"),
        help="structlog level (the service's default: info); output is discarded",
    )
    parser.add_argument(
        "--log-format", default="console", choices=("console", "json"), help="log renderer"
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="cProfile the timed run, pstats written to FILE"
    )
    args = parser.parse_args(argv)
    if args.lines < 50 or args.groups < 1 or args.concurrency < 1 or args.transactions < 1:
        parser.error("--lines must be 50 or more; --groups, --concurrency, --transactions 1+")
    if args.per_kind < 0 or args.rate < 0 or args.paced < 1:
        parser.error("--per-kind and --rate must be 0 or more, --paced 1 or more")
    if args.max_in_flight < 1 or args.max_lag <= 0:
        parser.error("--max-in-flight must be 1 or more, --max-lag more than 0")
    return args


def run(args: argparse.Namespace) -> int:
    with open(os.devnull, "w") as sink:
        tally = quiet_logs(args.log_level, args.log_format, sink)
        return asyncio.run(main(args, tally))


if __name__ == "__main__":
    sys.exit(run(parse_args()))
