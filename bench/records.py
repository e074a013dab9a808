"""records: the call-record writer's throughput on PostgreSQL — records handed over as the
engine hands them over, written to the journal, then to the database in batches.

On a scratch PostgreSQL database, each run times three ways of storing the same kind of
records (a call forwarded on no reply and answered: four events each), the tables emptied
before each:

- ``writer``: the service's pipeline (``RecordWriter`` with its ``RecordJournal`` in a
  temporary folder on disk, ``CallRecordService.save_many``), records handed over
  ``--chunk`` at a time on the event loop, timed until the last one is in the database;
- ``bare``, the anchor: the same records with asyncpg alone, in transactions of the writer's
  batch size: one multi-row ``INSERT`` of the records returning their ids, one of their
  events — what the database and its driver take with no journal, no SQLAlchemy, no writer;
- ``single``: one transaction per record (``CallRecordService.save``), as the writer before
  issue 10 wrote them (that writer also read the row first through the ORM: slower still).

Prints records/s for each, ``writer`` over ``bare`` and over ``single``, and the pure-Python
anchor (``bench/_anchor.py``) before and after. Target: the writer keeps up with 2,000
records/s. It is a benchmark, not a test.

    .venv/bin/python bench/records.py [--records 20000] [--single 1000] [--runs 3]
                                      [--chunk 100] [--pg-url URL]
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
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import _anchor
from _pg import DEFAULT_PG_URL, PG_URL_ENV, scratch_database
from _report import out
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.app import build_services
from fleet.config import load_settings
from fleet.core.clock import SystemClock
from fleet.core.model import CallEvent, CallRecord
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind
from fleet.db import migrate
from fleet.db.engine import create_engine
from fleet.db.tables import CallEventRow, CallRecordRow
from fleet.exchange.ids import CallIds
from fleet.services.container import Services
from fleet.services.record_journal import RecordJournal, database_identity
from fleet.services.recording import BATCH, RecordWriter

TARGET = 2000.0  # records/s the writer keeps up with (issue 10)
T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

INSERT_RECORDS = (  # one statement a batch, the ids returned
    "INSERT INTO call_records (call_id, fleet_id, caller, called, offered_at, answered_at,"
    " released_at, outcome, cause)"
    " SELECT * FROM unnest($1::varchar[], $2::int[], $3::varchar[], $4::varchar[],"
    " $5::timestamptz[], $6::timestamptz[], $7::timestamptz[], $8::varchar[], $9::varchar[])"
    " ON CONFLICT (call_id) DO NOTHING RETURNING id, call_id"
)
INSERT_EVENTS = (
    "INSERT INTO call_record_events (call_record_id, seq, at, kind, forwarding_kind,"
    " from_number, to_number, group_id, member_line_id, detail)"
    " SELECT * FROM unnest($1::int[], $2::int[], $3::timestamptz[], $4::varchar[],"
    " $5::varchar[], $6::varchar[], $7::varchar[], $8::int[], $9::int[], $10::json[])"
)


def _event(
    seq: int,
    at: datetime,
    kind: CallEventKind,
    to: str | None,
    *,
    source: str | None = None,
    forwarding: ForwardingKind | None = None,
    detail: dict[str, Any] | None = None,
) -> CallEvent:
    return CallEvent(
        seq=seq,
        at=at,
        kind=kind,
        forwarding_kind=forwarding,
        from_number=source,
        to_number=to,
        group_id=None,
        member_line_id=None,
        detail=detail,
    )


def make_records(prefix: str, count: int) -> list[CallRecord]:
    """Calls to a line forwarded on no reply to its assistant, who answers."""
    line, assistant = "+33611000004", "+33611000007"
    records = []
    for i in range(count):
        at, caller = T0 + timedelta(seconds=i), f"+33699{i:06d}"
        events = (
            _event(1, at, CallEventKind.OFFERED, line, source=caller),
            _event(
                2,
                at + timedelta(seconds=25),
                CallEventKind.FORWARDED,
                assistant,
                source=line,
                forwarding=ForwardingKind.NO_REPLY,
                detail={"timer": 25},
            ),
            _event(3, at + timedelta(seconds=27), CallEventKind.ANSWERED, assistant),
            _event(4, at + timedelta(seconds=95), CallEventKind.RELEASED, None, detail={"by": "a"}),
        )
        records.append(
            CallRecord(
                call_id=f"{prefix}-{i}",
                fleet_id=1,
                caller=caller,
                called=line,
                offered_at=at,
                answered_at=at + timedelta(seconds=27),
                released_at=at + timedelta(seconds=95),
                outcome=CallOutcome.ANSWERED,
                cause="normal",
                events=events,
            )
        )
    return records


@dataclass(frozen=True, slots=True)
class Timed:
    records: int
    seconds: float
    cpu_seconds: float  # this process (the loop, the journal's fsync thread)
    handover_us: float = 0.0  # writer only: per record, on the loop

    @property
    def rate(self) -> float:
        return self.records / self.seconds


async def empty_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE call_records, call_record_events RESTART IDENTITY"))


async def check_stored(engine: AsyncEngine, expected: int, label: str) -> None:
    async with engine.connect() as conn:
        records = await conn.scalar(select(func.count()).select_from(CallRecordRow))
        events = await conn.scalar(select(func.count()).select_from(CallEventRow))
    if records != expected or events != 4 * expected:
        raise SystemExit(f"{label}: {records} records, {events} events stored, not {expected}")


def segments_left(folder: Path) -> list[str]:
    """The journal's segments still there (none once every record is in the database)."""
    return sorted(p.name for p in folder.glob("*.records"))


