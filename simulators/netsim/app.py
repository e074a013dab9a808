"""netsim's application: the SIP stack on its port with one user agent (the S-CSCF, the
handsets' side and the media server behind it), the handsets kept in step with the fleets
(read at start, again every ``reload_every`` seconds and on ``POST /reload``), and the HTTP
control API. Resources live in the aiohttp ``cleanup_ctx``; the database's services are built
and given by the composition root (``fleet.cli_netsim``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import structlog
from aiohttp import web

from fleet.core.numbering import E164, NumberPolicy
from fleet.services.container import Services
from fleet.sip.options import OptionsResponder
from fleet.sip.stack import SipStack
from fleet.sip.timers import TimerConfig
from fleet.sip.transport_types import UDP, Peer, TransportConfig
from fleet.sipnet.edge import SipEdge
from simulators.netsim import console
from simulators.netsim.agent import NETSIM_POLICY, NetsimAgent
from simulators.netsim.assembly import assemble
from simulators.netsim.control import NETSIM, SIP_PORT, add_routes
from simulators.netsim.following import ChangeFollower, following
from simulators.netsim.handset import Answering, Behaviour
from simulators.netsim.handsets import FleetView
from simulators.netsim.incall_control import add_incall_routes
from simulators.netsim.load_control import add_load_routes
from simulators.netsim.pbx_control import add_pbx_routes
from simulators.netsim.smsc_gateway import SmscSettings
from simulators.netsim.ussd import add_ussd_routes
from simulators.netsim.voicemail import DEFAULT_MESSAGE_SECONDS

log = structlog.get_logger("simulators.netsim")

UA_USER = "netsim"


@dataclass(frozen=True, slots=True)
class NetsimSettings:
    fleetpbx: Peer  # FleetPBX's SIP address (its sip_host:sip_port)
    policy: NumberPolicy
    sip_host: str = "127.0.0.1"
    sip_port: int = 5070  # 0: a free one (logged, and in GET /healthz)
    reload_every: float = 30.0  # seconds between reads of the fleets (0: only on demand)
    answer_after: float = 5.0  # the handsets' default behaviour: answer after this long
    announcement_seconds: float = 3.0  # how long the media server plays an announcement
    voicemail: E164 | None = None  # the voicemail platform's number (None: no platform)
    message_seconds: float = DEFAULT_MESSAGE_SECONDS  # a deposit, before the platform hangs up
    timers: TimerConfig = field(default_factory=TimerConfig)
    smsc: SmscSettings | None = None  # the SMSC / USSD gateway FleetPBX binds to (None: none)


SETTINGS = web.AppKey("netsim_settings", NetsimSettings)
SERVICES = web.AppKey("netsim_services", Services)
STACK = web.AppKey("netsim_stack", SipStack)
FOLLOWER = web.AppKey("netsim_follower", ChangeFollower)


def build_netsim_app(*, settings: NetsimSettings, services: Services) -> web.Application:
    app = web.Application()
    app[SETTINGS] = settings
    app[SERVICES] = services
    app.cleanup_ctx.append(_network)
    app.cleanup_ctx.append(_reloading)
    app.cleanup_ctx.append(_following)
    add_routes(app)
    add_ussd_routes(app, smsc=settings.smsc)
    add_pbx_routes(app, settings=settings, services=services)
    console.setup(app, services=services)
    add_incall_routes(app)
    add_load_routes(app)
    return app


async def _network(app: web.Application) -> AsyncIterator[None]:
    settings, services = app[SETTINGS], app[SERVICES]

    async def load() -> FleetView:
        return await FleetView.load(services)

    view = await load()  # before listening: a database that does not answer stops the start
    edge = SipEdge(options=OptionsResponder(policy=NETSIM_POLICY, warn_agent=settings.sip_host))
    stack = SipStack(
        TransportConfig(host=settings.sip_host, port=settings.sip_port, policy=NETSIM_POLICY),
        tu=edge,
        timers=settings.timers,
    )
    await stack.start()
    port = stack.listening[0]
    ua = NetsimAgent(
        stack.scheduler,
        stack.port,
        Peer(UDP, settings.sip_host, port),
        UA_USER,
        timers=settings.timers,
    )
    edge.user = ua
    stack.attach(ua, tu=edge)
    netsim = assemble(
        ua,
        fleetpbx=settings.fleetpbx,
        policy=settings.policy,
        view=view,
        load_fleets=load,
        behaviour=Behaviour(Answering.AFTER, settings.answer_after),
        announcement_seconds=settings.announcement_seconds,
        voicemail=settings.voicemail,
        message_seconds=settings.message_seconds,
    )
    app[NETSIM], app[SIP_PORT], app[STACK] = netsim, port, stack
    console.watch(app, netsim)
    log.info(
        "netsim_listening",
        sip_host=settings.sip_host,
        sip_port=port,
        fleetpbx=f"{settings.fleetpbx.host}:{settings.fleetpbx.port}",
        handsets=len(netsim.handsets),
    )
    try:
        yield
    finally:
        await stack.stop()


async def _following(app: web.Application) -> AsyncIterator[None]:
    """The fleets read again after each burst of changes on the services' hub (FleetPBX's
    own when both run in one process, ``fleetpbx demo``)."""
    async with following(app[SERVICES].changes, app[NETSIM]) as follower:
        app[FOLLOWER] = follower
        yield


async def _reloading(app: web.Application) -> AsyncIterator[None]:
    every = app[SETTINGS].reload_every
    netsim = app[NETSIM]

    async def loop() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                added, left = await netsim.reload()
            except Exception:  # the database away: keep the handsets, try again later
                log.warning("netsim_reload_failed", exc_info=True)
                continue
            if added or left:
                log.info("netsim_fleets_reloaded", added=added, left=left)

    task = asyncio.get_running_loop().create_task(loop()) if every > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
