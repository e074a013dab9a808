"""Typed header values, parsed on demand from the raw text the message keeps: Via, name-addr
(From, To, Contact, Route …), CSeq, media types, token lists and bounded integers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fleet.sip.errors import HeaderValueError, SipParseError
from fleet.sip.syntax import (
    Params,
    format_params,
    is_token,
    param,
    parse_params,
    quote,
    quoted_string_end,
    split_outside,
    unquote,
)
from fleet.sip.uri import Uri, parse_port, parse_uri

MAX_CSEQ = 2**31 - 1  # RFC 3261 §8.1.1.5
MAGIC_COOKIE = "z9hG4bK"


@dataclass(frozen=True, slots=True)
class Via:
    """One Via value (RFC 3261 §20.42, RFC 3581)."""

    transport: str
    host: str
    port: int | None = None
    params: Params = ()
    protocol: str = "SIP"
    version: str = "2.0"

    def param(self, name: str) -> str | None:
        return param(self.params, name)

    @property
    def branch(self) -> str | None:
        return self.param("branch")

    @property
    def received(self) -> str | None:
        return self.param("received")

    @property
    def maddr(self) -> str | None:
        return self.param("maddr")

    @property
    def rport(self) -> int | None:
        """The ``rport`` value filled in by a server; None when absent or still empty."""
        value = self.param("rport")
        return int(value) if value else None

    @property
    def wants_rport(self) -> bool:
        return self.param("rport") is not None

    @property
    def ttl(self) -> int | None:
        value = self.param("ttl")
        return None if value is None else int(value)

    @property
    def is_rfc3261_branch(self) -> bool:
        """The branch carries the magic cookie and something after it (RFC 3261 §8.1.1.7)."""
        branch = self.branch
        return branch is not None and branch.startswith(MAGIC_COOKIE) and len(branch) > 7

    def __str__(self) -> str:
        host = self.host if self.port is None else f"{self.host}:{self.port}"
        proto = f"{self.protocol}/{self.version}/{self.transport}"
        return f"{proto} {host}{format_params(self.params)}"


_VIA = re.compile(
    r"\s*([^\s/]+)\s*/\s*([^\s/]+)\s*/\s*([^\s/;]+)\s+([^;]+?)\s*(?:;(.*))?",
    re.DOTALL,
)


# The common Via and name-addr in one match each (a subset of what the full parsers accept, with
# the same result); anything else (spaces, quoted values, IPv6, bare addr-specs) takes those.
_TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"
_PARAMS = rf"((?:;{_TOKEN}(?:=(?:[A-Za-z0-9\-.!%*_+`'~\[\]:]+|\"[^\"\\;]*\"))?)*)"
_FAST_VIA = re.compile(rf"({_TOKEN})/({_TOKEN})/({_TOKEN}) ({_TOKEN})(?::([0-9]{{1,5}}))?{_PARAMS}")
# display name: quoted (group 1) or tokens one space apart (group 2, SIPp's ``sipp <sip:…>``)
_WORDS = r"[A-Za-z0-9\-.!%*_+`'~]++(?: [A-Za-z0-9\-.!%*_+`'~]++)*+"
_FAST_NAME_ADDR = re.compile(rf"(?:\"([^\"\\]*)\" *|({_WORDS}) *)?<([^<>\s]+)>{_PARAMS}")


# Via values of the common shape parsed lately, by text (immutable values, shared): a request's
# top Via is read again from each response built for it, and from retransmissions
_VIAS: dict[str, Via] = {}
_MAX_KEPT = 512


def _fast_params(text: str) -> Params:
    out: list[tuple[str, str | None]] = []
    for piece in text[1:].split(";"):
        name, eq, value = piece.partition("=")
        out.append((name.lower(), value if eq else None))
    return tuple(out)


def parse_via(text: str) -> Via:
    kept = _VIAS.get(text)
    if kept is not None:
        return kept
    fast = _FAST_VIA.fullmatch(text)
    if fast is not None:
        protocol, version, transport, host, port_text, param_text = fast.groups()
        port = None if port_text is None else int(port_text)
        if port is None or port <= 65535:
            params = _fast_params(param_text) if param_text else ()
            _check_via_params(params)
            via = _new_via(transport.upper(), host, port, params, protocol.upper(), version)
            if len(_VIAS) >= _MAX_KEPT:
                _VIAS.clear()
            _VIAS[text] = via
            return via
    match = _VIA.fullmatch(text)
    if match is None:
        raise HeaderValueError("Via", f"malformed value {text!r}")
    protocol, version, transport, sent_by, param_text = match.groups()
    if not (is_token(protocol) and is_token(version) and is_token(transport)):
        raise HeaderValueError("Via", f"malformed sent-protocol {text!r}")
    sent_by = sent_by.replace(" ", "").replace("\t", "")
    try:
        host, port = _sent_by(sent_by)
        params = parse_params(param_text) if param_text is not None else ()
    except (ValueError, SipParseError) as exc:
        raise HeaderValueError("Via", str(exc)) from None
    _check_via_params(params)
    return Via(
        transport=transport.upper(),
        host=host,
        port=port,
        params=params,
        protocol=protocol.upper(),
        version=version,
    )


def _check_via_params(params: Params) -> None:
    for name, value in params:
        if name == "ttl" and (value is None or not value.isdigit() or int(value) > 255):
            raise HeaderValueError("Via", f"bad ttl {value!r}")
        if name == "rport" and value is not None and (not value.isdigit() or int(value) > 65535):
            raise HeaderValueError("Via", f"bad rport {value!r}")
        if name == "branch" and not value:
            raise HeaderValueError("Via", "empty branch")


def _sent_by(sent_by: str) -> tuple[str, int | None]:
    if sent_by.startswith("["):
        end = sent_by.find("]")
        if end < 0:
            raise ValueError(f"bad sent-by {sent_by!r}")
        host, rest = sent_by[: end + 1], sent_by[end + 1 :]
        if not rest:
            return host, None
        if rest[0] != ":":
            raise ValueError(f"bad sent-by {sent_by!r}")
        return host, parse_port(rest[1:], sent_by)
    host, colon, port = sent_by.partition(":")
    if not is_token(host):
        raise ValueError(f"bad sent-by {sent_by!r}")
    return host, (parse_port(port, sent_by) if colon else None)


@dataclass(frozen=True, slots=True)
class NameAddr:
    """A name-addr or addr-spec with header parameters (From, To, Contact, Route …)."""

    uri: Uri
    display_name: str | None = None
    params: Params = ()

    def param(self, name: str) -> str | None:
        return param(self.params, name)

    @property
    def tag(self) -> str | None:
        return self.param("tag")

    def __str__(self) -> str:
        name = "" if self.display_name is None else quote(self.display_name) + " "
        return f"{name}<{self.uri}>{format_params(self.params)}"


# Frozen dataclasses set each field through object.__setattr__ in __init__; the common values are
# built by the slots' own setters instead (the same object, the same fields, half the cost).
_set_via = [
    Via.__dict__[name].__set__
    for name in ("transport", "host", "port", "params", "protocol", "version")
]
_set_name_addr = [NameAddr.__dict__[name].__set__ for name in ("uri", "display_name", "params")]


def _new_via(
    transport: str, host: str, port: int | None, params: Params, protocol: str, version: str
) -> Via:
    set_transport, set_host, set_port, set_params, set_protocol, set_version = _set_via
    via: Via = object.__new__(Via)
    set_transport(via, transport)
    set_host(via, host)
    set_port(via, port)
    set_params(via, params)
    set_protocol(via, protocol)
    set_version(via, version)
    return via


def _new_name_addr(uri: Uri, display_name: str | None, params: Params) -> NameAddr:
    set_uri, set_display_name, set_params = _set_name_addr
    value: NameAddr = object.__new__(NameAddr)
    set_uri(value, uri)
    set_display_name(value, display_name)
    set_params(value, params)
    return value


# name-addrs of the common shape parsed lately, by text (immutable values, shared): the Contact,
# Route and Record-Route values of a peer repeat in every message of its dialogs
_NAME_ADDRS: dict[str, NameAddr] = {}


def parse_name_addr(text: str, header: str = "name-addr") -> NameAddr:
    """Parse ``[display-name] <URI> *(;param)`` or ``addr-spec *(;param)``."""
    kept = _NAME_ADDRS.get(text)
    if kept is not None:
        return kept
    fast = _FAST_NAME_ADDR.fullmatch(text)
    if fast is not None:
        quoted, words, uri_text, param_text = fast.groups()
        try:
            uri = parse_uri(uri_text)
        except SipParseError as exc:
            raise HeaderValueError(header, exc.reason) from None
        params = _fast_params(param_text) if param_text else ()
        value = _new_name_addr(uri, words if quoted is None else quoted, params)
    else:
        try:
            value = _name_addr(text.strip())
        except (ValueError, SipParseError) as exc:
            detail = exc.reason if isinstance(exc, SipParseError) else str(exc)
            raise HeaderValueError(header, detail) from None
    if len(_NAME_ADDRS) >= _MAX_KEPT:
        _NAME_ADDRS.clear()
    _NAME_ADDRS[text] = value
    return value


def _name_addr(text: str) -> NameAddr:
    display: str | None = None
    if text.startswith('"'):
        end = quoted_string_end(text, 0)
        display = unquote(text[:end])
        rest = text[end:].lstrip(" \t")
        if not rest.startswith("<"):
            raise ValueError("quoted display name not followed by <URI>")
        lt = 0
        text = rest
    else:
        lt = text.find("<")
    if lt >= 0:
        if display is None:
            name = text[:lt].strip()
            if name:
                if not all(is_token(word) for word in name.split()):
                    raise ValueError(f"display name {name!r} must be quoted")
                display = " ".join(name.split())
        gt = text.find(">", lt)
        if gt < 0:
            raise ValueError("missing >")
        uri = parse_uri(text[lt + 1 : gt])
        tail = text[gt + 1 :].strip()
    else:
        spec, semi, tail = text.partition(";")
        spec = spec.strip()
        if "?" in spec or "," in spec:
            raise ValueError("a URI with headers or commas must be enclosed in <>")
        uri = parse_uri(spec)
        tail = semi + tail
    if not tail:
        return NameAddr(uri=uri, display_name=display)
    if not tail.startswith(";"):
        raise ValueError(f"unexpected {tail!r} after the URI")
    return NameAddr(uri=uri, display_name=display, params=parse_params(tail[1:]))


@dataclass(frozen=True, slots=True)
class CSeq:
    number: int
    method: str

    def __str__(self) -> str:
        return f"{self.number} {self.method}"


def parse_cseq(text: str) -> CSeq:
    parts = text.split()
    if len(parts) != 2:
        raise HeaderValueError("CSeq", f"malformed value {text!r}")
    number, method = parts
    if not number.isdigit() or not number.isascii() or len(number) > 10:
        raise HeaderValueError("CSeq", f"bad sequence number {number!r}")
    value = int(number)
    if value > MAX_CSEQ:
        raise HeaderValueError("CSeq", f"sequence number {number} above 2**31-1")
    if not is_token(method):
        raise HeaderValueError("CSeq", f"bad method {method!r}")
    return CSeq(value, method)


def parse_bounded_int(text: str, header: str, maximum: int) -> int:
    """A non-negative decimal integer no greater than ``maximum`` (Max-Forwards, Content-Length)."""
    text = text.strip()
    if not text.isdigit() or not text.isascii():
        raise HeaderValueError(header, f"not a non-negative integer: {text!r}")
    # leading zeros are allowed (RFC 4475 wsinv: Max-Forwards: 0068)
    if len(text.lstrip("0")) > len(str(maximum)) or int(text) > maximum:
        raise HeaderValueError(header, f"{text} above {maximum}")
    return int(text)


@dataclass(frozen=True, slots=True)
class MediaType:
    """A media type or media range (Content-Type, Accept), type and subtype lower-cased."""

    type: str
    subtype: str
    params: Params = ()

    @property
    def mime(self) -> str:
        return f"{self.type}/{self.subtype}"

    def matches(self, mime: str) -> bool:
        """True when this range (``*/*``, ``type/*`` or exact) covers ``mime``."""
        return covers(self.type, self.subtype, mime)

    def __str__(self) -> str:
        return f"{self.type}/{self.subtype}{format_params(self.params)}"


def covers(kind: str, subtype: str, mime: str) -> bool:
    """True when the media range ``kind/subtype`` (``*/*``, ``type/*`` or exact, lower-case)
    covers ``mime``."""
    mime_kind, _, mime_sub = mime.partition("/")
    return kind == "*" or (kind == mime_kind and subtype in ("*", mime_sub))


def parse_media_type(text: str, header: str = "Content-Type") -> MediaType:
    main, semi, rest = text.partition(";")
    kind, slash, sub = main.strip().partition("/")
    kind, sub = kind.strip(), sub.strip()
    if not slash or not is_token(kind) or not is_token(sub):
        raise HeaderValueError(header, f"bad media type {text!r}")
    try:
        params = parse_params(rest) if semi else ()
    except ValueError as exc:
        raise HeaderValueError(header, str(exc)) from None
    return MediaType(kind.lower(), sub.lower(), params)


def parse_token_list(values: list[str], header: str) -> tuple[str, ...]:
    """Option tags or methods (Require, Supported, Allow …); empty items are skipped."""
    out: list[str] = []
    for value in values:
        if not value:
            continue
        if not is_token(value):
            raise HeaderValueError(header, f"not a token: {value!r}")
        out.append(value)
    return tuple(out)


def split_list(value: str, header: str, spelling: Callable[[str], str] | None = None) -> list[str]:
    """A comma-separated header value split outside quotes and ``<>``; an error names the
    header as ``spelling(header)`` when given (computed only then)."""
    try:
        return split_outside(value, ",")
    except ValueError as exc:
        name = header if spelling is None else spelling(header)
        raise HeaderValueError(name, str(exc)) from None
