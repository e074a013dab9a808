"""The engine's ``Recorder`` as the service runs it: every call record goes to the
database through the record writer, and the latest ones are kept for whoever shows them
(the simulator's timeline, a scenario's report, a test)."""

from __future__ import annotations

from collections import deque

from fleet.core.model import CallRecord
from fleet.services.recording import RecordWriter


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

    async def flush(self) -> None:
        await self.writer.flush()
