"""Collectors read at every scrape: each takes what a component already keeps (the
engine's live calls, the SIP stack's transactions and its overload guard's counts, the
SMPP gateway's bind and counters, the call-record writer's backlog, the routing cache) and
turns it into Prometheus samples. Nothing here runs on a hot path: a scrape costs a few
attribute reads. The components are given as the small protocols below, so the
collectors hold no framework and the tests can give them anything alike."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

import structlog
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from fleet.metrics import PREFIX
from fleet.services.recording import WriterHealth

log = structlog.get_logger("fleet.metrics")

OUTBOX_TIMEOUT = 2.0  # a scrape does not wait longer for the outbox's count
OUTBOX_MAX_AGE = 10.0  # seconds a count is reused (several scrapers, one query)


class LiveCalls(Protocol):
    """The call engine, as it is read (``fleet.core.calls.engine.Engine``)."""

    @property
    def active_calls(self) -> int: ...

    @property
    def faults(self) -> int: ...


class CallsCollector:
    def __init__(self, engine: LiveCalls) -> None:
        self._engine = engine

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            f"{PREFIX}calls_in_progress",
            "Calls the engine holds now (ringing, answered, queued, in conference)",
            value=self._engine.active_calls,
        )
        yield CounterMetricFamily(
            f"{PREFIX}call_faults",
            "Calls ended by an internal error of the engine",
            value=self._engine.faults,
        )


class Guard(Protocol):
    """The SIP stack's overload guard (``fleet.sip.overload.OverloadGuard``)."""

    @property
    def in_flight(self) -> int: ...

    @property
    def refusing(self) -> bool: ...

    shed: int
    stateless: int


class Layer(Protocol):
    @property
    def server_transactions(self) -> int: ...


class Stack(Protocol):
    """The SIP stack (``fleet.sip.stack.SipStack``)."""

    @property
    def layer(self) -> Layer: ...

    @property
    def guard(self) -> Guard | None: ...


class SipCollector:
    def __init__(self, stack: Stack) -> None:
        self._stack = stack

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            f"{PREFIX}sip_server_transactions",
            "SIP server transactions alive (answered ones waiting for their timers included)",
            value=self._stack.layer.server_transactions,
        )
        guard = self._stack.guard
        if guard is None:
            return
        yield GaugeMetricFamily(
            f"{PREFIX}sip_server_transactions_in_progress",
            "SIP server transactions not yet answered with a final response (overload control)",
            value=guard.in_flight,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}sip_overload_shedding",
            "1 while overload control refuses new INVITEs, else 0",
            value=int(guard.refusing),
        )
        shed = CounterMetricFamily(
            f"{PREFIX}sip_invites_shed",
            "New INVITEs refused 503 by overload control, by how",
            labels=["mode"],
        )
        shed.add_metric(["stateless"], guard.stateless)
        shed.add_metric(["transaction"], guard.shed - guard.stateless)
        yield shed


class GatewayStats(Protocol):
    """``featurecodes.smpp.GatewayStats``."""

    binds: int
    bind_failures: int
    ussd_requests: int
    ussd_answers: int
    ussd_answers_lost: int
    throttled: int
    sms_sent: int


class Gateway(Protocol):
    """The USSD gateway (``featurecodes.smpp.UssdGateway``)."""

    @property
    def bound(self) -> bool: ...

    @property
    def requests_in_flight(self) -> int: ...

    @property
    def stats(self) -> GatewayStats: ...


class SmppCollector:
    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway

    def collect(self) -> Iterable[Metric]:
        gateway, stats = self._gateway, self._gateway.stats
        yield GaugeMetricFamily(
            f"{PREFIX}smpp_bound",
            "1 while the transceiver bind to the SMSC / USSD gateway is up, else 0",
            value=int(gateway.bound),
        )
        binds = CounterMetricFamily(
            f"{PREFIX}smpp_binds", "Bind attempts to the SMSC, by result", labels=["result"]
        )
        binds.add_metric(["bound"], stats.binds)
        binds.add_metric(["failed"], stats.bind_failures)
        yield binds
        yield CounterMetricFamily(
            f"{PREFIX}ussd_requests",
            "USSD requests taken from the SMSC (each one a USSD transaction)",
            value=stats.ussd_requests,
        )
        answers = CounterMetricFamily(
            f"{PREFIX}ussd_answers",
            "USSD answers, by whether the SMSC took them",
            labels=["result"],
        )
        answers.add_metric(["sent"], stats.ussd_answers)
        answers.add_metric(["lost"], stats.ussd_answers_lost)
        yield answers
        yield CounterMetricFamily(
            f"{PREFIX}ussd_throttled",
            "USSD requests answered ESME_RTHROTTLED (too many in flight)",
            value=stats.throttled,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}ussd_requests_in_flight",
            "USSD requests being answered now",
            value=gateway.requests_in_flight,
        )
        yield CounterMetricFamily(
            f"{PREFIX}sms_sent", "SMS submitted to the SMSC and accepted", value=stats.sms_sent
        )


