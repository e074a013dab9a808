"""One SMPP connection: the read loop, responses matched by sequence number, a window of
unacknowledged requests, and enquire_link both ways.

Requests from the SMSC go to ``on_request``, which returns the PDU to answer with. Whatever
arrives, the link answers or logs it and carries on; it ends only when the connection ends, the
SMSC unbinds, the stream cannot be followed (a ``command_length`` no PDU can have, or a PDU
begun and not finished within ``pdu_timeout``), or enquire_link gets no answer. Why it ended
is typed (:class:`CloseCause`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from featurecodes.smpp import pdus
from featurecodes.smpp.pdus import Cmd, Header, Status

RequestHandler = Callable[[Header, bytes], Awaitable[bytes | None]]
MAX_SEQUENCE = 0x7FFFFFFF


class CloseCause(Enum):
    """Why a link ended."""

    CLOSED = "closed"  # by us (stop, unbind, a failed bind)
    UNBOUND = "unbound by the SMSC"
    CONNECTION_LOST = "connection lost"  # end of stream, reset, a failed write
    BAD_LENGTH = "bad command_length"  # a header no SMPP 3.4 PDU can have
    PARTIAL_PDU = "partial PDU"  # a PDU begun and not finished within the PDU timeout
    NO_KEEPALIVE = "no enquire_link_resp"

    @property
    def desynchronised(self) -> bool:
        """The stream could not be followed, but the SMSC was there: rebind at once."""
        return self in (CloseCause.BAD_LENGTH, CloseCause.PARTIAL_PDU)


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
        pdu_timeout: float = 5.0,
    ) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self._reader = reader
        self._writer = writer
        self._on_request = on_request
        self._window = asyncio.Semaphore(window)
        self._timeout = response_timeout
        self._pdu_timeout = pdu_timeout
        self._log = log
        self._sequence = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Response]] = {}
        self._closed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.close_reason = ""
        self.close_cause: CloseCause | None = None

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

    def _mark_closed(self, cause: CloseCause, reason: str = "") -> None:
        if self._closed.is_set():
            return
        self.close_cause = cause
        self.close_reason = reason or cause.value
        self._closed.set()
        waiting = [f for f in self._pending.values() if not f.done()]
        self._log.info(
            "smpp_link_closed",
            cause=cause.name,
            reason=self.close_reason,
            unanswered=len(waiting),
        )
        for future in waiting:
            future.set_exception(LinkClosed(reason))
        self._window.release()  # wakes window waiters, who see the link closed

    async def close(self, reason: str = "closed") -> None:
        """Close the connection and end the link's tasks (not from inside them)."""
        self._mark_closed(CloseCause.CLOSED, reason)
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
            self._mark_closed(CloseCause.CONNECTION_LOST, f"write failed: {error!r}")
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
        cause, reason = CloseCause.CONNECTION_LOST, ""
        try:
            while True:
                pdu = await self._read_pdu()
                if pdu is None:
                    cause = CloseCause.BAD_LENGTH
                    break
                header, head, body = pdu
                if header.is_response:
                    self._resolve(header, body)
                    continue
                await self._answer(header, head + body)
                if header.command_id == Cmd.UNBIND:
                    cause = CloseCause.UNBOUND
                    break
        except TimeoutError:
            cause = CloseCause.PARTIAL_PDU
            self._log.warning("smpp_partial_pdu", timeout=self._pdu_timeout)
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as error:
            reason = f"connection lost: {error!r}"
        finally:
            self._mark_closed(cause, reason)

    async def _read_pdu(self) -> tuple[Header, bytes, bytes] | None:
        """The next PDU, whole. Waiting for its first octet has no limit (an idle link);
        from there the rest must come within the PDU timeout (``TimeoutError``). ``None``
        (after a ``generic_nack``) when its ``command_length`` cannot be an SMPP 3.4 PDU."""
        first = await self._reader.readexactly(1)
        async with asyncio.timeout(self._pdu_timeout):
            head = first + await self._reader.readexactly(pdus.HEADER_SIZE - 1)
            header = Header.parse(head)
            if not pdus.HEADER_SIZE <= header.length <= pdus.MAX_PDU_SIZE:
                self._log.warning("smpp_bad_command_length", length=header.length)
                await self.send(pdus.generic_nack(header.sequence, Status.ESME_RINVCMDLEN))
                return None
            body = await self._reader.readexactly(header.length - pdus.HEADER_SIZE)
        return header, head, body

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
                self._mark_closed(CloseCause.NO_KEEPALIVE)
                return
            except LinkClosed:
                return
            if response.header.command_id != Cmd.ENQUIRE_LINK_RESP:
                self._log.warning("smpp_enquire_link_refused", command=response.header.command_name)
