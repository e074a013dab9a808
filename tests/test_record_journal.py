"""The call-record journal and writer without a database: what is appended survives the
process, dead processes' records are shipped first, batches, retries, refused records set
aside, records waiting on disk when memory is full (issue 10, defect 1)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import zlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleet.core.errors import DomainError, ErrorCode
from fleet.core.model import CallEvent, CallRecord
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind, SessionCase
from fleet.exchange.ids import CallIds
from fleet.services import record_codec
from fleet.services.record_journal import (
    RecordJournal,
    SegmentId,
    database_identity,
    default_directory,
)
from fleet.services.recording import RecordWriter
from tests.polling import eventually

DB = database_identity("postgresql+asyncpg://fleet:secret@db/fleetpbx")
T0 = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def a_record(call_id: str, *, events: int = 3) -> CallRecord:
    return CallRecord(
        call_id=call_id,
        fleet_id=1,
        caller="+33699000001",
        called="+33611000004",
        offered_at=T0,
        answered_at=T0 + timedelta(seconds=4),
        released_at=T0 + timedelta(seconds=60),
        outcome=CallOutcome.ANSWERED,
        cause="normal",
        events=tuple(
            CallEvent(
                seq=i + 1,
                at=T0 + timedelta(seconds=i),
                kind=CallEventKind.FORWARDED if i == 1 else CallEventKind.OFFERED,
                forwarding_kind=ForwardingKind.NO_REPLY if i == 1 else None,
                from_number="+33611000004",
                to_number="+33611000007",
                group_id=None,
                member_line_id=7 if i == 2 else None,
                detail={"timer": 25, "why": "pas de réponse"} if i == 1 else None,
            )
            for i in range(events)
        ),
    )


class FakeStore:
    """The database as the writer sees it: records by call id, stored once."""

    def __init__(self) -> None:
        self.stored: dict[str, CallRecord] = {}
        self.order: list[str] = []
        self.batches: list[int] = []
        self.down = False
        self.refuse: set[str] = set()
        self.attempts = 0

    async def save_many(self, records: Sequence[CallRecord]) -> int:
        self.attempts += 1
        await asyncio.sleep(0)
        if self.down:
            raise DomainError(ErrorCode.DATABASE_UNAVAILABLE)
        if any(r.call_id in self.refuse for r in records):
            raise ValueError("value too long for type character varying(32)")
        self.batches.append(len(records))
        new = 0
        for record in records:
            if record.call_id not in self.stored:
                self.stored[record.call_id] = record
                self.order.append(record.call_id)
                new += 1
        return new


def segments(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".records"))


def writer_for(
    store: FakeStore, directory: Path | None, *, owner: str = "aaaaaaaaaa", **options: int
) -> RecordWriter:
    journal = (
        None if directory is None else RecordJournal(directory=directory, owner=owner, database=DB)
    )
    errors: list[str] = []
    writer = RecordWriter(
        calls=store,
        on_error=lambda records, exc: errors.append(repr(exc)),
        journal=journal,
        retry_first=0.001,
        retry_max=0.02,
        **options,  # type: ignore[arg-type]
    )
    writer.open()
    return writer


# -- the journal ------------------------------------------------------------------------------


def test_a_journal_line_reads_back_as_the_same_record_and_a_cut_line_is_refused() -> None:
    record = a_record("0vx3k2m7q4-17")
    line = record_codec.encode(record)
    assert record_codec.decode(line) == record
    with pytest.raises(record_codec.CorruptLine):
        record_codec.decode(line[: len(line) // 2])
    with pytest.raises(record_codec.CorruptLine):
        record_codec.decode(line.replace(b"+33699000001", b"+33699000002"))


def test_a_visits_session_case_correlation_and_leg_ids_read_back_from_the_journal() -> None:
    record = replace(
        a_record("0vx3k2m7q4-18"),
        session_case=SessionCase.ORIGINATING,
        correlation_id="icid-4711",
        caller_network_id="a84b4c76e66710@pc33.example.net",
        callee_network_id="b-leg-1@192.0.2.10",
    )
    assert record_codec.decode(record_codec.encode(record)) == record


def test_a_journal_line_written_before_visits_were_recorded_reads_as_a_terminating_visit() -> None:
    body = json.dumps(
        {
            "id": "0vx3k2m7q4-19",
            "fleet": 1,
            "caller": "+33699000001",
            "called": "+33611000004",
            "offered": T0.isoformat(),
            "answered": None,
            "released": T0.isoformat(),
            "outcome": "busy",
            "cause": "busy",
            "events": [],
        }
    ).encode()
    record = record_codec.decode(b"%08x %s\n" % (zlib.crc32(body), body))
    assert record.outcome is CallOutcome.BUSY
    assert record.session_case is SessionCase.TERMINATING
    assert (record.correlation_id, record.caller_network_id, record.callee_network_id) == (
        None,
        None,
        None,
    )


def test_the_journal_lives_beside_the_sqlite_file_by_default(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fleetpbx.db'}"
    assert default_directory(url) == tmp_path / "fleetpbx.db-records"
    assert default_directory("postgresql+asyncpg://u:pw@db/fleet") == Path("fleetpbx-records")
    assert database_identity("postgresql+asyncpg://u:pw@db/fleet") == database_identity(
        "postgresql+asyncpg://u:other@db/fleet"
    )  # the password is not part of the database's name
    assert database_identity("postgresql+asyncpg://u@db/fleet") != database_identity(
        "postgresql+asyncpg://u@db/other"
    )


KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from tests.test_record_journal import a_record
from fleet.services.record_journal import RecordJournal, database_identity
directory, owner, count, url = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
journal = RecordJournal(directory=Path(directory), owner=owner,
                        database=database_identity(url), segment_records=7)
journal.open()
for i in range(count):
    journal.append(a_record(f"{owner}-{i + 1}"))
os.kill(os.getpid(), signal.SIGKILL)  # no fsync, no close: what was appended is all there is
"""
DB_URL = "postgresql+asyncpg://fleet:secret@db/fleetpbx"


def killed_writer(
    directory: Path, repo_root: Path, owner: str, count: int, url: str = DB_URL
) -> None:
    """A process appends ``count`` records to the journal, then is killed (SIGKILL)."""
    done = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(directory), owner, str(count), url],
        cwd=repo_root,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == -9, done.stderr


def test_records_appended_survive_the_process_being_killed_and_are_adopted_in_order(
    tmp_path: Path, repo_root: Path
) -> None:
    killed_writer(tmp_path, repo_root, "deadbeef01", 30)
    journal = RecordJournal(directory=tmp_path, owner="feedface02", database=DB)
    adopted = journal.open()
    assert [(s.owner, count) for s, count in adopted] == [("deadbeef01", 7)] * 4 + [
        ("deadbeef01", 2)
    ]
    read = [r for segment, _ in adopted for r in journal.read(segment)]
    assert [r.call_id for r in read] == [f"deadbeef01-{i + 1}" for i in range(30)]
    assert read[0] == a_record("deadbeef01-1")
    journal.close()


def test_a_running_process_and_another_database_keep_their_journals(
    tmp_path: Path, repo_root: Path
) -> None:
    running = RecordJournal(directory=tmp_path, owner="running001", database=DB)
    running.open()
    running.append(a_record("running001-1"))
    killed_writer(tmp_path, repo_root, "otherdb001", 1, url="sqlite+aiosqlite:///elsewhere.db")
    newcomer = RecordJournal(directory=tmp_path, owner="newcomer01", database=DB)
    assert newcomer.open() == []  # neither is taken: one runs, the other is not this database's
    assert segments(tmp_path) == ["otherdb001-000001.records", "running001-000001.records"]
    newcomer.close()
    running.close()


def test_a_line_cut_short_by_a_power_cut_is_skipped_and_the_others_are_read(
    tmp_path: Path,
) -> None:
    journal = RecordJournal(directory=tmp_path, owner="cutshort01", database=DB)
    journal.open()
    for i in range(3):
        journal.append(a_record(f"cutshort01-{i + 1}"))
    path = tmp_path / SegmentId("cutshort01", 1).name
    os.truncate(path, path.stat().st_size - 40)  # the last line lost its end
    journal.rotate()
    assert [r.call_id for r in journal.read(SegmentId("cutshort01", 1))] == [
        "cutshort01-1",
        "cutshort01-2",
    ]
    assert journal.corrupt == 1
    journal.close()


def test_call_ids_are_unique_across_processes_and_sort_by_start() -> None:
    first, second = CallIds(), CallIds()
    assert first.prefix != second.prefix
    assert first() == f"{first.prefix}-1" and first() == f"{first.prefix}-2"
    assert len(first.prefix) == 10 and first.prefix.isalnum()
    from fleet.exchange.ids import process_prefix

    assert process_prefix(now=1_900_000_000) > process_prefix(now=1_800_000_000)


