"""SIP requests and responses (RFC 3261 §7): the model, a tolerant parser from bytes and the
serializer.

The parser accepts CRLF and bare LF line ends, unfolds continuation lines, expands compact header
names and treats names case-insensitively. Header values are kept as text and parsed into typed
values only when asked for (``message.via``, ``message.cseq`` …), so a message costs a split per
line to read; a typed value is kept by the headers once parsed, until they change. For a
datagram, ``Content-Length`` frames the body: octets after it are ignored
(RFC 3261 §18.3, RFC 4475 ``dblreq``), a body shorter than it is an error, and without it the body
is the rest of the datagram."""

from __future__ import annotations

from fleet.sip import typed
from fleet.sip.errors import HeaderValueError, SipParseError
from fleet.sip.headers import CANONICAL, Headers
from fleet.sip.syntax import is_token
from fleet.sip.uri import Uri, parse_uri
from fleet.sip.values import (
    CSeq,
    MediaType,
    NameAddr,
    Via,
    parse_bounded_int,
)

SIP_VERSION = "SIP/2.0"
MAX_CONTENT_LENGTH = typed.MAX_CONTENT_LENGTH

# lower-case name → (canonical name, index key); unknown names are added as met
# (canonical spellings are keys too, so the common case needs no lower())
_NAMES: dict[str, tuple[str, str]] = {k: (v, v.lower()) for k, v in CANONICAL.items()}
_NAMES.update({v: (v, v.lower()) for v in CANONICAL.values()})


class Message:
    """What requests and responses share: version, ordered headers, body octets."""

    __slots__ = ("body", "headers", "version")

    def __init__(self, headers: Headers | None, body: bytes, version: str) -> None:
        self.headers = headers if headers is not None else Headers()
        self.body = body
        self.version = version

    # typed header values, parsed on first access and kept by the headers until a line changes
    # (lists are returned as copies: the kept value is a tuple)

    @property
    def via(self) -> list[Via]:
        return list(self.headers.cached("via", typed.vias))

    @property
    def top_via(self) -> Via | None:
        return self.headers.cached("top_via", typed.top_via)

    @property
    def from_(self) -> NameAddr | None:
        return self.headers.cached("from", typed.from_)

    @property
    def to(self) -> NameAddr | None:
        return self.headers.cached("to", typed.to)

    @property
    def call_id(self) -> str | None:
        return self.headers.get("Call-ID")

    @property
    def cseq(self) -> CSeq | None:
        return self.headers.cached("cseq", typed.cseq)

    @property
    def max_forwards(self) -> int | None:
        return self.headers.cached("max-forwards", typed.max_forwards)

    @property
    def content_length(self) -> int | None:
        return self.headers.cached("content-length", typed.content_length)

    @property
    def content_type(self) -> MediaType | None:
        return self.headers.cached("content-type", typed.content_type)

    @property
    def contacts(self) -> list[NameAddr]:
        """Contact values; the REGISTER wildcard ``*`` is told by :attr:`contact_is_wildcard`."""
        return list(self.headers.cached("contact", typed.contacts))

    @property
    def contact_is_wildcard(self) -> bool:
        return self.headers.values("Contact") == ["*"]

    @property
    def routes(self) -> list[NameAddr]:
        return list(self.headers.cached("route", typed.routes))

    @property
    def record_routes(self) -> list[NameAddr]:
        return list(self.headers.cached("record-route", typed.record_routes))

    @property
    def require(self) -> tuple[str, ...]:
        return self.headers.cached("require", typed.require)

    @property
    def proxy_require(self) -> tuple[str, ...]:
        return self.headers.cached("proxy-require", typed.proxy_require)

    @property
    def supported(self) -> tuple[str, ...]:
        return self.headers.cached("supported", typed.supported)

    @property
    def allow(self) -> tuple[str, ...]:
        return self.headers.cached("allow", typed.allow)

    @property
    def accept(self) -> list[MediaType]:
        return list(self.headers.cached("accept", typed.accept))

    def pack(self) -> None:
        """Keep the headers packed until next read (:meth:`fleet.sip.headers.Headers.pack`):
        for a message kept as long as its call and seldom read again."""
        self.headers.pack()

    def _same(self, other: Message) -> bool:
        return (
            self.version == other.version
            and self.headers == other.headers
            and self.body == other.body
        )


