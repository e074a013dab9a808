"""The parts of ``/metrics`` that the service tests do not reach: the routing cache's hook
(for the change notifications between processes), a USSD handler that fails, the SIP
overload guard's 503s, and the outbox's count when the database is away."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from featurecodes.ussd import UssdOp, UssdReply, UssdRequest
from fleet.core.numbering import E164
from fleet.metrics import Metrics, ReloadReason
from fleet.metrics_collectors import OutboxCollector, SipCollector
from fleet.sip.overload import ADMIT, Limits, OverloadGuard, Shed
from tests.sip.requests import request

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(metrics: Metrics) -> Samples:
    text = generate_latest(metrics.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def metrics(**kwargs: object) -> Metrics:
    return Metrics(process="0test00001", version="1.2.3", **kwargs)  # type: ignore[arg-type]


def test_cache_hook_counts_reloads_by_reason_and_the_notification_lag() -> None:
    m = metrics()
    m.cache.reloaded(ReloadReason.RECONNECT)
    m.cache.reloaded(ReloadReason.RECONNECT)
    m.cache.reloaded(ReloadReason.COMMAND)
    m.cache.notification_lag(0.003)
    m.cache.notification_lag(-0.0005)  # another host's clock a little ahead: 0
    got = samples(m)
    reloads = "fleetpbx_routing_cache_reloads_total"
    assert got[(reloads, (("reason", "reconnect"),))] == 2
    assert got[(reloads, (("reason", "command"),))] == 1
    assert got[(reloads, (("reason", "startup"),))] == 0
    lag = "fleetpbx_routing_cache_notification_lag_seconds"
    assert got[(f"{lag}_count", ())] == 2
    assert got[(f"{lag}_bucket", (("le", "0.001"),))] == 1
    assert got[(f"{lag}_bucket", (("le", "0.005"),))] == 2
    assert got[(f"{lag}_sum", ())] == pytest.approx(0.003)


def test_cache_hook_refuses_what_is_not_a_reason_or_a_lag_and_counts_nothing() -> None:
    m = metrics()
    with pytest.raises(TypeError, match="ReloadReason"):
        m.cache.reloaded("startup")  # type: ignore[arg-type]
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="finite"):
            m.cache.notification_lag(bad)
    got = samples(m)
    counted = [
        v
        for (n, _), v in got.items()
        if n.startswith("fleetpbx_routing_cache") and not n.endswith("_created")
    ]
    assert counted and sum(counted) == 0


class Failing:
    async def handle(self, request: UssdRequest) -> UssdReply:
        raise RuntimeError("the database went away")


class Answering:
    def __init__(self, reply: UssdReply) -> None:
        self.reply = reply

    async def handle(self, request: UssdRequest) -> UssdReply:
        return self.reply


async def test_a_failing_ussd_handler_is_timed_as_failed_and_its_error_goes_on() -> None:
    ticks = itertools.count(0.0, 0.25)  # each reading of the clock a quarter second later
    m = metrics(monotonic=lambda: next(ticks))
    request = UssdRequest(msisdn=E164("+33611000001"), text="*#21#", op=UssdOp.PSSR_INDICATION)
    with pytest.raises(RuntimeError, match="went away"):
        await m.ussd.observe(Failing()).handle(request)
    menu = UssdReply("1 Renvois", op=UssdOp.USSR_REQUEST)
    assert await m.ussd.observe(Answering(menu)).handle(request) is menu
    got = samples(m)
    duration = "fleetpbx_ussd_request_duration_seconds"
    assert got[(f"{duration}_count", (("result", "failed"),))] == 1
    assert got[(f"{duration}_sum", (("result", "failed"),))] == 0.25
    assert got[(f"{duration}_count", (("result", "menu"),))] == 1
    assert got[(f"{duration}_count", (("result", "final"),))] == 0


class Layer:
    def __init__(self) -> None:
        self.server_transactions = 0


class Stack:
    """What the collector reads of ``SipStack``: its layer's count and its guard."""

    def __init__(self, guard: OverloadGuard, layer: Layer) -> None:
        self.guard = guard
        self.layer = layer


def test_the_overload_guards_503s_and_transactions_are_exported() -> None:
    layer = Layer()
    guard = OverloadGuard(Limits(max_transactions=2), lambda: layer.server_transactions, lambda: 0)
    m = metrics()
    m.register(SipCollector(Stack(guard, layer)))
    layer.server_transactions = 2
    assert guard.admit(request("INVITE")) is ADMIT
    layer.server_transactions = 3  # past the bound: new INVITEs are refused
    assert isinstance(guard.admit(request("INVITE")), Shed)
    assert isinstance(guard.admit(request("INVITE")), Shed)
    got = samples(m)
    assert got[("fleetpbx_sip_server_transactions", ())] == 3
    assert got[("fleetpbx_sip_server_transactions_in_progress", ())] == 3
    assert got[("fleetpbx_sip_overload_shedding", ())] == 1
    assert got[("fleetpbx_sip_invites_shed_total", (("mode", "transaction"),))] == 2
    assert got[("fleetpbx_sip_invites_shed_total", (("mode", "stateless"),))] == 0


async def test_the_outbox_count_is_left_out_while_the_database_is_away_and_reused_briefly() -> None:
    asked: list[str] = []
    away = True
    now = [0.0]

    async def pending() -> int:
        asked.append("pending")
        if away:
            raise OSError("connection refused")
        return 4

    async def dead() -> int:
        return 1

    outbox = OutboxCollector(
        count_pending=pending, count_dead=dead, monotonic=lambda: now[0], max_age=10.0
    )
    m = metrics()
    m.register(outbox)
    await outbox.refresh()
    assert not [n for (n, _) in samples(m) if n.startswith("fleetpbx_sms_outbox")]
    away = False
    await outbox.refresh()
    got = samples(m)
    assert (got[("fleetpbx_sms_outbox_pending", ())], got[("fleetpbx_sms_outbox_dead", ())]) == (
        4,
        1,
    )
    now[0] = 5.0
    await outbox.refresh()  # a second scraper within 10 s: no new query
    assert asked == ["pending", "pending"]
    now[0] = 10.0
    await outbox.refresh()
    assert len(asked) == 3


async def test_the_outbox_count_gives_up_after_its_timeout() -> None:
    async def stuck() -> int:
        await asyncio.Event().wait()
        return 0

    outbox = OutboxCollector(count_pending=stuck, count_dead=stuck, timeout=0.01)
    await outbox.refresh()
    assert list(outbox.collect()) == []
