"""The composition root: settings -> database -> services -> routing cache -> call
exchange (``fleet.exchange``) -> feature codes -> portals -> aiohttp application. The
simulators are imported here (and by the CLI) only. The process's caches (routing cache,
change listener, trunk book, heap settling) are wired in ``fleet.app_caches``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

import structlog
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from featurecodes.handler import FeatureCodeHandler
from featurecodes.notify import Notifier
from fleet import app_caches, app_metrics, app_monitor, app_owners, heap
from fleet.app_health import healthz, index
from fleet.app_keys import (
    CACHE_LOADED,
    CHANGE_FEED,
    CLOCK,
    DIRECTORY,
    ENGINE,
    GATEWAY,
    HEAP,
    NOTIFIER,
    PROCESS_ID,
    RECORDS,
    SCHEMA_HEAD,
    SERVICES,
    SETTINGS,
    SIP_EXCHANGE,
    SIP_STACK,
    TRUNK_BOOK,
)
from fleet.app_sip import build_sip_stack, sip_side
from fleet.config import NetworkKind, Settings
from fleet.core.changes import ChangeEvent, GroupChange, LineChange, MemberChange
from fleet.core.clock import Clock, SystemClock
from fleet.db import migrate
from fleet.db.engine import create_engine, session_factory
from fleet.exchange import Exchange, build_exchange, build_sip_exchange
from fleet.exchange.eventlog import StructlogEvents
from fleet.exchange.ids import CallIds, process_prefix
from fleet.exchange.looptime import LoopTime
from fleet.exchange.records import open_call_records
from fleet.metrics import ReloadReason
from fleet.metrics_collectors import LiveCalls
from fleet.services.base import ServiceContext
from fleet.services.change_notify import ChangeAnnouncer, new_process_id, notifies
from fleet.services.change_stats import ChangeFeedStats
from fleet.services.change_stats import ReloadReason as FeedReload
from fleet.services.container import Services
from fleet.services.passwords import PasswordPool
from fleet.services.trunksecrets import SecretBox
from fleet.sipnet.network import SipNetwork
from portal import setup as portal_setup
from simulators.network import SimulatedNetwork

if TYPE_CHECKING:
    from featurecodes.smpp import UssdGateway

OUTBOX_INTERVAL = 10.0

# the exchange on the simulated network (only the composition root imports the simulators)
EXCHANGE = web.AppKey("exchange", Exchange[SimulatedNetwork])

log = structlog.get_logger("fleet.app")

__all__ = [  # the application keys are read here too (the tests, the CLI)
    "CACHE_LOADED",
    "CLOCK",
    "DIRECTORY",
    "ENGINE",
    "EXCHANGE",
    "GATEWAY",
    "HEAP",
    "NOTIFIER",
    "RECORDS",
    "SCHEMA_HEAD",
    "SERVICES",
    "SETTINGS",
    "SIP_EXCHANGE",
    "SIP_STACK",
    "TRUNK_BOOK",
    "build_app",
    "build_services",
    "healthz",
    "index",
]


def build_services(
    *, engine: AsyncEngine, settings: Settings, clock: Clock, process: str | None = None
) -> Services:
    """The services; on PostgreSQL every change they commit is announced to the other
    processes (``pg_notify`` in its transaction) as sent by ``process``."""
    context = ServiceContext(
        sessions=session_factory(engine),
        clock=clock,
        policy=settings.number_policy(),
        voicemail=settings.voicemail(),
    )
    passwords = PasswordPool(workers=settings.login_workers, queue=settings.login_queue)
    secrets = SecretBox(key=settings.sip_trunk_secret_key)
    services = Services.build(
        context=context,
        passwords=passwords,
        trunk_secrets=secrets,
        barring_default_password=settings.barring_default_password,
    )
    if notifies(settings.database_url):
        ChangeAnnouncer(process=process or new_process_id()).attach_to(services.changes)
    return services


def build_app(
    *,
    settings: Settings,
    clock: Clock | None = None,
    settle_heap: bool = False,
    process: str | None = None,
) -> web.Application:
    """The service. ``settle_heap`` (``fleetpbx serve`` and ``demo``): once the routing
    cache is loaded, freeze the heap so full garbage collections stop scanning it, and keep
    the collector out of every later read of a fleet (``fleet.heap.HeapGuard``).
    ``process``: this process's id (the prefix of its call ids, ``process`` in its logs;
    a new one by default); ``/metrics`` counts into a registry of this application's own."""
    app = web.Application()
    app[SETTINGS] = settings
    app[CLOCK] = clock or SystemClock()
    app[SCHEMA_HEAD] = migrate.head() or ""  # read once: /healthz compares with it
    app[PROCESS_ID] = process or process_prefix()
    app[CHANGE_FEED] = ChangeFeedStats()
    app.cleanup_ctx.append(_database)
    if notifies(settings.database_url):  # before the caches load: nothing is missed
        app.cleanup_ctx.append(app_caches.change_listener)
    app.cleanup_ctx.append(app_caches.routing_cache)
    if settings.network is NetworkKind.SIP:  # the stack first: the exchange's agent runs on it
        app.cleanup_ctx.append(app_caches.trunk_book)
        app.cleanup_ctx.append(_sip)
        app.cleanup_ctx.append(_call_exchange)
        app_owners.setup(app)  # PostgreSQL: one owner process per fleet (issue 15)
    else:
        app.cleanup_ctx.append(_call_exchange)
        if settings.sip_port is not None:
            app.cleanup_ctx.append(_sip)
    app_monitor.setup(app, exchange=_exchange_of)  # issue 16 item 8
    if settings.simulator:  # the demo's (imported then only: the SMSC pulls in aiosmpplib)
        from simulators import http as sim_http

        app.cleanup_ctx.append(_simulator)
        app.cleanup_ctx.append(_smsc_simulator)
        sim_http.routes(app)
    app.cleanup_ctx.append(_feature_codes)
    if settle_heap:
        app[HEAP] = heap.HeapGuard()
        app.cleanup_ctx.append(app_caches.heap_settler)
    portal_setup.setup(
        app,
        key=portal_setup.session_key(settings.session_key),
        secure_cookies=settings.cookie_secure,
        trusted_proxies=settings.trusted_proxies,
        region=settings.numbering_region,
    )
    app.router.add_get("/", index)
    app.router.add_get("/healthz", healthz)
    app_metrics.setup(app, process=app[PROCESS_ID], engine_of=_engine_of)
    feed, cache = app[CHANGE_FEED], app[app_metrics.METRICS].cache
    feed.on_reload = lambda reason: cache.reloaded(FEED_RELOADS[reason])
    feed.on_lag = cache.notification_lag
    return app