class Request(Message):
    __slots__ = ("_uri", "method", "request_uri")

    def __init__(
        self,
        method: str,
        uri: str | Uri,
        headers: Headers | None = None,
        body: bytes = b"",
        version: str = SIP_VERSION,
    ) -> None:
        super().__init__(headers, body, version)
        self.method = method
        self.request_uri = str(uri)
        self._uri: tuple[str, Uri] | None = None

    @property
    def uri(self) -> Uri:
        """The Request-URI, parsed (raises :class:`fleet.sip.uri.UriError`); kept until
        ``request_uri`` is given another value."""
        kept = self._uri
        text = self.request_uri
        if kept is not None and kept[0] is text:
            return kept[1]
        uri = parse_uri(text)
        self._uri = (text, uri)
        return uri

    def pack(self) -> None:
        super().pack()
        self._uri = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Request):
            return NotImplemented
        return (
            self.method == other.method
            and self.request_uri == other.request_uri
            and self._same(other)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.request_uri} ({len(self.headers)} headers)>"


class Response(Message):
    __slots__ = ("reason", "status")

    def __init__(
        self,
        status: int,
        reason: str,
        headers: Headers | None = None,
        body: bytes = b"",
        version: str = SIP_VERSION,
    ) -> None:
        super().__init__(headers, body, version)
        self.status = status
        self.reason = reason

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Response):
            return NotImplemented
        return self.status == other.status and self.reason == other.reason and self._same(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.reason} ({len(self.headers)} headers)>"


def find_head_end(data: bytes | bytearray, start: int = 0) -> tuple[int, int] | None:
    """``(end of the header section, start of the body)``: the first empty line at or after
    ``start`` (CRLF or bare LF), or None when there is none yet."""
    crlf = data.find(b"\n\r\n", start)
    lf = data.find(b"\n\n", start)
    if lf >= 0 and (crlf < 0 or lf < crlf):
        return lf, lf + 2
    if crlf >= 0:
        return crlf, crlf + 3
    return None


def parse_message(data: bytes) -> Request | Response:
    """Parse one message received as a datagram (or framed by :mod:`fleet.sip.framing`).

    Raises :class:`SipParseError`: ``status`` is what a UAS answers a request (400, 505),
    ``is_response`` marks a response, which is dropped."""
    start = 0
    while data[start : start + 1] in (b"\r", b"\n"):
        start += 1  # empty lines before the start-line are ignored (RFC 3261 §7.5)
    is_response = data[start : start + 4].upper() == b"SIP/"
    try:
        return _parse(data, start, is_response)
    except SipParseError as exc:
        exc.is_response = is_response
        raise


def _parse(data: bytes, start: int, is_response: bool) -> Request | Response:
    lines = _crlf_head(data, start)
    if lines is not None:
        head_lines, body_start = lines
    else:
        head_lines, body_start = _any_head(data, start)
    headers = _headers(head_lines)
    body = _body(data, body_start, headers)
    first = head_lines[0].strip()
    if is_response:
        return _status_line(first, headers, body)
    return _request_line(first, headers, body)


def _crlf_head(data: bytes, start: int) -> tuple[list[str], int] | None:
    """The common case in one search: CRLF line ends throughout the head (so no bare-LF empty
    line can come before the first CRLF one); None otherwise."""
    end = data.find(b"\n\r\n", start)
    if end < 0:
        return None
    text = data[start:end].decode("utf-8", "surrogateescape")
    lines = text.split("\r\n")
    if len(lines) != text.count("\n") + 1 or text.endswith("\n"):
        return None  # a bare LF somewhere, maybe a bare-LF empty line just before
    return lines, end + 3


def _any_head(data: bytes, start: int) -> tuple[list[str], int]:
    found = find_head_end(data, start)
    if found is None:
        if not data.endswith(b"\n"):
            raise SipParseError("No end of the header section")
        head_end = body_start = len(data)  # tolerated: a datagram without the empty line
    else:
        head_end, body_start = found
    text = data[start:head_end].decode("utf-8", "surrogateescape")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text.split("\n"), body_start


