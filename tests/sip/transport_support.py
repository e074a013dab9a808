"""Helpers of the transport tests: a recording transaction layer, an event log to wait on,
request builders and raw UDP / TCP peers on loopback. Every wait is on a condition, bounded by a
generous timeout, never on the clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response
from fleet.sip.transport import SipTransport
from fleet.sip.transport_types import EventKind, Peer, TransportConfig, TransportEvent
from fleet.sip.transport_via import error_response

WAIT = 10.0  # seconds; a bound for a loaded machine, never a expected duration
LOOPBACK = "127.0.0.1"


class Recorder:
    """A transaction layer that keeps what it is given."""

    def __init__(self) -> None:
        self.requests: asyncio.Queue[tuple[Request, Peer]] = asyncio.Queue()
        self.responses: asyncio.Queue[tuple[Response, Peer]] = asyncio.Queue()

    def on_request(self, request: Request, source: Peer) -> None:
        self.requests.put_nowait((request, source))

    def on_response(self, response: Response, source: Peer) -> None:
        self.responses.put_nowait((response, source))

    async def request(self) -> tuple[Request, Peer]:
        async with asyncio.timeout(WAIT):
            return await self.requests.get()

    async def response(self) -> tuple[Response, Peer]:
        async with asyncio.timeout(WAIT):
            return await self.responses.get()


class EventLog:
    def __init__(self) -> None:
        self.events: list[TransportEvent] = []
        self._changed = asyncio.Event()

    def __call__(self, event: TransportEvent) -> None:
        self.events.append(event)
        self._changed.set()

    def kinds(self) -> list[EventKind]:
        return [event.kind for event in self.events]

    async def wait(self, predicate: Callable[[TransportEvent], bool]) -> TransportEvent:
        async with asyncio.timeout(WAIT):
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                self._changed.clear()
                await self._changed.wait()

    async def wait_kind(self, kind: EventKind) -> TransportEvent:
        return await self.wait(lambda event: event.kind == kind)


class Endpoint:
    """A running :class:`SipTransport` with its recorder and event log."""

    def __init__(self, transport: SipTransport, user: Recorder, events: EventLog) -> None:
        self.transport = transport
        self.user = user
        self.events = events

    @property
    def port(self) -> int:
        return self.transport.port


@asynccontextmanager
async def endpoint(
    config: TransportConfig | None = None, **changes: Any
) -> AsyncIterator[Endpoint]:
    config = replace(config or TransportConfig(host=LOOPBACK, port=0), **changes)
    user, events = Recorder(), EventLog()
    transport = SipTransport(user, config, events)
    await transport.start()
    try:
        yield Endpoint(transport, user, events)
    finally:
        await transport.close()


def request(
    method: str = "OPTIONS",
    via: str = "SIP/2.0/UDP ;branch=z9hG4bK-t1",
    call_id: str = "call-1",
    body: bytes = b"",
) -> Request:
    headers = Headers(
        [
            ("Via", via),
            ("Max-Forwards", "70"),
            ("From", "<sip:alice@example.net>;tag=a1"),
            ("To", "<sip:2004@fleet.example.net>"),
            ("Call-ID", call_id),
            ("CSeq", f"1 {method}"),
        ]
    )
    if body:
        headers.add("Content-Type", "application/sdp")
    return Request(method, "sip:2004@fleet.example.net", headers, body)


def answer(received: Request, status: int = 200, reason: str = "OK") -> Response:
    """The response a UAS gives ``received`` (its Vias, From, To with a tag, Call-ID, CSeq)."""
    return error_response(received.headers, status, reason)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.received.put_nowait(data)


class UdpPeer:
    """A bare UDP socket on loopback: sends raw datagrams, keeps what it receives."""

    def __init__(self, transport: asyncio.DatagramTransport, protocol: _Datagrams) -> None:
        self._transport = transport
        self._protocol = protocol
        self.port = int(transport.get_extra_info("sockname")[1])

    def send(self, data: bytes, port: int) -> None:
        self._transport.sendto(data, (LOOPBACK, port))

    async def receive(self) -> bytes:
        async with asyncio.timeout(WAIT):
            return await self._protocol.received.get()

    def pending(self) -> int:
        return self._protocol.received.qsize()


@asynccontextmanager
async def udp_peer() -> AsyncIterator[UdpPeer]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(_Datagrams, local_addr=(LOOPBACK, 0))
    try:
        yield UdpPeer(transport, protocol)
    finally:
        transport.close()


@asynccontextmanager
async def tcp_client(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    async with asyncio.timeout(WAIT):
        reader, writer = await asyncio.open_connection(LOOPBACK, port)
    try:
        yield reader, writer
    finally:
        writer.close()
        await writer.wait_closed()


async def read_until_eof(reader: asyncio.StreamReader) -> bytes:
    async with asyncio.timeout(WAIT):
        return await reader.read()


async def read_message(reader: asyncio.StreamReader) -> bytes:
    """One message from a stream: its header section and its Content-Length body."""
    async with asyncio.timeout(WAIT):
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.decode().split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() in ("content-length", "l"):
                length = int(value)
        return head + await reader.readexactly(length)


def other_tasks() -> set[asyncio.Task[Any]]:
    return {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}