async def run_writer(
    services: Services, url: str, records: Sequence[CallRecord], chunk: int
) -> Timed:
    with tempfile.TemporaryDirectory(prefix="fleetpbx-bench-journal-") as folder:
        journal = RecordJournal(
            directory=Path(folder), owner=CallIds().prefix, database=database_identity(url)
        )
        errors: list[str] = []
        writer = RecordWriter(
            calls=services.calls,
            on_error=lambda batch, exc: errors.append(repr(exc)),
            journal=journal,
        )
        writer.open()
        handover = 0.0
        started, cpu = time.perf_counter(), time.process_time()
        for first in range(0, len(records), chunk):
            handed = time.perf_counter()
            for record in records[first : first + chunk]:
                writer.record(record)
            handover += time.perf_counter() - handed
            await asyncio.sleep(0)  # the loop turns, as between two calls ending
        written = await writer.flush()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        await writer.close()
        left = segments_left(Path(folder))
    if not written or errors or left:
        raise SystemExit(f"writer: written {written}, errors {errors[:3]}, journal left {left}")
    return Timed(len(records), seconds, cpu, handover / len(records) * 1e6)


def _record_args(r: CallRecord) -> tuple[Any, ...]:
    outcome = r.outcome.value if r.outcome else None
    return (r.call_id, r.fleet_id, r.caller, r.called, r.offered_at, r.answered_at,
            r.released_at, outcome, r.cause)  # fmt: skip


def _event_args(record_id: int, e: CallEvent) -> tuple[Any, ...]:
    forwarding = e.forwarding_kind.value if e.forwarding_kind else None
    detail = json.dumps(e.detail) if e.detail is not None else None
    return (record_id, e.seq, e.at, e.kind.value, forwarding, e.from_number, e.to_number,
            e.group_id, e.member_line_id, detail)  # fmt: skip


def _columns(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)]


async def run_bare(engine: AsyncEngine, records: Sequence[CallRecord]) -> Timed:
    """asyncpg alone, a transaction a batch: the records in one multi-row INSERT returning
    their ids (``unnest`` of one array a column), then their events in another."""
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection  # the asyncpg connection itself
        started, cpu = time.perf_counter(), time.process_time()
        for first in range(0, len(records), BATCH):
            batch = records[first : first + BATCH]
            async with driver.transaction():
                stored = await driver.fetch(
                    INSERT_RECORDS, *_columns([_record_args(r) for r in batch])
                )
                ids = {row["call_id"]: row["id"] for row in stored}
                events = [_event_args(ids[r.call_id], e) for r in batch for e in r.events]
                await driver.execute(INSERT_EVENTS, *_columns(events))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Timed(len(records), seconds, cpu)