FEED_RELOADS = {  # the change listener's reloads, as /metrics counts them
    FeedReload.RECONNECTED: ReloadReason.RECONNECT,
    FeedReload.REQUESTED: ReloadReason.COMMAND,
    FeedReload.TOO_LARGE: ReloadReason.TOO_LARGE,
    FeedReload.UNDECODABLE: ReloadReason.UNDECODABLE,
    FeedReload.NOT_APPLIED: ReloadReason.NOT_APPLIED,
}


def _exchange_of(app: web.Application) -> Exchange[Any]:
    return app.get(SIP_EXCHANGE) or app[EXCHANGE]


def _engine_of(app: web.Application) -> LiveCalls | None:
    exchange = app.get(SIP_EXCHANGE) or app.get(EXCHANGE)
    return exchange.engine if exchange is not None else None


def _rings_again(change: LineChange) -> bool:
    """A line leaving do-not-disturb or its barring of incoming calls (BAIC): as a group
    member it may ring again."""
    before, after = change.before, change.after
    if before is None or after is None:
        return False
    left_dnd = before.dnd and not after.dnd
    return left_dnd or (before.barring_all_incoming and not after.barring_all_incoming)


async def _call_exchange(app: web.Application) -> AsyncIterator[None]:
    """The call engine on the configured network adapter, in real time; call records go to
    the database; call groups hear of their configuration changes (a member connecting
    offers the waiting callers to it)."""
    settings = app[SETTINGS]
    services = app[SERVICES]
    # unique across restarts: a record is stored once under its call's id
    ids = CallIds(prefix=app[app_metrics.PROCESS])
    records = open_call_records(settings=settings, calls=services.calls, owner=ids.prefix)
    recorder = app[app_metrics.METRICS].calls.observe(records)  # counts call attempts
    exchange: Exchange[SimulatedNetwork] | Exchange[SipNetwork]
    if settings.network is NetworkKind.SIP:
        exchange = app[SIP_EXCHANGE] = build_sip_exchange(
            sip=sip_side(settings, app[SIP_STACK], trunks=app[TRUNK_BOOK]),
            time=LoopTime(),
            directory=app[DIRECTORY],
            recorder=recorder,
            policy=settings.number_policy(),
            log=StructlogEvents(),
            new_id=ids,
            voicemail=settings.voicemail(),
        )
        exchange.network.trunks.start()  # the trunks' OPTIONS keepalive
    else:
        exchange = app[EXCHANGE] = build_exchange(
            time=LoopTime(),
            directory=app[DIRECTORY],
            recorder=recorder,
            policy=settings.number_policy(),
            log=StructlogEvents(),
            new_id=ids,
            voicemail=settings.voicemail(),
        )
    app[RECORDS] = records

    async def groups_changed(events: Sequence[ChangeEvent]) -> None:
        for event in events:
            change = event.change
            if isinstance(change, GroupChange | MemberChange):
                exchange.groups.group_changed(change.after, change.group_id)
            elif isinstance(change, LineChange) and _rings_again(change):
                # a member out of do-not-disturb or BAIC may take a caller waiting in its groups
                for group in app[DIRECTORY].groups_of_line(change.fleet_id, change.line_id):
                    exchange.groups.group_changed(group, group.id)

    services.changes.subscribe(groups_changed)
    log.info("call_engine_started", network=settings.network.value)
    yield
    services.changes.unsubscribe(groups_changed)
    if isinstance(exchange.network, SipNetwork):
        exchange.network.trunks.stop()
    await records.close()  # what the database did not take waits in the journal
    log.info(
        "call_engine_stopped",
        calls_up=exchange.engine.active_calls,
        records_left=records.writer.backlog,
    )


