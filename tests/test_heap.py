"""Keeping the garbage collector's full passes away from the service's long-lived data."""

from __future__ import annotations

import gc
import platform

from fleet.heap import HeapGuard, trim_c_heap


def test_the_guard_pauses_the_collector_while_a_read_builds_and_freezes_what_it_built() -> None:
    guard = HeapGuard()
    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    try:
        with guard.hold():
            assert not gc.isenabled()
            with guard.hold():  # reads may overlap: the collector stays paused until the last
                built = [[i] for i in range(1_000)]
            assert not gc.isenabled()
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen_before + len(built)
        assert guard.frozen >= len(built)
    finally:
        gc.unfreeze()


def test_the_guard_leaves_a_collector_paused_by_someone_else_paused() -> None:
    guard = HeapGuard()
    gc.disable()
    try:
        with guard.hold():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


def test_the_c_heap_is_trimmed_where_the_c_library_is_glibc() -> None:
    assert trim_c_heap() is (platform.libc_ver()[0] == "glibc")
