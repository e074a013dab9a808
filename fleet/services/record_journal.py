"""The call-record journal: an append-only file of the records not yet in the database.

A directory holds the journals of the service processes that use it: process ``P`` holds
an exclusive ``flock`` on ``P.lock`` while it runs and appends its records to segments
``P-000001.records``, ``P-000002.records``… (a header line naming the database, then one
``record_codec`` line a record). ``append`` writes the line with ``os.write`` before it
returns: from then on the record survives the process being killed (it is in the
kernel); ``sync`` (the record writer runs it in the background, one after the other, so
the records appended while one ``fsync`` runs go in the next) makes it survive a power
cut. A segment is removed once all its records are in the database.

A process that starts adopts the segments of the processes that no longer run (their lock
is free) and are journals of the same database: their records are shipped first. The
segments of another database, or of a process still running, are left alone."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from fleet.core.model import CallRecord
from fleet.services import record_codec

MAGIC = b"fleetpbx-call-records 1 "
SEGMENT = re.compile(r"(?P<owner>[0-9a-z]+)-(?P<number>\d{6})\.records")
LOCK = re.compile(r"(?P<owner>[0-9a-z]+)\.lock")
SEGMENT_RECORDS = 2000  # records a segment holds before the next one is started


def database_identity(url: str) -> str:
    """The journal's name for a database: a digest of its URL without the password (an
    SQLite path made absolute), so that records go only to the database they were for."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database not in (None, "", ":memory:"):
        database = str(Path(database or "").resolve())
    shown = URL.create(
        parsed.drivername,
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=database,
        query=parsed.query,
    ).render_as_string(hide_password=False)
    return hashlib.sha256(shown.encode()).hexdigest()[:16]


def default_directory(url: str) -> Path:
    """Beside an SQLite file (``fleetpbx.db`` -> ``fleetpbx.db-records``), else
    ``fleetpbx-records`` in the working directory."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        database = Path(parsed.database or "")
        return database.with_name(database.name + "-records")
    return Path("fleetpbx-records")


@dataclass(frozen=True, slots=True, order=True)
class SegmentId:
    owner: str
    number: int

    @property
    def name(self) -> str:
        return f"{self.owner}-{self.number:06d}.records"


@dataclass(slots=True)
class _Writing:
    """One of this process's segments: appended to until it is full, its file closed once
    it is full (or removed) and synced."""

    fd: int
    count: int = 0
    full: bool = False
    removed: bool = False


@dataclass(slots=True)
class _Adopted:
    """A dead process's journal: its lock held by this process until its segments are gone."""

    lock_fd: int
    segments: set[SegmentId] = field(default_factory=set)


