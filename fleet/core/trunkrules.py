"""Pure validation rules of the SIP trunks (DESIGN §8, trunk profile).

Each function returns the normalised value or raises a ``DomainError`` naming the field;
``profile`` checks a trunk's fields together (what the mode needs)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from fleet.core.errors import DomainError, ErrorCode
from fleet.core.trunks import TrunkMode

HOST_MAX = 253
PORT_MIN = 1
PORT_MAX = 65535
USERNAME_MAX = 64
SECRET_MAX = 128

_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_TOKEN = re.compile(r"^[\x21-\x7e]+$")  # visible ASCII, no space, no quote issues below
_E = TypeVar("_E", bound=Enum)


def choice(enum_cls: type[_E], raw: str | _E, *, field: str) -> _E:
    """A value of ``enum_cls`` given as itself or by its value."""
    if isinstance(raw, enum_cls):
        return raw
    try:
        return enum_cls(raw)
    except ValueError as exc:
        allowed = ", ".join(str(m.value) for m in enum_cls)
        raise DomainError(
            ErrorCode.TRUNK_VALUE_INVALID, field=field, name=field, value=raw, allowed=allowed
        ) from exc


def host(raw: str | None) -> str | None:
    """A host name (RFC 1123 labels) or an IP address (v4 or v6); None when empty."""
    value = (raw or "").strip()
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        pass
    name = value.rstrip(".").lower()
    labels = name.split(".")
    if (
        len(name) > HOST_MAX
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()  # a dotted number that is no IPv4 address
    ):
        raise DomainError(ErrorCode.TRUNK_HOST_INVALID, field="host", host=value)
    return name


def port(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not PORT_MIN <= value <= PORT_MAX:
        raise DomainError(ErrorCode.TRUNK_PORT_INVALID, field="port", min=PORT_MIN, max=PORT_MAX)
    return value


def credential(raw: str | None, *, field: str) -> str | None:
    """A Digest username or realm: visible characters without spaces or quotes."""
    value = (raw or "").strip()
    if not value:
        return None
    if len(value) > USERNAME_MAX or not _TOKEN.match(value) or '"' in value or "\\" in value:
        raise DomainError(ErrorCode.TRUNK_USERNAME_INVALID, field=field, max=USERNAME_MAX)
    return value


def secret(raw: str | None) -> str | None:
    """A Digest password, kept as given; None (no secret) when empty."""
    if raw is None or raw == "":
        return None
    if len(raw) > SECRET_MAX or raw.strip() != raw or not raw.isprintable():
        raise DomainError(ErrorCode.TRUNK_SECRET_INVALID, field="secret", max=SECRET_MAX)
    return raw


@dataclass(frozen=True, slots=True)
class Profile:
    """What must hold together of a trunk's settings."""

    mode: TrunkMode
    host: str | None
    username: str | None
    realm: str | None
    has_secret: bool


def profile(value: Profile) -> None:
    """A static trunk needs the PBX's address; a registration trunk a username and a
    secret; a username needs a realm (the challenges' domain)."""
    if value.mode is TrunkMode.STATIC and value.host is None:
        raise DomainError(ErrorCode.TRUNK_HOST_REQUIRED, field="host")
    if value.mode is TrunkMode.REGISTRATION and (value.username is None or not value.has_secret):
        raise DomainError(ErrorCode.TRUNK_CREDENTIALS_REQUIRED, field="username")
    if value.username is not None and value.realm is None:
        raise DomainError(ErrorCode.TRUNK_REALM_REQUIRED, field="realm")
