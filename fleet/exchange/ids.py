"""Call and leg ids as the service hands them out: unique across restarts and processes.

An id is the process's prefix and a counter, ``<prefix>-<n>`` (``"0vx3k2m7q4-17"``). The
prefix is the process's start time, in seconds since 2020-01-01 UTC written in six base-36
digits (time order until 2089), and four random base-36 characters, so two processes
started in the same second differ too (one chance in 1.7 million of a clash, which the
record writer would report). Ids of one process sort by (prefix, counter); the prefixes of
processes sort by their start. The engine's own default (``counter_ids``: ``c1``,
``c2``…) stays for the tests that build an engine directly."""

from __future__ import annotations

import itertools
import secrets
import time

EPOCH = 1_577_836_800  # 2020-01-01T00:00:00Z
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
STAMP_DIGITS = 6
RANDOM_DIGITS = 4


def _base36(value: int, width: int) -> str:
    out = []
    for _ in range(width):
        value, digit = divmod(value, 36)
        out.append(DIGITS[digit])
    return "".join(reversed(out))


def process_prefix(*, now: float | None = None) -> str:
    """A new prefix: start time (base 36, six digits) and four random characters."""
    seconds = int(time.time() if now is None else now) - EPOCH
    stamp = _base36(max(0, seconds), STAMP_DIGITS)
    return stamp + "".join(secrets.choice(DIGITS) for _ in range(RANDOM_DIGITS))


class CallIds:
    """The id source the composition root gives the engine (calls and legs share it)."""

    def __init__(self, *, prefix: str | None = None) -> None:
        self.prefix = prefix or process_prefix()
        self._numbers = itertools.count(1)

    def __call__(self) -> str:
        return f"{self.prefix}-{next(self._numbers)}"