async def _sip(app: web.Application) -> AsyncIterator[None]:
    """The SIP stack on ``sip_port`` (UDP and TCP; TLS on ``sip_tls_port``). On the SIP
    network its transaction user is the adapter's edge (``fleet.sipnet.edge``: OPTIONS
    answered here, calls to the adapter's user agent); otherwise it answers OPTIONS and
    refuses the rest (``fleet.sip.options``)."""
    settings = app[SETTINGS]
    stack = build_sip_stack(settings)
    await stack.start()
    app[SIP_STACK] = stack
    port, tls_port = stack.listening
    log.info(
        "sip_listening",
        host=settings.sip_host,
        port=port,
        tls_port=tls_port,
        udp_receive_buffer=stack.transport.udp_receive_buffer,
    )
    yield
    await stack.stop()
    log.info("sip_stopped", transactions_left=len(stack.layer))


async def _simulator(app: web.Application) -> AsyncIterator[None]:
    """The demo's control of the simulated network: a handset per line, over HTTP."""
    from simulators import http as sim_http
    from simulators.live import LiveSimulator

    exchange = app[EXCHANGE]
    live = LiveSimulator(
        network=exchange.network,
        engine=exchange.engine,
        directory=app[DIRECTORY],
        records=app[RECORDS],
    )
    live.sync_handsets()
    app[sim_http.LIVE] = live
    log.info("simulator_ready", handsets=len(live.network.handsets))
    yield


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    app[ENGINE] = engine
    app[SERVICES] = build_services(
        engine=engine, settings=settings, clock=app[CLOCK], process=app[PROCESS_ID]
    )
    portal_setup.attach_services(app, app[SERVICES])
    log.info("database_ready", url=settings.redacted()["database_url"])
    yield
    app[SERVICES].accounts.passwords.close()
    await engine.dispose()


async def _smsc_simulator(app: web.Application) -> AsyncIterator[None]:
    """The SMSC / USSD gateway simulator the demo's service binds to."""
    from simulators import http as sim_http
    from simulators.smsc import SmscSimulator

    settings = app[SETTINGS]
    smsc = SmscSimulator(system_id=settings.smpp_system_id, password=settings.smpp_password)
    await smsc.start()
    app[sim_http.SMSC] = smsc
    log.info("smsc_simulator_ready", port=smsc.port)
    yield
    await smsc.stop()


async def _feature_codes(app: web.Application) -> AsyncIterator[None]:
    """Feature codes over SMPP (bound to the configured SMSC, or the demo's simulator) and
    SMS notifications through the same bind, kept in the outbox while it is down."""
    settings = app[SETTINGS]
    services = app[SERVICES]
    notifier = Notifier(services=services)
    notifier.attach_to(services.changes)
    app[NOTIFIER] = notifier
    port = settings.smpp_port
    if settings.simulator:  # bound to the demo's SMSC simulator
        from simulators import http as sim_http

        port = app[sim_http.SMSC].port
    gateway: UssdGateway | None = None
    flusher: asyncio.Task[None] | None = None
    if port:
        from featurecodes.smpp import UssdGateway  # aiosmpplib: only with a bind

        handler = app[app_metrics.METRICS].ussd.observe(  # timed: USSD latency
            FeatureCodeHandler(
                services=services,
                view=app[DIRECTORY],
                clock=app[CLOCK],
                catalogue=settings.catalogue(),
            )
        )
        gateway = UssdGateway(
            host=settings.smpp_host,
            port=port,
            system_id=settings.smpp_system_id,
            password=settings.smpp_password,
            system_type=settings.smpp_system_type,
            handler=handler,
            number_policy=settings.number_policy(),
        )
        notifier.attach(gateway.sms_sender)
        app[GATEWAY] = gateway
        await gateway.start()
        flusher = asyncio.get_running_loop().create_task(_flush_outbox(gateway, notifier))
        log.info("smpp_started", host=settings.smpp_host, port=port)
    yield
    notifier.detach_from(services.changes)
    await notifier.settled()
    if flusher is not None:
        flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flusher
    if gateway is not None:
        await gateway.stop()


async def _flush_outbox(gateway: UssdGateway, notifier: Notifier) -> None:
    """Whenever the bind is up, send what waits in the outbox (also after a restart)."""
    while True:
        await gateway.wait_bound()
        try:
            await notifier.flush()
        except Exception as exc:  # the database may be away: try again later
            log.warning("outbox_flush_failed", error=repr(exc))
        await asyncio.sleep(OUTBOX_INTERVAL)
