"""The engine's ``Recorder`` port: call records are handed over synchronously, written to
the record journal at once (when there is one), and shipped to the database in batches in
the background, retried with capped backoff until the database has them.

``record`` is cheap and never raises: it appends the record's line to the journal with one
``os.write`` (from then on the record survives ``kill -9``) and queues it. In the background,
one task ``fsync``s the journal (a group of records at a time: what is appended while one
``fsync`` runs goes in the next; from then on the record survives a power cut) and another
inserts the queued records, up to ``batch`` at a time, in one transaction that ignores
records already stored (``CallRecordService.save_many``): a record delivered twice (after a
crash, the journal is shipped again from its last segments) is stored once. A segment of
the journal is deleted once all its records are in the database.

Failures: a database that does not answer is retried with capped exponential backoff, the
records wait (in memory up to ``memory_records``, then only in the journal, read back when
their turn comes). A batch the database refuses is halved until the record it refuses is
found; that record is set aside (``parked``: still counted, still in the journal, retried
after each later success and with backoff) so the others go on."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from fleet.core.errors import DomainError, ErrorCode
from fleet.core.model import CallRecord
from fleet.services.record_journal import RecordJournal, SegmentId

BATCH = 500
RETRY_FIRST, RETRY_MAX = 0.1, 5.0
LINGER = 0.05  # s a small batch waits for the next records (the service's writer)
MEMORY_RECORDS = 20_000


class RecordStore(Protocol):
    async def save_many(self, records: Sequence[CallRecord]) -> int:
        """Store the records not stored yet (by call id); return how many were new."""
        ...


ErrorHandler = Callable[[Sequence[CallRecord], Exception], None]
"""Told of each failed attempt to write: the records of the batch and the error."""


def _ignore(exc: Exception) -> None:
    pass


@dataclass(frozen=True, slots=True)
class WriterHealth:
    backlog: int  # records handed over and not in the database yet (parked ones included)
    failing: bool  # the last attempt to write failed (the database is away or refuses)
    journal_failing: bool  # the last append to or fsync of the journal failed
    parked: int  # records the database refused, retried apart
    error: str | None  # the last failure, while failing


@dataclass(slots=True)
class _OnDisk:
    """A journal segment whose records are read back when their turn comes."""

    segment: SegmentId
    count: int  # records it holds (for the backlog)


_Item = tuple[CallRecord, SegmentId | None]


class RecordWriter:
    def __init__(
        self,
        *,
        calls: RecordStore,
        on_error: ErrorHandler,
        journal: RecordJournal | None = None,
        on_journal_error: Callable[[Exception], None] = _ignore,
        batch: int = BATCH,
        retry_first: float = RETRY_FIRST,
        retry_max: float = RETRY_MAX,
        memory_records: int = MEMORY_RECORDS,
        linger: float = 0.0,
    ) -> None:
        """``linger``: seconds a batch smaller than ``batch`` waits for more records before it
        is written (one transaction for many calls rather than one per call under load);
        :meth:`flush` and :meth:`close` do not wait for it."""
        self._calls = calls
        self._on_error = on_error
        self._journal = journal
        self._on_journal_error = on_journal_error
        self._batch = batch
        self._retry_first, self._retry_max = retry_first, retry_max
        self._memory_records = memory_records
        self._linger = linger
        self._flushing = 0  # flush() calls waiting: no lingering meanwhile
        self._hurry = asyncio.Event()  # set while flushing: a lingering batch goes at once
        self._queue: deque[_Item | _OnDisk] = deque()
        self._in_memory = 0
        self._on_disk = 0
        self._parked: list[_Item] = []
        self._spilled: set[SegmentId] = set()
        self._shipped: dict[SegmentId, int] = {}
        self._totals: dict[SegmentId, int] = {}  # read back: how many the segment held
        self._ship_task: asyncio.Task[None] | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._progress = asyncio.Event()
        self._failures = 0
        self._error: str | None = None
        self._journal_error: str | None = None
        self._closing = False
        self.written = 0  # records stored by this writer
        self.duplicates = 0  # records delivered again and found already stored

    # -- handing over (synchronous, from the engine) -------------------------------------------

    def open(self) -> None:
        """Open the journal; the records that dead processes left in it go first."""
        if self._journal is None:
            return
        try:
            for segment, count in self._journal.open():
                self._queue.append(_OnDisk(segment, count))
                self._on_disk += count
        except OSError as exc:
            self._journal_failed(exc)
            self._journal = None
        if self._queue:
            self._wake()

    def record(self, record: CallRecord) -> None:
        segment = self._append(record)
        if segment is not None and segment in self._spilled:
            self._on_disk += 1
        else:
            self._queue.append((record, segment))
            self._in_memory += 1
        self._wake()

    def _append(self, record: CallRecord) -> SegmentId | None:
        journal = self._journal
        if journal is None:
            return None
        spill = self._in_memory >= self._memory_records
        if spill and journal.active is not None and journal.active not in self._spilled:
            journal.rotate()  # from here the records wait in the journal only
        try:
            segment = journal.append(record)
        except Exception as exc:  # a full disk, a record that cannot be encoded: keep it here
            self._journal_failed(exc)
            return None
        self._journal_error = None
        if spill and journal.count(segment) == 1:
            self._spilled.add(segment)
            self._queue.append(_OnDisk(segment, 0))
        return segment

    def _journal_failed(self, exc: Exception) -> None:
        self._journal_error = repr(exc)
        self._on_journal_error(exc)

    def _wake(self) -> None:
        loop = asyncio.get_running_loop()
        if self._ship_task is None or self._ship_task.done():
            self._ship_task = loop.create_task(self._ship())
        syncing = self._sync_task is not None and not self._sync_task.done()
        if self._journal is not None and self._journal.unsynced and not syncing:
            self._sync_task = loop.create_task(self._sync())

    # -- state ---------------------------------------------------------------------------------

    @property
    def backlog(self) -> int:
        return self._in_memory + self._on_disk + len(self._parked)

    def health(self) -> WriterHealth:
        failing = self._error is not None
        return WriterHealth(
            backlog=self.backlog,
            failing=failing,
            journal_failing=self._journal_error is not None,
            parked=len(self._parked),
            error=self._error,
        )

    def _notify(self) -> None:
        self._progress.set()
        self._progress = asyncio.Event()

    async def flush(self) -> bool:
        """Wait until every record handed over so far is written (True), or until an
        attempt fails (False: the rest stay queued and are retried in the background)."""
        failures = self._failures
        self._flushing += 1
        self._hurry.set()
        try:
            while self.backlog and self._failures == failures:
                progress = self._progress
                self._wake()
                await progress.wait()
        finally:
            self._flushing -= 1
            if not self._flushing:
                self._hurry = asyncio.Event()
        return self.backlog == 0

    async def close(self) -> None:
        """Flush (one attempt), make the journal durable and close it: what could not be
        written stays in the journal for the next start."""
        await self.flush()
        self._closing = True
        task = self._ship_task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._sync_task is not None:
            await self._sync_task  # never cut short: a thread may be in an fsync
        if self._journal is not None:
            if self._journal.unsynced:
                await self._sync()
            self._journal.close()

    # -- shipping ------------------------------------------------------------------------------

    async def _ship(self) -> None:
        limit, delay, failed_last = self._batch, self._retry_first, False
        while self._queue or self._parked:
            if not self._queue:  # only refused records are left: try them now and then
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max)
                await self._retry_parked()
                continue
            head = self._queue[0]
            if isinstance(head, _OnDisk):
                await self._read_back(head)
                continue
            if self._linger and not self._flushing and len(self._queue) < limit:
                await self._let_batch_fill()
            batch = self._take(limit)
            try:
                new = await self._calls.save_many([record for record, _ in batch])
            except Exception as exc:
                self._failed([record for record, _ in batch], exc)
                refused = not _unavailable(exc)
                if failed_last or not refused:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._retry_max)
                failed_last = True
                if refused and len(batch) == 1:
                    self._queue.popleft()
                    self._in_memory -= 1
                    self._parked.append(batch[0])
                    limit = self._batch
                elif refused:
                    limit = max(1, len(batch) // 2)
                continue
            for _ in batch:
                self._queue.popleft()
            self._in_memory -= len(batch)
            self._succeeded(batch, new)
            limit, delay, failed_last = self._batch, self._retry_first, False
            await self._retry_parked()

    async def _let_batch_fill(self) -> None:
        """Wait ``linger`` for the calls ending meanwhile to join the batch (less if a flush
        begins)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._hurry.wait(), self._linger)

    def _take(self, limit: int) -> list[_Item]:
        batch: list[_Item] = []
        for item in self._queue:
            if isinstance(item, _OnDisk) or len(batch) >= limit:
                break
            batch.append(item)
        return batch

    async def _read_back(self, head: _OnDisk) -> None:
        assert self._journal is not None
        journal = self._journal
        if head.segment == journal.active:
            journal.rotate()
        expected = head.count if head.segment.owner != journal.owner else None
        records = await asyncio.to_thread(journal.read, head.segment)
        self._queue.popleft()
        self._on_disk -= expected if expected is not None else journal.count(head.segment)
        self._spilled.discard(head.segment)
        self._totals[head.segment] = len(records)
        self._queue.extendleft(reversed([(record, head.segment) for record in records]))
        self._in_memory += len(records)
        self._segment_done(head.segment)

    async def _retry_parked(self) -> None:
        for item in list(self._parked):
            try:
                new = await self._calls.save_many([item[0]])
            except Exception as exc:
                self._failed([item[0]], exc)
                return
            self._parked.remove(item)
            self._succeeded([item], new)

    def _failed(self, records: list[CallRecord], exc: Exception) -> None:
        self._failures += 1
        self._error = repr(exc)
        self._on_error(records, exc)
        self._notify()

    def _succeeded(self, batch: list[_Item], new: int) -> None:
        self._error = None
        self.written += new
        self.duplicates += len(batch) - new
        done: set[SegmentId] = set()
        for _, segment in batch:
            if segment is not None:
                self._shipped[segment] = self._shipped.get(segment, 0) + 1
                done.add(segment)
        for segment in done:
            self._segment_done(segment)
        self._notify()

    def _segment_done(self, segment: SegmentId) -> None:
        """Delete a segment all of whose records are in the database."""
        journal = self._journal
        if journal is None or segment in self._spilled:
            return
        total = self._totals.get(segment)
        if total is None:
            if segment.owner != journal.owner:
                return
            total = journal.count(segment)
        if self._shipped.get(segment, 0) < total or any(s == segment for _, s in self._parked):
            return
        try:
            journal.remove(segment)
        except OSError as exc:
            self._journal_failed(exc)
            return
        self._shipped.pop(segment, None)
        self._totals.pop(segment, None)

    # -- making the journal durable ------------------------------------------------------------

    async def _sync(self) -> None:
        journal = self._journal
        delay = self._retry_first
        while journal is not None and journal.unsynced:
            plan = journal.sync_plan()
            try:
                await asyncio.to_thread(journal.sync_files, plan)
            except OSError as exc:
                journal.after_sync(plan, done=False)
                self._journal_failed(exc)
                if self._closing:
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max)
                continue
            journal.after_sync(plan, done=True)
            delay = self._retry_first


def _unavailable(exc: Exception) -> bool:
    """The database did not answer (retry the same batch) rather than refuse the batch."""
    if isinstance(exc, DomainError):
        return exc.code is ErrorCode.DATABASE_UNAVAILABLE
    return isinstance(exc, OSError | ConnectionError | asyncio.TimeoutError)
