"""The pure parts of ``bench/sip_calls.py`` and ``bench/sip_stack.py``: SIPp's statistics and
response-time files read back, a 503 counted as a failed call, the knee search, and which
fleet numbers the injection file calls. The bench's modules are scripts' helpers (``bench/``
is no package): they are imported from that folder."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from fleet.core import model
from fleet.core.numbering import E164
from fleet.core.values import ForwardingKind, Language, RingMode

BENCH = Path(__file__).resolve().parents[2] / "bench"


def bench_module(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.append(str(BENCH))  # after the project: bench/portal.py must not shadow portal
    return importlib.import_module(name)


knee = bench_module("_knee")
sipp_run = bench_module("_sipp_run")
sip_load = bench_module("_sip_load")
sip_fleet = bench_module("_sip_fleet")

STATS = (
    "StartTime;LastResetTime;CurrentTime;SuccessfulCall(P);SuccessfulCall(C);"
    "FailedCall(P);FailedCall(C);Retransmissions(P);Retransmissions(C);\n"
    "2026-12-02 11:00:00;2026-12-02 11:00:00;2026-12-02 11:00:01;10;10;1;1;0;0;\n"
    "2026-12-02 11:00:00;2026-12-02 11:00:01;2026-12-02 11:00:02;5;15;0;1;3;3;\n"
)
RTT = "Date_ms;response_time_ms;rtd_no\n24.001;3;1\n25.002;5;2\n44.001;0;1\n"


def samples(*pairs: tuple[float, float]) -> list[Any]:
    return [sipp_run.Sample(at, ms) for at, ms in pairs]


def run(calls: int, successful: int, failed: int, *, seconds: float = 1.0) -> Any:
    code = 0 if failed == 0 else 1
    return sipp_run.SippRun(calls, successful, failed, 0, seconds, code)


def test_sipp_statistics_are_the_cumulative_counters_of_the_last_row() -> None:
    counters = sipp_run.read_stats(STATS)

    assert (counters["SuccessfulCall"], counters["FailedCall"]) == (15, 1)
    assert counters["Retransmissions"] == 3
    assert sipp_run.read_stats("") == {}


def test_response_time_trace_gives_the_samples_of_each_rtd() -> None:
    assert sipp_run.read_rtt(RTT) == {
        1: samples((24.001, 3.0), (44.001, 0.0)),
        2: samples((25.002, 5.0)),
    }


def test_a_call_ended_by_503_is_shed_and_counts_as_failed() -> None:
    rtd = {1: samples((10, 2.0), (20, 4.0)), 2: samples((11, 5.0), (2500, 6.0))}
    placed = sip_load.read_back(run(3, 3, 0), rtd)

    assert (placed.answered, placed.shed) == (2, 1)
    assert placed.answered_within(2.0) == 1
    assert (placed.run.successful, placed.run.failed) == (2, 1)
    assert placed.latency(1) == (2.0, 4.0)
    assert placed.latency(3) is None


def fake_trial(limit: float, tried: list[float]) -> Any:
    """Passes a rate up to ``limit``: every call answered, on time; above it one fails."""

    def trial(rate: float, seconds: float) -> Any:
        tried.append(rate)
        calls = int(rate * seconds)
        failed = 0 if rate <= limit else 1
        return knee.Step(rate, run(calls, calls - failed, failed, seconds=seconds), calls, 0.0)

    return trial


def search_args(ceiling: float = 64000.0) -> argparse.Namespace:
    return argparse.Namespace(step=1.0, ceiling=ceiling, resolution=1.1)


def test_knee_search_doubles_then_bisects_to_within_the_resolution() -> None:
    tried: list[float] = []

    found = knee.search(fake_trial(700, tried), "t", search_args(), 100)

    assert tried[:5] == [100, 200, 400, 800, 566]
    assert 700 / 1.1 <= found <= 700


def test_knee_search_stops_at_the_ceiling_when_nothing_fails() -> None:
    tried: list[float] = []

    assert knee.search(fake_trial(10**6, tried), "t", search_args(ceiling=500), 100) == 400
    assert tried == [100, 200, 400]


def test_knee_search_halves_from_a_failing_start_then_bisects() -> None:
    tried: list[float] = []

    found = knee.search(fake_trial(90, tried), "t", search_args(), 400)

    assert tried[:4] == [400, 200, 100, 50]
    assert 90 / 1.1 <= found <= 90


def test_knee_search_gives_no_knee_when_even_the_floor_fails() -> None:
    tried: list[float] = []

    assert knee.search(fake_trial(1, tried), "t", search_args(), 40) == 0
    assert tried == [40, 20, 10]


def test_a_step_late_by_more_than_its_slack_fails() -> None:
    late = knee.Step(100.0, run(100, 100, 0, seconds=1.0 * 1.15 + 2.5), 100, 0.0)

    assert not late.ok


def test_confirmation_steps_down_ten_percent_until_a_rate_holds() -> None:
    tried: list[float] = []

    held = knee.confirm(fake_trial(850, tried), 1000, "t", 5.0, 3)

    assert tried == [1000, 900, 810]
    assert held is not None and held.rate == 810


def line(
    number: str, *forwardings: tuple[ForwardingKind, str], listed: bool = False
) -> model.LineServices:
    rules = tuple(
        model.Forwarding(1, kind, E164(to), active=True, no_reply_timer=None)
        for kind, to in forwardings
    )
    incoming = model.IncomingList(1, True, RingMode.SIMULTANEOUS, 15, ()) if listed else None
    return model.LineServices(
        line=model.Line(1, 1, E164(number), None, "x", None, Language.FR, True, False, False),
        forwardings=rules,
        incoming_list=incoming,
        groups=(),
    )


def test_fleet_numbers_are_sorted_by_the_call_they_make() -> None:
    lines = [
        line("+33611000001"),
        line("+33611000002"),
        line("+33611000007"),  # busy, no forwarding: never called
        line("+33611000003", (ForwardingKind.UNCONDITIONAL, "+33611000001")),
        line("+33611000004", (ForwardingKind.UNCONDITIONAL, "+33611000007")),  # to a busy line
        line("+33611000017", (ForwardingKind.BUSY, "+33611000002")),
        line("+33611000005", (ForwardingKind.BUSY, "+33611000002")),  # never busy
        line("+33611000006", (ForwardingKind.NO_REPLY, "+33611000001")),
        line("+33611000008", listed=True),
    ]
    kinds = sip_fleet.Kind

    found = sip_fleet.classify(lines, ["+33739000000"], frozenset({"+33611000002"}))

    assert found.by_kind == {
        kinds.DIRECT: ["+33611000001"],
        kinds.UNCONDITIONAL: ["+33611000003"],
        kinds.BUSY: ["+33611000017"],
        kinds.NO_REPLY: ["+33611000006"],
        kinds.GROUP: ["+33739000000"],
    }


def test_injection_rows_follow_the_mix_over_the_kinds_that_have_numbers() -> None:
    kinds = sip_fleet.Kind
    callees = sip_fleet.Callees(
        {
            kinds.DIRECT: ["+33611000001", "+33611000002"],
            kinds.UNCONDITIONAL: ["+33611000003"],
            kinds.BUSY: [],
            kinds.NO_REPLY: [],
            kinds.GROUP: ["+33739000000"],
        }
    )

    rows = sip_fleet.injection_rows(callees, 8000, 42)

    counts = Counter(rows)
    direct = counts["+33611000001"] + counts["+33611000002"]
    assert abs(counts["+33611000001"] - counts["+33611000002"]) <= 1  # taken in turn
    assert direct / len(rows) == pytest.approx(0.55 / 0.80, abs=0.03)
    assert counts["+33739000000"] / len(rows) == pytest.approx(0.10 / 0.80, abs=0.03)


def test_an_injection_file_is_read_in_order_with_the_caller(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"

    sip_fleet.write_injection(path, ["+33611000001", "+33739000000"])

    assert path.read_text() == (
        "SEQUENTIAL\n+33611000001;+33699000009;\n+33739000000;+33699000009;\n"
    )


def test_injection_rows_refuse_a_fleet_with_no_callable_number() -> None:
    with pytest.raises(ValueError, match="no fleet number"):
        sip_fleet.injection_rows(sip_fleet.Callees({k: [] for k in sip_fleet.Kind}), 10, 1)


def test_settings_given_to_the_bench_become_fleetpbx_variables_and_bad_ones_are_refused() -> None:
    sip_calls = bench_module("sip_calls")

    assert sip_calls.setting_env(["sip_admission=limits", " sip_target_lag_ms = 50"]) == {
        "FLEETPBX_SIP_ADMISSION": "limits",
        "FLEETPBX_SIP_TARGET_LAG_MS": "50",
    }
    args = sip_calls.parse_args(["--quick", "--setting", "sip_admission=lag"])
    assert args.setting == ["sip_admission=lag"] and args.duration == 5.0
    with pytest.raises(SystemExit, match="name=value"):
        sip_calls.setting_env(["sip_admission"])


def test_overload_variants_are_settings_over_the_common_ones_alternated_in_rounds() -> None:
    sip_calls = bench_module("sip_calls")

    setup = "sip_admission=setup,sip_setup_target_ms=100"
    argv = ["--quick", "--overload-at", "800", "--variant", "sip_admission=limits"]
    args = sip_calls.parse_args([*argv, "--variant", setup, "--rounds", "2"])
    assert args.overload_at == 800.0 and args.rounds == 2 and len(args.variant) == 2
    assert sip_calls.variant_env(
        ["sip_t1=0.5"], "sip_admission=setup, sip_setup_target_ms=100"
    ) == {
        "FLEETPBX_SIP_T1": "0.5",
        "FLEETPBX_SIP_ADMISSION": "setup",
        "FLEETPBX_SIP_SETUP_TARGET_MS": "100",
    }
    assert sip_calls.variant_env([], "") == {}
    with pytest.raises(SystemExit, match="name=value"):
        sip_calls.variant_env([], "sip_admission")
