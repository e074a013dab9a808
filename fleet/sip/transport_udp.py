"""The UDP socket of the SIP transport: binding it (its receive buffer, its kernel queue watched),
its protocol (datagrams to :class:`fleet.sip.transport_inbound.Inbound`), and a request sent on
it at once, without a task (RFC 3261 §18.1.1: a request too large for UDP goes over TCP)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass
from typing import Any

from fleet.sip.errors import SipParseError
from fleet.sip.loadwatch import UdpBacklog
from fleet.sip.message import Request, serialize
from fleet.sip.transport_inbound import Inbound
from fleet.sip.transport_tuning import buffer_size, receive_buffer
from fleet.sip.transport_types import UDP, Peer, TransportConfig
from fleet.sip.transport_via import is_ip, normal_host, set_request_via


@dataclass(frozen=True, slots=True)
class UdpSocket:
    """A bound UDP socket: ``closed`` resolves once it is closed; ``receive_buffer`` is what the
    kernel gave it, ``backlog`` its receive queue."""

    transport: asyncio.DatagramTransport
    closed: asyncio.Future[None]
    receive_buffer: int
    backlog: UdpBacklog


async def bind_udp(inbound: Inbound, host: str, port: int, wanted_buffer: int | None) -> UdpSocket:
    """Bind UDP on ``host``:``port``, its datagrams to ``inbound``; ``wanted_buffer`` bytes of
    receive buffer asked (0 or None: the system's)."""
    loop = asyncio.get_running_loop()
    closed: asyncio.Future[None] = loop.create_future()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: UdpProtocol(inbound, closed), local_addr=(host, port)
    )
    sock = transport.get_extra_info("socket")
    size = receive_buffer(sock, wanted_buffer) if wanted_buffer else buffer_size(sock)
    return UdpSocket(transport, closed, size, UdpBacklog(os.fstat(sock.fileno()).st_ino, size))


def send_request_now(
    udp: asyncio.DatagramTransport,
    request: Request,
    target: Peer,
    sent_by: tuple[str, int],
    config: TransportConfig,
) -> Peer | None:
    """Send ``request`` by UDP to ``target`` now when it is an IP address and the request fits
    in ``config.udp_max_request``, its top Via filled as by ``SipTransport.send_request``. None
    when it must wait (a name to resolve, TCP for a large request) or cannot be encoded: the
    caller's asynchronous send then does it, or says why not."""
    if target.transport != UDP or not is_ip(target.host):
        return None
    try:
        set_request_via(request, UDP, *sent_by)
        data = serialize(request)
    except SipParseError:
        return None
    if len(data) > config.udp_max_request:
        return None
    host = normal_host(target.host)
    udp.sendto(data, (host, target.port))
    return Peer(UDP, host, target.port)


class UdpProtocol(asyncio.DatagramProtocol):
    """The UDP socket's protocol: datagrams to ``inbound``; ``closed`` resolved once it closes."""

    def __init__(self, inbound: Inbound, closed: asyncio.Future[None]) -> None:
        self.inbound = inbound
        self.closed = closed

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.inbound.datagram(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        self.inbound.udp_error(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        with contextlib.suppress(asyncio.InvalidStateError):
            self.closed.set_result(None)
