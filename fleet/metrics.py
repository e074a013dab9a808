"""The service's Prometheus metrics: one ``CollectorRegistry`` per application, built by
the composition root (no module-level registry, nothing global: two applications in one
process — the tests — each count their own).

Most values are read from the components' own state when Prometheus scrapes
(``fleet.metrics_collectors``); what has no state to read is counted here, through the
ports the components already have, so the engine and the feature codes stay unaware:

- :class:`CallMetrics` wraps the engine's ``Recorder`` port: every call record handed over
  counts one call attempt by outcome and session case;
- :class:`UssdMetrics` wraps the feature codes' ``UssdHandler`` port: the time each USSD
  request takes to answer, by result;
- :class:`CacheMetrics` is the hook the routing cache's loaders call (a full reload and its
  reason, the lag of a change notification).

Every name has the ``fleetpbx_`` prefix, its unit in the name, counters end in ``_total``,
and every label takes its values from an enum (bounded)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.registry import Collector

from featurecodes.ussd import UssdHandler, UssdReply, UssdRequest
from fleet.core.calls.ports import Recorder
from fleet.core.model import CallRecord
from fleet.core.values import CallOutcome, SessionCase

PREFIX = "fleetpbx_"

# USSD answers are awaited by a handset: tens of milliseconds normally, seconds when bad
USSD_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# a change committed in one process, applied in another: milliseconds (target p99 < 50 ms)
LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)


class UssdResult(StrEnum):
    """How a USSD request ended, as its latency is labelled."""

    FINAL = "final"  # a final answer: the dialogue ends
    MENU = "menu"  # a menu: the handset's reply is expected
    REFUSED = "refused"  # the service refused what was dialled (the answer says why)
    FAILED = "failed"  # the handler raised or was cut off (the gateway answers an error text)


class ReloadReason(StrEnum):
    """Why the routing cache was read again from the database, whole."""

    STARTUP = "startup"  # the first load, when the service starts (or the database came)
    RECONNECT = "reconnect"  # the change notifications' connection came back
    COMMAND = "command"  # an operator asked (``fleetpbx cache reload``, a NOTIFY)
    TOO_LARGE = "too_large"  # another process's change too large to send: read again
    UNDECODABLE = "undecodable"  # a notification this version cannot read
    NOT_APPLIED = "not_applied"  # applying a notification failed (the database away)


class CallMetrics:
    """Call attempts by outcome: one per call record (a call through the mobile core
    between two fleet lines is two visits, originating then terminating: two records)."""

    def __init__(self, *, registry: CollectorRegistry) -> None:
        self.attempts = Counter(
            f"{PREFIX}call_attempts",
            "Calls ended (one per call record), by outcome and session case",
            ["outcome", "session_case"],
            registry=registry,
        )
        for outcome in CallOutcome:  # every series exists from the start, at 0
            for case in SessionCase:
                self.attempts.labels(outcome=outcome.value, session_case=case.value)

    def observe(self, recorder: Recorder) -> Recorder:
        """``recorder`` counted: the one to give the engine."""
        return CountingRecorder(inner=recorder, metrics=self)

    def count(self, record: CallRecord) -> None:
        if record.outcome is None:  # the engine records ended calls only; never unlabelled
            raise ValueError(f"call record {record.call_id} has no outcome")
        self.attempts.labels(
            outcome=record.outcome.value, session_case=record.session_case.value
        ).inc()


@dataclass(frozen=True, slots=True, kw_only=True)
class CountingRecorder:
    """The engine's ``Recorder``: counts the record, then hands it on."""

    inner: Recorder
    metrics: CallMetrics

    def record(self, record: CallRecord) -> None:
        self.metrics.count(record)
        self.inner.record(record)


class UssdMetrics:
    def __init__(
        self, *, registry: CollectorRegistry, monotonic: Callable[[], float] = time.perf_counter
    ) -> None:
        self.duration = Histogram(
            f"{PREFIX}ussd_request_duration_seconds",
            "Time to answer a USSD request (the feature-code handler), by result",
            ["result"],
            buckets=USSD_BUCKETS,
            registry=registry,
        )
        for result in UssdResult:
            self.duration.labels(result=result.value)
        self.monotonic = monotonic

    def observe(self, handler: UssdHandler) -> UssdHandler:
        """``handler`` timed: the one to give the gateway."""
        return TimedUssdHandler(inner=handler, metrics=self)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimedUssdHandler:
    """The ``UssdHandler`` port: times the inner handler's answer (a failure or a
    cancellation — the gateway's timeout — counts as ``failed`` and goes on)."""

    inner: UssdHandler
    metrics: UssdMetrics

    async def handle(self, request: UssdRequest) -> UssdReply:
        started = self.metrics.monotonic()
        result = UssdResult.FAILED
        try:
            reply = await self.inner.handle(request)
            result = _result(reply)
            return reply
        finally:
            elapsed = max(0.0, self.metrics.monotonic() - started)
            self.metrics.duration.labels(result=result.value).observe(elapsed)


def _result(reply: UssdReply) -> UssdResult:
    if reply.refused:
        return UssdResult.REFUSED
    return UssdResult.FINAL if reply.final else UssdResult.MENU


class CacheMetrics:
    """The routing cache's hook: the loaders (start-up, and the change notifications
    between processes) say when they read the cache again whole, and how late a change
    notification arrived."""

    def __init__(self, *, registry: CollectorRegistry) -> None:
        self._reloads = Counter(
            f"{PREFIX}routing_cache_reloads",
            "Full reloads of the routing cache from the database, by reason",
            ["reason"],
            registry=registry,
        )
        for reason in ReloadReason:
            self._reloads.labels(reason=reason.value)
        self._lag = Histogram(
            f"{PREFIX}routing_cache_notification_lag_seconds",
            "From a change's commit (in any process) to its notification applied here",
            buckets=LAG_BUCKETS,
            registry=registry,
        )

    def reloaded(self, reason: ReloadReason) -> None:
        if not isinstance(reason, ReloadReason):
            raise TypeError(f"expected a ReloadReason, got {reason!r}")
        self._reloads.labels(reason=reason.value).inc()

    def notification_lag(self, seconds: float) -> None:
        """A change notification was applied ``seconds`` after its commit. A slightly
        negative lag (the clocks of two hosts differ) counts as 0; not a number is refused."""
        if not math.isfinite(seconds):
            raise ValueError(f"a lag is a finite number of seconds, not {seconds!r}")
        self._lag.observe(max(0.0, seconds))


class Metrics:
    """The application's registry and what counts into it. ``process``: this process's
    id (its call-id prefix), ``version``: the package's, both in ``fleetpbx_build_info``."""

    def __init__(
        self,
        *,
        process: str,
        version: str,
        monotonic: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)  # process_*: CPU, memory, file descriptors
        PlatformCollector(registry=self.registry)  # python_info
        GCCollector(registry=self.registry)  # python_gc_*: collections by generation
        self.process = process
        info = Gauge(
            f"{PREFIX}build_info",
            "Always 1: the version and the process id (its call-id prefix)",
            ["version", "process"],
            registry=self.registry,
        )
        info.labels(version=version, process=process).set(1)
        self.calls = CallMetrics(registry=self.registry)
        self.ussd = UssdMetrics(registry=self.registry, monotonic=monotonic)
        self.cache = CacheMetrics(registry=self.registry)

    def register(self, collector: Collector) -> None:
        """Add a collector read at every scrape (``fleet.metrics_collectors``)."""
        self.registry.register(collector)
