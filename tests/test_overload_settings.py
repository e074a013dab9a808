"""The settings of issue 12's load work: ``sip_admission`` chooses how the SIP stack admits new
INVITEs below its hard limits (by the calls in setup by default, all until a limit, by rate,
or by a share steered by the lag), ``sip_target_lag_ms`` the lag target of rate and lag,
``sip_setup_target_ms`` the time in setup of the setup window; ``gc_threshold`` sets the
collector's first-generation threshold once the heap is settled (Python's by default); bad
values are refused, named."""

from __future__ import annotations

import gc

import pytest

from fleet import heap
from fleet.app_sip import build_sip_stack
from fleet.config import ConfigError, SipAdmission, load_settings
from fleet.sip.overload_rate import RateAdmission
from fleet.sip.overload_setup import SetupWindow
from fleet.sip.overload_throttle import Throttle

SIP = {"network": "sip", "sip_port": 0, "sip_core": "127.0.0.1:5090"}


def test_new_invites_are_admitted_by_the_setup_window_unless_an_admission_is_chosen() -> None:
    guard = build_sip_stack(load_settings(cli=SIP, env={})).guard
    assert guard is not None and isinstance(guard.throttle, SetupWindow)
    limits = load_settings(cli=SIP, env={"FLEETPBX_SIP_ADMISSION": "limits"})
    assert limits.sip_admission is SipAdmission.LIMITS
    guard = build_sip_stack(limits).guard
    assert guard is not None and guard.throttle is None
    rate = load_settings(cli=SIP, env={"FLEETPBX_SIP_ADMISSION": "rate"})
    assert rate.sip_admission is SipAdmission.RATE
    guard = build_sip_stack(rate).guard
    assert guard is not None and isinstance(guard.throttle, RateAdmission)
    assert guard.throttle.config.target_lag == pytest.approx(0.1)
    env = {"FLEETPBX_SIP_ADMISSION": "rate", "FLEETPBX_SIP_TARGET_LAG_MS": "40"}
    settings = load_settings(cli=SIP, env=env)
    assert settings.sip_target_lag_ms == 40
    guard = build_sip_stack(settings).guard
    assert guard is not None and isinstance(guard.throttle, RateAdmission)
    assert guard.throttle.config.target_lag == pytest.approx(0.04)


def test_the_lag_throttle_is_chosen_by_name_with_its_own_target_or_the_one_given() -> None:
    lag = load_settings(cli=SIP, env={"FLEETPBX_SIP_ADMISSION": "lag"})
    assert lag.sip_admission is SipAdmission.LAG
    guard = build_sip_stack(lag).guard
    assert guard is not None and isinstance(guard.throttle, Throttle)
    assert guard.throttle.config.target_lag == pytest.approx(0.05)
    env = {"FLEETPBX_SIP_ADMISSION": "lag", "FLEETPBX_SIP_TARGET_LAG_MS": "40"}
    guard = build_sip_stack(load_settings(cli=SIP, env=env)).guard
    assert guard is not None and isinstance(guard.throttle, Throttle)
    assert guard.throttle.config.target_lag == pytest.approx(0.04)


def test_the_setup_window_is_chosen_by_name_with_half_of_t1_or_the_target_given() -> None:
    setup = load_settings(cli=SIP, env={"FLEETPBX_SIP_ADMISSION": "setup"})
    assert setup.sip_admission is SipAdmission.SETUP
    guard = build_sip_stack(setup).guard
    assert guard is not None and isinstance(guard.throttle, SetupWindow)
    assert guard.throttle.config.target == pytest.approx(0.25)  # T1 0.5 s / 2
    env = {"FLEETPBX_SIP_ADMISSION": "setup", "FLEETPBX_SIP_T1": "0.2"}
    guard = build_sip_stack(load_settings(cli=SIP, env=env)).guard
    assert guard is not None and isinstance(guard.throttle, SetupWindow)
    assert guard.throttle.config.target == pytest.approx(0.1)
    env = {"FLEETPBX_SIP_ADMISSION": "setup", "FLEETPBX_SIP_SETUP_TARGET_MS": "400"}
    guard = build_sip_stack(load_settings(cli=SIP, env=env)).guard
    assert guard is not None and isinstance(guard.throttle, SetupWindow)
    assert guard.throttle.config.target == pytest.approx(0.4)
    assert guard.throttle.config.confirm == 1
    env = {"FLEETPBX_SIP_ADMISSION": "setup", "FLEETPBX_SIP_SETUP_CONFIRM": "5"}
    guard = build_sip_stack(load_settings(cli=SIP, env=env)).guard
    assert guard is not None and isinstance(guard.throttle, SetupWindow)
    assert guard.throttle.config.confirm == 5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FLEETPBX_SIP_TARGET_LAG_MS", "-1"),
        ("FLEETPBX_SIP_SETUP_TARGET_MS", "61000"),
        ("FLEETPBX_SIP_SETUP_CONFIRM", "0"),
        ("FLEETPBX_SIP_ADMISSION", "fast"),
        ("FLEETPBX_GC_THRESHOLD", "lots"),
    ],
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
