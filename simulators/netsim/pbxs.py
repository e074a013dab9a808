"""The company PBXs netsim plays, one per trunk of the fleets (``simulators.netsim.pbx``),
kept in step with the trunks as the database has them (read at start and with each reload of
the fleets).

Where a PBX listens — the choice that makes it work on one machine: FleetPBX sends a trunk's
calls and OPTIONS to the trunk's peer address and knows the PBX's own calls by their source
address (static trunks), so netsim opens a SIP transport of its own **at the trunk's host and
port** (UDP and TCP, as FleetPBX's own; the transport's default port when none is set), and
the PBX sends from there. Give the trunk an address of this host — ``127.0.0.1`` with a port
of its own, or another loopback address (``127.0.0.2``…) — and FleetPBX and netsim meet
there. A trunk netsim cannot play is not played, with an error logged once
(``netsim_pbx_not_played``, its code and what to do) and shown in ``GET /pbxs``:

- ``not_on_this_host``: the host does not resolve, or to no address of this host;
- ``address_in_use``: something else listens there already (FleetPBX itself, another trunk);
- ``tls_not_played``: a TLS trunk (netsim has no certificate to listen with);
- ``registration_without_secret``: a registration-mode trunk whose Digest user or secret
  netsim cannot read (it registers with them);
- ``no_host``: a static trunk without a host.

A registration-mode trunk has no address to meet at: its PBX listens on netsim's own SIP host
(``--sip-host``), a free port, and registers that contact to FleetPBX (``pbx_register``).

A trunk whose address, transport or mode changes is closed and opened again (the switch back
up); a trunk removed is closed; any other change (name, credentials, history) is taken as it
is. The Digest secret is read through the trunk service, which needs FleetPBX's
``sip_trunk_secret_key``: without it a guarded trunk's desks are refused by FleetPBX (a
warning says so)."""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import os
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

import structlog

from fleet.core.numbering import NumberPolicy
from fleet.core.trunks import Trunk, TrunkMode, TrunkTransport
from fleet.sip.options import OptionsResponder
from fleet.sip.stack import SipStack
from fleet.sip.timers import TimerConfig
from fleet.sip.transport_types import DEFAULT_PORTS, Peer, Transport, TransportConfig
from fleet.sipnet.edge import SIPNET_POLICY, SipEdge
from simulators.netsim.handset import Handset, HandsetKind
from simulators.netsim.handsets import FleetView, Handsets
from simulators.netsim.legs import Calls, NetCall
from simulators.netsim.pbx import Pbx, PbxSwitch
from simulators.netsim.pbx_register import PbxAgent, Registration

log = structlog.get_logger("simulators.netsim.pbxs")

PBX_USER = "pbx"
RESOLVE_WITHIN = 5.0


class PbxProblem(StrEnum):
    NOT_ON_THIS_HOST = "not_on_this_host"
    ADDRESS_IN_USE = "address_in_use"
    TLS = "tls_not_played"
    REGISTRATION = "registration_without_secret"
    NO_HOST = "no_host"


class UnknownPbx(LookupError):
    pass


class AmbiguousPbx(LookupError):
    pass


class PbxNotPlayed(Exception):
    pass


@dataclass(frozen=True, slots=True)
class NotPlayed:
    trunk: Trunk
    problem: PbxProblem
    detail: str

    def view(self) -> dict[str, object]:
        trunk = self.trunk
        return {
            "trunk": trunk.name,
            "trunk_id": trunk.id,
            "fleet_id": trunk.fleet_id,
            "mode": trunk.mode.value,
            "address": _address(trunk),
            "played": False,
            "problem": self.problem.value,
            "detail": self.detail,
            "state": None,
            "desks": [],
            "options_answered": 0,
            "requests_dropped": 0,
            "sip_entries": 0,
        }


def _address(trunk: Trunk) -> str | None:
    if trunk.host is None:
        return None
    port = trunk.port or DEFAULT_PORTS[Transport(trunk.transport.value.upper())]
    return f"{trunk.transport.value}:{trunk.host}:{port}"


def listening_address(trunk: Trunk, *, own_host: str) -> Peer | NotPlayed:
    """Where netsim listens to play ``trunk``'s PBX (port 0: a free one), or why it cannot
    (before any socket); a registration-mode trunk's PBX on netsim's ``own_host``."""
    if trunk.transport is TrunkTransport.TLS:
        detail = "a TLS trunk: netsim has no certificate to listen with; use udp or tcp"
        return NotPlayed(trunk, PbxProblem.TLS, detail)
    transport = Transport(trunk.transport.value.upper())
    if trunk.mode is TrunkMode.REGISTRATION:
        return Peer(transport, own_host, 0)
    if trunk.host is None:
        return NotPlayed(trunk, PbxProblem.NO_HOST, "a static trunk without a host")
    return Peer(transport, trunk.host, trunk.port or DEFAULT_PORTS[transport])


def _not_here(trunk: Trunk, why: str) -> NotPlayed:
    detail = (
        f"the trunk's PBX is at {trunk.host}, {why}: give the trunk an address of this host "
        f"for netsim to play it (fleetpbx trunk set {trunk.id} --host 127.0.0.1 --port N)"
    )
    return NotPlayed(trunk, PbxProblem.NOT_ON_THIS_HOST, detail)


async def _resolves(host: str) -> str | None:
    """``host``'s first address (itself when it is one), None when it does not resolve."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        found = await asyncio.wait_for(
            loop.getaddrinfo(host, None, proto=socket.IPPROTO_UDP), RESOLVE_WITHIN
        )
    except (OSError, TimeoutError):
        return None
    return str(found[0][4][0]) if found else None


SecretOf = Callable[[Trunk], Awaitable[str | None]]


@dataclass
class Played:
    pbx: Pbx
    stack: SipStack


class Pbxs:
    """Every trunk's PBX: played (a :class:`Pbx` on a stack of its own) or not (why)."""

    def __init__(
        self,
        *,
        calls: Calls,
        handsets: Handsets,
        fleets: Callable[[], FleetView],
        policy: NumberPolicy,
        fleetpbx: Peer,
        timers: TimerConfig,
        secret_of: SecretOf,
        own_host: str = "127.0.0.1",
    ) -> None:
        self.calls = calls
        self.handsets = handsets
        self.fleets = fleets
        self.policy = policy
        self.fleetpbx = fleetpbx
        self.timers = timers
        self.secret_of = secret_of
        self.own_host = own_host  # netsim's SIP host: where registering PBXs listen
        self.played: dict[int, Played] = {}
        self.not_played: dict[int, NotPlayed] = {}
        self.closed = False  # once closed, a late reload opens nothing

    # -- following the trunks --------------------------------------------------------------

    async def sync(self, trunks: Iterable[Trunk]) -> None:
        if self.closed:
            return
        wanted = {trunk.id: trunk for trunk in trunks}
        for trunk_id, playing in list(self.played.items()):
            trunk = wanted.get(trunk_id)
            if trunk is None or _moved(playing.pbx.trunk, trunk):
                await self._close(trunk_id)
        for trunk_id, not_played in list(self.not_played.items()):
            trunk = wanted.get(trunk_id)
            if trunk is None or _moved(not_played.trunk, trunk):
                del self.not_played[trunk_id]  # tried again below, when it is still there
        for trunk in wanted.values():
            played = self.played.get(trunk.id)
            if played is not None:
                played.pbx.trunk = trunk
                played.pbx.secret = await self._secret(trunk)
            elif trunk.id not in self.not_played:
                await self._open(trunk)

    async def close(self) -> None:
        self.closed = True
        for trunk_id in list(self.played):
            await self._close(trunk_id)

    async def _close(self, trunk_id: int) -> None:
        played = self.played.pop(trunk_id)
        played.pbx.set_switch(PbxSwitch.DOWN)  # nothing more is answered while it stops
        played.pbx.abandon()
        await played.stack.stop()
        log.info("netsim_pbx_closed", trunk=played.pbx.trunk.name, trunk_id=trunk_id)

    async def _open(self, trunk: Trunk) -> None:
        problem = await self._play(trunk)
        if problem is not None:
            self.not_played[trunk.id] = problem
            log.error(
                "netsim_pbx_not_played",
                trunk=trunk.name,
                trunk_id=trunk.id,
                fleet_id=trunk.fleet_id,
                problem=problem.problem.value,
                detail=problem.detail,
            )

    async def _play(self, trunk: Trunk) -> NotPlayed | None:
        address = listening_address(trunk, own_host=self.own_host)
        if isinstance(address, NotPlayed):
            return address
        secret = await self._secret(trunk)
        if trunk.mode is TrunkMode.REGISTRATION and (trunk.username is None or secret is None):
            detail = (
                "a registration-mode trunk registers with its Digest user and secret: netsim "
                "cannot read the secret (give it FleetPBX's sip_trunk_secret_key)"
            )
            return NotPlayed(trunk, PbxProblem.REGISTRATION, detail)
        resolved = await _resolves(address.host)
        if resolved is None:
            return _not_here(trunk, "a name that does not resolve")
        return await self._listen(trunk, Peer(address.transport, resolved, address.port), secret)

    async def _listen(self, trunk: Trunk, address: Peer, secret: str | None) -> NotPlayed | None:
        options = OptionsResponder(policy=SIPNET_POLICY, warn_agent=address.host)
        edge = SipEdge(options=options)
        stack = SipStack(
            TransportConfig(host=address.host, port=address.port, policy=SIPNET_POLICY),
            tu=edge,
            timers=self.timers,
        )
        try:
            await stack.start()
        except OSError as exc:
            await stack.stop()
            if exc.errno == errno.EADDRINUSE:
                detail = f"{address.host}:{address.port} is taken already (by FleetPBX, a trunk…)"
                return NotPlayed(trunk, PbxProblem.ADDRESS_IN_USE, detail)
            return _not_here(trunk, f"not an address of this host ({exc.strerror})")
        address = Peer(address.transport, address.host, stack.listening[0])
        ua = PbxAgent(stack.scheduler, stack.port, address, PBX_USER, timers=self.timers)
        edge.user = ua
        stack.attach(ua, tu=edge)
        fleetpbx = Peer(address.transport, self.fleetpbx.host, self.fleetpbx.port)
        registration: Registration | None = None
        if trunk.mode is TrunkMode.REGISTRATION and trunk.username is not None:
            registration = Registration(
                ua=ua,
                registrar=fleetpbx,
                username=trunk.username,
                secret=lambda: pbx.secret,
                random_bytes=os.urandom,
            )
        pbx = Pbx(
            trunk=trunk,
            ua=ua,
            address=address,
            options=options,
            calls=self.calls,
            handsets=self.handsets,
            fleets=self.fleets,
            policy=self.policy,
            fleetpbx=fleetpbx,
            secret=secret,
            registration=registration,
        )
        stack.transport.screen = pbx.drops
        self.played[trunk.id] = Played(pbx, stack)
        if registration is not None:
            registration.start()
        elif trunk.host != address.host:
            log.warning(
                "netsim_pbx_named",
                trunk=trunk.name,
                detail="FleetPBX knows a static trunk's calls by its address as configured: "
                "the desks' calls are recognised by Digest only",
            )
        log.info(
            "netsim_pbx_listening",
            trunk=trunk.name,
            trunk_id=trunk.id,
            fleet_id=trunk.fleet_id,
            address=f"{address.transport.lower()}:{address.host}:{address.port}",
            desks=len(list(pbx.desk_numbers())),
        )
        return None

    async def _secret(self, trunk: Trunk) -> str | None:
        if trunk.username is None:
            return None
        secret = await self.secret_of(trunk)
        if secret is None:
            log.warning(
                "netsim_pbx_without_secret",
                trunk=trunk.name,
                detail="the trunk has a Digest user but netsim cannot read its secret "
                "(sip_trunk_secret_key, as FleetPBX's): FleetPBX will refuse its desks' calls",
            )
        return secret

    # -- what the control API and the handsets use -----------------------------------------

    def views(self) -> list[dict[str, object]]:
        shown = [p.pbx.view() for p in self.played.values()]
        shown += [n.view() for n in self.not_played.values()]
        return sorted(shown, key=lambda v: (str(v["fleet_id"]), str(v["trunk"])))

    def find(self, name: str, fleet_id: int | None = None) -> Pbx:
        """The played PBX of the trunk ``name`` (of ``fleet_id`` when given)."""
        everyone = [p.pbx.trunk for p in self.played.values()]
        everyone += [n.trunk for n in self.not_played.values()]
        named = [
            t for t in everyone if t.name == name and (fleet_id is None or t.fleet_id == fleet_id)
        ]
        if not named:
            raise UnknownPbx(name)
        if len(named) > 1:
            raise AmbiguousPbx(name)
        (trunk,) = named
        played = self.played.get(trunk.id)
        if played is None:
            raise PbxNotPlayed(self.not_played[trunk.id].detail)
        return played.pbx

    def set_switch(self, pbx: Pbx, switch: PbxSwitch) -> None:
        if pbx.switch is not switch:
            log.info("netsim_pbx_switched", trunk=pbx.trunk.name, state=switch.value)
        pbx.set_switch(switch)

    def desk_dial(self, handset: Handset, dialled: str) -> NetCall | None:
        """A desk's call through its PBX; None for any other handset (and a desk whose PBX
        netsim does not play: its call goes the S-CSCF's way)."""
        if handset.kind is not HandsetKind.FIXED:
            return None
        for played in self.played.values():
            if handset.number in set(played.pbx.desk_numbers()):
                return played.pbx.dial(handset, dialled)
        return None


def _moved(before: Trunk, after: Trunk) -> bool:
    """A change that needs the PBX's socket opened again."""
    return (before.mode, before.host, before.port, before.transport) != (
        after.mode,
        after.host,
        after.port,
        after.transport,
    )