def _headers(lines: list[str]) -> Headers:
    items: list[tuple[str, str]] = []
    index: dict[str, tuple[str, ...]] = {}
    names = _NAMES
    lines_iter = iter(lines)
    next(lines_iter)  # the start-line
    for line in lines_iter:
        name, colon, value = line.partition(":")
        known = names.get(name)
        if known is None or not colon:
            # the rare cases: a name spelt otherwise, a continuation, an empty or bad line
            if not line or line == "\r":
                continue
            if line[0] in " \t":
                _unfold(line, items, index)
                continue
            known = _known_name(name, colon)
        canonical, key = known
        value = value.strip()
        items.append((canonical, value))
        same = index.get(key)
        index[key] = (value,) if same is None else (*same, value)
    return Headers._trusted(items, index)


def _unfold(line: str, items: list[tuple[str, str]], index: dict[str, tuple[str, ...]]) -> None:
    if not items:
        raise SipParseError("Continuation line before any header")
    extra = line.strip()
    if not extra:
        return
    name, value = items[-1]
    value = f"{value} {extra}" if value else extra
    items[-1] = (name, value)
    key = name.lower()
    index[key] = (*index[key][:-1], value)


def _known_name(name: str, colon: str) -> tuple[str, str]:
    if not colon:
        raise SipParseError("Malformed header line")
    names = _NAMES
    name = name.rstrip(" \t")
    lower = name.lower()
    known = names.get(lower)
    if known is None:
        if not is_token(name):
            raise SipParseError("Malformed header name")
        known = (name, lower)
    return known


def _body(data: bytes, body_start: int, headers: Headers) -> bytes:
    lengths = headers._index.get("content-length")
    if not lengths:
        return data[body_start:]
    if len(lengths) > 1:
        raise HeaderValueError("Content-Length", "more than one value")
    length = parse_bounded_int(lengths[0], "Content-Length", MAX_CONTENT_LENGTH)
    if len(data) - body_start < length:
        raise HeaderValueError("Content-Length", "larger than the body received")
    return data[body_start : body_start + length]


def _request_line(line: str, headers: Headers, body: bytes) -> Request:
    parts = line.split()
    if len(parts) != 3:
        raise SipParseError("Malformed Request-Line")
    method, uri, version = parts
    if not is_token(method):
        raise SipParseError("Malformed method")
    if version != SIP_VERSION:
        upper = version.upper()
        if upper == SIP_VERSION:
            version = SIP_VERSION
        elif upper.startswith("SIP/"):
            raise SipParseError("Version Not Supported", status=505)
        else:
            raise SipParseError("Malformed Request-Line")
    return Request(method, uri, headers, body, version)


def _status_line(line: str, headers: Headers, body: bytes) -> Response:
    version, _, rest = line.partition(" ")
    code, _, reason = rest.lstrip(" ").partition(" ")
    if version.upper() != SIP_VERSION:
        raise SipParseError("Version Not Supported", status=505)
    if len(code) != 3 or not code.isdigit() or not code.isascii() or not "1" <= code[0] <= "6":
        raise SipParseError("Malformed status code")
    return Response(int(code), reason.strip(), headers, body, SIP_VERSION)


def serialize(message: Request | Response) -> bytes:
    """The message on the wire: canonical names, CRLF, ``Content-Length`` set from the body
    (in place of the first one, others dropped, appended when absent)."""
    if isinstance(message, Request):
        first = f"{message.method} {message.request_uri} {message.version}"
    else:
        first = f"{message.version} {message.status} {message.reason}"
    lines = [first]
    length_written = False
    for name, value in message.headers:
        if name == "Content-Length":
            if length_written:
                continue
            value = str(len(message.body))
            length_written = True
        lines.append(f"{name}: {value}")
    if not length_written:
        lines.append(f"Content-Length: {len(message.body)}")
    lines.append("\r\n")
    return "\r\n".join(lines).encode("utf-8", "surrogateescape") + message.body
