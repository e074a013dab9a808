"""The engine's event log on structlog: debug events filtered out by the configured level are
not built (no logger made for them); the level is read when the log is made (processes configure
structlog before building the engine), not once an event."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import structlog
from structlog.testing import CapturingLogger

from fleet.core.model import CallRecord
from fleet.core.values import CallOutcome
from fleet.exchange.eventlog import StructlogEvents
from simulators.handsets import Behaviour
from tests.exchange import make_exchange
from tests.exchange import n as number
from tests.memory import memory_world


class CountingFactory:
    def __init__(self) -> None:
        self.made = 0
        self.logger = CapturingLogger()

    def __call__(self, *args: Any) -> CapturingLogger:
        self.made += 1
        return self.logger


@pytest.fixture
def factory() -> Iterator[CountingFactory]:
    saved = structlog.get_config()
    made = CountingFactory()
    try:
        yield made
    finally:
        structlog.configure(**saved)


def configure(factory: CountingFactory, level: int) -> None:
    structlog.configure(
        processors=[structlog.processors.KeyValueRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=factory,
        cache_logger_on_first_use=False,
    )


def test_debug_events_below_the_level_make_no_logger(factory: CountingFactory) -> None:
    configure(factory, logging.WARNING)
    events = StructlogEvents()
    events("call_offered", call_id="c1")
    events("call_offered", call_id="c2")
    assert factory.made <= 1  # at most once to learn the level, not once an event
    assert factory.logger.calls == []
    made = factory.made
    events("call_offered", call_id="c3")
    assert factory.made == made


def test_call_faults_are_logged_at_any_level(factory: CountingFactory) -> None:
    configure(factory, logging.WARNING)
    StructlogEvents()("call_fault", call_id="c1", error="boom")
    assert [call.method_name for call in factory.logger.calls] == ["error"]


def test_debug_events_are_logged_when_the_level_lets_them_through(
    factory: CountingFactory,
) -> None:
    configure(factory, logging.WARNING)
    StructlogEvents()("call_offered", call_id="c1")
    configure(factory, logging.DEBUG)
    events = StructlogEvents()  # made after the reconfiguration: follows the new level
    events("call_offered", call_id="c2")
    events("call_offered", call_id="c3")
    assert [(c.method_name, c.args) for c in factory.logger.calls] == [
        ("debug", ("call_id='c2' event='call_offered'",)),
        ("debug", ("call_id='c3' event='call_offered'",)),
    ]


def test_the_level_is_read_once_not_once_an_event(
    factory: CountingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(factory, logging.WARNING)
    events = StructlogEvents()
    read: list[object] = []

    def get_config() -> dict[str, Any]:
        read.append(1)
        return {}

    monkeypatch.setattr(structlog, "get_config", get_config)
    for n in range(10):
        events("call_offered", call_id=f"c{n}")
    assert read == [] and factory.logger.calls == []


def test_an_injected_logger_gets_every_event() -> None:
    logger = CapturingLogger()
    StructlogEvents(logger)("call_offered", call_id="c1")
    assert [(c.method_name, c.kwargs) for c in logger.calls] == [("debug", {"call_id": "c1"})]


# -- the engine: routine events not even built when the log drops them -------------------------


class Told:
    """An event log that says whether it keeps routine events, and notes what it is told."""

    def __init__(self, *, routine: bool) -> None:
        self.routine = routine
        self.events: list[str] = []

    def __call__(self, event: str, **fields: object) -> None:
        self.events.append(event)


def test_a_log_that_drops_routine_events_is_not_called_for_a_call_nor_its_record_changed() -> None:
    records: dict[bool, CallRecord] = {}
    told: dict[bool, Told] = {}
    for routine in (True, False):
        world = memory_world()
        log = told[routine] = Told(routine=routine)
        ex = make_exchange(world.fleets.table, world, log=log)
        ex.network.add(number("0699000001"), "Client", behaviour=Behaviour(answer_after=None))
        ex.behave("0611000006", answer_after=1.0)
        call = ex.dial("0699000001", "0611000006")
        ex.advance(3)
        ex.hang_up("0699000001")
        ex.settle()
        ex.assert_clean()
        records[routine] = ex.record(call)
    assert {"call_offered", "call_phase", "call_event", "call_released"} <= set(told[True].events)
    assert told[False].events == []
    same = replace(records[False], call_id=records[True].call_id)  # ids are random per exchange
    assert same == records[True]  # the record is the engine's, not the log's
    assert records[True].outcome is CallOutcome.ANSWERED


def test_a_fault_is_told_to_a_log_that_drops_routine_events() -> None:
    world = memory_world()
    log = Told(routine=False)
    ex = make_exchange(world.fleets.table, world, log=log)
    ex.network.add(number("0699000001"), "Client", behaviour=Behaviour(answer_after=None))
    call = ex.dial("0699000001", "0611000006")
    engine_call = ex.engine.call(call)
    assert engine_call is not None

    def boom() -> None:
        raise RuntimeError("boom")

    engine_call.run(boom)
    ex.settle()
    assert log.events == ["call_fault"]


def test_structlog_events_say_whether_routine_events_pass(factory: CountingFactory) -> None:
    configure(factory, logging.WARNING)
    assert StructlogEvents().routine is False
    configure(factory, logging.DEBUG)
    assert StructlogEvents().routine is True
    assert StructlogEvents(CapturingLogger()).routine is True  # an injected logger gets all
