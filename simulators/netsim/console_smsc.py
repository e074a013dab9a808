"""The web console's SMSC section: whether FleetPBX is bound to netsim's SMSC (and its port),
and a switch for each of the SMSC simulator's named misbehaviours, which use the control API
(``POST /smsc/misbehaviours``, :mod:`.smsc_control`). Plain data for the templates; None when
netsim runs without its SMSC."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from simulators.netsim.smsc_control import smsc_view
from simulators.netsim.smsc_gateway import SMSC_GATEWAY
from simulators.smsc import Misbehaviour


@dataclass(frozen=True, slots=True)
class SmscLines:
    bound: bool
    status: str  # bound or not, and the port, in words
    on: tuple[str, ...]  # the misbehaviours switched on
    choices: tuple[tuple[str, str], ...]  # every misbehaviour: (name, label)


def smsc_lines(app: web.Application, t: dict[str, str]) -> SmscLines | None:
    gateway = app.get(SMSC_GATEWAY)
    if gateway is None:
        return None
    view = smsc_view(gateway)
    bound = bool(view["bound"])
    status = t["smsc_bound" if bound else "smsc_unbound"].format(view["port"])
    on = view["misbehaviours"]
    assert isinstance(on, list)
    return SmscLines(
        bound=bound,
        status=status,
        on=tuple(str(name) for name in on),
        choices=tuple((m.value, t[f"misbehaviour_{m.value}"]) for m in Misbehaviour),
    )
