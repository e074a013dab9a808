"""netsim's control API for USSD and SMS (JSON), next to ``control.py``'s: a handset answers
the menu it shows (``POST /ussd/reply``) and reads its SMS (``GET /handsets/{n}/sms``); a
USSD string given to ``POST /dial`` goes through :mod:`simulators.netsim.smsc_gateway`; the
SMSC's state and misbehaviours are switched through :mod:`simulators.netsim.smsc_control`.
:func:`add_ussd_routes` also puts the SMSC in the ``cleanup_ctx`` (unless it is off), with
the handsets' view showing their USSD screen and latest SMS."""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from simulators.http import json_body
from simulators.netsim.control import NETSIM, _errors, _field, _json
from simulators.netsim.handset import Handset
from simulators.netsim.hub import Change, Topic
from simulators.netsim.load_control import LOADS
from simulators.netsim.load_runner import FeatureDialler
from simulators.netsim.smsc_control import add_smsc_routes
from simulators.netsim.smsc_gateway import (
    SmscSettings,
    UssdError,
    UssdGatewaySim,
    gateway_of,
    reply_text,
    sms_view,
    smsc_resource,
)


async def reply(request: web.Request) -> web.Response:
    body = await json_body(request)
    netsim = request.app[NETSIM]
    handset = netsim.handset(_field(body, "number"))
    text = reply_text(body.get("text"))
    screen = await gateway_of(request.app).reply(handset, text)
    return _json({"number": handset.national, "ussd": screen.view()})


async def inbox(request: web.Request) -> web.Response:
    handset = request.app[NETSIM].handset(request.match_info["number"])
    messages = gateway_of(request.app).inbox(handset)
    return _json({"number": handset.national, "sms": [sms_view(m) for m in messages]})


def _attach(app: web.Application, gateway: UssdGatewaySim) -> None:
    netsim = app[NETSIM]
    netsim.views.append(gateway.handset_view)

    def changed(number: str) -> None:  # a USSD screen or an inbox: the console is told
        if netsim.hub is not None:
            netsim.hub.handset(number)

    def smsc_changed() -> None:  # its bind or its misbehaviours: the console is told
        if netsim.hub is not None:
            netsim.hub.publish(Change(Topic.SMSC))

    gateway.changed = changed
    gateway.smsc.on_inbox.append(changed)
    gateway.smsc_changed = smsc_changed
    gateway.smsc.on_link.append(smsc_changed)
    if LOADS in app:  # the load's feature codes go as USSD through this gateway
        app[LOADS].feature_codes = load_dialler(gateway)


def load_dialler(gateway: UssdGatewaySim) -> FeatureDialler:
    """The load's way of dialling a feature code: a USSD dialogue of its own (its outcome,
    shown on the handset's screen, is not waited for; a handset still waiting for an answer
    drops the new one)."""
    dialogues: set[asyncio.Task[None]] = set()

    async def dialogue(handset: Handset, code: str) -> None:
        with contextlib.suppress(UssdError):
            await gateway.dial(handset, code)

    def dial(handset: Handset, code: str) -> None:
        task = asyncio.get_running_loop().create_task(dialogue(handset, code))
        dialogues.add(task)
        task.add_done_callback(dialogues.discard)

    return dial


def add_ussd_routes(app: web.Application, *, smsc: SmscSettings | None) -> None:
    """The USSD and SMS routes, and the SMSC (``smsc``; None: netsim runs without one, and
    USSD requests are refused ``smsc_off``). After netsim's own ``cleanup_ctx`` entries."""
    if smsc is not None:
        app.cleanup_ctx.append(smsc_resource(smsc, attach=_attach))
    app.router.add_post("/ussd/reply", _errors(reply))
    app.router.add_get("/handsets/{number}/sms", _errors(inbox))
    add_smsc_routes(app)  # GET /smsc, POST /smsc/misbehaviours
