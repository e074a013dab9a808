"""The typed header values of a message, each computed from its :class:`Headers` (which keep
them: :meth:`Headers.cached`); :class:`fleet.sip.message.Message` exposes them as properties.
Lists are computed as tuples, so that the value kept cannot be changed by a caller."""

from __future__ import annotations

from fleet.sip.headers import Headers
from fleet.sip.values import (
    CSeq,
    MediaType,
    NameAddr,
    Via,
    parse_bounded_int,
    parse_cseq,
    parse_media_type,
    parse_name_addr,
    parse_token_list,
    parse_via,
)

MAX_CONTENT_LENGTH = 2**31 - 1


def vias(headers: Headers) -> tuple[Via, ...]:
    return tuple([parse_via(v) for v in headers.values("Via")])


def top_via(headers: Headers) -> Via | None:
    if "via" in headers._typed:  # every Via parsed already
        parsed = headers.cached("via", vias)
        return parsed[0] if parsed else None
    values = headers.values("Via")
    return parse_via(values[0]) if values else None


def _name_addr(headers: Headers, name: str) -> NameAddr | None:
    value = headers.get(name)
    return None if value is None else parse_name_addr(value, name)


def from_(headers: Headers) -> NameAddr | None:
    return _name_addr(headers, "From")


def to(headers: Headers) -> NameAddr | None:
    return _name_addr(headers, "To")


def cseq(headers: Headers) -> CSeq | None:
    value = headers.get("CSeq")
    return None if value is None else parse_cseq(value)


def max_forwards(headers: Headers) -> int | None:
    value = headers.get("Max-Forwards")
    return None if value is None else parse_bounded_int(value, "Max-Forwards", 255)


def content_length(headers: Headers) -> int | None:
    value = headers.get("Content-Length")
    return None if value is None else parse_bounded_int(value, "Content-Length", MAX_CONTENT_LENGTH)


def content_type(headers: Headers) -> MediaType | None:
    value = headers.get("Content-Type")
    return None if value is None else parse_media_type(value)


def contacts(headers: Headers) -> tuple[NameAddr, ...]:
    return tuple([parse_name_addr(v, "Contact") for v in headers.values("Contact") if v != "*"])


def routes(headers: Headers) -> tuple[NameAddr, ...]:
    return tuple([parse_name_addr(v, "Route") for v in headers.values("Route")])


def record_routes(headers: Headers) -> tuple[NameAddr, ...]:
    return tuple([parse_name_addr(v, "Record-Route") for v in headers.values("Record-Route")])


def require(headers: Headers) -> tuple[str, ...]:
    return parse_token_list(headers.values("Require"), "Require")


def proxy_require(headers: Headers) -> tuple[str, ...]:
    return parse_token_list(headers.values("Proxy-Require"), "Proxy-Require")


def supported(headers: Headers) -> tuple[str, ...]:
    return parse_token_list(headers.values("Supported"), "Supported")


def allow(headers: Headers) -> tuple[str, ...]:
    return parse_token_list(headers.values("Allow"), "Allow")


def accept(headers: Headers) -> tuple[MediaType, ...]:
    return tuple([parse_media_type(v, "Accept") for v in headers.values("Accept") if v])
