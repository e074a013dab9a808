"""netsim's control API for its SMSC (:mod:`.smsc_gateway`): ``GET /smsc`` tells whether
FleetPBX is bound, the SMSC's port and which of the simulator's named misbehaviours
(:class:`simulators.smsc.Misbehaviour`) are on; ``POST /smsc/misbehaviours``
``{"name": "drop_connection", "on": true}`` switches one on or off at run time — FleetPBX
then meets an SMSC that drops its binds, never answers a ``submit_sm``, unbinds, answers
late, or sends corrupt or partial PDUs. Thin handlers; errors through ``control.py``'s table
(an unknown name: ``unknown_misbehaviour``, 400; netsim without its SMSC: ``smsc_off``)."""

from __future__ import annotations

import structlog
from aiohttp import web

from simulators.http import BadRequest, json_body
from simulators.netsim.control import _errors, _field, _json
from simulators.netsim.smsc_gateway import UssdGatewaySim, gateway_of
from simulators.smsc import Misbehaviour

log = structlog.get_logger("simulators.netsim.smsc")


def smsc_view(gateway: UssdGatewaySim) -> dict[str, object]:
    smsc = gateway.smsc
    return {
        "bound": smsc.bound,
        "port": smsc.port,
        "binds": smsc.binds,
        "misbehaviours": sorted(m.value for m in smsc.misbehaviours),
        "available": [m.value for m in Misbehaviour],
    }


def misbehaviour_named(name: str) -> Misbehaviour:
    try:
        return Misbehaviour(name)
    except ValueError:
        choices = ", ".join(m.value for m in Misbehaviour)
        raise BadRequest("unknown_misbehaviour", f"name: one of {choices}") from None


async def show(request: web.Request) -> web.Response:
    return _json(smsc_view(gateway_of(request.app)))


async def switch(request: web.Request) -> web.Response:
    body = await json_body(request)
    gateway = gateway_of(request.app)
    misbehaviour = misbehaviour_named(_field(body, "name"))
    on = body.get("on")
    if not isinstance(on, bool):
        raise BadRequest("invalid_field", "on: true or false")
    if on:
        gateway.smsc.misbehave(misbehaviour)
    else:
        gateway.smsc.behave(misbehaviour)
    gateway.smsc_changed()
    log.info("netsim_smsc_misbehaviour", name=misbehaviour.value, on=on)
    return _json(smsc_view(gateway))


def add_smsc_routes(app: web.Application) -> None:
    app.router.add_get("/smsc", _errors(show))
    app.router.add_post("/smsc/misbehaviours", _errors(switch))
