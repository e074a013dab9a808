"""Numbering: parsing, classification and the number policy (DESIGN §3).

Numbers are stored in E.164 and shown in national format. ``phonenumbers`` does
the parsing and classification; the policy (which destinations are allowed) is
plain data so a deployment can widen it without code changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

from fleet.core.errors import DomainError, ErrorCode

_ALLOWED_CHARS = re.compile(r"^\+?[0-9]+$")
_SEPARATORS = re.compile(r"[\s.\-()/]")

_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
_FIXED_TYPES = frozenset(
    {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.VOIP}
)


class NumberClass(Enum):
    SHORT = "short"
    NATIONAL = "national"
    SPECIAL = "special"
    INTERNATIONAL = "international"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True, order=True)
class E164:
    """A phone number in E.164 form (``+33612345678``)."""

    value: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\+[1-9][0-9]{3,14}", self.value):
            raise ValueError(f"not an E.164 number: {self.value!r}")

    def __str__(self) -> str:
        return self.value

    def national(self) -> str:
        """National format with spaces, e.g. ``06 12 34 56 78``."""
        return _national(self.value)[0]

    def national_digits(self) -> str:
        """National format without spaces, e.g. ``0612345678``."""
        return _national(self.value)[1]


@dataclass(frozen=True, slots=True)
class NumberPolicy:
    """Which numbers may be forwarding destinations or list entries.

    The French default of the seeds: 10-digit numbers starting 01–06, no short
    number, no international number, no special number (08…).
    """

    region: str = "FR"
    national_length: int = 10
    allowed_prefixes: tuple[str, ...] = ("01", "02", "03", "04", "05", "06")
    special_prefixes: tuple[str, ...] = ("08",)

    @property
    def country_code(self) -> int:
        return phonenumbers.country_code_for_region(self.region)

    # -- parsing ------------------------------------------------------------------

    def clean(self, raw: str) -> str:
        return _SEPARATORS.sub("", raw or "")

    def classify(self, raw: str) -> tuple[NumberClass, E164 | None]:
        """Classify a dialled or typed number; return its E.164 form when it has one."""
        return _classify(self, self.clean(raw))

    def _classify(self, digits: str) -> tuple[NumberClass, E164 | None]:
        if not digits or not _ALLOWED_CHARS.match(digits):
            return NumberClass.INVALID, None
        if not digits.startswith(("+", "0")) and len(digits) < self.national_length:
            return NumberClass.SHORT, None
        try:
            parsed = phonenumbers.parse(digits, self.region)
        except phonenumbers.NumberParseException:
            return NumberClass.INVALID, None
        if parsed.country_code != self.country_code:
            if phonenumbers.is_possible_number(parsed):
                return NumberClass.INTERNATIONAL, _to_e164(parsed)
            return NumberClass.INVALID, None
        national = self._national_digits(parsed)
        if national.startswith(self.special_prefixes):
            valid = phonenumbers.is_valid_number(parsed)
            return (NumberClass.SPECIAL, _to_e164(parsed)) if valid else (NumberClass.INVALID, None)
        if len(national) != self.national_length or not phonenumbers.is_valid_number(parsed):
            return NumberClass.INVALID, None
        return NumberClass.NATIONAL, _to_e164(parsed)

    def _national_digits(self, parsed: phonenumbers.PhoneNumber) -> str:
        formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        return re.sub(r"\D", "", formatted)

    # -- rules ----------------------------------------------------------------------

    def destination(self, raw: str, *, field: str = "destination") -> E164:
        """A forwarding destination or incoming-list entry: national, allowed prefix."""
        if not (raw or "").strip():
            raise DomainError(ErrorCode.NUMBER_REQUIRED, field=field)
        kind, number = self.classify(raw)
        if kind is NumberClass.SHORT:
            raise DomainError(
                ErrorCode.NUMBER_SHORT_NOT_ALLOWED, field=field, length=self.national_length
            )
        if kind is NumberClass.INTERNATIONAL:
            raise DomainError(ErrorCode.NUMBER_INTERNATIONAL_NOT_ALLOWED, field=field)
        if kind is NumberClass.SPECIAL:
            raise DomainError(
                ErrorCode.NUMBER_SPECIAL_NOT_ALLOWED,
                field=field,
                prefix="/".join(self.special_prefixes),
            )
        if kind is NumberClass.INVALID or number is None:
            raise DomainError(ErrorCode.NUMBER_INVALID, field=field, number=raw.strip())
        if not number.national_digits().startswith(self.allowed_prefixes):
            raise DomainError(
                ErrorCode.NUMBER_PREFIX_NOT_ALLOWED,
                field=field,
                length=self.national_length,
                prefixes=", ".join(self.allowed_prefixes),
            )
        return number

    def mobile(self, raw: str, *, field: str = "msisdn") -> E164:
        """A mobile line's MSISDN: any valid mobile number of the region."""
        number = self._valid_national(raw, field=field)
        if phonenumbers.number_type(phonenumbers.parse(number.value, None)) not in _MOBILE_TYPES:
            raise DomainError(ErrorCode.NUMBER_NOT_MOBILE, field=field, number=raw.strip())
        return number

    def fixed(self, raw: str, *, field: str = "number") -> E164:
        """A fixed number of the fleet (geographic or VoIP), reached over a SIP trunk."""
        number = self._valid_national(raw, field=field)
        if phonenumbers.number_type(phonenumbers.parse(number.value, None)) not in _FIXED_TYPES:
            raise DomainError(ErrorCode.NUMBER_NOT_FIXED, field=field, number=raw.strip())
        return number

    def group_number(self, raw: str, *, field: str = "number") -> E164:
        """A call group's own number: a valid national number that is not special."""
        if not (raw or "").strip():
            raise DomainError(ErrorCode.NUMBER_REQUIRED, field=field)
        kind, number = self.classify(raw)
        if kind is NumberClass.SPECIAL:
            raise DomainError(
                ErrorCode.NUMBER_SPECIAL_NOT_ALLOWED,
                field=field,
                prefix="/".join(self.special_prefixes),
            )
        if kind is not NumberClass.NATIONAL or number is None:
            return self._valid_national(raw, field=field)
        return number

    def _valid_national(self, raw: str, *, field: str) -> E164:
        if not (raw or "").strip():
            raise DomainError(ErrorCode.NUMBER_REQUIRED, field=field)
        kind, number = self.classify(raw)
        if kind is NumberClass.SHORT:
            raise DomainError(
                ErrorCode.NUMBER_SHORT_NOT_ALLOWED, field=field, length=self.national_length
            )
        if kind is NumberClass.INTERNATIONAL:
            raise DomainError(ErrorCode.NUMBER_INTERNATIONAL_NOT_ALLOWED, field=field)
        if kind is not NumberClass.NATIONAL or number is None:
            raise DomainError(ErrorCode.NUMBER_INVALID, field=field, number=(raw or "").strip())
        return number


