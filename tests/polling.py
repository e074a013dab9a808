"""The one way tests wait: on a condition, never on a fixed sleep. The deadlines are
generous (the suite must pass while other processes keep both cores busy); a condition
that holds ends the wait at once."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

T = TypeVar("T")

WITHIN = 30.0  # seconds before a wait fails the test


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]],
    *,
    within: float = WITHIN,
    every: float = 0.005,
    what: str = "condition",
) -> None:
    """Poll ``condition`` (plain or async) on the running loop until it holds; fail the test
    after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        held = condition()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return
        if loop.time() > deadline:
            pytest.fail(f"{what} not met within {within} s")
        await asyncio.sleep(every)


def wait_until(
    probe: Callable[[], T | None],
    *,
    within: float = WITHIN,
    every: float = 0.1,
    what: str = "condition",
) -> T:
    """Outside an event loop (a subprocess under test): call ``probe`` until it returns
    something other than None, and return that; fail the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not met within {within} s")
        time.sleep(every)
