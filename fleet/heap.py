"""Keeping the cyclic garbage collector's pauses short in a long-running service.

Python's full collections scan every tracked object. After start-up the heap holds
hundreds of thousands of long-lived objects (modules, SQLAlchemy's compiled statements,
phone-number metadata, the routing cache), and a full collection over them stalls the
event loop for 50–150 ms, a delay every USSD dialogue and call set-up in flight would
see. Once the service has started, ``settle()`` collects what start-up left behind and
moves everything that survives to the permanent generation (``gc.freeze()``), which the
collector no longer scans; objects made afterwards are collected as usual. Then, on glibc,
``malloc_trim(0)`` hands back to the system the free memory start-up left in the C heap (the
imports', the routing cache's load, the database rows read): several MB of resident memory
that the process would otherwise keep unused (bench/README.md, ``sip_calls``' memory)."""

from __future__ import annotations

import contextlib
import ctypes
import gc
from collections.abc import Callable, Iterator


def settle(threshold: int = 0) -> int:
    """Collect, then freeze the survivors; returns how many objects were frozen. ``threshold``
    (setting ``gc_threshold``; 0 keeps Python's 700): allocations between two young
    collections from now on — fewer passes, each over more objects."""
    gc.collect()
    gc.freeze()
    if threshold > 0:
        gc.set_threshold(threshold, *gc.get_threshold()[1:])
    trim_c_heap()
    return gc.get_freeze_count()


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, looked up among the symbols the process has loaded (the C
    library's); None elsewhere (musl, macOS)."""
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def trim_c_heap() -> bool:
    """Returns the C heap's free pages to the system (glibc); False where it cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


class HeapGuard:
    """Keeps the collector out of a large read that builds long-lived objects (a fleet of
    50,000 lines read again into the routing cache): while one is under way the collector is
    paused — otherwise every few thousand objects it would scan the whole young heap, 100 to
    170 ms a pass, several passes a read — and once the last one is over, what survives is
    frozen as at start-up. The routing data holds no reference cycles, so nothing frozen
    that way waits for the collector to be freed; reference counting frees it."""

    def __init__(self) -> None:
        self._depth = 0
        self._was_enabled = True
        self.frozen = 0  # objects frozen after the last read

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        if self._depth == 0:
            self._was_enabled = gc.isenabled()
            gc.disable()
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                before = gc.get_freeze_count()
                gc.freeze()
                self.frozen = gc.get_freeze_count() - before
                trim_c_heap()  # what the read allocated and let go of
                if self._was_enabled:
                    gc.enable()
