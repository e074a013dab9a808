"""Lexical helpers of RFC 3261 §25: tokens, quoted strings, splitting on a separator outside
quotes and angle brackets, generic parameters."""

from __future__ import annotations

import re

TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~")
_TOKEN_STRIP = "".join(sorted(TOKEN_CHARS))
LWS = " \t"


def is_token(text: str) -> bool:
    """True when ``text`` is a non-empty RFC 3261 token."""
    return bool(text) and not text.strip(_TOKEN_STRIP)


def split_outside(text: str, sep: str) -> list[str]:
    """``text`` split on ``sep`` where it is outside a quoted string and outside ``<…>``.

    Pieces are returned stripped of surrounding whitespace; an unterminated quoted string raises
    ``ValueError``."""
    if '"' not in text:
        if "<" not in text:
            return [piece.strip() for piece in text.split(sep)]
        if sep not in text:
            return [text.strip()]
    if "\\" in text:
        return _split_by_char(text, sep)
    # without quoted-pairs only the quotes, angle brackets and separators matter: visit those
    parts: list[str] = []
    start = 0
    quoted = False
    angle = 0
    for match in _special(sep).finditer(text):
        ch = match.group()
        if quoted:
            if ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "<":
            angle += 1
        elif ch == ">":
            if angle:
                angle -= 1
        elif not angle:
            i = match.start()
            parts.append(text[start:i].strip())
            start = i + 1
    if quoted:
        raise ValueError("unterminated quoted string")
    parts.append(text[start:].strip())
    return parts


_SPECIALS: dict[str, re.Pattern[str]] = {}


def _special(sep: str) -> re.Pattern[str]:
    pattern = _SPECIALS.get(sep)
    if pattern is None:
        pattern = _SPECIALS[sep] = re.compile('["<>' + re.escape(sep) + "]")
    return pattern


def _split_by_char(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    start = 0
    quoted = False
    escaped = False
    angle = 0
    for i, ch in enumerate(text):
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "<":
            angle += 1
        elif ch == ">":
            if angle:
                angle -= 1
        elif ch == sep and not angle:
            parts.append(text[start:i].strip())
            start = i + 1
    if quoted:
        raise ValueError("unterminated quoted string")
    parts.append(text[start:].strip())
    return parts


def quoted_string_end(text: str, start: int) -> int:
    """Index just past the quoted string opening at ``text[start]`` (a ``"``)."""
    escaped = False
    for i in range(start + 1, len(text)):
        ch = text[i]
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            return i + 1
    raise ValueError("unterminated quoted string")


def unquote(text: str) -> str:
    """The content of a quoted string, quoted-pairs resolved; other text unchanged."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        inner = text[1:-1]
        if "\\" not in inner:
            return inner
        out: list[str] = []
        escaped = False
        for ch in inner:
            if escaped:
                out.append(ch)
                escaped = False
            elif ch == "\\":
                escaped = True
            else:
                out.append(ch)
        return "".join(out)
    return text


def quote(text: str) -> str:
    """``text`` as a quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


Params = tuple[tuple[str, str | None], ...]


def parse_params(text: str) -> Params:
    """Generic parameters ``;name[=value]`` (``text`` starts after the first ``;``, or is empty).

    Names are lower-cased (they compare case-insensitively); values keep their quotes. An empty
    parameter (``;;``) or a name that is not a token raises ``ValueError``."""
    if not text.strip():
        raise ValueError("empty parameter")
    out: list[tuple[str, str | None]] = []
    for piece in split_outside(text, ";"):
        name, eq, value = piece.partition("=")
        name = name.strip()
        if not is_token(name):
            raise ValueError(f"bad parameter {piece!r}")
        if eq:
            value = value.strip()
            if not value or (value[0] != '"' and not _is_param_value(value)):
                raise ValueError(f"bad parameter value {piece!r}")
            out.append((name.lower(), value))
        else:
            out.append((name.lower(), None))
    return tuple(out)


_PARAM_VALUE_CHARS = _TOKEN_STRIP + "[]:"


def _is_param_value(value: str) -> bool:
    # token, host (IPv4, names, [IPv6]) or quoted string (checked by the caller)
    return not value.strip(_PARAM_VALUE_CHARS)


def param(params: Params, name: str) -> str | None:
    """The value of parameter ``name`` (lower-case), ``""`` when present without a value."""
    for key, value in params:
        if key == name:
            return "" if value is None else value
    return None


def format_params(params: Params) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params)