# -- the writer -------------------------------------------------------------------------------


async def test_records_are_written_in_batches_and_the_journal_emptied(tmp_path: Path) -> None:
    store = FakeStore()
    writer = writer_for(store, tmp_path, batch=50)
    for i in range(400):
        writer.record(a_record(f"r-{i}"))
    assert len(segments(tmp_path)) == 1  # on disk before anything reached the database
    assert await writer.flush()
    assert store.order == [f"r-{i}" for i in range(400)]
    assert max(store.batches) == 50 and len(store.batches) < 400
    assert writer.health().backlog == 0 and writer.written == 400
    await eventually(lambda: segments(tmp_path) == [], what="shipped segments deleted")
    await writer.close()
    assert os.listdir(tmp_path) == []  # the lock goes with a clean stop


async def test_records_wait_while_the_database_is_away_and_are_written_once_after(
    tmp_path: Path,
) -> None:
    store = FakeStore()
    store.down = True
    writer = writer_for(store, tmp_path, batch=20)
    for i in range(50):
        writer.record(a_record(f"r-{i}"))
    assert not await writer.flush()  # the first attempt failed: records kept
    health = writer.health()
    assert health.failing and health.backlog == 50 and "database_unavailable" in str(health.error)
    attempts = store.attempts
    await eventually(lambda: store.attempts >= attempts + 3, what="retries with backoff")
    store.down = False
    await eventually(lambda: writer.backlog == 0, what="the backlog written")
    assert store.order == [f"r-{i}" for i in range(50)]
    assert not writer.health().failing
    await writer.close()


async def test_a_record_the_database_refuses_is_set_aside_and_the_others_go_on(
    tmp_path: Path,
) -> None:
    store = FakeStore()
    store.refuse = {"r-13"}
    writer = writer_for(store, tmp_path, batch=16)
    for i in range(40):
        writer.record(a_record(f"r-{i}"))
    await eventually(lambda: len(store.stored) == 39, what="all but the refused one written")
    health = writer.health()
    assert health.parked == 1 and health.backlog == 1
    assert segments(tmp_path) != []  # its segment stays until it is written
    store.refuse = set()
    await eventually(lambda: writer.backlog == 0, what="the refused one written once accepted")
    assert sorted(store.stored) == sorted(f"r-{i}" for i in range(40))
    await eventually(lambda: segments(tmp_path) == [], what="its segment deleted")
    await writer.close()


async def test_past_the_memory_limit_records_wait_on_disk_and_are_read_back_in_order(
    tmp_path: Path,
) -> None:
    store = FakeStore()
    store.down = True
    writer = writer_for(store, tmp_path, batch=25, memory_records=30)
    for i in range(200):
        writer.record(a_record(f"r-{i}"))
    assert writer.backlog == 200
    assert writer._in_memory <= 31  # the rest only in the journal
    store.down = False
    await eventually(lambda: writer.backlog == 0, what="memory and disk written")
    assert store.order == [f"r-{i}" for i in range(200)]
    await eventually(lambda: segments(tmp_path) == [], what="segments deleted")
    await writer.close()


async def test_after_a_crash_the_journal_left_behind_is_shipped_first(
    tmp_path: Path, repo_root: Path
) -> None:
    killed_writer(tmp_path, repo_root, "firstrun01", 25)
    store = FakeStore()
    store.stored["firstrun01-3"] = a_record("firstrun01-3")  # shipped before the crash
    store.order.append("firstrun01-3")
    second = writer_for(store, tmp_path, owner="secondrun2")
    assert second.backlog == 25
    second.record(a_record("secondrun2-1"))
    assert await second.flush()
    assert store.order == ["firstrun01-3"] + [
        f"firstrun01-{i + 1}" for i in range(25) if i != 2
    ] + ["secondrun2-1"]
    assert second.duplicates == 1 and second.written == 25
    await second.close()
    assert os.listdir(tmp_path) == []


async def test_without_a_journal_the_records_still_reach_the_database() -> None:
    store = FakeStore()
    writer = writer_for(store, None)
    writer.record(a_record("r-1"))
    assert await writer.flush()
    assert list(store.stored) == ["r-1"]
    await writer.close()


async def test_a_journal_that_cannot_be_written_keeps_the_records_and_says_so(
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the journal should be")
    store = FakeStore()
    writer = writer_for(store, blocked)
    writer.record(a_record("r-1"))
    assert writer.health().journal_failing
    assert await writer.flush()
    assert list(store.stored) == ["r-1"]
    await writer.close()
