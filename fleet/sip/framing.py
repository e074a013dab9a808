"""Stream framing for SIP over TCP and TLS (RFC 3261 §18.3): bytes in, whole messages out.

On a stream ``Content-Length`` is mandatory and delimits the body. Empty lines between
messages — the RFC 5626 CRLF keep-alive "ping" (double CRLF) included — are skipped and counted
(``keepalives``) so the transport can answer the "pong". Limits on the header section and the body
protect memory; breaking one, a missing or malformed ``Content-Length`` is a :class:`FramingError`
after which the stream cannot be resynchronised (the connection is closed). A message that is
framed but malformed (a bad Via, a bad Request-URI …) comes out as its :class:`SipParseError`, so
the transport can answer it and read on."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.sip.errors import SipParseError
from fleet.sip.message import MAX_CONTENT_LENGTH, Request, Response, find_head_end, parse_message


class FramingError(SipParseError):
    """The stream cannot be framed any more; the connection should be closed."""


class HeaderSectionTooLarge(FramingError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"Header section larger than {limit} bytes", status=513)


class BodyTooLarge(FramingError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"Body of {length} bytes larger than {limit}", status=513)


class MissingContentLength(FramingError):
    def __init__(self) -> None:
        super().__init__("Missing Content-Length header on a stream", header="Content-Length")


class BadContentLength(FramingError):
    def __init__(self) -> None:
        super().__init__("Bad Content-Length header", header="Content-Length")


@dataclass(frozen=True, slots=True)
class FramingLimits:
    max_header_bytes: int = 16 * 1024
    max_body_bytes: int = 64 * 1024


Framed = Request | Response | SipParseError


class StreamFramer:
    """Feed received chunks; take out every message they complete."""

    def __init__(self, limits: FramingLimits | None = None) -> None:
        self.limits = limits or FramingLimits()
        self.keepalives = 0
        self._buffer = bytearray()
        self._scanned = 0  # where the search for the end of the header section resumes
        self._frame_end: int | None = None  # set once the header section is read
        self._failed: FramingError | None = None
        self._blank_run = b""  # CR/LF skipped since the last message, for keep-alive counting

    @property
    def pending(self) -> int:
        """Octets received and not yet part of a complete message."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Framed]:
        """Append ``data``; return the messages completed (or their parse errors), in order.

        Raises :class:`FramingError` when the stream breaks a limit or cannot be framed; the
        framer then refuses further input with the same error."""
        if self._failed is not None:
            raise self._failed
        self._buffer += data
        out: list[Framed] = []
        try:
            while self._next(out):
                pass
        except FramingError as exc:
            self._failed = exc
            self._buffer.clear()
            raise
        return out

    def _next(self, out: list[Framed]) -> bool:
        buffer = self._buffer
        if self._frame_end is None:
            if not self._skip_empty_lines():
                return False
            found = find_head_end(buffer, max(0, self._scanned - 2))
            if found is None:
                if len(buffer) > self.limits.max_header_bytes:
                    raise HeaderSectionTooLarge(self.limits.max_header_bytes)
                self._scanned = len(buffer)
                return False
            head_end, body_start = found
            if head_end > self.limits.max_header_bytes:
                raise HeaderSectionTooLarge(self.limits.max_header_bytes)
            length = self._content_length(bytes(buffer[:head_end]))
            if length > self.limits.max_body_bytes:
                raise BodyTooLarge(length, self.limits.max_body_bytes)
            self._frame_end = body_start + length
        if len(buffer) < self._frame_end:
            return False
        frame = bytes(buffer[: self._frame_end])
        del buffer[: self._frame_end]
        self._frame_end = None
        self._scanned = 0
        try:
            out.append(parse_message(frame))
        except SipParseError as exc:
            out.append(exc)
        return True

    def _skip_empty_lines(self) -> bool:
        """Drop CRLF / LF before a message; False when nothing else is buffered yet."""
        buffer = self._buffer
        skip = 0
        while skip < len(buffer) and buffer[skip] in (13, 10):
            skip += 1
        if skip:
            run = self._blank_run + bytes(buffer[:skip])
            pings = run.count(b"\r\n\r\n")
            if pings:
                self.keepalives += pings
                run = run[run.rfind(b"\r\n\r\n") + 4 :]
            self._blank_run = run[-3:]
            del buffer[:skip]
            self._scanned = 0
        if buffer:
            self._blank_run = b""
            return True
        return False

    @staticmethod
    def _content_length(head: bytes) -> int:
        """The Content-Length of a header section (any spelling, compact ``l``, folded)."""
        text = head.decode("utf-8", "surrogateescape").replace("\r\n", "\n")
        values: list[str] = []
        collecting = False
        for line in text.split("\n")[1:]:
            if line[:1] in (" ", "\t"):
                if collecting:
                    values[-1] = f"{values[-1]} {line.strip()}".strip()
                continue
            name, colon, value = line.partition(":")
            collecting = bool(colon) and name.strip().lower() in ("content-length", "l")
            if collecting:
                values.append(value.strip())
        if not values:
            raise MissingContentLength()
        if len(values) > 1:
            raise BadContentLength()
        value = values[0]
        if not value.isdigit() or not value.isascii() or int(value) > MAX_CONTENT_LENGTH:
            raise BadContentLength()
        return int(value)
