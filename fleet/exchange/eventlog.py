"""The engine's ``EventLog`` port on structlog: key/value logs with call_id and fleet_id."""

from __future__ import annotations

import logging
from typing import Any

import structlog


class StructlogEvents:
    """``logger``: where the events go; by default structlog's logger ``fleet.calls``, whose
    debug events are not built at all while the configured level filters them out (the
    engine reports several per call: through structlog's lazy proxy each would make a
    logger only to drop the event)."""

    def __init__(self, logger: Any | None = None) -> None:
        self._gated = logger is None
        self._log = logger or structlog.get_logger("fleet.calls")
        self._debug: tuple[object, bool] | None = None  # (wrapper class, debug passes)

    def __call__(self, event: str, **fields: object) -> None:
        if event == "call_fault":
            self._log.error(event, **fields)
        elif not self._gated or self._debug_passes():
            self._log.debug(event, **fields)

    def _debug_passes(self) -> bool:
        """Whether the configured wrapper class lets debug events through, asked again only
        when structlog is configured with another one (the level lives in that class)."""
        wrapper = structlog.get_config()["wrapper_class"]
        known = self._debug
        if known is None or known[0] is not wrapper:
            enabled = getattr(self._log.bind(), "is_enabled_for", None)
            known = (wrapper, True if enabled is None else bool(enabled(logging.DEBUG)))
            self._debug = known
        return known[1]