class RecordJournal:
    def __init__(
        self,
        *,
        directory: Path,
        owner: str,
        database: str,
        segment_records: int = SEGMENT_RECORDS,
    ) -> None:
        """``owner``: this process's name in the directory (its call-id prefix);
        ``database``: ``database_identity`` of the database the records go to."""
        self.directory = directory
        self.owner = owner
        self._header = MAGIC + database.encode() + b"\n"
        self._segment_records = segment_records
        self._lock_fd: int | None = None
        self._dir_fd: int | None = None
        self._writing: dict[int, _Writing] = {}
        self._active: SegmentId | None = None
        self._next = 1
        self._unsynced: set[int] = set()
        self._dir_unsynced = False
        self._syncing: set[int] = set()
        self._adopted: dict[str, _Adopted] = {}
        self.corrupt = 0  # lines refused by their checksum (cut short by a crash, altered)

    # -- opening: this process's lock, the dead processes' segments -------------------------

    def open(self) -> list[tuple[SegmentId, int]]:
        """Take this process's lock and adopt the journals of dead processes of the same
        database; return their segments, oldest first, with how many records each holds."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._dir_fd = os.open(self.directory, os.O_RDONLY)
        self._lock_fd = self._take_lock(self.owner, create=True)
        if self._lock_fd is None:  # pragma: no cover - a prefix is random per process
            raise OSError(f"the record journal {self.owner} is locked by another process")
        return self._adopt()

    def _take_lock(self, owner: str, *, create: bool) -> int | None:
        """The lock of ``owner``, when no running process holds it (None otherwise)."""
        path = self.directory / f"{owner}.lock"
        flags = os.O_RDWR | (os.O_CREAT if create else 0)
        try:
            fd = os.open(path, flags, 0o644)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.fstat(fd).st_ino != os.stat(path).st_ino:  # removed by its adopter meanwhile
                raise BlockingIOError
        except OSError:
            os.close(fd)
            return None
        return fd

    def _adopt(self) -> list[tuple[SegmentId, int]]:
        owners: dict[str, list[SegmentId]] = {}
        for entry in os.listdir(self.directory):
            if found := SEGMENT.fullmatch(entry):
                segment = SegmentId(found["owner"], int(found["number"]))
                owners.setdefault(segment.owner, []).append(segment)
            elif (lock := LOCK.fullmatch(entry)) and lock["owner"] != self.owner:
                owners.setdefault(lock["owner"], [])
        adopted: list[tuple[SegmentId, int]] = []
        for owner, segments in sorted(owners.items()):
            if owner == self.owner:
                continue
            fd = self._take_lock(owner, create=True)
            if fd is None:
                continue  # its process runs
            if not segments:
                self._release_lock(owner, fd)  # a dead process that left nothing
                continue
            ours = [(s, n) for s in sorted(segments) if (n := self._count(s)) is not None]
            if not ours:
                os.close(fd)  # another database's journal: left as found
                continue
            self._adopted[owner] = _Adopted(lock_fd=fd, segments={s for s, _ in ours})
            adopted += ours
        return adopted

    def _count(self, segment: SegmentId) -> int | None:
        """Lines of a dead process's segment, or None when it is another database's."""
        try:
            with open(self.directory / segment.name, "rb") as file:
                header = file.readline()
                if header and header != self._header:
                    return None
                return sum(1 for _ in file)
        except FileNotFoundError:
            return None

    def _release_lock(self, owner: str, fd: int) -> None:
        (self.directory / f"{owner}.lock").unlink(missing_ok=True)
        os.close(fd)

    # -- appending ---------------------------------------------------------------------------

    def append(self, record: CallRecord) -> SegmentId:
        """Write ``record`` at the end of the current segment (a new one when it is full):
        once this returns, it survives the process being killed. Raises ``OSError`` (the
        disk is full, the directory is gone): then this segment takes no more records."""
        line = record_codec.encode(record)
        if self._active is None:
            self._start_segment()
        assert self._active is not None
        segment = self._active
        writing = self._writing[segment.number]
        try:
            written = os.write(writing.fd, line)
            if written != len(line):
                raise OSError(f"short write to the record journal ({written} of {len(line)})")
        except OSError:
            self.rotate()  # never append after a line that may be cut short
            raise
        writing.count += 1
        self._unsynced.add(segment.number)
        if writing.count >= self._segment_records:
            self.rotate()
        return segment

    def _start_segment(self) -> None:
        if self._lock_fd is None:
            raise OSError("the record journal is not open")
        segment = SegmentId(self.owner, self._next)
        fd = os.open(self.directory / segment.name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, self._header)
        except OSError:
            os.close(fd)
            raise
        self._next += 1
        self._writing[segment.number] = _Writing(fd=fd)
        self._active = segment
        self._unsynced.add(segment.number)
        self._dir_unsynced = True

    def rotate(self) -> None:
        """The next record starts a new segment."""
        if self._active is not None:
            self._writing[self._active.number].full = True
            self._active = None

    @property
    def active(self) -> SegmentId | None:
        return self._active

    def count(self, segment: SegmentId) -> int:
        """Records appended to one of this process's segments."""
        return self._writing[segment.number].count if segment.number in self._writing else 0

    # -- making it durable -------------------------------------------------------------------

    @property
    def unsynced(self) -> bool:
        return bool(self._unsynced) or self._dir_unsynced

    def sync_plan(self) -> tuple[list[int], bool]:
        """What the next ``sync_files`` must make durable (taken now: what is appended
        while it runs waits for the following one)."""
        numbers, self._unsynced = sorted(self._unsynced), set()
        directory, self._dir_unsynced = self._dir_unsynced, False
        self._syncing = set(numbers)
        return numbers, directory

    def sync_files(self, plan: tuple[list[int], bool]) -> None:
        """``fsync`` the segments (and the directory holding new ones) of ``plan``; a thread
        runs it while the event loop appends (no file of the plan is closed meanwhile)."""
        numbers, directory = plan
        for number in numbers:
            writing = self._writing.get(number)
            if writing is not None and not writing.removed:
                os.fsync(writing.fd)
        if directory and self._dir_fd is not None:
            os.fsync(self._dir_fd)

    def after_sync(self, plan: tuple[list[int], bool], *, done: bool) -> None:
        """On the event loop once ``sync_files`` returned (``done``) or failed (then the
        next sync takes the plan again)."""
        self._syncing = set()
        if not done:
            self._unsynced.update(n for n in plan[0] if n in self._writing)
            self._dir_unsynced = self._dir_unsynced or plan[1]
        for number in plan[0]:
            self._close_if_done(number)

    def _close_if_done(self, number: int) -> None:
        writing = self._writing.get(number)
        if writing is None or number in self._syncing:
            return
        if writing.removed or (writing.full and number not in self._unsynced):
            if writing.fd >= 0:
                os.close(writing.fd)
                writing.fd = -1
            if writing.removed:
                del self._writing[number]

    # -- reading back, removing --------------------------------------------------------------

    def read(self, segment: SegmentId) -> list[CallRecord]:
        """The records of a segment no longer appended to (its lines refused by their
        checksum are counted in ``corrupt`` and skipped)."""
        records: list[CallRecord] = []
        try:
            with open(self.directory / segment.name, "rb") as file:
                file.readline()
                for line in file:
                    try:
                        records.append(record_codec.decode(line))
                    except record_codec.CorruptLine:
                        self.corrupt += 1
        except FileNotFoundError:
            return []
        return records

    def remove(self, segment: SegmentId) -> None:
        """The segment's records are all in the database: delete it."""
        if segment.owner == self.owner:
            if segment == self._active:
                self.rotate()
            (self.directory / segment.name).unlink(missing_ok=True)
            writing = self._writing.get(segment.number)
            if writing is not None:
                writing.removed = True
                self._unsynced.discard(segment.number)
                self._close_if_done(segment.number)
            return
        (self.directory / segment.name).unlink(missing_ok=True)
        adopted = self._adopted.get(segment.owner)
        if adopted is not None:
            adopted.segments.discard(segment)
            if not adopted.segments:
                self._release_lock(segment.owner, adopted.lock_fd)
                del self._adopted[segment.owner]

    def reject(self, record: CallRecord) -> None:
        """Keep a record the database refuses (it is not retried): ``<owner>.rejected``."""
        path = self.directory / f"{self.owner}.rejected"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, record_codec.encode(record))
            os.fsync(fd)
        finally:
            os.close(fd)

    def close(self) -> None:
        """Close the files (after a last ``sync``); this process's lock is released, and its
        file removed when no segment of it is left."""
        for writing in self._writing.values():
            if writing.fd >= 0:
                os.close(writing.fd)
                writing.fd = -1
        self._writing.clear()
        self._active = None
        for owner, adopted in list(self._adopted.items()):
            os.close(adopted.lock_fd)
            del self._adopted[owner]
        if self._lock_fd is not None:
            left = any(
                (found := SEGMENT.fullmatch(e)) and found["owner"] == self.owner
                for e in os.listdir(self.directory)
            )
            if not left:
                (self.directory / f"{self.owner}.lock").unlink(missing_ok=True)
            os.close(self._lock_fd)
            self._lock_fd = None
        if self._dir_fd is not None:
            os.close(self._dir_fd)
            self._dir_fd = None
