"""The settings of issue 12's load work: ``sip_target_lag_ms`` turns on the overload throttle
of the SIP stack (off by default), ``gc_threshold`` sets the collector's first-generation
threshold once the heap is settled (Python's by default); bad values are refused, named."""

from __future__ import annotations

import gc

import pytest

from fleet import heap
from fleet.app_sip import build_sip_stack
from fleet.config import ConfigError, load_settings

SIP = {"network": "sip", "sip_port": 0, "sip_core": "127.0.0.1:5090"}


def test_the_throttle_is_off_unless_a_target_lag_is_set() -> None:
    stack = build_sip_stack(load_settings(cli=SIP, env={}))
    assert stack.guard is not None and stack.guard.throttle is None
    settings = load_settings(cli=SIP, env={"FLEETPBX_SIP_TARGET_LAG_MS": "40"})
    assert settings.sip_target_lag_ms == 40
    guard = build_sip_stack(settings).guard
    assert guard is not None and guard.throttle is not None
    assert guard.throttle.config.target_lag == pytest.approx(0.04)


@pytest.mark.parametrize(
    ("name", "value"),
    [("FLEETPBX_SIP_TARGET_LAG_MS", "-1"), ("FLEETPBX_GC_THRESHOLD", "lots")],
)
def test_bad_load_settings_are_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name.removeprefix("FLEETPBX_").lower()):
        load_settings(cli=SIP, env={name: value})


def test_settling_the_heap_sets_the_first_generation_threshold_when_asked() -> None:
    before = gc.get_threshold()
    try:
        heap.settle()
        assert gc.get_threshold() == before
        heap.settle(2500)
        assert gc.get_threshold() == (2500, *before[1:])
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
