"""The company PBXs in netsim's control API, and their part of netsim's life: at start the
trunks are read and each PBX opened (``simulators.netsim.pbxs``), with each reload of the
fleets they are read again, at the end they are closed. Desks dial through their PBX
(``Netsim.desk_dial``).

- ``GET /pbxs``: each trunk's PBX — trunk name and id, fleet, mode, address, whether netsim
  plays it (else ``problem`` and ``detail``), ``state`` ``up``/``down``, its desks, the OPTIONS
  it answered, the requests it dropped while down;
- ``POST /pbxs/{trunk}/state`` ``{"state": "down"|"up"}`` (``?fleet=ID`` when two fleets have
  a trunk of that name): down, the PBX answers nothing (OPTIONS, calls) until it is up again.

Errors are ``application/problem+json``, mapped by ``control.py``'s one table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from aiohttp import web

from fleet.core.trunks import Trunk
from fleet.services.container import Services
from fleet.services.trunksecrets import SecretKeyError
from fleet.sip.timers import TimerConfig
from fleet.sip.transport_types import Peer
from simulators.http import BadRequest, json_body
from simulators.netsim.control import NETSIM, _errors, _json
from simulators.netsim.handsets import FleetView
from simulators.netsim.pbx import PbxSwitch
from simulators.netsim.pbxs import Pbxs

PBXS = web.AppKey("netsim_pbxs", Pbxs)


async def list_pbxs(request: web.Request) -> web.Response:
    return _json({"pbxs": request.app[PBXS].views()})


async def set_pbx_state(request: web.Request) -> web.Response:
    body = await json_body(request)
    fleet_text = request.query.get("fleet")
    if fleet_text is not None and not fleet_text.isdigit():
        raise BadRequest("invalid_fleet", "fleet: a fleet's id")
    text = body.get("state")
    try:
        switch = PbxSwitch(text) if isinstance(text, str) else None
    except ValueError:
        switch = None
    if switch is None:
        raise BadRequest("invalid_state", "state: one of up, down")
    pbxs = request.app[PBXS]
    fleet_id = int(fleet_text) if fleet_text is not None else None
    pbx = pbxs.find(request.match_info["trunk"], fleet_id)
    pbxs.set_switch(pbx, switch)
    return _json(pbx.view())


class PbxSettings(Protocol):
    """What the PBXs need of netsim's settings (``simulators.netsim.app.NetsimSettings``)."""

    @property
    def fleetpbx(self) -> Peer: ...  # where the desks' calls and the REGISTERs go

    @property
    def sip_host(self) -> str: ...  # where registration-mode PBXs listen

    @property
    def timers(self) -> TimerConfig: ...


def add_pbx_routes(app: web.Application, *, settings: PbxSettings, services: Services) -> None:
    """The PBXs' routes, and their life in ``app``'s cleanup context (after netsim's own)."""

    async def secret_of(trunk: Trunk) -> str | None:
        try:
            sealed = await services.trunks.sealed_secrets(trunk.id)
            return services.trunks.secrets.open(sealed[0].token) if sealed else None
        except SecretKeyError:
            return None

    async def pbxs_alive(app: web.Application) -> AsyncIterator[None]:
        netsim = app[NETSIM]
        pbxs = Pbxs(
            calls=netsim.calls,
            handsets=netsim.handsets,
            fleets=lambda: netsim.view,
            policy=netsim.policy,
            fleetpbx=settings.fleetpbx,
            timers=settings.timers,
            secret_of=secret_of,
            own_host=settings.sip_host,
        )
        load_fleets = netsim.load_fleets

        async def trunks() -> list[Trunk]:
            return [view.trunk for view in await services.trunks.all()]

        async def load_with_trunks() -> FleetView:
            view = await load_fleets()
            await pbxs.sync(await trunks())
            return view

        netsim.load_fleets = load_with_trunks
        app[PBXS] = pbxs
        netsim.desk_dial = pbxs.desk_dial
        try:
            await pbxs.sync(await trunks())
            yield
        finally:
            netsim.desk_dial = None
            netsim.load_fleets = load_fleets
            await pbxs.close()

    app.cleanup_ctx.append(pbxs_alive)
    for method, path, handler in (
        ("GET", "/pbxs", list_pbxs),
        ("POST", "/pbxs/{trunk}/state", set_pbx_state),
    ):
        app.router.add_route(method, path, _errors(handler))
