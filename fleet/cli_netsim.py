"""``fleetpbx netsim``: the network simulator as a process of its own (``simulators.netsim``)
in front of ``fleetpbx serve --network sip``; this composes it: the database's services from
the settings (``--database-url``…, the same fleets as FleetPBX), netsim's own options, its
HTTP control API served on ``--control-port``."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from aiohttp import web

from fleet.app import build_services
from fleet.config import ConfigError, Settings
from fleet.core.clock import SystemClock
from fleet.db.engine import create_engine
from fleet.eventloop import new_loop
from fleet.exchange.ids import process_prefix
from fleet.services.change_listen import ChangeListener, ProcessCaches
from fleet.services.change_notify import notifies
from fleet.services.change_stats import ChangeFeedStats
from fleet.services.container import Services
from fleet.sip.timers import TimerConfig
from fleet.sipnet.edge import core_peer
from simulators.netsim.load_args import add_load_arguments

if TYPE_CHECKING:  # netsim itself is imported by the command only, not by every command's parser
    from simulators.netsim.app import NetsimSettings
    from simulators.netsim.smsc_gateway import SmscSettings

SMPP_PORT = 2775  # SMPP's registered port: netsim's SMSC when nothing else is said

log = structlog.get_logger("fleet.cli")


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    netsim = sub.add_parser(
        "netsim",
        parents=[common],
        help="the network simulator (IMS core, handsets, media server) over SIP",
    )
    netsim.add_argument(
        "--fleetpbx",
        help="FleetPBX's SIP address host:port (default: the settings' sip_host:sip_port)",
    )
    netsim.add_argument(
        "--sip-host",
        dest="netsim_sip_host",
        metavar="HOST",
        default="127.0.0.1",
        help="netsim's SIP address: FleetPBX's sip_core and sip_media_server (127.0.0.1)",
    )
    netsim.add_argument(
        "--sip-port",
        dest="netsim_sip_port",
        metavar="PORT",
        type=int,
        default=5070,
        help="netsim's SIP port, UDP and TCP (5070; 0: a free port, logged)",
    )
    netsim.add_argument(
        "--control-host", default="127.0.0.1", help="the control API's address (127.0.0.1)"
    )
    netsim.add_argument(
        "--control-port", type=int, default=8070, help="the control API's port (8070)"
    )
    netsim.add_argument(
        "--reload-every", type=float, default=30.0, help="seconds between reads of the fleets"
    )
    netsim.add_argument(
        "--answer-after", type=float, default=5.0, help="handsets answer after this long"
    )
    netsim.add_argument(
        "--announcement-seconds",
        type=float,
        default=3.0,
        help="how long the media server plays an announcement",
    )
    add_smsc_options(netsim)
    add_load_arguments(netsim)


def netsim_settings(args: argparse.Namespace, settings: Settings) -> NetsimSettings:
    """netsim's settings from its options and FleetPBX's settings; raises ConfigError."""
    from simulators.netsim.app import NetsimSettings

    target = args.fleetpbx
    if not target:
        if settings.sip_port is None:
            raise ConfigError("netsim: --fleetpbx host:port, or sip_port in the settings")
        target = f"{settings.sip_advertised_host or settings.sip_host}:{settings.sip_port}"
    try:
        fleetpbx = core_peer(target)
    except ValueError as exc:
        raise ConfigError(f"netsim: --fleetpbx: {exc}") from None
    for name in ("reload_every", "answer_after", "announcement_seconds"):
        if getattr(args, name) < 0:
            raise ConfigError(f"netsim: --{name.replace('_', '-')} must be zero or more")
    return NetsimSettings(
        fleetpbx=fleetpbx,
        policy=settings.number_policy(),
        sip_host=args.netsim_sip_host,
        sip_port=args.netsim_sip_port,
        reload_every=args.reload_every,
        answer_after=args.answer_after,
        announcement_seconds=args.announcement_seconds,
        timers=TimerConfig(t1=settings.sip_t1, t2=settings.sip_t2, t4=settings.sip_t4),
        voicemail=settings.voicemail().number,
        smsc=smsc_settings(args, settings),
    )


def add_smsc_options(netsim: argparse.ArgumentParser) -> None:
    netsim.add_argument(
        "--smpp-host",
        dest="netsim_smpp_host",
        metavar="HOST",
        help="the SMSC's address FleetPBX binds to (default: the settings' smpp_host)",
    )
    netsim.add_argument(
        "--smpp-port",
        dest="netsim_smpp_port",
        metavar="PORT",
        type=int,
        help="the SMSC's SMPP port (default: the settings' smpp_port, else 2775; 0: a free one)",
    )
    netsim.add_argument(
        "--no-smpp",
        dest="netsim_no_smpp",
        action="store_true",
        help="run without the SMSC / USSD gateway",
    )


def smsc_settings(args: argparse.Namespace, settings: Settings) -> SmscSettings | None:
    """The SMSC's settings: FleetPBX's credentials (it binds with them), the port given or
    the settings' smpp_port (2775 when none); None with --no-smpp. Raises ConfigError."""
    from simulators.netsim.smsc_gateway import SmscSettings

    if args.netsim_no_smpp:
        return None
    port = args.netsim_smpp_port
    if port is None:
        port = settings.smpp_port or SMPP_PORT
    if not 0 <= port <= 65535:
        raise ConfigError("netsim: --smpp-port must be between 0 and 65535")
    return SmscSettings(
        host=args.netsim_smpp_host or settings.smpp_host,
        port=port,
        system_id=settings.smpp_system_id,
        password=settings.smpp_password,
    )


