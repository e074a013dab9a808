"""FleetPBX on SIP exactly as ``fleetpbx serve --network sip`` runs it, for the SIPp matrix
tests: :func:`fleet.app.build_app` started without its HTTP site (database, routing cache,
SIP stack on a free UDP port of 127.0.0.1, the call exchange on it, feature codes bound over
SMPP to an :class:`SmscSimulator` playing the USSD gateway), its B-legs to SIPp playing the
core's side of the handsets. The fleet is configured through the application's services,
whose changes reach the engine through the routing cache as in service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from fleet.app import CACHE_LOADED, SERVICES, SIP_EXCHANGE, SIP_STACK, build_app
from fleet.config import load_settings
from fleet.core.values import Actor, Channel
from fleet.exchange import Exchange
from fleet.services.container import Services
from fleet.sipnet.network import SipNetwork
from simulators.smsc import SmscSimulator
from tests.polling import eventually
from tests.world import World, build_world

SMPP_PASSWORD = "secret"
ACTOR = Actor(name="sipp-matrix", channel=Channel.CLI)


@dataclass(frozen=True)
class Service:
    """The running service: its SIP port, its services and exchange, the USSD gateway."""

    app: web.Application
    smsc: SmscSimulator
    world: World  # the fleet of ``tests.world``, created through the services

    @property
    def port(self) -> int:
        return self.app[SIP_STACK].listening[0]

    @property
    def services(self) -> Services:
        return self.app[SERVICES]

    @property
    def exchange(self) -> Exchange[SipNetwork]:
        return self.app[SIP_EXCHANGE]

    async def ussd(self, msisdn: str, text: str) -> str:
        """``msisdn``'s handset dials ``text``; the answer it shows."""
        return await self.smsc.ussd(msisdn, text)

    async def idle(self) -> None:
        """Wait until no call and no leg is left in the engine and the adapter."""
        exchange = self.exchange
        await eventually(
            lambda: exchange.engine.active_calls == 0 and exchange.network.legs == 0,
            what="every call and leg ended",
        )


@asynccontextmanager
async def sip_service(
    database_url: str, core: int, workdir: Path, *, t1: float = 0.5
) -> AsyncIterator[Service]:
    """The service on ``database_url`` (emptied by the caller's ``engine`` fixture), B-legs to
    127.0.0.1:``core``, RFC 3261 T1 of ``t1`` seconds (timer B is 64·T1), the call-record
    journal in ``workdir``; yields once the routing cache is loaded, the SMPP bind is up and
    the fleet of ``tests.world`` is created."""
    async with SmscSimulator(system_id="fleetpbx", password=SMPP_PASSWORD) as smsc:
        settings = load_settings(
            cli={
                "database_url": database_url,
                "network": "sip",
                "sip_port": 0,
                "sip_core": f"127.0.0.1:{core}",
                "sip_t1": t1,
                "smpp_port": smsc.port,
                "smpp_password": SMPP_PASSWORD,
                "records_journal_dir": str(workdir),
            },
            env={},
        )
        runner = web.AppRunner(build_app(settings=settings), handle_signals=False)
        await runner.setup()
        try:
            app = runner.app
            await eventually(lambda: app[CACHE_LOADED].is_set(), what="routing cache loaded")
            await eventually(lambda: smsc.bound, what="the SMPP bind")
            world = await build_world(app[SERVICES], ACTOR)
            yield Service(app=app, smsc=smsc, world=world)
        finally:
            await runner.cleanup()
