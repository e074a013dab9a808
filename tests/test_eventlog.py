"""The engine's event log on structlog: debug events filtered out by the configured level are
not built (no logger made for them); the level is read when the log is made (processes configure
structlog before building the engine), not once an event."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from structlog.testing import CapturingLogger

from fleet.exchange.eventlog import StructlogEvents


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
