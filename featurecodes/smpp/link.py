"""One SMPP connection: the read loop, responses matched by sequence number, a window of
unacknowledged requests, and enquire_link both ways.

Requests from the SMSC go to ``on_request``, which returns the PDU to answer with. Whatever
arrives, the link answers or logs it and carries on; it ends only when the connection ends, the
SMSC unbinds, a ``command_length`` makes the stream impossible to follow, or enquire_link gets
no answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from featurecodes.smpp import pdus
from featurecodes.smpp.pdus import Cmd, Header, Status

RequestHandler = Callable[[Header, bytes], Awaitable[bytes | None]]
MAX_SEQUENCE = 0x7FFFFFFF


class LinkClosed(ConnectionError):
    """The connection is gone (or going): nothing more can be sent on it."""


class ResponseTimeout(TimeoutError):
    """No response within the link's response timeout (or no room in the window)."""


@dataclass(frozen=True, slots=True)
class Response:
    header: Header
    body: bytes

    @property
    def ok(self) -> bool:
        return self.header.status == 0 and self.header.command_id != Cmd.GENERIC_NACK


class SmppLink:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        on_request: RequestHandler,
        window: int,
        response_timeout: float,
        log: Any,
    ) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self._reader = reader
        self._writer = writer
        self._on_request = on_request
        self._window = asyncio.Semaphore(window)
        self._timeout = response_timeout
        self._log = log
        self._sequence = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Response]] = {}
        self._closed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.close_reason = ""

    # -- life ---------------------------------------------------------------------------

    def start(self) -> None:
        self._spawn(self._read_loop(), "smpp-read")

    def start_keepalive(self, interval: float) -> None:
        """Send enquire_link every ``interval`` seconds; no answer in time closes the link."""
        if interval > 0:
            self._spawn(self._keepalive(interval), "smpp-enquire-link")

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    def _mark_closed(self, reason: str) -> None:
        if self._closed.is_set():
            return
        self.close_reason = reason
        self._closed.set()
        waiting = [f for f in self._pending.values() if not f.done()]
        self._log.info("smpp_link_closed", reason=reason, unanswered=len(waiting))
        for future in waiting:
            future.set_exception(LinkClosed(reason))
        self._window.release()  # wakes window waiters, who see the link closed

    async def close(self, reason: str = "closed") -> None:
        """Close the connection and end the link's tasks (not from inside them)."""
        self._mark_closed(reason)
        tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)

    async def unbind(self) -> None:
        """Say goodbye (``unbind``, waiting at most the response timeout), then close."""
        with contextlib.suppress(LinkClosed, ResponseTimeout):
            await self.call(pdus.unbind)
        await self.close("unbound")

    # -- sending ------------------------------------------------------------------------

    async def send(self, pdu: bytes) -> None:
        if self.closed:
            raise LinkClosed(self.close_reason)
        try:
            self._writer.write(pdu)
            await self._writer.drain()
        except (ConnectionError, OSError) as error:
            self._mark_closed(f"write failed: {error!r}")
            raise LinkClosed(self.close_reason) from error

    async def call(self, build: Callable[[int], bytes], *, windowed: bool = False) -> Response:
        """Send the request ``build(sequence)`` and wait for its response (or generic_nack).

        ``windowed`` requests count against the window of unacknowledged PDUs; waiting for
        room and waiting for the response each last at most the response timeout.
        """
        if self.closed:
            raise LinkClosed(self.close_reason)
        if windowed:
            try:
                await asyncio.wait_for(self._window.acquire(), self._timeout)
            except TimeoutError:
                raise ResponseTimeout("the window of unacknowledged PDUs stayed full") from None
            if self._closed.is_set():  # woken by _mark_closed
                self._window.release()
                raise LinkClosed(self.close_reason)
        sequence = self._next_sequence()
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._pending[sequence] = future
        try:
            await self.send(build(sequence))
            try:
                return await asyncio.wait_for(future, self._timeout)
            except TimeoutError:
                raise ResponseTimeout(f"no response to sequence {sequence}") from None
        finally:
            del self._pending[sequence]
            if windowed:
                self._window.release()

    def _next_sequence(self) -> int:
        sequence = next(self._sequence)
        if sequence > MAX_SEQUENCE:
            self._sequence = itertools.count(2)
            sequence = 1
        return sequence

    @property
    def unacknowledged(self) -> int:
        return len(self._pending)

    # -- receiving ----------------------------------------------------------------------

    async def _read_loop(self) -> None:
        reason = "connection lost"
        try:
            while True:
                head = await self._reader.readexactly(pdus.HEADER_SIZE)
                header = Header.parse(head)
                if not pdus.HEADER_SIZE <= header.length <= pdus.MAX_PDU_SIZE:
                    self._log.warning("smpp_bad_command_length", length=header.length)
                    await self.send(pdus.generic_nack(header.sequence, Status.ESME_RINVCMDLEN))
                    reason = "bad command_length"
                    break
                body = await self._reader.readexactly(header.length - pdus.HEADER_SIZE)
                if header.is_response:
                    self._resolve(header, body)
                    continue
                await self._answer(header, head + body)
                if header.command_id == Cmd.UNBIND:
                    reason = "unbound by the SMSC"
                    break
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as error:
            reason = f"connection lost: {error!r}"
        finally:
            self._mark_closed(reason)

    async def _answer(self, header: Header, pdu: bytes) -> None:
        if header.command_id == Cmd.ENQUIRE_LINK:
            answer: bytes | None = pdus.enquire_link_resp(header.sequence)
        elif header.command_id == Cmd.UNBIND:
            answer = pdus.unbind_resp(header.sequence)
        else:
            try:
                answer = await self._on_request(header, pdu)
            except Exception:
                self._log.exception("smpp_request_failed", command=header.command_name)
                answer = pdus.generic_nack(header.sequence, Status.ESME_RSYSERR)
        if answer is not None:
            await self.send(answer)

    def _resolve(self, header: Header, body: bytes) -> None:
        future = self._pending.get(header.sequence)
        if future is None or future.done():
            self._log.warning(
                "smpp_unexpected_response",
                command=header.command_name,
                sequence=header.sequence,
                status=pdus.status_name(header.status),
            )
            return
        future.set_result(Response(header, body))

    async def _keepalive(self, interval: float) -> None:
        while not self.closed:
            await asyncio.sleep(interval)
            try:
                response = await self.call(pdus.enquire_link)
            except ResponseTimeout:
                self._mark_closed("no enquire_link_resp")
                return
            except LinkClosed:
                return
            if response.header.command_id != Cmd.ENQUIRE_LINK_RESP:
                self._log.warning("smpp_enquire_link_refused", command=response.header.command_name)
