"""One TCP or TLS connection of the SIP transport (RFC 3261 §18.3): received bytes framed into
messages by :class:`fleet.sip.framing.StreamFramer`, CRLF keep-alive pings answered with a pong
(RFC 5626 §4.4.1), closed after ``idle_timeout`` seconds without traffic either way.

The connection runs no task: the event loop calls it as data arrives, and the idle check is a
single ``call_later`` handle re-armed lazily."""

from __future__ import annotations

import asyncio
from typing import Protocol, cast

from fleet.sip.errors import SipParseError
from fleet.sip.framing import FramingError, FramingLimits, StreamFramer
from fleet.sip.message import Request, Response
from fleet.sip.transport_types import EventKind, Peer, Transport

PONG = b"\r\n"


class StreamOwner(Protocol):
    """What a connection reports to the transport that owns it."""

    def connection_made(self, connection: StreamConnection) -> None: ...

    def connection_lost(self, connection: StreamConnection, reason: str) -> None: ...

    def stream_message(
        self, connection: StreamConnection, message: Request | Response | SipParseError
    ) -> None: ...

    def stream_event(self, connection: StreamConnection, kind: EventKind, detail: str) -> None: ...


class StreamConnection(asyncio.Protocol):
    """An :class:`asyncio.Protocol` for one accepted or opened stream."""

    def __init__(
        self,
        owner: StreamOwner,
        transport_name: Transport,
        limits: FramingLimits,
        idle_timeout: float,
    ) -> None:
        self.owner = owner
        self.transport_name = transport_name
        self.peer: Peer | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._framer = StreamFramer(limits)
        self._idle_timeout = idle_timeout
        self._transport: asyncio.Transport | None = None
        self._last_activity = 0.0
        self._idle_handle: asyncio.TimerHandle | None = None
        self._closing_reason = ""

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        remote = transport.get_extra_info("peername")
        self.peer = Peer(self.transport_name, str(remote[0]), int(remote[1]))
        self._touch()
        self._arm_idle(self._idle_timeout)
        self.owner.connection_made(self)

    def data_received(self, data: bytes) -> None:
        self._touch()
        before = self._framer.keepalives
        try:
            messages = self._framer.feed(data)
        except FramingError as exc:
            self.owner.stream_event(self, EventKind.FRAMING_ERROR, str(exc))
            self.close("framing error")
            return
        pings = self._framer.keepalives - before
        if pings:
            self.owner.stream_event(self, EventKind.KEEPALIVE, str(pings))
            self.write(PONG * pings)
        for message in messages:
            if self._transport is None or self._transport.is_closing():
                return
            self.owner.stream_message(self, message)

    def eof_received(self) -> bool | None:
        self._closing_reason = self._closing_reason or "closed by the peer"
        return None  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        if self._idle_handle is not None:
            self._idle_handle.cancel()
            self._idle_handle = None
        reason = self._closing_reason or (str(exc) if exc else "closed by the peer")
        self._transport = None
        self.owner.connection_lost(self, reason)
        if not self.closed.done():
            self.closed.set_result(None)

    # used by the transport

    @property
    def is_open(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def write(self, data: bytes) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            raise ConnectionError("connection closed")
        self._touch()
        transport.write(data)

    def close(self, reason: str) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._closing_reason = reason
            self._transport.close()

    def abort(self) -> None:
        if self._transport is not None:
            self._closing_reason = self._closing_reason or "aborted"
            self._transport.abort()

    # idle timeout

    def _touch(self) -> None:
        self._last_activity = asyncio.get_running_loop().time()

    def _arm_idle(self, delay: float) -> None:
        self._idle_handle = asyncio.get_running_loop().call_later(delay, self._check_idle)

    def _check_idle(self) -> None:
        self._idle_handle = None
        if self._transport is None:
            return
        idle_for = asyncio.get_running_loop().time() - self._last_activity
        if idle_for >= self._idle_timeout:
            self.owner.stream_event(self, EventKind.IDLE_CLOSED, f"idle for {idle_for:.3f} s")
            self.close("idle timeout")
        else:
            self._arm_idle(self._idle_timeout - idle_for)