class RecordWriterHealth(Protocol):
    def health(self) -> WriterHealth: ...


class RecordsCollector:
    """The call records' backlog, as ``/healthz`` shows it."""

    def __init__(self, writer: RecordWriterHealth) -> None:
        self._writer = writer

    def collect(self) -> Iterable[Metric]:
        health = self._writer.health()
        yield GaugeMetricFamily(
            f"{PREFIX}call_records_backlog",
            "Call records ended and not in the database yet (in the journal, refused included)",
            value=health.backlog,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}call_records_refused",
            "Call records the database refused, kept in the journal and retried apart",
            value=health.parked,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}call_records_writer_failing",
            "1 while the last attempt to write call records to the database failed",
            value=int(health.failing),
        )
        yield GaugeMetricFamily(
            f"{PREFIX}call_records_journal_failing",
            "1 while the call-record journal cannot be written",
            value=int(health.journal_failing),
        )


class RoutingCache(Protocol):
    """The routing cache (``fleet.services.directory.CachedDirectory``)."""

    @property
    def fleet_count(self) -> int: ...

    loaded: bool
    fleet_loads: int


class RoutingCacheCollector:
    """The routing cache, and the fleets this process owns: ``owned`` (PostgreSQL with
    SIP, ``fleet.app_owners``), else every fleet it serves (one process owns them all)."""

    def __init__(self, cache: RoutingCache, *, owned: Callable[[], int] | None = None) -> None:
        self._cache = cache
        self._owned = owned

    def collect(self) -> Iterable[Metric]:
        cache = self._cache
        yield GaugeMetricFamily(
            f"{PREFIX}routing_cache_loaded",
            "1 once every fleet has been loaded into the routing cache, else 0",
            value=int(cache.loaded),
        )
        yield CounterMetricFamily(
            f"{PREFIX}routing_cache_fleet_loads",
            "Fleets read into the routing cache (at start, and again when a change needs it)",
            value=cache.fleet_loads,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}fleets_owned",
            "Fleets whose calls this process decides (owns)",
            value=cache.fleet_count if self._owned is None else self._owned(),
        )


class OutboxCollector:
    """The SMS outbox's waiting and given-up messages: a database count, so it is taken
    by :meth:`refresh` (the ``/metrics`` handler awaits it before the scrape, at most every
    ``max_age`` seconds) and only read by :meth:`collect`. When the count could not be
    taken the samples are left out rather than shown stale."""

    def __init__(
        self,
        *,
        count_pending: Callable[[], Awaitable[int]],
        count_dead: Callable[[], Awaitable[int]],
        monotonic: Callable[[], float] = time.monotonic,
        max_age: float = OUTBOX_MAX_AGE,
        timeout: float = OUTBOX_TIMEOUT,
    ) -> None:
        self._count_pending = count_pending
        self._count_dead = count_dead
        self._monotonic = monotonic
        self._max_age = max_age
        self._timeout = timeout
        self._counts: tuple[int, int] | None = None
        self._taken_at: float | None = None

    async def refresh(self) -> None:
        now = self._monotonic()
        if self._taken_at is not None and now - self._taken_at < self._max_age:
            return
        try:
            async with asyncio.timeout(self._timeout):
                counts = (await self._count_pending(), await self._count_dead())
        except Exception as exc:  # the database is away: no sample rather than a stale one
            log.warning("metrics_outbox_not_counted", error=repr(exc))
            self._counts, self._taken_at = None, None
            return
        self._counts, self._taken_at = counts, now

    def collect(self) -> Iterable[Metric]:
        if self._counts is None:
            return
        pending, dead = self._counts
        yield GaugeMetricFamily(
            f"{PREFIX}sms_outbox_pending",
            "SMS notifications waiting in the outbox to be sent",
            value=pending,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}sms_outbox_dead",
            "SMS notifications given up (dead letters)",
            value=dead,
        )