@lru_cache(maxsize=65536)
def _classify(policy: NumberPolicy, digits: str) -> tuple[NumberClass, E164 | None]:
    """Parsing is pure and costly (phonenumbers): the results are cached."""
    return policy._classify(digits)


def _to_e164(parsed: phonenumbers.PhoneNumber) -> E164:
    return E164(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def short_number(raw: str, *, length: int, field: str = "short_number") -> str:
    """A VPN short number: exactly ``length`` digits, not starting with 0 (0 dials out)."""
    value = (raw or "").strip()
    if len(value) != length or not value.isascii() or not value.isdigit() or value[0] == "0":
        raise DomainError(ErrorCode.SHORT_NUMBER_INVALID, field=field, length=length)
    return value


def optional_short_number(raw: str | None, length: int) -> str | None:
    """``None`` for a blank entry, else a checked short number."""
    if raw is None or not raw.strip():
        return None
    return short_number(raw, length=length)


@lru_cache(maxsize=65536)
def _national(value: str) -> tuple[str, str]:
    """An E.164 number's national format, with and without spaces (pages and answers show
    the same numbers over and over: phonenumbers parses them once)."""
    spaced = phonenumbers.format_number(
        phonenumbers.parse(value, None), phonenumbers.PhoneNumberFormat.NATIONAL
    )
    return spaced, re.sub(r"\D", "", spaced)


def shown(value: E164 | str | None, *, region: str = "FR", spaced: bool = True) -> str:
    """A number as people read it, wherever it is shown: national format with spaces
    (``06 09 18 22 36``; ``spaced=False``: ``0609182236``). ``value`` is an E.164 number,
    or text as recorded or typed — E.164 or national digits of ``region``, separators
    allowed. A short number, a hidden or unknown party and anything that is not a phone
    number is shown as it is."""
    if value is None:
        return ""
    if isinstance(value, E164):
        return value.national() if spaced else value.national_digits()
    text = value.strip()
    found = _shown(text, region) if _ALLOWED_CHARS.match(_SEPARATORS.sub("", text)) else None
    if found is None:
        return value
    return found[0] if spaced else found[1]


@lru_cache(maxsize=65536)
def _shown(text: str, region: str) -> tuple[str, str] | None:
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+"):
        try:
            return _national(E164(digits).value)
        except (ValueError, phonenumbers.NumberParseException):
            return None
    try:
        parsed = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None  # a short number, or too long to be one
    return _national(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
