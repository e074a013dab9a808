"""Pure validation rules for the configuration domain (DESIGN §3, §4, §5).

Every function either returns the normalised value or raises a ``DomainError``
naming the field. Limits are module constants so docs and tests quote them.
"""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from fleet.core.errors import DomainError, ErrorCode
from fleet.core.values import ForwardingKind, Language, RingMode

NAME_MAX = 100
LABEL_MAX = 100
TRUNK_NAME_MAX = 64
SHORT_NUMBER_LENGTH_MIN = 2
SHORT_NUMBER_LENGTH_MAX = 6
DEFAULT_SHORT_NUMBER_LENGTH = 4

NO_REPLY_TIMER_MIN = 5
NO_REPLY_TIMER_MAX = 30
NO_REPLY_TIMER_DEFAULT = 20

LIST_MAX_ENTRIES = 5
RING_TIME_MIN = 5
RING_TIME_MAX = 60
RING_TIME_DEFAULT = 15

LOGIN_MAX = 64
PASSWORD_MIN = 10

_EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$"
)
_TRUNK = re.compile(r"^[A-Za-z0-9._-]+$")
_LOGIN = re.compile(r"^[A-Za-z0-9._@-]+$")


def text(raw: str | None, *, field: str, code: ErrorCode, max_len: int) -> str:
    value = " ".join((raw or "").split())
    if not value or len(value) > max_len:
        raise DomainError(code, field=field, max=max_len)
    return value


def fleet_name(raw: str | None) -> str:
    return text(raw, field="name", code=ErrorCode.FLEET_NAME_INVALID, max_len=NAME_MAX)


def employee_name(raw: str | None) -> str:
    return text(raw, field="employee_name", code=ErrorCode.EMPLOYEE_NAME_INVALID, max_len=NAME_MAX)


def label(raw: str | None) -> str:
    return text(raw, field="label", code=ErrorCode.LABEL_INVALID, max_len=LABEL_MAX)


def short_number_length(value: int) -> int:
    if not SHORT_NUMBER_LENGTH_MIN <= value <= SHORT_NUMBER_LENGTH_MAX:
        raise DomainError(
            ErrorCode.SHORT_NUMBER_LENGTH_INVALID,
            field="short_number_length",
            min=SHORT_NUMBER_LENGTH_MIN,
            max=SHORT_NUMBER_LENGTH_MAX,
        )
    return value


def timezone(raw: str | None) -> str:
    value = (raw or "").strip()
    if not value or value not in _zones():
        raise DomainError(ErrorCode.TIMEZONE_INVALID, field="timezone", timezone=value)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DomainError(ErrorCode.TIMEZONE_INVALID, field="timezone", timezone=value) from exc
    return value


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def language(raw: str | Language | None, *, field: str = "language") -> Language:
    if isinstance(raw, Language):
        return raw
    try:
        return Language((raw or "").strip().lower())
    except ValueError as exc:
        raise DomainError(ErrorCode.LANGUAGE_INVALID, field=field, language=raw) from exc


def email(raw: str | None) -> str | None:
    value = (raw or "").strip()
    if not value:
        return None
    if len(value) > 254 or not _EMAIL.match(value):
        raise DomainError(ErrorCode.EMAIL_INVALID, field="email", email=value)
    return value


def trunk_name(raw: str | None) -> str:
    value = (raw or "").strip()
    if not value or len(value) > TRUNK_NAME_MAX or not _TRUNK.match(value):
        raise DomainError(ErrorCode.TRUNK_NAME_INVALID, field="trunk", max=TRUNK_NAME_MAX)
    return value


def forwarding_kind(raw: str | ForwardingKind) -> ForwardingKind:
    try:
        return ForwardingKind(raw)
    except ValueError as exc:
        raise DomainError(ErrorCode.FORWARDING_KIND_INVALID, field="kind", kind=raw) from exc


def no_reply_timer(kind: ForwardingKind, value: int | None) -> int | None:
    """The no-reply timer applies to no-reply forwarding only: 5–30 s, default 20 s."""
    if kind is not ForwardingKind.NO_REPLY:
        if value is not None:
            raise DomainError(ErrorCode.NO_REPLY_TIMER_NOT_APPLICABLE, field="no_reply_timer")
        return None
    if value is None:
        return NO_REPLY_TIMER_DEFAULT
    if not NO_REPLY_TIMER_MIN <= value <= NO_REPLY_TIMER_MAX:
        raise DomainError(
            ErrorCode.NO_REPLY_TIMER_INVALID,
            field="no_reply_timer",
            min=NO_REPLY_TIMER_MIN,
            max=NO_REPLY_TIMER_MAX,
        )
    return value


def ring_mode(raw: str | RingMode) -> RingMode:
    try:
        return RingMode(raw)
    except ValueError as exc:
        raise DomainError(ErrorCode.LIST_MODE_INVALID, field="mode", mode=raw) from exc


def ring_time(value: int) -> int:
    if not RING_TIME_MIN <= value <= RING_TIME_MAX:
        raise DomainError(
            ErrorCode.RING_TIME_INVALID, field="ring_time", min=RING_TIME_MIN, max=RING_TIME_MAX
        )
    return value


def list_size(count: int) -> None:
    if count > LIST_MAX_ENTRIES:
        raise DomainError(ErrorCode.LIST_TOO_LONG, field="entries", max=LIST_MAX_ENTRIES)


def login(raw: str | None) -> str:
    value = (raw or "").strip().lower()
    if not 3 <= len(value) <= LOGIN_MAX or not _LOGIN.match(value):
        raise DomainError(ErrorCode.LOGIN_INVALID, field="login", max=LOGIN_MAX)
    return value


def password(raw: str | None) -> str:
    value = raw or ""
    if len(value) < PASSWORD_MIN:
        raise DomainError(ErrorCode.PASSWORD_TOO_WEAK, field="password", min=PASSWORD_MIN)
    return value


def not_self(actor_account_id: int | None, account_id: int) -> None:
    """No one disables or removes its own account (the last operator would lock everyone
    out of the fleets' setup)."""
    if actor_account_id == account_id:
        raise DomainError(ErrorCode.ACCOUNT_SELF, field="account_id")
