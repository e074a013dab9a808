"""The connection table of the SIP transport: every open TCP or TLS connection, accepted or
opened, keyed by its remote :class:`Peer` so that requests to a peer and responses to a request
reuse it (RFC 3261 §18.2.2, §18.1.1); opening new ones (one attempt per peer at a time) and
closing them all."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable

from fleet.sip.transport_stream import StreamConnection
from fleet.sip.transport_types import (
    TLS,
    EventKind,
    Peer,
    SendError,
    Transport,
    TransportConfig,
    client_tls_context,
)
from fleet.sip.transport_via import is_ip, normal_host

CLOSE_WAIT = 5.0

Emit = Callable[[EventKind, Peer | None, str], None]
Factory = Callable[[Transport], Callable[[], StreamConnection]]


async def resolve(host: str, kind: socket.SocketKind, target: Peer) -> str:
    """An IP address for ``host`` (A/AAAA only; RFC 3263 SRV/NAPTR is the caller's business)."""
    if is_ip(host):
        return normal_host(host)
    loop = asyncio.get_running_loop()
    try:
        found = await loop.getaddrinfo(host, None, type=kind)
    except OSError as exc:
        raise SendError(f"cannot resolve {host}: {exc}", target) from exc
    return normal_host(str(found[0][4][0]))


class Connections:
    def __init__(self, config: TransportConfig, factory: Factory, emit: Emit) -> None:
        self.config = config
        self.closing = False
        self._factory = factory
        self._emit = emit
        self._table: dict[Peer, StreamConnection] = {}
        self._live: set[StreamConnection] = set()
        self._connecting: dict[Peer, asyncio.Future[StreamConnection]] = {}
        self._client_tls: ssl.SSLContext | None = None

    def __len__(self) -> int:
        return len(self._live)

    def get(self, peer: Peer | None) -> StreamConnection | None:
        """The open connection with ``peer``, if any."""
        connection = self._table.get(peer) if peer is not None else None
        return connection if connection is not None and connection.is_open else None

    def added(self, connection: StreamConnection) -> None:
        assert connection.peer is not None
        if self.closing:
            connection.close("transport closed")
        self._live.add(connection)
        self._table[connection.peer] = connection
        self._emit(EventKind.CONNECTED, connection.peer, "")

    def removed(self, connection: StreamConnection, reason: str) -> None:
        self._live.discard(connection)
        peer = connection.peer
        if peer is not None and self._table.get(peer) is connection:
            del self._table[peer]
        self._emit(EventKind.CLOSED, peer, reason)

    async def connect(self, target: Peer) -> StreamConnection:
        """An open connection to ``target``: the one in the table, or a new one."""
        host = await resolve(target.host, socket.SOCK_STREAM, target)
        key = Peer(target.transport, host, target.port)
        existing = self.get(key)
        if existing is not None:
            return existing
        pending = self._connecting.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[StreamConnection] = asyncio.get_running_loop().create_future()
        self._connecting[key] = future
        try:
            connection = await self._open(key, target.host)
        except BaseException as exc:
            if isinstance(exc, SendError):
                future.set_exception(exc)
                future.exception()  # marked retrieved: nobody else may be waiting
            else:
                future.cancel()
            raise
        finally:
            del self._connecting[key]
        future.set_result(connection)
        return connection

    async def _open(self, key: Peer, name: str) -> StreamConnection:
        loop = asyncio.get_running_loop()
        context: ssl.SSLContext | None = None
        if key.transport == TLS:
            if self._client_tls is None:
                self._client_tls = client_tls_context(self.config.tls_ca)
            context = self._client_tls
        try:
            async with asyncio.timeout(self.config.connect_timeout):
                _, connection = await loop.create_connection(
                    self._factory(key.transport),
                    key.host,
                    key.port,
                    ssl=context,
                    server_hostname=name if context is not None else None,
                )
        except (OSError, TimeoutError) as exc:  # ssl.SSLError is an OSError
            raise SendError(f"cannot connect to {key}: {exc!r}", key) from exc
        return connection

    async def close_all(self) -> None:
        """Close every connection and wait until each is gone (aborted when it lingers)."""
        self.closing = True
        for connection in list(self._live):
            connection.close("transport closed")
        waiting = [connection.closed for connection in self._live]
        if not waiting:
            return
        _, pending = await asyncio.wait(waiting, timeout=CLOSE_WAIT)
        if pending:
            for connection in list(self._live):
                connection.abort()
            await asyncio.wait(pending, timeout=CLOSE_WAIT)
