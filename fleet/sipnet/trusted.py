"""Who may bring calls into FleetPBX as the core (DESIGN §8, ISC; "nobody in"): an INVITE that
no trunk's PBX sent must come from the core — the S-CSCFs, by default the address of
``sip_core`` —, else it is refused 403. Without this, anyone reaching the SIP port could
place calls as any caller, a fleet's lines included."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

from fleet.sip.transport_types import Peer

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
KNOWN_HOSTS = 1024  # the sources a TrustedPeers remembers its answer for


@dataclass(frozen=True, slots=True)
class TrustedPeers:
    """The networks calls from the core may come from; ``everyone`` trusts any source (the
    tests that play the core from several addresses)."""

    networks: tuple[Network, ...] = ()
    everyone: bool = False
    # host → trusted: every INVITE asks (an address parsed ~10 µs each); the core is a few hosts
    _known: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, networks: Iterable[str]) -> TrustedPeers:
        return cls(tuple(ipaddress.ip_network(n, strict=False) for n in networks))

    @classmethod
    def of_host(cls, host: str) -> TrustedPeers:
        """Every address ``host`` resolves to (a name or an address)."""
        found = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_UDP)}
        return cls.of(str(address).split("%")[0] for address in found)

    def __call__(self, peer: Peer) -> bool:
        if self.everyone:
            return True
        host = peer.host
        known = self._known.get(host)
        if known is None:
            if len(self._known) >= KNOWN_HOSTS:
                self._known.clear()  # bounded: a source address spoofed per packet
            known = self._known[host] = self._trusts(host)
        return known

    def _trusts(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return False
        return any(address in network for network in self.networks)


TRUST_EVERYONE = TrustedPeers(everyone=True)
