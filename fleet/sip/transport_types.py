"""What the SIP transport (RFC 3261 §18) shares with the layer above it: the peer a message came
from or went to, the callbacks of the transaction layer, events, configuration and errors."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path
from typing import Protocol

from fleet.sip.framing import FramingLimits
from fleet.sip.message import Request, Response
from fleet.sip.validate import UasPolicy


class Transport(StrEnum):
    """A SIP transport, as the Via header names it."""

    UDP = "UDP"
    TCP = "TCP"
    TLS = "TLS"

    @property
    def reliable(self) -> bool:
        return self is not Transport.UDP


UDP, TCP, TLS = Transport.UDP, Transport.TCP, Transport.TLS
RELIABLE = frozenset({TCP, TLS})
DEFAULT_PORTS = {UDP: 5060, TCP: 5060, TLS: 5061}
UDP_RECEIVE_BUFFER = 4 * 1024 * 1024  # bytes; the Linux default (208 KiB) overflows in bursts
UDP_MAX_REQUEST = (
    1300  # RFC 3261 §18.1.1: larger requests go over a congestion-controlled transport
)


@dataclass(frozen=True, slots=True)
class Peer:
    """A remote end: the transport (``UDP``, ``TCP``, ``TLS``), its IP address and port.

    For TCP and TLS it also names the connection: the transport keeps one per peer, so a
    response sent to the ``Peer`` a request came from goes back over that connection."""

    transport: Transport
    host: str
    port: int

    @property
    def reliable(self) -> bool:
        return self.transport in RELIABLE


class TransportUser(Protocol):
    """The layer above (transactions). Called synchronously from the event loop as each message
    arrives; a callback that needs to wait starts its own work."""

    def on_request(self, request: Request, source: Peer) -> None: ...

    def on_response(self, response: Response, source: Peer) -> None: ...


class EventKind(Enum):
    """What the transport did on its own."""

    LISTENING = "listening"
    CONNECTED = "connected"
    CLOSED = "closed"
    IDLE_CLOSED = "idle_closed"
    FRAMING_ERROR = "framing_error"
    KEEPALIVE = "keepalive"
    DROPPED = "dropped"
    REJECTED = "rejected"  # a stateless error response sent; ``status`` set
    CALLBACK_ERROR = "callback_error"
    UDP_ERROR = "udp_error"


@dataclass(frozen=True, slots=True)
class TransportEvent:
    """Something the transport did on its own (``kind``), about ``peer``."""

    kind: EventKind
    peer: Peer | None = None
    detail: str = ""
    status: int | None = None


EventSink = Callable[[TransportEvent], None]


class SendError(OSError):
    """A message could not be sent: no route, the connection failed or broke, or the
    destination could not be resolved. ``peer`` is where it was going, when known."""

    def __init__(self, reason: str, peer: Peer | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.peer = peer


@dataclass(frozen=True, slots=True)
class TransportConfig:
    """Where to listen and how.

    ``port`` serves UDP and TCP on the same number (``0`` picks a free one, the same for both);
    ``tls_port`` (``None``: no TLS listener, ``0``: a free port) needs ``tls_cert`` and
    ``tls_key`` (PEM files). ``tls_ca`` is the CA bundle outgoing TLS connections trust (the
    system's when ``None``). ``policy`` set, received requests go through the whole UAS
    validation of :mod:`fleet.sip.validate`; ``None``, only the headers the stack routes on
    (Via, From, To, Call-ID, CSeq) must be present and well-formed. ``advertised_host`` is the
    sent-by written in Via when the listening address (``0.0.0.0`` …) is not reachable as such.
    ``udp_receive_buffer`` is the UDP socket's receive buffer asked for, in bytes (``None``: the
    kernel's default), see :mod:`fleet.sip.transport_tuning`."""

    host: str = "127.0.0.1"
    port: int = 5060
    tls_port: int | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_ca: Path | None = None
    idle_timeout: float = 180.0
    connect_timeout: float = 10.0
    limits: FramingLimits = field(default_factory=FramingLimits)
    policy: UasPolicy | None = None
    advertised_host: str | None = None
    udp_max_request: int = UDP_MAX_REQUEST
    udp_receive_buffer: int | None = UDP_RECEIVE_BUFFER


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """The context of a TLS listener: its certificate chain and private key (PEM)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def client_tls_context(ca: Path | None) -> ssl.SSLContext:
    """The context of outgoing TLS connections: certificates verified against ``ca`` (the
    system's trust store when ``None``), host names checked."""
    return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
