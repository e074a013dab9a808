"""SIP trunks to the companies' PBXs (DESIGN §8, trunk profile): the values the domain, the
routing cache and the SIP adapter share. A fleet's fixed numbers name the trunk that reaches
them (``FixedNumber.trunk`` is the trunk's ``name`` within the fleet)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class TrunkMode(Enum):
    STATIC = "static"  # the PBX is at a fixed address (host, port, transport)
    REGISTRATION = "registration"  # the PBX registers to FleetPBX; its contact is learnt


class TrunkTransport(Enum):
    UDP = "udp"
    TCP = "tcp"
    TLS = "tls"


class TrunkState(Enum):
    """What the OPTIONS keepalive says of the trunk; a trunk out of service makes its fixed
    numbers "not reachable" (not-reachable forwarding applies)."""

    UNKNOWN = "unknown"  # not probed yet (a new trunk, a restart): calls are tried
    IN_SERVICE = "in_service"
    OUT_OF_SERVICE = "out_of_service"

    @property
    def reachable(self) -> bool:
        return self is not TrunkState.OUT_OF_SERVICE


class HistoryStyle(Enum):
    """How the PBX wants forwarded calls' history: RFC 5806 Diversion, RFC 7044 History-Info,
    or both."""

    DIVERSION = "diversion"
    HISTORY_INFO = "history_info"
    BOTH = "both"

    @property
    def diversion(self) -> bool:
        return self is not HistoryStyle.HISTORY_INFO

    @property
    def history_info(self) -> bool:
        return self is not HistoryStyle.DIVERSION


@dataclass(frozen=True, slots=True)
class Trunk:
    """A trunk as the routing cache and the SIP adapter see it. The Digest secret is never
    here: the adapter asks the trunk store for it when it must answer or send a challenge."""

    id: int
    fleet_id: int
    name: str
    mode: TrunkMode
    host: str | None  # static mode: the PBX's address; registration mode: None
    port: int | None
    transport: TrunkTransport
    username: str | None  # Digest user both ways; None: no authentication
    realm: str | None
    history: HistoryStyle = HistoryStyle.BOTH
    state: TrunkState = TrunkState.UNKNOWN
