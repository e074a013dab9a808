"""Who may bring calls into FleetPBX as the core (DESIGN §8, ISC; "nobody in"): an INVITE that
no trunk's PBX sent must come from the core — the S-CSCFs, by default the address of
``sip_core`` —, else it is refused 403. Without this, anyone reaching the SIP port could
place calls as any caller, a fleet's lines included."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from fleet.sip.transport_types import Peer

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class TrustedPeers:
    """The networks calls from the core may come from; ``everyone`` trusts any source (the
    tests that play the core from several addresses)."""

    networks: tuple[Network, ...] = ()
    everyone: bool = False

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
        try:
            address = ipaddress.ip_address(peer.host.strip("[]"))
        except ValueError:
            return False
        return any(address in network for network in self.networks)


TRUST_EVERYONE = TrustedPeers(everyone=True)
