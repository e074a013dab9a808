"""The call-record writer of the service lets a small batch wait a moment for the calls ending
meanwhile (one transaction for many calls under load), and a flush does not wait for it."""

from __future__ import annotations

import asyncio

from fleet.services.recording import LINGER, RecordWriter
from tests.polling import eventually
from tests.test_record_journal import FakeStore, a_record


def lingering_writer(store: FakeStore, linger: float) -> RecordWriter:
    writer = RecordWriter(calls=store, on_error=lambda records, exc: None, linger=linger)
    writer.open()
    return writer


async def loop_turns(count: int) -> None:
    for _ in range(count):
        await asyncio.sleep(0)  # a turn of the event loop, no time passes


async def test_records_handed_over_while_a_batch_lingers_are_written_with_it() -> None:
    store = FakeStore()
    writer = lingering_writer(store, 0.2)
    writer.record(a_record("linger-1"))
    await loop_turns(5)
    writer.record(a_record("linger-2"))
    await loop_turns(5)
    writer.record(a_record("linger-3"))
    await eventually(lambda: len(store.stored) == 3)
    assert store.batches == [3]
    assert writer.backlog == 0


async def test_without_linger_each_record_goes_as_soon_as_the_loop_turns() -> None:
    store = FakeStore()
    writer = lingering_writer(store, 0.0)
    writer.record(a_record("at-once-1"))
    await loop_turns(5)
    writer.record(a_record("at-once-2"))
    await eventually(lambda: len(store.stored) == 2)
    assert store.batches == [1, 1]


async def test_a_flush_writes_a_lingering_batch_at_once() -> None:
    store = FakeStore()
    writer = lingering_writer(store, 600.0)
    writer.record(a_record("flushed-1"))
    await loop_turns(5)  # the batch is lingering now
    assert store.batches == []
    assert await asyncio.wait_for(writer.flush(), 5.0)
    assert store.order == ["flushed-1"]
    writer.record(a_record("flushed-2"))  # lingers again once the flush is over
    await loop_turns(5)
    assert store.order == ["flushed-1"]
    await asyncio.wait_for(writer.close(), 5.0)
    assert store.order == ["flushed-1", "flushed-2"]


def test_the_service_writer_lingers_briefly() -> None:
    assert 0.0 < LINGER <= 0.1
