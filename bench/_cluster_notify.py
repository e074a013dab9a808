"""The notification latency of ``cluster.py``: forwarding changes made one at a time through
process A's REST API, each followed on process B's ``/metrics`` until B has applied it; and the
anchor, a bare ``LISTEN``/``NOTIFY`` round trip between two asyncpg connections.

For each change B's histogram ``fleetpbx_routing_cache_notification_lag_seconds`` grows by one
observation: the growth of its ``_sum`` is the lag B measured for that change (the change staged
in A's transaction → applied to B's caches, wall clocks of one machine), exact whatever the
polling. The wall time from A's request to B's ``/metrics`` showing it is measured as well
(it includes the request to A and the polling, every ``poll`` seconds)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp
import asyncpg  # type: ignore[import-untyped]  # no stubs
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

LAG = "fleetpbx_routing_cache_notification_lag_seconds"
APPLIED_WITHIN_S = 30.0


@dataclass(frozen=True, slots=True)
class Target:
    """A line whose forwarding the bench changes."""

    fleet_id: int
    line_id: int


@dataclass(frozen=True, slots=True)
class Lags:
    """Seconds, one per change: B's measured lag, A's request, A's request → seen on B."""

    on_b: list[float]
    request: list[float]
    seen: list[float]
    merged: int  # polls that found more than one new observation (another notification)


async def lag_totals(http: aiohttp.ClientSession, base: str) -> tuple[float, float]:
    """(count, sum) of B's notification-lag histogram."""
    async with http.get(f"{base}/metrics") as response:
        response.raise_for_status()
        return read_lag(await response.text())


def read_lag(exposition: str) -> tuple[float, float]:
    """(count, sum) of the notification-lag histogram in a Prometheus text exposition;
    (0, 0) when it is not there."""
    count = total = 0.0
    for family in text_string_to_metric_families(exposition):
        if family.name != LAG:
            continue
        for sample in family.samples:
            if sample.name == f"{LAG}_count":
                count = sample.value
            elif sample.name == f"{LAG}_sum":
                total = sample.value
    return count, total


async def login(http: aiohttp.ClientSession, base: str, user: str, password: str) -> str:
    async with http.post(f"{base}/api/login", json={"login": user, "password": password}) as r:
        if r.status != 200:
            raise RuntimeError(f"login on A: {r.status} {await r.text()}")
        token: str = (await r.json())["token"]
        return token


async def changes(
    a: str, b: str, token: str, targets: list[Target], count: int, *, poll: float, first: int = 0
) -> Lags:
    """``count`` unconditional forwardings set through A's API, on ``targets`` in turn (a new
    destination each time, numbered from ``first``), one at a time: the next once B has
    applied the previous."""
    headers = {"Authorization": f"Bearer {token}"}
    on_b: list[float] = []
    request: list[float] = []
    seen: list[float] = []
    merged = 0
    async with aiohttp.ClientSession(headers=headers) as http:
        for index in range(first, first + count):
            target = targets[index % len(targets)]
            before = await lag_totals(http, b)
            path = (
                f"{a}/api/fleets/{target.fleet_id}/lines/{target.line_id}/forwardings/unconditional"
            )
            body = {"destination": f"0145{index:06d}", "active": True}
            sent = time.perf_counter()
            async with http.put(path, json=body) as response:
                if response.status >= 300:
                    raise RuntimeError(f"PUT on A: {response.status} {await response.text()}")
            answered = time.perf_counter()
            while True:
                now = await lag_totals(http, b)
                if now[0] > before[0]:
                    break
                if time.perf_counter() - sent > APPLIED_WITHIN_S:
                    raise RuntimeError(f"change {index} not applied on B in {APPLIED_WITHIN_S} s")
                await asyncio.sleep(poll)
            arrived = time.perf_counter()
            observations = now[0] - before[0]
            merged += observations > 1
            on_b.append((now[1] - before[1]) / observations)
            request.append(answered - sent)
            seen.append(arrived - sent)
    return Lags(on_b, request, seen, merged)


async def notify_round_trips(url: str, count: int) -> list[float]:
    """The anchor: ``SELECT pg_notify(…)`` on one connection (autocommit: its commit
    included) until the notification reaches a listener on another, ``count`` times."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    listener = await asyncpg.connect(dsn)
    sender = await asyncpg.connect(dsn)
    waiting: asyncio.Future[str] | None = None

    def heard(_conn: object, _pid: int, _channel: str, payload: str) -> None:
        if waiting is not None and not waiting.done():
            waiting.set_result(payload)

    try:
        await listener.add_listener("fleetpbx_bench_anchor", heard)
        times: list[float] = []
        for index in range(count):
            waiting = asyncio.get_running_loop().create_future()
            started = time.perf_counter()
            await sender.execute("SELECT pg_notify('fleetpbx_bench_anchor', $1)", str(index))
            if await asyncio.wait_for(waiting, APPLIED_WITHIN_S) != str(index):
                raise RuntimeError("the anchor's notifications arrived out of order")
            times.append(time.perf_counter() - started)
        return times
    finally:
        await sender.close()
        await listener.close()
