"""The engine's ``Recorder`` port: call records are handed over synchronously and
written through the call-record service in the background, in order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fleet.core.model import CallRecord
from fleet.services.calls import CallRecordService


class RecordWriter:
    def __init__(
        self, *, calls: CallRecordService, on_error: Callable[[CallRecord, Exception], None]
    ) -> None:
        self._calls = calls
        self._on_error = on_error
        self._queue: asyncio.Queue[CallRecord] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.written = 0
        self.failed: list[CallRecord] = []

    def record(self, record: CallRecord) -> None:
        self._queue.put_nowait(record)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while not self._queue.empty():
            record = self._queue.get_nowait()
            try:
                await self._calls.save(record)
                self.written += 1
            except Exception as exc:  # keep going; the record is kept for a retry
                self.failed.append(record)
                self._on_error(record, exc)
            finally:
                self._queue.task_done()

    async def flush(self) -> None:
        """Wait until every record handed over so far is written (or failed)."""
        await self._queue.join()
        if self._task is not None:
            await self._task

    async def retry_failed(self) -> None:
        failed, self.failed = self.failed, []
        for record in failed:
            self.record(record)
        await self.flush()
