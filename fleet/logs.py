"""structlog set-up: key/value logs, console or JSON, to standard error; each carries
``process`` (this process's id, the prefix of its call ids) when one is given, beside the
``fleet_id`` and ``call_id`` the call engine's events carry, so one call can be followed
across processes."""

from __future__ import annotations

import logging
import sys

import structlog


def _stderr_logger(*_args: object) -> structlog.WriteLogger:
    """A logger writing to the standard error of the moment (it may be replaced), each event
    and its newline in one write: a line that another thread logs meanwhile (the standard
    library's, from aiosqlite's thread) never lands in the middle of it."""
    return structlog.WriteLogger(file=sys.stderr)


class ProcessField:
    """A structlog processor: ``process=<id>`` in every event (one bound later wins)."""

    def __init__(self, process: str) -> None:
        self.process = process

    def __call__(
        self, _logger: object, _method: str, event_dict: structlog.typing.EventDict
    ) -> structlog.typing.EventDict:
        event_dict.setdefault("process", self.process)
        return event_dict


def configure(*, level: str = "info", fmt: str = "console", process: str | None = None) -> None:
    numeric = logging.getLevelName(level.upper())
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    tagged: list[structlog.types.Processor] = [ProcessField(process)] if process else []
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            *tagged,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    tag = f"process={process} " if process else ""
    logging.basicConfig(
        level=numeric, stream=sys.stderr, format=f"%(name)s %(levelname)s {tag}%(message)s"
    )
    logging.getLogger("alembic").setLevel(max(numeric, logging.WARNING))
