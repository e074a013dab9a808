"""``fleetpbx demo``: FleetPBX on SIP and netsim (the network simulator and its console) in
one process and one command, on the demo fleet (``fleet.demo``). FleetPBX's core and media
server are netsim's SIP port; netsim's FleetPBX is FleetPBX's SIP port; both read the same
database through one set of services. ``--in-process`` keeps the earlier demo: the simulated
network inside the service, driven over ``/sim``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from fleet.app import build_app
from fleet.app_keys import SERVICES
from fleet.config import ConfigError, NetworkKind, Settings
from fleet.demo import TRUNK_HOST, TRUNK_PORT, DemoInfo
from fleet.eventloop import new_loop
from fleet.sip.timers import TimerConfig
from fleet.sip.transport_types import UDP, Peer

if TYPE_CHECKING:  # netsim is imported by the demo only, not by every command's parser
    from simulators.netsim.app import NetsimSettings

log = structlog.get_logger("fleet.cli")

FLEETPBX_SIP_PORT = 5060
NETSIM_SIP_PORT = 5070
CONSOLE_PORT = 8070
SMPP_PORT = 2775  # netsim's SMSC / USSD gateway, which FleetPBX binds to
WHITE_ZONE_CELL = "20801000f"  # netsim's white-zone cells (TAC 000f of the home network)
# the demo's voicemail platform (netsim answers there) unless voicemail_number names one
DEMO_VOICEMAIL = "0699999123"


def add_arguments(demo: argparse.ArgumentParser) -> None:
    demo.add_argument("--host", help="the portals' and API's address (127.0.0.1)")
    demo.add_argument("--port", type=int, help="the portals' and API's port (8080)")
    demo.add_argument(
        "--sip-port",
        dest="sip_port",
        type=int,
        help=f"FleetPBX's SIP port, UDP and TCP ({FLEETPBX_SIP_PORT}; 0: a free port)",
    )
    demo.add_argument(
        "--netsim-sip-port",
        type=int,
        default=NETSIM_SIP_PORT,
        help=f"netsim's SIP port ({NETSIM_SIP_PORT}; 0: a free port)",
    )
    demo.add_argument(
        "--console-port",
        type=int,
        default=CONSOLE_PORT,
        help=f"netsim's console and control API ({CONSOLE_PORT}; 0: a free port)",
    )
    demo.add_argument(
        "--smpp-port",
        type=int,
        help=f"netsim's SMSC / USSD gateway, FleetPBX's SMPP peer ({SMPP_PORT}; 0: a free port)",
    )
    demo.add_argument(
        "--answer-after",
        type=float,
        default=5.0,
        help="the handsets answer after this many seconds (5)",
    )
    demo.add_argument(
        "--pbx",
        metavar="HOST:PORT",
        default=f"{TRUNK_HOST}:{TRUNK_PORT}",
        help=f"the company PBX's trunk, when the demo fleet is created ({TRUNK_HOST}:{TRUNK_PORT}"
        ", where netsim plays it)",
    )
    demo.add_argument(
        "--reload-every",
        type=float,
        default=30.0,
        help="seconds between netsim's reads of the fleets, beside the changes it follows (30)",
    )
    demo.add_argument(
        "--seed-only",
        action="store_true",
        help="migrate and seed the demo fleet, then exit (for docker-compose)",
    )
    demo.add_argument(
        "--in-process",
        action="store_true",
        help="the earlier demo: the simulated network inside the service, driven over /sim",
    )


def pbx_address(text: str) -> tuple[str, int]:
    """``--pbx HOST:PORT``; raises ConfigError."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(f"demo: --pbx {text!r}: HOST:PORT, the port 1-65535")
    return host, int(port)


@dataclass(frozen=True, slots=True)
class DemoPorts:
    """The ports of a demo, zeros resolved to free ones before anything starts (FleetPBX must
    know netsim's SIP port and netsim FleetPBX's before either listens)."""

    http: int
    sip: int
    netsim_sip: int
    console: int
    smpp: int


