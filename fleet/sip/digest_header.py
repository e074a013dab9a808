"""HTTP authentication headers as SIP uses them (RFC 3261 §20.27/§20.28/§20.44, §22; RFC 7616
§3.3-3.4): ``WWW-Authenticate`` / ``Proxy-Authenticate`` challenges and ``Authorization`` /
``Proxy-Authorization`` credentials, parsed and serialised.

One header line may carry several challenges (``Digest realm="a", …, Digest realm="b", …``) and a
message may carry several lines. Parameter names compare case-insensitively (kept lower-case);
values are stored unquoted (quoted-pairs resolved) and quoted again on output where the grammar
wants a quoted string. Unknown parameters are kept; a scheme other than Digest is kept with its
parameters or its token68 so the caller can skip it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fleet.sip.errors import HeaderValueError
from fleet.sip.syntax import TOKEN_CHARS, is_token, quote, quoted_string_end, unquote

DIGEST = "digest"

_TOKEN68_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/")
_NAME_CHARS = TOKEN_CHARS | _TOKEN68_CHARS
_WS = " \t"

# parameters written as tokens; every other parameter is written as a quoted string
_CHALLENGE_TOKENS = frozenset({"algorithm", "stale", "charset", "userhash"})
_CREDENTIAL_TOKENS = frozenset({"algorithm", "qop", "nc", "userhash"})

AuthParams = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class AuthValue:
    """One challenge or one set of credentials: a scheme and either parameters or a token68."""

    scheme: str
    params: AuthParams = ()
    token68: str | None = None

    @property
    def is_digest(self) -> bool:
        return self.scheme.lower() == DIGEST

    def param(self, name: str) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return None

    @property
    def realm(self) -> str | None:
        return self.param("realm")

    @property
    def nonce(self) -> str | None:
        return self.param("nonce")

    @property
    def opaque(self) -> str | None:
        return self.param("opaque")

    @property
    def algorithm(self) -> str:
        """The algorithm name as sent; ``MD5`` when absent (RFC 7616 §3.3)."""
        return self.param("algorithm") or "MD5"


@dataclass(frozen=True, slots=True)
class Challenge(AuthValue):
    """A ``WWW-Authenticate`` / ``Proxy-Authenticate`` challenge."""

    @property
    def stale(self) -> bool:
        return (self.param("stale") or "").lower() == "true"

    @property
    def qop_options(self) -> tuple[str, ...]:
        """The offered qop values, lower-case; empty for an RFC 2069 challenge."""
        value = self.param("qop")
        if value is None:
            return ()
        return tuple(v.strip().lower() for v in value.split(",") if v.strip())

    def __str__(self) -> str:
        return _format(self, _CHALLENGE_TOKENS)


@dataclass(frozen=True, slots=True)
class Credentials(AuthValue):
    """An ``Authorization`` / ``Proxy-Authorization`` value."""

    @property
    def username(self) -> str | None:
        return self.param("username")

    @property
    def uri(self) -> str | None:
        return self.param("uri")

    @property
    def response(self) -> str | None:
        return self.param("response")

    @property
    def cnonce(self) -> str | None:
        return self.param("cnonce")

    @property
    def qop(self) -> str | None:
        value = self.param("qop")
        return None if value is None else value.lower()

    @property
    def nc(self) -> str | None:
        return self.param("nc")

    def __str__(self) -> str:
        return _format(self, _CREDENTIAL_TOKENS)


def parse_challenges(lines: Iterable[str], header: str = "WWW-Authenticate") -> list[Challenge]:
    """Every challenge of every line, in order (raises :class:`HeaderValueError`)."""
    return [
        Challenge(scheme, params, token68)
        for line in lines
        for scheme, params, token68 in _parse_line(line, header)
    ]


def parse_credentials(lines: Iterable[str], header: str = "Authorization") -> list[Credentials]:
    """Every set of credentials of every line, in order (raises :class:`HeaderValueError`)."""
    return [
        Credentials(scheme, params, token68)
        for line in lines
        for scheme, params, token68 in _parse_line(line, header)
    ]


def digest_challenge(params: Iterable[tuple[str, str]]) -> Challenge:
    return Challenge("Digest", tuple((k.lower(), v) for k, v in params))


def digest_credentials(params: Iterable[tuple[str, str]]) -> Credentials:
    return Credentials("Digest", tuple((k.lower(), v) for k, v in params))


def _format(value: AuthValue, tokens: frozenset[str]) -> str:
    if value.token68 is not None:
        return f"{value.scheme} {value.token68}"
    parts = [
        f"{name}={text}" if name in tokens and is_token(text) else f"{name}={quote(text)}"
        for name, text in value.params
    ]
    return f"{value.scheme} {', '.join(parts)}" if parts else value.scheme


_Parsed = tuple[str, AuthParams, str | None]
_Fail = Callable[[str], HeaderValueError]


def _parse_line(text: str, header: str) -> list[_Parsed]:
    out: list[_Parsed] = []
    scheme: str | None = None
    params: list[tuple[str, str]] = []
    token68: str | None = None
    pos = 0
    end = len(text)

    def fail(detail: str) -> HeaderValueError:
        return HeaderValueError(header, detail)

    def close() -> None:
        if scheme is not None:
            out.append((scheme, tuple(params), token68))

    while True:
        pos = _skip(text, pos, _WS + ",")
        if pos >= end:
            break
        start = pos
        while pos < end and text[pos] in _NAME_CHARS:
            pos += 1
        name = text[start:pos]
        if not name:
            raise fail(f"unexpected {text[pos]!r}")
        after = _skip(text, pos, _WS)
        value_at = _skip(text, after + 1, _WS) if after < end and text[after] == "=" else -1
        is_param = value_at >= 0 and value_at < end and text[value_at] not in ",="
        if is_param:
            if scheme is None or token68 is not None:
                raise fail("parameter before any scheme")
            if not is_token(name):
                raise fail(f"bad parameter name {name!r}")
            key = name.lower()
            if any(k == key for k, _ in params):
                raise fail(f"parameter {key!r} given twice")
            value, pos = _value(text, value_at, fail)
            params.append((key, value))
        else:
            if not is_token(name):
                raise fail(f"bad scheme {name!r}")
            close()
            scheme, params, token68 = name, [], None
            pos = after
            if pos < end and text[pos] != ",":
                token68, pos = _token68(text, pos)
                if token68 is None:
                    continue  # parameters follow the scheme
        pos = _skip(text, pos, _WS)
        if pos < end and text[pos] != ",":
            raise fail(f"unexpected {text[pos]!r}")
    close()
    if not out:
        raise fail("no challenge or credentials")
    return out


def _token68(text: str, pos: int) -> tuple[str | None, int]:
    """A token68 after a scheme, or None when a parameter list follows instead."""
    start = pos
    while pos < len(text) and text[pos] in _TOKEN68_CHARS:
        pos += 1
    run = pos
    while pos < len(text) and text[pos] == "=":
        pos += 1
    after = _skip(text, pos, _WS)
    if run > start and (after >= len(text) or text[after] == ","):
        return text[start:pos], after
    return None, start


def _value(text: str, pos: int, fail: _Fail) -> tuple[str, int]:
    if text[pos] == '"':
        try:
            stop = quoted_string_end(text, pos)
        except ValueError as exc:
            raise fail("unterminated quoted string") from exc
        return unquote(text[pos:stop]), stop
    start = pos
    while pos < len(text) and text[pos] not in _WS + ",":
        pos += 1
    value = text[start:pos]
    if not all(ch in _NAME_CHARS or ch in ":@[]=" for ch in value):
        raise fail(f"bad parameter value {value!r}")
    return value, pos


def _skip(text: str, pos: int, chars: str) -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos
