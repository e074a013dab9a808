"""The SIP side of the trunks to the companies' PBXs (DESIGN §8, trunk profile), composed:
where a B-leg to a fixed number goes (:class:`TrunkRouter`), what comes from the PBXs
(:class:`fleet.sipnet.trunk_gate.TrunkGate`: REGISTER, challenged INVITEs), where
registration-mode PBXs are (:class:`fleet.sipnet.registrations.Registrations`) and the OPTIONS
keepalive (:class:`fleet.sipnet.keepalive.TrunkKeepalive`).

A B-leg whose ``LegRequest.trunk`` names a trunk of the call's fleet goes to that trunk's PBX
(a static trunk's host, port and transport; a registration-mode trunk's registered contact)
as ``sip:<+E164>@<host>;user=phone``, with the identity headers of any B-leg
(:mod:`fleet.sipnet.parties`) and the diversion history the trunk's ``HistoryStyle`` asks for
(Diversion, History-Info or both: :mod:`fleet.sipnet.history`). A 401/407 from the PBX is
answered once with the trunk's credentials (:class:`fleet.sip.digest_client.DigestClient`).
A trunk unknown, out of service, or registration-mode without a contact is not reachable: the
leg is not sent."""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from fleet.core.calls.ports import Directory, EventLog, LegRequest, no_log
from fleet.core.numbering import NumberPolicy
from fleet.core.trunks import Trunk, TrunkMode, TrunkState
from fleet.sip.digest_client import DigestClient, UserSecret
from fleet.sip.message import Response
from fleet.sip.transaction_ports import Scheduler
from fleet.sip.transport_types import DEFAULT_PORTS, Peer, Transport
from fleet.sip.ua_calls import IncomingCall, OutgoingCall
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.history import DIVERSION, HISTORY_INFO, diversion_headers
from fleet.sipnet.keepalive import INTERVAL, TrunkKeepalive
from fleet.sipnet.registrations import Registrations
from fleet.sipnet.trunk_callers import may_present
from fleet.sipnet.trunk_gate import TrunkGate
from fleet.sipnet.trunk_state import Spawn, TrunkStates
from fleet.sipnet.trunkbook import TrunkBook

RandomBytes = Callable[[int], bytes]


@dataclass(frozen=True, slots=True)
class TrunkRoute:
    trunk: Trunk
    uri: str
    destination: Peer
    history: list[tuple[str, str]]  # Diversion / History-Info as the trunk wants them


def trunk_peer(trunk: Trunk) -> Peer | None:
    """A static trunk's PBX address; None when it has no host."""
    if trunk.host is None:
        return None
    transport = Transport(trunk.transport.value.upper())
    return Peer(transport, trunk.host, trunk.port or DEFAULT_PORTS[transport])


def trunk_uri(user: str | None, destination: Peer) -> str:
    """``sip:[user@]host:port[;transport=…]`` at ``destination``."""
    host = f"[{destination.host}]" if ":" in destination.host else destination.host
    transport = destination.transport
    suffix = "" if transport is Transport.UDP else f";transport={transport.lower()}"
    return f"sip:{user + '@' if user else ''}{host}:{destination.port}{suffix}"


