"""The engine's ``EventLog`` port on structlog: key/value logs with call_id and fleet_id."""

from __future__ import annotations

import logging
from typing import Any

import structlog


class StructlogEvents:
    """``logger``: where the events go; by default structlog's logger ``fleet.calls``, whose
    debug events are not built at all while the level structlog is configured with when this
    log is made filters them out (the engine reports about ten per call: through structlog's
    lazy proxy each would make a logger only to drop the event). The level is read once, here:
    processes configure structlog (``fleet.logs``) before the composition root builds the
    engine; a log made after a reconfiguration follows the new level."""

    def __init__(self, logger: Any | None = None) -> None:
        self._log = logger or structlog.get_logger("fleet.calls")
        self._debug = logger is not None or _debug_passes(self._log)

    @property
    def routine(self) -> bool:
        """Whether the routine events pass (the engine does not build them otherwise)."""
        return self._debug

    def __call__(self, event: str, **fields: object) -> None:
        if event == "call_fault":
            self._log.error(event, **fields)
        elif self._debug:
            self._log.debug(event, **fields)


def _debug_passes(log: Any) -> bool:
    """Whether the configured wrapper class lets debug events through (the level lives in
    that class; a logger without ``is_enabled_for`` lets everything through)."""
    enabled = getattr(log.bind(), "is_enabled_for", None)
    return True if enabled is None else bool(enabled(logging.DEBUG))
