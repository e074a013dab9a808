"""netsim's busy-hour traffic model and a load run's tally, without SIP or clock: Poisson
arrivals at the model's rate (a fixed seed: the same draws each time), exponential holding
times, the shares of each kind of call, time compression, bad parameters refused; the
summary's counting and its nearest-rank percentiles."""

from __future__ import annotations

import itertools
import math
import statistics
from collections import Counter

import pytest

from simulators.netsim.load_model import BadModel, CallKind, TrafficDraws, TrafficModel
from simulators.netsim.load_summary import LoadTally, NotPlaced, percentile, spread

BUSY_HOUR = TrafficModel(calls_per_line_hour=3, holding_seconds=90, duration=3600, seed=7)


def test_the_busy_hour_of_10000_lines_places_about_30000_poisson_attempts() -> None:
    offsets = list(TrafficDraws(BUSY_HOUR, 10_000).arrivals())
    expected = BUSY_HOUR.expected_attempts(10_000)
    assert expected == pytest.approx(30_000)
    assert abs(len(offsets) - expected) < 4 * math.sqrt(expected)  # Poisson: sd = √mean
    assert offsets == sorted(offsets) and offsets[0] > 0 and offsets[-1] < 3600
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    mean = statistics.fmean(gaps)
    assert mean == pytest.approx(3600 / 30_000, rel=0.03)
    assert statistics.stdev(gaps) / mean == pytest.approx(1, rel=0.05)  # exponential gaps
    per_minute = Counter(int(at // 60) for at in offsets)  # counts per minute: variance ≈ mean
    counts = [per_minute[m] for m in range(60)]
    assert statistics.variance(counts) / statistics.fmean(counts) == pytest.approx(1, abs=0.5)


def test_a_seed_gives_the_same_draws_and_another_seed_others() -> None:
    first = list(TrafficDraws(BUSY_HOUR, 100).arrivals())
    again = list(TrafficDraws(BUSY_HOUR, 100).arrivals())
    other = TrafficModel(calls_per_line_hour=3, holding_seconds=90, duration=3600, seed=8)
    assert first == again
    assert first != list(TrafficDraws(other, 100).arrivals())


def test_compression_plays_the_same_attempts_faster_and_holds_calls_shorter() -> None:
    fast = TrafficModel(calls_per_line_hour=3, holding_seconds=90, duration=3600, compression=10)
    assert fast.wall_seconds == 360
    offsets = list(TrafficDraws(fast, 10_000).arrivals())
    assert abs(len(offsets) - 30_000) < 4 * math.sqrt(30_000)
    assert offsets[-1] < 360
    draws = TrafficDraws(fast, 10_000)
    holding = [draws.holding() for _ in range(20_000)]
    assert statistics.fmean(holding) == pytest.approx(9, rel=0.03)
    assert statistics.median(holding) == pytest.approx(9 * math.log(2), rel=0.05)
    assert fast.erlangs(10_000) == pytest.approx(750)  # unchanged by the compression


def test_the_kinds_of_calls_follow_the_shares() -> None:
    model = TrafficModel(group_share=0.2, outside_share=0.3, feature_code_share=0.1)
    assert model.colleague_share == pytest.approx(0.4)
    draws = TrafficDraws(model, 10)
    kinds = Counter(draws.kind() for _ in range(40_000))
    for kind, share in (
        (CallKind.GROUP, 0.2),
        (CallKind.OUTSIDE, 0.3),
        (CallKind.FEATURE_CODE, 0.1),
        (CallKind.COLLEAGUE, 0.4),
    ):
        assert kinds[kind] / 40_000 == pytest.approx(share, abs=0.01)


def test_no_share_means_no_call_of_that_kind() -> None:
    draws = TrafficDraws(TrafficModel(group_share=0, outside_share=1), 10)
    assert {draws.kind() for _ in range(1000)} == {CallKind.OUTSIDE}


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"calls_per_line_hour": 0}, "calls_per_line_hour"),
        ({"holding_seconds": -1}, "holding_seconds"),
        ({"duration": 0}, "duration"),
        ({"compression": 0}, "compression"),
        ({"group_share": 1.5}, "group_share"),
        ({"outside_share": -0.1}, "outside_share"),
        ({"group_share": 0.6, "outside_share": 0.6}, "at most 1"),
        ({"feature_code": ""}, "feature_code"),
    ],
)
def test_a_model_that_cannot_be_played_is_refused(
    parameters: dict[str, float], message: str
) -> None:
    with pytest.raises(BadModel, match=message):
        TrafficModel(**parameters)  # type: ignore[arg-type]


def test_draws_need_a_line_to_call_from() -> None:
    with pytest.raises(BadModel, match="no line"):
        TrafficDraws(TrafficModel(), 0)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([3.0, 1.0, 2.0], 50) == 2
    assert percentile([5.0], 99) == 5
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="q"):
        percentile(values, 0)
    shown = spread([0.010, 0.020, 0.030, 1.0])
    assert shown == {
        "count": 4,
        "p50_ms": 20.0,
        "p90_ms": 1000.0,
        "p99_ms": 1000.0,
        "max_ms": 1000.0,
    }
    assert spread([])["p99_ms"] is None


def test_the_tally_counts_calls_failures_and_the_peak_in_progress() -> None:
    tally = LoadTally()
    for _ in range(3):
        tally.placed(CallKind.COLLEAGUE)
    tally.placed(CallKind.OUTSIDE)
    assert tally.in_progress == tally.peak_in_progress == 4
    tally.rang(0.05)
    tally.answer(1.05)
    tally.ended(CallKind.COLLEAGUE, answered=True, cause=None)
    tally.ended(CallKind.OUTSIDE, answered=False, cause=486)
    tally.placed(CallKind.GROUP)  # three in progress again: the peak stays 4
    tally.ended(CallKind.GROUP, answered=False, cause=486)
    tally.ended(CallKind.COLLEAGUE, answered=False, cause=None, cut=True)
    tally.skipped(NotPlaced.FEATURE_CODES_NOT_AVAILABLE, CallKind.FEATURE_CODE)
    tally.late(0.2)
    tally.late(2.5)
    tally.late(0.0)
    shown = tally.view()
    assert shown["late_max_s"] == 2.5 and shown["late_over_1s"] == 1
    assert shown["attempts"] == 5 and shown["answered"] == 1
    assert shown["failed"] == 2 and shown["failed_by_status"] == {"486": 2}
    assert shown["failed_by_kind"] == {"group": 1, "outside": 1}
    assert shown["completed"] == 4 and shown["in_progress"] == 1
    assert shown["peak_in_progress"] == 4 and shown["cut_at_end"] == 1
    assert shown["not_placed"] == {"feature_codes_not_available": 1}
    assert shown["by_kind"] == {"colleague": 3, "feature_code": 1, "group": 1, "outside": 1}
    assert shown["setup_ringing"] == {
        "count": 1,
        "p50_ms": 50.0,
        "p90_ms": 50.0,
        "p99_ms": 50.0,
        "max_ms": 50.0,
    }
