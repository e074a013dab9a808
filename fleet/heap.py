"""Keeping the cyclic garbage collector's pauses short in a long-running service.

Python's full collections scan every tracked object. After start-up the heap holds
hundreds of thousands of long-lived objects (modules, SQLAlchemy's compiled statements,
phone-number metadata, the routing cache), and a full collection over them stalls the
event loop for 50–150 ms, a delay every USSD dialogue and call set-up in flight would
see. Once the service has started, ``settle()`` collects what start-up left behind and
moves everything that survives to the permanent generation (``gc.freeze()``), which the
collector no longer scans; objects made afterwards are collected as usual."""

from __future__ import annotations

import gc


def settle() -> int:
    """Collect, then freeze the survivors; returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
