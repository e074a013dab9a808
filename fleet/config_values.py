"""The parsers of the settings' values (:data:`fleet.config.PARSERS`): each takes what a TOML
file, the environment or the command line gave and returns the typed value, or raises
ValueError saying what was expected."""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Callable
from typing import Any

from fleet.sipnet.cells import WHITE_ZONE_ENTRY


def as_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    return value.strip()


def as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer")
    return int(value)


def as_pool_size(value: Any) -> int:
    size = as_int(value)
    if not 1 <= size <= 500:
        raise ValueError("expected a pool size 1-500")
    return size


def as_port(value: Any) -> int:
    port = as_int(value)
    if not 0 <= port <= 65535:
        raise ValueError("expected a port number 0-65535")
    return port


_SIP_CORE = re.compile(
    r"(\[[0-9a-fA-F:.]+\]|[^:;\[\]\s]+)(:[0-9]{1,5})?(;transport=(udp|tcp|tls))?", re.I
)


def as_sip_core(value: Any) -> str:
    """The core's address, ``host[:port][;transport=udp|tcp|tls]`` (read by
    ``fleet.sipnet.edge.core_peer``); empty: none."""
    text = as_text(value)
    if text and not _SIP_CORE.fullmatch(text):
        raise ValueError("expected host[:port][;transport=udp|tcp|tls], e.g. 10.0.0.5:5060")
    return text


def as_fernet_key(value: Any) -> str:
    """32 bytes in url-safe base64, as ``cryptography``'s Fernet takes them."""
    text = as_text(value)
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValueError("expected 32 bytes in url-safe base64 (a Fernet key)") from exc
    if len(raw) != 32:
        raise ValueError("expected 32 bytes in url-safe base64 (a Fernet key)")
    return text


def as_seconds(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected seconds")
    seconds = float(value)
    if not 0 < seconds <= 3600:
        raise ValueError("expected seconds, more than 0 and at most 3600")
    return seconds


def as_path(value: Any) -> str:
    return str(value).strip()


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def as_mcc(value: Any) -> str:
    text = as_text(value)
    if not re.fullmatch(r"[0-9]{3}", text):
        raise ValueError("expected a mobile country code of three digits, e.g. 208")
    return text


def as_cells(value: Any) -> tuple[str, ...]:
    """White-zone cells (:func:`fleet.sipnet.cells.white_zone_cell`): hex prefixes of cell
    ids, each optionally for one radio (``nr:…``)."""
    items = value.split(",") if isinstance(value, str) else list(value)
    cleaned = [str(c).strip().lower() for c in items if str(c).strip()]
    if not all(WHITE_ZONE_ENTRY.fullmatch(c) for c in cleaned):
        raise ValueError(
            "expected cell-id prefixes in hex digits, each optionally after a radio "
            "(geran:, utran:, e-utran:, nr:), e.g. 20801a1b,nr:20801000a2"
        )
    return tuple(cleaned)


def as_prefixes(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    cleaned = tuple(str(p).strip() for p in items if str(p).strip())
    if not all(p.isdigit() for p in cleaned):
        raise ValueError("expected digit prefixes, e.g. 01,02,06")
    return cleaned


def as_networks(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    cleaned = tuple(str(p).strip() for p in items if str(p).strip())
    try:
        return tuple(str(ipaddress.ip_network(p, strict=False)) for p in cleaned)
    except ValueError as exc:
        raise ValueError("expected IP addresses or networks, e.g. 127.0.0.1,10.0.0.0/8") from exc


def as_count(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        number = as_int(value)
        if not low <= number <= high:
            raise ValueError(f"expected {low}-{high}")
        return number

    return parse


def as_choice(*allowed: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = as_text(value).lower()
        if text not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}")
        return text

    return parse


def as_url(value: Any) -> str:
    url = as_text(value)
    if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError("expected a sqlite+aiosqlite:// or postgresql+asyncpg:// URL")
    return url