class TrunkRouter:
    """Where B-legs to fixed numbers go, and the credentials of their INVITEs."""

    def __init__(
        self,
        *,
        book: TrunkBook,
        registrations: Registrations,
        random_bytes: RandomBytes,
    ) -> None:
        self.book = book
        self.registrations = registrations
        self._random = random_bytes
        self._placed: weakref.WeakKeyDictionary[OutgoingCall, Trunk] = weakref.WeakKeyDictionary()
        self._clients: dict[tuple[int, str], DigestClient] = {}

    def destination(self, trunk: Trunk) -> tuple[str, Peer] | None:
        """The PBX's URI and address (an OPTIONS' too), None when it is not known."""
        if trunk.mode is TrunkMode.REGISTRATION:
            binding = self.registrations.binding(trunk.id)
            return None if binding is None else (binding.uri, binding.peer)
        peer = trunk_peer(trunk)
        return None if peer is None else (trunk_uri(None, peer), peer)

    def route(self, request: LegRequest, fleet_id: int | None) -> TrunkRoute | None:
        """The leg's route over ``request.trunk``; None when the trunk cannot be reached."""
        if request.trunk is None or fleet_id is None:
            return None
        trunk = self.book.by_name(fleet_id, request.trunk)
        if trunk is None or trunk.state is TrunkState.OUT_OF_SERVICE:
            return None
        found = self.destination(trunk)
        if found is None:
            return None
        _, peer = found
        wanted = {HISTORY_INFO} if trunk.history.history_info else set()
        wanted |= {DIVERSION} if trunk.history.diversion else set()
        history = [
            (name, value)
            for name, value in diversion_headers(request.diversions, request.number)
            if name in wanted
        ]
        uri = trunk_uri(request.number.value, peer) + ";user=phone"
        return TrunkRoute(trunk, uri, peer, history)

    def placed(self, call: OutgoingCall, trunk: Trunk) -> None:
        self._placed[call] = trunk

    def credentials(self, call: OutgoingCall, response: Response) -> list[tuple[str, str]] | None:
        """The lines answering a PBX's 401/407 to a trunk leg's INVITE (FleetAgent asks once)."""
        trunk = self._placed.get(call)
        if trunk is None or trunk.username is None:
            return None
        key = (trunk.id, trunk.username)  # a new user: a new client
        client = self._clients.get(key)
        if client is None:
            username = trunk.username
            trunk_id = trunk.id

            def prompt(realm: str) -> UserSecret | None:
                password = self.book.secret(trunk_id)
                return None if password is None else UserSecret(username, password=password)

            client = self._clients[key] = DigestClient(prompt, self._random)
        return client.answer(call.invite, response)


class Admission(Enum):
    NOT_A_TRUNK = "not_a_trunk"  # the core's, if it comes from a trusted peer
    TRUNK = "trunk"
    REFUSED = "caller_not_on_trunk"


class SipTrunks:
    """The trunks on the adapter's agent; ``start`` runs the keepalive, ``stop`` ends it."""

    def __init__(
        self,
        *,
        agent: FleetAgent,
        book: TrunkBook,
        scheduler: Scheduler,
        spawn: Spawn,
        random_bytes: RandomBytes = os.urandom,
        log: EventLog = no_log,
        options_interval: float = INTERVAL,
    ) -> None:
        self.book = book
        self.states = TrunkStates(book=book, spawn=spawn, log=log)
        self.registrations = Registrations(scheduler=scheduler, states=self.states, log=log)
        self.router = TrunkRouter(
            book=book, registrations=self.registrations, random_bytes=random_bytes
        )
        self.gate = TrunkGate(
            book=book,
            registrations=self.registrations,
            scheduler=scheduler,
            random_bytes=random_bytes,
            log=log,
        )
        self.keepalive = TrunkKeepalive(
            agent=agent,
            book=book,
            destination=self.router.destination,
            states=self.states,
            scheduler=scheduler,
            interval=options_interval,
            log=log,
        )
        agent.gate = self.gate
        agent.credentials = self.router.credentials
        self.log = log

    def start(self) -> None:
        self.keepalive.start()

    def stop(self) -> None:
        self.keepalive.stop()

    def admission(
        self, call: IncomingCall, policy: NumberPolicy, directory: Directory
    ) -> Admission:
        """Whether an INVITE came from a trunk's PBX, and if so whether it presents someone
        it may (:func:`fleet.sipnet.trunk_callers.may_present`; a refusal is logged)."""
        trunk = self.gate.admitted(call.transaction)
        if trunk is None:
            return Admission.NOT_A_TRUNK
        if may_present(call.invite, trunk, policy, directory):
            return Admission.TRUNK
        self.log("sip_trunk_caller_refused", trunk=trunk.id, sip_call_id=call.invite.call_id)
        return Admission.REFUSED