def _listening(url: str, services: Services) -> Callable[[web.Application], AsyncIterator[None]]:
    """The changes other processes commit (PostgreSQL NOTIFY, ``fleet.services.change_listen``)
    published on netsim's hub, so that netsim follows the fleets as they change; a reload the
    listener asks for (its connection back, a change too large to tell) reads the fleets again."""

    from simulators.netsim.app import FOLLOWER

    async def listening(app: web.Application) -> AsyncIterator[None]:
        stats = ChangeFeedStats(on_reload=lambda _reason: app[FOLLOWER].wake())
        listener = ChangeListener(
            url=url,
            process=process_prefix(),
            hub=services.changes,
            caches=ProcessCaches(accounts=services.accounts),
            stats=stats,
        )
        await listener.start()
        yield
        await listener.stop()

    return listening


def run(args: argparse.Namespace, settings: Settings) -> int:
    from simulators.netsim.app import build_netsim_app
    from simulators.netsim.load_control import load_options_of, serve_and_load
    from simulators.netsim.load_model import BadModel

    netsim = netsim_settings(args, settings)
    try:
        load = load_options_of(args) if args.load else None
    except BadModel as exc:
        raise ConfigError(f"netsim: --load: {exc}") from None
    engine = create_engine(settings.database_url, pool_size=2)
    services = build_services(engine=engine, settings=settings, clock=SystemClock())
    app = build_netsim_app(settings=netsim, services=services)

    async def database(_app: web.Application) -> AsyncIterator[None]:
        yield
        services.accounts.passwords.close()
        await engine.dispose()

    app.cleanup_ctx.insert(0, database)
    if notifies(settings.database_url):  # PostgreSQL: FleetPBX's changes, as they commit
        app.cleanup_ctx.append(_listening(settings.database_url, services))
    loop, loop_name = new_loop()
    log.info("netsim_serving", host=args.control_host, port=args.control_port, event_loop=loop_name)
    if load is not None:  # one load run, then exit
        place = serve_and_load(app, host=args.control_host, port=args.control_port, options=load)
        summary = loop.run_until_complete(place)
        loop.close()
        if args.load_summary:
            Path(args.load_summary).write_text(json.dumps(summary, indent=1))
        return 0
    web.run_app(
        app,
        host=args.control_host,
        port=args.control_port,
        print=None,
        access_log=None,
        loop=loop,
    )
    return 0
