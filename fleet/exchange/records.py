"""The engine's ``Recorder`` as the service runs it: every call record goes to the
database through the record writer (journal first, then the database in batches), and the
latest ones are kept for whoever shows them (the simulator's timeline, a scenario's report,
a test)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from pathlib import Path

import structlog

from fleet.config import Settings
from fleet.core.model import CallRecord
from fleet.services.record_journal import RecordJournal, database_identity, default_directory
from fleet.services.recording import LINGER, RecordStore, RecordWriter

log = structlog.get_logger("fleet.records")


class CallRecords:
    def __init__(self, *, writer: RecordWriter, keep: int | None = 50) -> None:
        """``keep``: how many of the latest records to keep (None: all of them)."""
        self.writer = writer
        self.latest: deque[CallRecord] = deque(maxlen=keep)

    def record(self, record: CallRecord) -> None:
        self.latest.append(record)
        self.writer.record(record)

    def find(self, call_id: str) -> CallRecord | None:
        return next((r for r in self.latest if r.call_id == call_id), None)

    async def flush(self) -> bool:
        """Wait until the records handed over are written (True), or an attempt failed."""
        return await self.writer.flush()

    async def close(self) -> None:
        await self.writer.close()


def open_call_records(
    *, settings: Settings, calls: RecordStore, owner: str, keep: int | None = 50
) -> CallRecords:
    """The service's call records: a journal in ``records_journal_dir`` (default beside
    the SQLite file, or ``./fleetpbx-records``) named after this process (``owner``, its
    call-id prefix), opened at once: the records dead processes left there go first."""
    directory = (
        Path(settings.records_journal_dir)
        if settings.records_journal_dir
        else default_directory(settings.database_url)
    )
    journal = RecordJournal(
        directory=directory, owner=owner, database=database_identity(settings.database_url)
    )

    def failed(records: Sequence[CallRecord], exc: Exception) -> None:
        log.warning(
            "call_records_not_written_yet",
            records=len(records),
            first=records[0].call_id if records else None,
            backlog=writer.backlog,
            error=repr(exc),
        )

    def journal_failed(exc: Exception) -> None:
        log.error("call_record_journal_failed", directory=str(directory), error=repr(exc))

    writer = RecordWriter(
        calls=calls,
        on_error=failed,
        journal=journal,
        on_journal_error=journal_failed,
        linger=LINGER,
    )
    writer.open()
    log.info(
        "call_record_journal_opened",
        directory=str(directory),
        owner=owner,
        records_left_by_earlier_runs=writer.backlog,
    )
    return CallRecords(writer=writer, keep=keep)
