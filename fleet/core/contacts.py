"""A fleet's external contacts and their abbreviated numbers (pure).

From seeds 000 (Telenet "Annuaire de société": contacts with a name and a phone number, added
one by one or from a two-column CSV file), 002 (Orange "L'annuaire de l'entreprise": "Le
numéro abrégé entre 700 et 869 peut être utilisé à la place du numéro à dix chiffres pour
appeler plus rapidement un contact depuis n'importe quel téléphone de votre entreprise") and
003 (VTX "Annuaire d'entreprise": the manager imports or adds contacts, every user sees them
and cannot change them; "les numéros courts attribués aux contacts externes … doivent être
précédés de ##").

An **abbreviated number** is dialled like a short number of the fleet: the fleet's short-number
length, digits only, in the range of seed 002 scaled to that length (700–869 for 3 digits,
7000–8699 for 4, 70–86 for 2). It is one more short number of the fleet: it may not be a
line's, a fixed number's, a call group's or another contact's short number, and none of those
may take it (the services check both ways). Seed 003's form ``##<abbreviated>`` reaches the
contact too, and only a contact. Feature codes start with ``*`` or ``#`` and end with ``#``:
no abbreviated number, with or without ``##``, is one.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleet.core.error_codes import ErrorCode
from fleet.core.errors import DomainError
from fleet.core.numbering import E164

NAME_MAX = 80  # our choice (seed 000 asks for a name; the seeds give no length)
COMPANY_MAX = 80
NOTES_MAX = 200
MAX_CONTACTS_PER_FLEET = 1000  # our choice: the seeds give no number
ABBREVIATED_PREFIX = "##"  # seed 003: "précédés de ## (ex. : ##3435)"
_RANGE_LOW = 700  # seed 002: "entre 700 et 869", for 3-digit short numbers
_RANGE_HIGH = 869


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """An external contact of a fleet's directory."""

    id: int
    fleet_id: int
    name: str
    company: str
    number: E164
    abbreviated: str | None
    notes: str


def abbreviated_range(length: int) -> tuple[int, int]:
    """The lowest and highest abbreviated number of a fleet whose short numbers have
    ``length`` digits (seed 002's 700–869 scaled: 70–86, 7000–8699, 700000–869999)."""
    if length >= 3:
        scale = 10 ** (length - 3)
        return _RANGE_LOW * scale, (_RANGE_HIGH + 1) * scale - 1
    return _RANGE_LOW // 10, _RANGE_HIGH // 10


def abbreviated(raw: str | None, *, length: int, field: str = "abbreviated") -> str | None:
    """A checked abbreviated number (``None`` when blank); a leading ``##`` is accepted."""
    value = (raw or "").strip()
    if value.startswith(ABBREVIATED_PREFIX):
        value = value[len(ABBREVIATED_PREFIX) :]
    if not value:
        return None
    low, high = abbreviated_range(length)
    if len(value) != length or not value.isascii() or not value.isdigit():
        raise DomainError(ErrorCode.CONTACT_ABBREVIATED_INVALID, field=field, low=low, high=high)
    if not low <= int(value) <= high:
        raise DomainError(ErrorCode.CONTACT_ABBREVIATED_INVALID, field=field, low=low, high=high)
    return value


def name(raw: str | None) -> str:
    value = " ".join((raw or "").split())
    if not value or len(value) > NAME_MAX:
        raise DomainError(ErrorCode.CONTACT_NAME_INVALID, field="name", max=NAME_MAX)
    return value


def optional_text(raw: str | None, *, field: str, max_len: int) -> str:
    """Company or notes: may be blank; spaces collapsed."""
    value = " ".join((raw or "").split())
    if len(value) > max_len:
        raise DomainError(ErrorCode.CONTACT_TEXT_TOO_LONG, field=field, max=max_len)
    return value


def dialled_abbreviated(digits: str) -> str | None:
    """The abbreviated number of a dialled ``##<digits>`` (seed 003), else ``None``."""
    if digits.startswith(ABBREVIATED_PREFIX):
        rest = digits[len(ABBREVIATED_PREFIX) :]
        if rest and rest.isascii() and rest.isdigit():
            return rest
    return None
