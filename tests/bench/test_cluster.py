"""The pure parts of ``bench/cluster.py``: B's notification lag read from a ``/metrics``
exposition, and a takeover's failed calls split into never answered and cut."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from tests.bench.test_sip_calls import bench_module

cluster_notify = bench_module("_cluster_notify")
cluster_procs = bench_module("_cluster_procs")


def test_the_lag_is_the_count_and_sum_of_the_notification_lag_histogram() -> None:
    registry = CollectorRegistry()
    lag = Histogram("fleetpbx_routing_cache_notification_lag_seconds", "lag", registry=registry)
    other = Histogram("fleetpbx_ussd_request_duration_seconds", "ussd", registry=registry)
    lag.observe(0.003)
    lag.observe(0.010)
    other.observe(5.0)

    count, total = cluster_notify.read_lag(generate_latest(registry).decode())

    assert count == 2
    assert abs(total - 0.013) < 1e-9


def test_an_exposition_without_the_histogram_reads_as_no_lag() -> None:
    assert cluster_notify.read_lag("# nothing here\n") == (0.0, 0.0)


def test_failed_calls_answered_before_the_kill_count_as_cut() -> None:
    # 100 calls: 90 answered, of which 4 lost their BYE; 10 never answered
    assert cluster_procs.split_failed(100, 90, 14) == (10, 4)
    assert cluster_procs.split_failed(100, 100, 0) == (0, 0)