def free_port(host: str) -> int:
    """A port free for both UDP and TCP on ``host`` now (SIP listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
            return port
    raise ConfigError(f"demo: no free port on {host}")


def demo_ports(args: argparse.Namespace, settings: Settings) -> DemoPorts:
    def port(value: int | None, default: int, name: str) -> int:
        chosen = default if value is None else value
        if not 0 <= chosen <= 65535:
            raise ConfigError(f"demo: {name} must be a port (0-65535)")
        return chosen or free_port(settings.sip_host)

    http = settings.port if settings.port else free_port(settings.host)
    return DemoPorts(
        http=http,
        sip=port(args.sip_port, FLEETPBX_SIP_PORT, "--sip-port"),
        netsim_sip=port(args.netsim_sip_port, NETSIM_SIP_PORT, "--netsim-sip-port"),
        console=port(args.console_port, CONSOLE_PORT, "--console-port"),
        smpp=port(args.smpp_port, settings.smpp_port or SMPP_PORT, "--smpp-port"),
    )


def fleetpbx_settings(settings: Settings, ports: DemoPorts) -> Settings:
    """FleetPBX's settings in the demo: on SIP, its core, media server and voicemail
    platform netsim."""
    netsim = f"{settings.sip_host}:{ports.netsim_sip}"
    return dataclasses.replace(
        settings,
        port=ports.http,
        network=NetworkKind.SIP,
        simulator=False,
        sip_port=ports.sip,
        sip_core=netsim,
        sip_media_server=netsim,
        smpp_host=settings.sip_host,
        smpp_port=ports.smpp,
        sip_white_zone_cells=settings.sip_white_zone_cells or (WHITE_ZONE_CELL,),
        voicemail_number=_with_voicemail(settings).voicemail_number,
    )


def _with_voicemail(settings: Settings) -> Settings:
    """The settings with a voicemail platform: the configured one, else the demo's."""
    return dataclasses.replace(
        settings, voicemail_number=settings.voicemail_number or DEMO_VOICEMAIL
    )


def netsim_settings(
    settings: Settings, ports: DemoPorts, *, answer_after: float, reload_every: float
) -> NetsimSettings:
    from simulators.netsim.app import NetsimSettings
    from simulators.netsim.smsc_gateway import SmscSettings

    if answer_after < 0 or reload_every < 0:
        raise ConfigError("demo: --answer-after and --reload-every must be zero or more")
    return NetsimSettings(
        fleetpbx=Peer(UDP, settings.sip_advertised_host or settings.sip_host, ports.sip),
        policy=settings.number_policy(),
        sip_host=settings.sip_host,
        sip_port=ports.netsim_sip,
        answer_after=answer_after,
        reload_every=reload_every,
        timers=TimerConfig(t1=settings.sip_t1, t2=settings.sip_t2, t4=settings.sip_t4),
        voicemail=_with_voicemail(settings).voicemail().number,
        smsc=SmscSettings(
            host=settings.smpp_host,
            port=ports.smpp,
            system_id=settings.smpp_system_id,
            password=settings.smpp_password,
        ),
    )


Banner = Callable[[Settings, DemoPorts, DemoInfo], None]


def run(
    args: argparse.Namespace,
    settings: Settings,
    *,
    prepare: Callable[[Settings], DemoInfo],
    banner: Banner,
    process: str | None = None,
) -> int:
    """Migrate and seed (``prepare``), then serve FleetPBX and netsim until Ctrl-C.
    ``process``: FleetPBX's process id (the prefix of its call ids, as its logs name it)."""
    ports = demo_ports(args, settings)
    service = fleetpbx_settings(settings, ports)
    network = netsim_settings(
        service, ports, answer_after=args.answer_after, reload_every=args.reload_every
    )
    info = prepare(service)
    loop, loop_name = new_loop()
    try:
        loop.run_until_complete(
            _serve(
                service, network, ports, loop_name, lambda: banner(service, ports, info), process
            )
        )
    finally:
        loop.close()
    return 0


async def _serve(
    service: Settings,
    network: NetsimSettings,
    ports: DemoPorts,
    loop_name: str,
    banner: Callable[[], None],
    process: str | None,
) -> None:
    from simulators.netsim.app import build_netsim_app
    from simulators.netsim.control import SIP_PORT

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    app = build_app(settings=service, settle_heap=True, process=process)
    fleetpbx = web.AppRunner(app, access_log=None)
    await fleetpbx.setup()  # the database, the routing cache, SIP, feature codes
    try:
        await web.TCPSite(fleetpbx, service.host, ports.http).start()
        netsim_app = build_netsim_app(settings=network, services=fleetpbx.app[SERVICES])
        netsim = web.AppRunner(netsim_app, access_log=None)
        await netsim.setup()
        try:
            await web.TCPSite(netsim, service.host, ports.console).start()
            log.info(
                "demo_serving",
                http=ports.http,
                sip=ports.sip,
                netsim_sip=netsim_app[SIP_PORT],
                console=ports.console,
                event_loop=loop_name,
            )
            banner()
            await stop.wait()
        finally:
            await netsim.cleanup()
    finally:
        await fleetpbx.cleanup()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
