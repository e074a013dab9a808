"""``GET /metrics``: the application's Prometheus registry in the text format, for the
addresses ``metrics_allowed`` names (loopback by default; anyone else gets 403). The
connection's peer is what counts — never ``X-Forwarded-For``: a scraper reaches the
service directly.

:func:`setup` (called by the composition root) makes the application's :class:`Metrics`
at once — the call exchange and the feature codes count through it while they start — and
adds, after every other resource, the collectors that read the components the others made
(the engine, the SIP stack, the SMPP gateway, the call-record writer, the routing cache,
the outbox)."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from fleet.app_keys import DIRECTORY, GATEWAY, OWNERS, RECORDS, SERVICES, SETTINGS, SIP_STACK
from fleet.metrics import Metrics
from fleet.metrics_collectors import (
    CallsCollector,
    LiveCalls,
    OutboxCollector,
    RecordsCollector,
    RoutingCacheCollector,
    SipCollector,
    SmppCollector,
)
from fleet.version import version

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

PROCESS = web.AppKey("process", str)  # this process's id: its call-id prefix, in every log
METRICS = web.AppKey("metrics", Metrics)
OUTBOX_METRICS = web.AppKey("outbox_metrics", OutboxCollector)
METRICS_ALLOWED = web.AppKey("metrics_allowed", tuple[Network, ...])

EngineOf = Callable[[web.Application], LiveCalls | None]


def setup(app: web.Application, *, process: str, engine_of: EngineOf) -> Metrics:
    """The registry, ``/metrics``, and the collectors once the rest has started (call it
    after the other resources are in ``cleanup_ctx``). ``engine_of``: the call engine the
    application made, if any."""
    metrics = Metrics(process=process, version=version())
    app[PROCESS] = process
    app[METRICS] = metrics
    app[METRICS_ALLOWED] = tuple(
        ipaddress.ip_network(n, strict=False) for n in app[SETTINGS].metrics_allowed
    )

    async def collectors(app: web.Application) -> AsyncIterator[None]:
        _watch(app, metrics, engine_of(app))
        yield

    app.cleanup_ctx.append(collectors)
    app.router.add_get("/metrics", metrics_endpoint)
    return metrics


def _watch(app: web.Application, metrics: Metrics, engine: LiveCalls | None) -> None:
    if engine is not None:
        metrics.register(CallsCollector(engine))
    if SIP_STACK in app:
        metrics.register(SipCollector(app[SIP_STACK]))
    if GATEWAY in app:
        metrics.register(SmppCollector(app[GATEWAY]))
    if RECORDS in app:
        metrics.register(RecordsCollector(app[RECORDS].writer))
    if DIRECTORY in app:
        owners = app.get(OWNERS)  # PostgreSQL + SIP: the fleets this process owns
        owned = owners.owned_count if owners is not None else None
        metrics.register(RoutingCacheCollector(app[DIRECTORY], owned=owned))
    outbox = app[SERVICES].outbox
    app[OUTBOX_METRICS] = counts = OutboxCollector(
        count_pending=outbox.count_pending, count_dead=outbox.count_dead
    )
    metrics.register(counts)


async def metrics_endpoint(request: web.Request) -> web.Response:
    """The text format (``CONTENT_TYPE_LATEST``) of every metric, read now."""
    app = request.app
    if not _allowed(request.remote, app[METRICS_ALLOWED]):
        raise web.HTTPForbidden(text="metrics: this address is not in metrics_allowed\n")
    counts = app.get(OUTBOX_METRICS)
    if counts is not None:
        await counts.refresh()
    body = generate_latest(app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _allowed(remote: str | None, networks: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address((remote or "").split("%", 1)[0])
    except ValueError:  # a Unix socket, or no peer: not an address anyone allowed
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)
