"""The event loop the service runs on: uvloop when it is installed (a dependency: a faster
loop for sockets and timers, the SIP transport's and HTTP's), asyncio's own otherwise."""

from __future__ import annotations

import asyncio
import importlib


def new_loop() -> tuple[asyncio.AbstractEventLoop, str]:
    """A new event loop and its name (``uvloop`` or ``asyncio``), for ``fleetpbx serve``."""
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return asyncio.new_event_loop(), "asyncio"
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop, "uvloop"
