"""Fleet owners in the composition root (issue 15): on PostgreSQL with the SIP network, the
:class:`~fleet.services.ownership.OwnershipKeeper` takes this process's share of the fleets
(advisory locks on a dedicated connection) and an :class:`~fleet.sipnet.owner_gate.OwnerGate`
between the SIP edge and the user agent redirects the calls of the fleets other processes
own (302 to the owner, 503 when none). On SQLite one process owns every fleet: nothing is
added. The fleets owned show in ``/healthz`` and ``fleetpbx_fleets_owned``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import structlog
from aiohttp import web

from fleet import app_metrics
from fleet.app_keys import DIRECTORY, OWNERS, SETTINGS, SIP_STACK
from fleet.config import NetworkKind, Settings
from fleet.db.engine import is_sqlite
from fleet.db.owners import OwnerLocks
from fleet.services.ownership import OwnershipKeeper
from fleet.sip.message import Request
from fleet.sip.transaction_server import ServerTransaction
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.edge import SipEdge
from fleet.sipnet.owner_gate import OwnerGate
from fleet.sipnet.trunk_gate import TrunkGate

log = structlog.get_logger("fleet.app")


def enabled(settings: Settings) -> bool:
    """Ownership is kept on PostgreSQL (several processes may share it) for SIP calls."""
    return settings.network is NetworkKind.SIP and not is_sqlite(settings.database_url)


def setup(app: web.Application) -> None:
    """Add the fleet owners after the call exchange (its user agent is what the gate
    wraps), when :func:`enabled`."""
    if enabled(app[SETTINGS]):
        app.cleanup_ctx.append(_fleet_owners)


def advertised_uri(settings: Settings, port: int) -> str:
    """This process's SIP address as other processes redirect calls to it."""
    host = settings.sip_advertised_host or settings.sip_host
    if ":" in host:
        host = f"[{host}]"
    return f"sip:{host}:{port}"


def _trunk_fleet(
    agent: object,
) -> Callable[[ServerTransaction, Request], int | None] | None:
    """The fleet of the trunk whose PBX sent an INVITE, from the agent's trunk gate."""
    gate = agent.gate if isinstance(agent, FleetAgent) else None
    if not isinstance(gate, TrunkGate):
        return None
    trunks = gate

    def fleet(transaction: ServerTransaction, request: Request) -> int | None:
        trunk = trunks.trunk_of(transaction, request)
        return trunk.fleet_id if trunk is not None else None

    return fleet


async def _fleet_owners(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    edge = app[SIP_STACK].tu
    assert isinstance(edge, SipEdge) and edge.user is not None, "the SIP exchange first"
    sip_uri = advertised_uri(settings, app[SIP_STACK].listening[0])
    keeper = OwnershipKeeper(
        locks=OwnerLocks(
            url=settings.database_url, process=app[app_metrics.PROCESS], sip_uri=sip_uri
        ),
        interval=settings.owner_interval,
    )
    gate = OwnerGate(
        inner=edge.user,
        owners=lambda: keeper.current,
        fleet_of=app[DIRECTORY].fleet_of,
        policy=settings.number_policy(),
        refresh=keeper.after_next_round,
        retry_after=settings.sip_retry_after,
        trunk_fleet=_trunk_fleet(edge.user),
    )
    edge.user = gate  # before any await: no call passes ungated
    app[OWNERS] = keeper
    keeper.start()
    log.info("fleet_owners_started", sip_uri=sip_uri, interval=settings.owner_interval)
    yield
    edge.user = gate.inner
    await keeper.stop()  # the locks go with the connection
    log.info("fleet_owners_stopped", redirected=gate.redirected, refused=gate.refused)