async def run_single(services: Services, records: Sequence[CallRecord]) -> Timed:
    started, cpu = time.perf_counter(), time.process_time()
    for record in records:
        await services.calls.save(record)
    return Timed(len(records), time.perf_counter() - started, time.process_time() - cpu)


def _line(label: str, timed: Timed, extra: str = "") -> str:
    cpu_us = timed.cpu_seconds / timed.records * 1e6
    return (
        f"  {label:7} {timed.records:>6,} records in {timed.seconds:6.2f} s: "
        f"{timed.rate:>7,.0f} records/s, {cpu_us:6.0f} µs of CPU a record here{extra}"
    )


async def bench(url: str, args: argparse.Namespace) -> int:
    await migrate.upgrade(url)
    engine = create_engine(url, pool_size=5)
    rates: dict[str, list[float]] = {"writer": [], "bare": [], "single": []}
    try:
        settings = load_settings(cli={"database_url": url}, env={})
        services = build_services(engine=engine, settings=settings, clock=SystemClock())
        before = _anchor.measure("before")
        for run in range(1, args.runs + 1):
            out(f"run {run}")
            kinds: list[tuple[str, int]] = [("bare", args.records), ("writer", args.records)]
            if run % 2 == 0:
                kinds.reverse()  # neither always first
            if args.single:
                kinds.append(("single", args.single))
            timings: dict[str, Timed] = {}
            for kind, count in kinds:
                records = make_records(f"{kind}{run}", count)
                await empty_tables(engine)
                if kind == "writer":
                    timings[kind] = await run_writer(services, url, records, args.chunk)
                elif kind == "bare":
                    timings[kind] = await run_bare(engine, records)
                else:
                    timings[kind] = await run_single(services, records)
                await check_stored(engine, count, kind)
                rates[kind].append(timings[kind].rate)
            writer, bare = timings["writer"], timings["bare"]
            out(_line("bare", bare))
            out(
                _line("writer", writer, f"; {writer.handover_us:.1f} µs a record to hand over")
                + f" — {writer.rate / bare.rate:.2f} × bare"
            )
            if "single" in timings:
                single = timings["single"]
                out(_line("single", single) + f" — writer {writer.rate / single.rate:.1f} × single")
        after = _anchor.measure("after")
        await empty_tables(engine)
    finally:
        await engine.dispose()
    anchor = _anchor.mean(before, after)
    out()
    summary = {kind: statistics.median(values) for kind, values in rates.items() if values}
    ratio = statistics.median(w / b for w, b in zip(rates["writer"], rates["bare"], strict=True))
    out(
        f"median of {args.runs} runs: writer {summary['writer']:,.0f} records/s, bare asyncpg "
        f"{summary['bare']:,.0f} records/s (writer/bare {ratio:.2f})"
        + (f", one transaction a record {summary['single']:,.0f}/s" if "single" in summary else "")
    )
    out(f"anchor A {anchor.ms:.2f} ms (before {before.ms:.2f}, after {after.ms:.2f})")
    met = "met" if min(rates["writer"]) >= TARGET else "NOT met"
    out(f"target: the writer keeps up with {TARGET:,.0f} records/s in every run: {met}")
    return 0


async def main(args: argparse.Namespace) -> int:
    out(
        f"records: {args.records:,} records a run (4 events each) through the writer and bare "
        f"asyncpg, {args.single:,} one transaction each; {args.runs} runs; batches of {BATCH}"
    )
    out(f"machine: {os.cpu_count()} CPUs, load average {_load_average()}")
    async with scratch_database(args.pg_url) as db:
        out(f"PostgreSQL {db.version}, scratch database {db.shown}")
        return await bench(db.url, args)


def _load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=20_000, help="records a run")
    parser.add_argument(
        "--single", type=int, default=1_000, help="records one transaction each (0: skip)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs, each timing every way")
    parser.add_argument("--chunk", type=int, default=100, help="records handed over a turn")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(PG_URL_ENV, DEFAULT_PG_URL),
        help=f"PostgreSQL server URL (env {PG_URL_ENV}; default {DEFAULT_PG_URL})",
    )
    args = parser.parse_args(argv)
    if args.records < 1 or args.runs < 1 or args.chunk < 1 or args.single < 0:
        parser.error("--records, --runs and --chunk must be 1 or more, --single 0 or more")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
