"""The engine's ``EventLog`` port on structlog: key/value logs with call_id and fleet_id."""

from __future__ import annotations

from typing import Any

import structlog


class StructlogEvents:
    def __init__(self, logger: Any | None = None) -> None:
        self._log = logger or structlog.get_logger("fleet.calls")

    def __call__(self, event: str, **fields: object) -> None:
        if event == "call_fault":
            self._log.error(event, **fields)
        else:
            self._log.debug(event, **fields)
