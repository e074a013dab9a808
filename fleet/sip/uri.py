"""SIP and SIPS URIs (RFC 3261 §19.1), other schemes kept opaque (tel, urn, http …)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fleet.sip.errors import SipParseError
from fleet.sip.syntax import Params, format_params, param

# Character sets as strings: ``not text.strip(CHARS)`` is true when every character of a
# non-empty ``text`` is in CHARS (strip removes them all), and runs in C.
_ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SCHEME_CHARS = _ALPHA + "0123456789+-."
_HOST_CHARS = _ALPHA + "0123456789-."
_IPV6_CHARS = "0123456789abcdefABCDEF:."
# RFC 3261 §25.1 paramchar (param-unreserved / unreserved / escaped) and "=" between name, value
_URI_PARAM_CHARS = _ALPHA + "0123456789-_.!~*'()%[]/:&+$="


# The common SIP URI in one match (a subset of what the full parser accepts, with the same
# result); anything else (IPv6, URI headers, an odd port) takes the full parser.
# (two of them: with a user part and without, so that a match never backtracks over the text)
_FAST_HOST_PARAMS = (
    r"([A-Za-z0-9.-]+)(?::([0-9]{1,5}))?"
    r"((?:;[A-Za-z0-9\-_.!~*'()%\[\]/:&+$]+(?:=[A-Za-z0-9\-_.!~*'()%\[\]/:&+$=]*)?)*)"
)
_FAST_SIP_USER = re.compile(r"([sS][iI][pP][sS]?):([^@:\s]+)(?::([^@\s]*))?@" + _FAST_HOST_PARAMS)
_FAST_SIP_HOST = re.compile(r"([sS][iI][pP][sS]?):()()" + _FAST_HOST_PARAMS)


class UriError(SipParseError):
    """A URI does not follow RFC 3261 §19.1 / RFC 3986."""


@dataclass(frozen=True, slots=True)
class Uri:
    """A URI. For ``sip``/``sips`` the parts are split out (kept escaped, as received);
    for other schemes ``opaque`` holds everything after the colon."""

    scheme: str
    host: str = ""
    user: str | None = None
    password: str | None = None
    port: int | None = None
    params: Params = ()
    headers: tuple[tuple[str, str], ...] = ()
    opaque: str = ""

    @property
    def is_sip(self) -> bool:
        return self.scheme in ("sip", "sips")

    def param(self, name: str) -> str | None:
        return param(self.params, name)

    @property
    def host_port(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def __str__(self) -> str:
        if not self.is_sip:
            return f"{self.scheme}:{self.opaque}"
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(self.user)
            if self.password is not None:
                out += [":", self.password]
            out.append("@")
        out.append(self.host_port)
        out.append(format_params(self.params))
        if self.headers:
            out.append("?" + "&".join(f"{k}={v}" for k, v in self.headers))
        return "".join(out)


def parse_uri(text: str) -> Uri:
    """Parse an absolute URI. Whitespace anywhere, a missing or malformed scheme, or (for SIP) a
    malformed host, port or parameter raises :class:`UriError`."""
    kept = _KEPT.get(text)
    if kept is not None:
        return kept
    uri = _parse_new(text)
    if len(_KEPT) >= _MAX_KEPT:
        _KEPT.clear()
    _KEPT[text] = uri
    return uri


# URIs parsed lately, by text (immutable values, shared): a peer's URIs repeat in its messages
_KEPT: dict[str, Uri] = {}
_MAX_KEPT = 1024


def _parse_new(text: str) -> Uri:
    fast = (_FAST_SIP_USER if "@" in text else _FAST_SIP_HOST).fullmatch(text)
    if fast is not None:
        scheme, user, password, host, port_text, param_text = fast.groups()
        if "@" not in text:
            user = password = None
        port = None if port_text is None else int(port_text)
        if port is None or port <= 65535:
            params: Params = ()
            if param_text:
                pieces: list[tuple[str, str | None]] = []
                for piece in param_text[1:].split(";"):
                    name, eq, value = piece.partition("=")
                    pieces.append((name.lower(), value if eq else None))
                params = tuple(pieces)
            return _new_uri(scheme.lower(), host, user, password, port, params)
    return _parse_uri(text)


# A frozen dataclass sets each field through object.__setattr__ in its __init__; a parsed URI
# is built by the slots' own setters instead, at half the cost (the same object, same fields).
_set_uri = [
    Uri.__dict__[name].__set__
    for name in ("scheme", "host", "user", "password", "port", "params", "headers", "opaque")
]


def _new_uri(
    scheme: str, host: str, user: str | None, password: str | None, port: int | None, params: Params
) -> Uri:
    set_scheme, set_host, set_user, set_password, set_port, set_params, set_headers, set_opaque = (
        _set_uri
    )
    uri: Uri = object.__new__(Uri)
    set_scheme(uri, scheme)
    set_host(uri, host)
    set_user(uri, user)
    set_password(uri, password)
    set_port(uri, port)
    set_params(uri, params)
    set_headers(uri, ())
    set_opaque(uri, "")
    return uri


def _parse_uri(text: str) -> Uri:
    if not text or " " in text or "\t" in text:
        raise UriError(f"bad URI {text!r}")
    scheme, colon, rest = text.partition(":")
    if not colon or not scheme or scheme[0] not in _ALPHA or scheme.strip(_SCHEME_CHARS):
        raise UriError(f"bad URI scheme in {text!r}")
    scheme = scheme.lower()
    if scheme not in ("sip", "sips"):
        if not rest:
            raise UriError(f"empty URI {text!r}")
        return Uri(scheme=scheme, opaque=rest)
    user: str | None = None
    password: str | None = None
    at = rest.find("@")
    if at >= 0:
        userinfo, rest = rest[:at], rest[at + 1 :]
        user, has_pw, pw = userinfo.partition(":")
        if not user:
            raise UriError(f"empty user in {text!r}")
        password = pw if has_pw else None
    rest, _, header_text = rest.partition("?")
    hostport, _, param_text = rest.partition(";")
    host, port = _host_port(hostport, text)
    params: Params = ()
    if param_text:
        pieces: list[tuple[str, str | None]] = []
        for piece in param_text.split(";"):
            if not piece or piece.strip(_URI_PARAM_CHARS):
                raise UriError(f"bad URI parameter in {text!r}")
            name, eq, value = piece.partition("=")
            if not name:
                raise UriError(f"bad URI parameter in {text!r}")
            pieces.append((name.lower(), value if eq else None))
        params = tuple(pieces)
    headers: tuple[tuple[str, str], ...] = ()
    if header_text:
        hs: list[tuple[str, str]] = []
        for piece in header_text.split("&"):
            name, eq, value = piece.partition("=")
            if not name or not eq:
                raise UriError(f"bad URI header in {text!r}")
            hs.append((name, value))
        headers = tuple(hs)
    return Uri(
        scheme=scheme,
        host=host,
        user=user,
        password=password,
        port=port,
        params=params,
        headers=headers,
    )


def _host_port(hostport: str, text: str) -> tuple[str, int | None]:
    port_text = ""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise UriError(f"bad IPv6 reference in {text!r}")
        host = hostport[: end + 1]
        if host[1:-1].strip(_IPV6_CHARS) or ":" not in host:
            raise UriError(f"bad IPv6 reference in {text!r}")
        after = hostport[end + 1 :]
        if after:
            if after[0] != ":":
                raise UriError(f"bad host in {text!r}")
            port_text = after[1:]
            if not port_text:
                raise UriError(f"empty port in {text!r}")
    else:
        host, colon, port_text = hostport.partition(":")
        if colon and not port_text:
            raise UriError(f"empty port in {text!r}")
        if not host or host.strip(_HOST_CHARS):
            raise UriError(f"bad host in {text!r}")
    if not port_text:
        return host, None
    return host, parse_port(port_text, text)


def parse_port(port_text: str, context: str) -> int:
    if not port_text.isdigit() or not port_text.isascii() or len(port_text) > 5:
        raise UriError(f"bad port in {context!r}")
    port = int(port_text)
    if port > 65535:
        raise UriError(f"bad port in {context!r}")
    return port


def unescape(text: str) -> str:
    """``%HH`` escapes of a URI part resolved (as UTF-8, invalid octets kept escaped)."""
    if "%" not in text:
        return text
    raw = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "%" and i + 2 < len(text) and _is_hex(text[i + 1 : i + 3]):
            raw.append(int(text[i + 1 : i + 3], 16))
            i += 3
        else:
            raw += ch.encode("utf-8", "surrogateescape")
            i += 1
    return raw.decode("utf-8", "surrogateescape")


def _is_hex(pair: str) -> bool:
    return len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair)
