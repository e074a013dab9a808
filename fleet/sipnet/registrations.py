"""Where registration-mode trunks' PBXs are (DESIGN §8, trunk profile): the contact each PBX
registered, kept in memory until it expires or is removed (a restart forgets them: the PBXs
register again within their interval, and the keepalive says out of service until then).

A binding made sets the trunk in service, its removal or expiry out of service
(:class:`fleet.sipnet.trunk_state.TrunkStates`)."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.core.calls.ports import EventLog, no_log
from fleet.core.trunks import Trunk, TrunkState
from fleet.sip.transaction_ports import Scheduler, TimerHandle
from fleet.sip.transport_types import Peer
from fleet.sipnet.trunk_state import TrunkStates


@dataclass(frozen=True, slots=True)
class Binding:
    trunk: Trunk
    uri: str  # the Contact's URI, the Request-URI of what we send the PBX
    peer: Peer  # where that goes
    expires_at: float


class Registrations:
    def __init__(self, *, scheduler: Scheduler, states: TrunkStates, log: EventLog = no_log):
        self._scheduler = scheduler
        self.states = states
        self.log = log
        self._bindings: dict[int, Binding] = {}
        self._timers: dict[int, TimerHandle] = {}

    def binding(self, trunk_id: int) -> Binding | None:
        return self._bindings.get(trunk_id)

    def trunk_at(self, peer: Peer) -> Trunk | None:
        """The registered trunk whose contact is ``peer`` (host and port)."""
        for binding in self._bindings.values():
            if (binding.peer.host, binding.peer.port) == (peer.host, peer.port):
                return binding.trunk
        return None

    def bind(self, trunk: Trunk, uri: str, peer: Peer, expires: int) -> None:
        self._cancel(trunk.id)
        now = self._scheduler.now()
        self._bindings[trunk.id] = Binding(trunk, uri, peer, now + expires)
        self._timers[trunk.id] = self._scheduler.call_later(
            expires, lambda: self._expired(trunk.id)
        )
        self.log("sip_trunk_registered", trunk=trunk.id, contact=uri, expires=expires)
        self.states.record(self.states.current(trunk) or trunk, TrunkState.IN_SERVICE)

    def unbind(self, trunk: Trunk) -> None:
        self._cancel(trunk.id)
        if self._bindings.pop(trunk.id, None) is not None:
            self.log("sip_trunk_unregistered", trunk=trunk.id)
        current = self.states.current(trunk)
        if current is not None:
            self.states.record(current, TrunkState.OUT_OF_SERVICE)

    def _expired(self, trunk_id: int) -> None:
        binding = self._bindings.get(trunk_id)
        if binding is not None:
            self._timers.pop(trunk_id, None)
            self.log("sip_trunk_registration_expired", trunk=trunk_id)
            self.unbind(binding.trunk)

    def _cancel(self, trunk_id: int) -> None:
        timer = self._timers.pop(trunk_id, None)
        if timer is not None:
            timer.cancel()
