"""The SIP transport layer (RFC 3261 §18): UDP and TCP on one port, TLS on another, messages in
to the transaction layer through :class:`TransportUser`, messages out by :meth:`send_request` and
:meth:`send_response` (or at once: :meth:`send_request_now`, :meth:`send_response_now`).

What is received is read, screened (:attr:`SipTransport.screen`), validated and handed up by
:class:`fleet.sip.transport_inbound.Inbound`. TCP and TLS connections, accepted or opened, are
kept in one table keyed by the remote :class:`Peer`, so a response goes back over the connection
its request came on and a request to a peer reuses an open connection. No task of its own: the
loop calls the protocols as packets arrive, and sending runs in the caller's task."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Callable

from fleet.sip.errors import SipParseError
from fleet.sip.loadwatch import UdpBacklog
from fleet.sip.message import Request, Response, serialize
from fleet.sip.transport_connections import CLOSE_WAIT, Connections, resolve
from fleet.sip.transport_inbound import Inbound
from fleet.sip.transport_stream import StreamConnection
from fleet.sip.transport_types import (
    TCP,
    TLS,
    UDP,
    EventKind,
    EventSink,
    Peer,
    SendError,
    Transport,
    TransportConfig,
    TransportEvent,
    TransportUser,
    server_tls_context,
)
from fleet.sip.transport_udp import bind_udp, send_request_now
from fleet.sip.transport_via import (
    connection_hint,
    is_ip,
    response_target,
    set_request_via,
)

log = logging.getLogger(__name__)
_BIND_ATTEMPTS = 20


class SipTransport:
    """Listeners, connections and the send paths of one SIP endpoint. ``await start()`` before
    use, ``await close()`` at the end (it leaves no connection, socket or task behind)."""

    def __init__(
        self, user: TransportUser, config: TransportConfig, events: EventSink | None = None
    ) -> None:
        self.config = config
        self._events = events
        self._udp: asyncio.DatagramTransport | None = None
        self._udp_closed: asyncio.Future[None] | None = None
        self._servers: list[asyncio.Server] = []
        self._connections = Connections(config, self._factory, self._emit)
        self.port = 0
        self.tls_port: int | None = None
        self.udp_receive_buffer = 0  # bytes the kernel gives the UDP socket, once started
        self.udp_backlog: UdpBacklog | None = None  # its receive queue, once started
        self._inbound = Inbound(
            user=user, config=config, emit=self._emit, answer_now=self._send_response_now
        )

    # lifecycle

    async def start(self) -> None:
        """Bind UDP and TCP on ``config.port`` (a free number shared by both when ``0``) and TLS
        on ``config.tls_port`` when set; the ports chosen are :attr:`port`, :attr:`tls_port`."""
        config = self.config
        for _ in range(_BIND_ATTEMPTS if config.port == 0 else 1):
            server = await self._listen(TCP, config.port, None)
            port = int(server.sockets[0].getsockname()[1])
            try:
                await self._bind_udp(port)
            except OSError:
                server.close()
                await server.wait_closed()
                if config.port != 0:
                    raise
                continue
            self._servers.append(server)
            self.port = port
            break
        else:
            raise OSError(f"no port free for both UDP and TCP on {config.host}")
        if config.tls_port is not None:
            try:
                await self._listen_tls(config.tls_port)
            except BaseException:
                await self.close()
                raise
        self._emit(
            EventKind.LISTENING,
            detail=f"{config.host} udp/tcp {self.port} tls {self.tls_port}"
            f" udp_receive_buffer {self.udp_receive_buffer}",
        )

    async def close(self) -> None:
        """Stop the listeners, close every connection and the UDP socket, and wait for them."""
        self._connections.closing = True
        for server in self._servers:
            server.close()
        if self._udp is not None:
            self._udp.close()
        await self._connections.close_all()
        if self._udp_closed is not None:
            await asyncio.wait([self._udp_closed], timeout=CLOSE_WAIT)
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()

    async def _listen_tls(self, port: int) -> None:
        cert, key = self.config.tls_cert, self.config.tls_key
        if cert is None or key is None:
            raise ValueError("a TLS port needs tls_cert and tls_key")
        server = await self._listen(TLS, port, server_tls_context(cert, key))
        self._servers.append(server)
        self.tls_port = int(server.sockets[0].getsockname()[1])

    async def _listen(
        self, name: Transport, port: int, context: ssl.SSLContext | None
    ) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(
            self._factory(name), self.config.host, port, ssl=context, reuse_address=True
        )

    async def _bind_udp(self, port: int) -> None:
        config = self.config
        udp = await bind_udp(self._inbound, config.host, port, config.udp_receive_buffer)
        self._udp, self._udp_closed = udp.transport, udp.closed
        self.udp_receive_buffer, self.udp_backlog = udp.receive_buffer, udp.backlog

    def _factory(self, name: Transport) -> Callable[[], StreamConnection]:
        limits, idle = self.config.limits, self.config.idle_timeout
        return lambda: StreamConnection(self, name, limits, idle)

    @property
    def open_connections(self) -> int:
        """TCP and TLS connections open now, accepted and opened."""
        return len(self._connections)

    # sending

    def sent_by(self, transport: str) -> tuple[str, int]:
        """The host and port this endpoint writes in the Via of requests sent over ``transport``."""
        host = self.config.advertised_host or self.config.host
        if transport == TLS and self.tls_port is not None:
            return host, self.tls_port
        return host, self.port

    async def send_request(self, request: Request, target: Peer) -> Peer:
        """Send ``request`` to ``target`` (already resolved by RFC 3263: transport, host, port).

        The caller gives a top Via with its branch; its sent-by may be left empty
        (``SIP/2.0/UDP ;branch=z9hG4bK…``) for the transport to fill with :meth:`sent_by`. The
        transport token of the top Via is rewritten to the one used: TCP instead of UDP for a
        request over ``config.udp_max_request`` bytes (RFC 3261 §18.1.1). Returns the peer the
        request went to; raises :class:`SendError` when it could not be sent."""
        transport = target.transport
        host, port = self.sent_by(transport)
        try:
            set_request_via(request, transport, host, port)
            data = serialize(request)
            if transport == UDP and len(data) > self.config.udp_max_request:
                transport = TCP
                target = Peer(TCP, target.host, target.port)
                set_request_via(request, TCP, host, port)
                data = serialize(request)
        except SipParseError as exc:
            raise SendError(f"cannot send this request: {exc}", target) from exc
        return await self._send(data, target)

    def send_request_now(self, request: Request, target: Peer) -> Peer | None:
        """Send ``request`` at once when it goes by UDP to an IP address (and fits); None when
        :meth:`send_request` must (a connection, a name to resolve) or say why it cannot."""
        if (udp := self._udp) is None or self._connections.closing:
            return None
        return send_request_now(udp, request, target, self.sent_by(UDP), self.config)

    async def send_response(self, response: Response, source: Peer | None = None) -> Peer:
        """Send ``response`` over the connection its request came on (``source``, a reliable
        peer) when it is still open, else where its top Via says (RFC 3261 §18.2.2, RFC 3581 §4).
        Returns the peer it went to; raises :class:`SendError` when it could not be sent."""
        try:
            data = serialize(response)
            sent = self._send_response_now(data, response, source)
            if sent is not None:
                return sent
            via = response.top_via
            if via is None:
                raise SendError("a response without Via cannot be routed", source)
            target = response_target(via)
        except SipParseError as exc:
            raise SendError(f"cannot route this response: {exc}", source) from exc
        return await self._send(data, target)

    def send_response_now(self, response: Response, source: Peer | None = None) -> Peer | None:
        """Send ``response`` without waiting when that is possible: over the connection its
        request came on (or an open one to its Via), or by UDP to an IP address. Returns the
        peer it went to, or None when a connection must be opened or a name resolved first
        (then :meth:`send_response`); raises :class:`SendError` when it cannot be sent."""
        try:
            return self._send_response_now(serialize(response), response, source)
        except SipParseError as exc:
            raise SendError(f"cannot route this response: {exc}", source) from exc
        except ConnectionError as exc:
            raise SendError(f"connection to {source} broke: {exc}", source) from exc

    def _send_response_now(
        self, data: bytes, response: Response, source: Peer | None
    ) -> Peer | None:
        """Send without waiting when possible: over an open connection, or by UDP to an IP
        address. None when a connection must be opened or a name resolved first. With no
        connection open (UDP only) the connection table is not searched."""
        via = response.top_via
        if via is None:
            raise SipParseError("Missing Via header", header="Via")
        connections = self._connections
        if len(connections):
            connection = connections.get(source) or connections.get(connection_hint(via))
            if connection is not None and connection.peer is not None:
                connection.write(data)
                return connection.peer
        target = response_target(via)
        udp = self._udp
        if udp is not None and target.transport is UDP and is_ip(target.host):
            udp.sendto(data, (target.host, target.port))
            return target
        return None

    async def _send(self, data: bytes, target: Peer) -> Peer:
        if self._connections.closing:
            raise SendError("the transport is closed", target)
        if target.reliable:
            connection = await self._connections.connect(target)
            try:
                connection.write(data)
            except ConnectionError as exc:
                raise SendError(f"connection to {target} broke: {exc}", target) from exc
            assert connection.peer is not None
            return connection.peer
        if target.transport != UDP or self._udp is None:
            raise SendError(f"no {target.transport} transport here", target)
        host = await resolve(target.host, socket.SOCK_DGRAM, target)
        self._udp.sendto(data, (host, target.port))
        return Peer(UDP, host, target.port)

    @property
    def raw_screen(self) -> Callable[[bytes, Peer], bool] | None:
        """Asked first for each datagram, before it is parsed: True when it took it."""
        return self._inbound.raw_screen

    @raw_screen.setter
    def raw_screen(self, screen: Callable[[bytes, Peer], bool] | None) -> None:
        self._inbound.raw_screen = screen

    def sendto(self, data: bytes, address: tuple[str, int]) -> None:
        """A datagram to an IP address and port, at once (nothing when UDP is not bound)."""
        if self._udp is not None:
            self._udp.sendto(data, address)

    @property
    def screen(self) -> Callable[[Request, Peer], bool] | None:
        """Asked first for each request received (parsed, Via stamped, not validated): True
        when it took it (overload control refusing a new INVITE)."""
        return self._inbound.screen

    @screen.setter
    def screen(self, screen: Callable[[Request, Peer], bool] | None) -> None:
        self._inbound.screen = screen

    def _emit(
        self,
        kind: EventKind,
        peer: Peer | None = None,
        detail: str = "",
        status: int | None = None,
    ) -> None:
        if self._events is not None:
            self._events(TransportEvent(kind, peer, detail, status))

    # StreamOwner

    def connection_made(self, connection: StreamConnection) -> None:
        self._connections.added(connection)

    def connection_lost(self, connection: StreamConnection, reason: str) -> None:
        self._connections.removed(connection, reason)

    def stream_message(
        self, connection: StreamConnection, message: Request | Response | SipParseError
    ) -> None:
        assert connection.peer is not None
        if isinstance(message, SipParseError):  # the framer keeps no frame to answer from
            self._emit(
                EventKind.DROPPED, connection.peer, f"malformed message on a stream: {message}"
            )
            return
        self._inbound.dispatch(message, connection.peer)

    def stream_event(self, connection: StreamConnection, kind: EventKind, detail: str) -> None:
        self._emit(kind, connection.peer, detail)
