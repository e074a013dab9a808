"""The SIP transport layer (RFC 3261 §18): UDP and TCP on one port, TLS on another, messages in
to the transaction layer through :class:`TransportUser`, messages out by :meth:`send_request` and
:meth:`send_response`.

Received requests get ``received``/``rport`` stamped in their top Via (RFC 3581) before anyone
sees them, then go to :attr:`SipTransport.screen` (when set: overload control refuses new
INVITEs there, unvalidated); one the stack cannot take is answered here, statelessly, when
enough of it was read to route an answer (Via, From, To, Call-ID, CSeq), and dropped otherwise;
malformed responses are dropped. TCP and TLS connections, accepted or opened, are kept in one
table keyed by the remote :class:`Peer`, so a response goes back over the connection its request
came on and a request to a peer reuses an open connection. Nothing here runs a task of its own:
the event loop calls the protocols as packets arrive, and sending runs in the caller's task."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import ssl
from collections.abc import Callable
from typing import Any

from fleet.sip.errors import SipParseError
from fleet.sip.loadwatch import UdpBacklog
from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.transport_connections import CLOSE_WAIT, Connections, resolve
from fleet.sip.transport_stream import StreamConnection
from fleet.sip.transport_tuning import buffer_size, receive_buffer
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
from fleet.sip.transport_via import (
    UdpPeers,
    connection_hint,
    error_response,
    is_ip,
    response_target,
    routing_error,
    salvage_headers,
    set_request_via,
    stamp_received,
)
from fleet.sip.validate import Drop, Reject, check_request, check_response

log = logging.getLogger(__name__)
_BIND_ATTEMPTS = 20


class SipTransport:
    """Listeners, connections and the send paths of one SIP endpoint. ``await start()`` before
    use, ``await close()`` at the end (it leaves no connection, socket or task behind)."""

    def __init__(
        self, user: TransportUser, config: TransportConfig, events: EventSink | None = None
    ) -> None:
        self.user = user
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
        self.screen: Callable[[Request, Peer], bool] | None = None
        self._udp_peer = UdpPeers()

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
        loop = asyncio.get_running_loop()
        closed: asyncio.Future[None] = loop.create_future()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _UdpProtocol(self, closed), local_addr=(self.config.host, port)
        )
        self._udp, self._udp_closed = transport, closed
        sock = transport.get_extra_info("socket")
        wanted = self.config.udp_receive_buffer
        self.udp_receive_buffer = receive_buffer(sock, wanted) if wanted else buffer_size(sock)
        self.udp_backlog = UdpBacklog(os.fstat(sock.fileno()).st_ino, self.udp_receive_buffer)

    def _factory(self, name: Transport) -> Callable[[], StreamConnection]:
        config = self.config
        return lambda: StreamConnection(self, name, config.limits, config.idle_timeout)

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

    # receiving (called by the protocols)

    def datagram(self, data: bytes, address: tuple[str, int]) -> None:
        peer = self._udp_peer(address)
        if not data.strip(b"\r\n"):
            self._emit(EventKind.KEEPALIVE, peer)  # a CRLF ping over UDP needs no answer
            return
        try:
            message = parse_message(data)
        except SipParseError as exc:
            if exc.is_response:
                self._emit(EventKind.DROPPED, peer, f"malformed response: {exc}")
                return
            headers = salvage_headers(data)
            if headers is None:
                self._emit(EventKind.DROPPED, peer, f"unreadable request: {exc}")
                return
            partial = Request("INVALID", "sip:invalid", headers)
            try:
                stamp_received(partial, peer)
            except SipParseError:
                return
            self._reject(partial, exc.status, exc.reason, (), peer)
            return
        self._dispatch(message, peer)

    def _dispatch(self, message: Request | Response, peer: Peer) -> None:
        if isinstance(message, Response):
            outcome = check_response(message)
            if isinstance(outcome, Drop):
                self._emit(EventKind.DROPPED, peer, f"response: {outcome.why}")
                return
            try:
                self.user.on_response(message, peer)
            except Exception as exc:
                self._callback_failed(peer, exc)
            return
        try:
            stamp_received(message, peer)
        except SipParseError as exc:
            self._emit(EventKind.DROPPED, peer, f"request with no usable Via: {exc}")
            return
        if self.screen is not None and self.screen(message, peer):
            return
        policy = self.config.policy
        if policy is not None:
            outcome = check_request(message, policy)
            if isinstance(outcome, Reject):
                self._reject(message, outcome.status, outcome.reason, outcome.headers, peer)
                return
        else:
            error = routing_error(message)
            if error is not None:
                self._reject(message, error.status, error.reason, (), peer)
                return
        try:
            self.user.on_request(message, peer)
        except Exception as exc:
            self._callback_failed(peer, exc)

    def _reject(
        self,
        request: Request,
        status: int,
        reason: str,
        extra: tuple[tuple[str, str], ...],
        peer: Peer,
    ) -> None:
        if request.method == "ACK":
            self._emit(EventKind.DROPPED, peer, f"ACK not answered: {reason}")
            return
        response = error_response(request.headers, status, reason, extra)
        try:
            sent = self._send_response_now(serialize(response), response, peer)
        except (SipParseError, ConnectionError) as exc:
            sent = None
            reason = f"{reason} (not sent: {exc})"
        self._emit(EventKind.REJECTED if sent else EventKind.DROPPED, sent or peer, reason, status)

    def _callback_failed(self, peer: Peer, exc: Exception) -> None:
        log.exception("SIP transport user failed on a message from %s", peer)
        self._emit(EventKind.CALLBACK_ERROR, peer, repr(exc))

    def _emit(
        self,
        kind: EventKind,
        peer: Peer | None = None,
        detail: str = "",
        status: int | None = None,
    ) -> None:
        if self._events is not None:
            self._events(TransportEvent(kind, peer, detail, status))

    def udp_error(self, exc: Exception) -> None:
        self._emit(EventKind.UDP_ERROR, None, repr(exc))

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
        self._dispatch(message, connection.peer)

    def stream_event(self, connection: StreamConnection, kind: EventKind, detail: str) -> None:
        self._emit(kind, connection.peer, detail)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, owner: SipTransport, closed: asyncio.Future[None]) -> None:
        self.owner = owner
        self.closed = closed

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.owner.datagram(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        self.owner.udp_error(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        with contextlib.suppress(asyncio.InvalidStateError):
            self.closed.set_result(None)
