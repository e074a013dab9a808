"""Real time for the engine: the system clock and the event loop's timers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime


class LoopTime:
    """Implements the engine's ``Clock`` and ``Timers`` ports on the running event loop."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def start(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        return asyncio.get_running_loop().call_later(max(0.0, delay), callback)
