"""MMI strings of 3GPP TS 22.030 (pure).

``classify`` turns anything a user can type into one of:

- ``ServiceRequest``: a supplementary-service control string, ``<procedure><SC>*<SIA>*<SIB>*<SIC>#``
  with the five procedures — activation ``*``, registration ``**``, deactivation ``#``,
  interrogation ``*#``, erasure ``##`` — and empty SI slots allowed (``**61*0612345678**25#``);
- ``UssdString``: any other string ending in ``#`` (§6.5.3.2), including the PABX codes'
  structure with a service code nobody declared;
- ``PlainCall``: a number to call, with the per-call ``*31#`` / ``#31#`` prefixes;
- ``GrammarError``: anything else, with the reason — never an exception.

Which service codes are supplementary services is data (``known_codes``), so the PABX codes of a
deployment are recognised the same way as those of Annex B."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum

from fleet.core.dialling import ClirOverride, Dialled

# Annex B of TS 22.030: codes of the supplementary services (no PABX code may use these)
ANNEX_B_CODES: frozenset[str] = frozenset(
    {
        "75",
        "750",
        "751",
        "752",
        "753",
        "754",  # eMLPP
        "66",  # CD
        "30",
        "31",
        "76",
        "77",  # CLIP, CLIR, COLP, COLR
        "21",
        "67",
        "61",
        "62",
        "002",
        "004",  # call forwarding
        "43",  # call waiting
        "360",
        "361",
        "362",
        "363",  # UUS
        "33",
        "331",
        "332",
        "35",
        "351",
        "330",
        "333",
        "353",  # barring
        "03",  # the barring password (registration, 4 SI fields)
        "96",  # ECT
        "37",
        "371",
        "372",
        "373",
        "374",
        "375",  # CCBS
        "214",  # FM
        "300",  # CNAP
        "59",
        "591",
        "592",
        "593",
        "594",  # MSP
        "88",  # MC
    }
)

# Annex C: basic service group codes (SIB), 2 digits
BASIC_SERVICE_CODES: frozenset[str] = frozenset(
    {"10", "11", "12", "13", "16", "17", "18", "19", "20", "21", "22", "24", "25", "26", "99"}
    | {str(n) for n in range(50, 66)}
    | {str(n) for n in range(70, 86)}
)

MAX_LENGTH = 182  # the longest USSD string (TS 24.080)


class Procedure(Enum):
    ACTIVATION = "*"
    REGISTRATION = "**"
    DEACTIVATION = "#"
    INTERROGATION = "*#"
    ERASURE = "##"


Clir = ClirOverride  # the per-call override of caller-id restriction (``fleet.core.dialling``)


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    procedure: Procedure
    code: str
    sia: str | None = None
    sib: str | None = None
    sic: str | None = None
    text: str = ""
    sid: str | None = None  # a fourth field: only the password's **03*330*OLD*NEW*NEW#

    @property
    def info(self) -> tuple[str | None, str | None, str | None]:
        return self.sia, self.sib, self.sic


@dataclass(frozen=True, slots=True)
class UssdString:
    text: str


@dataclass(frozen=True, slots=True)
class PlainCall:
    number: str
    clir: Clir | None = None


class GrammarReason(Enum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    INVALID_CHARACTERS = "invalid_characters"
    MALFORMED = "malformed"


@dataclass(frozen=True, slots=True)
class GrammarError:
    reason: GrammarReason
    text: str


Parsed = ServiceRequest | UssdString | PlainCall | GrammarError

_SS = re.compile(r"^(\*\*|\*#|##|\*|#)(\d{2,3})((?:\*[0-9+]*){0,4})#$")
PASSWORD_CODE = "03"  # TS 22.030 §6.5.4: the only service code with four SI fields
_USSD_CHARS = re.compile(r"^[0-9*#+]+$")
_NUMBER = re.compile(r"^\+?[0-9]+$")


def classify(raw: str, *, known_codes: Collection[str] = ANNEX_B_CODES) -> Parsed:
    """Classify a dialled string (TS 22.030 §6.5.3.2)."""
    text = "".join((raw or "").split())
    if not text:
        return GrammarError(GrammarReason.EMPTY, raw or "")
    if len(text) > MAX_LENGTH:
        return GrammarError(GrammarReason.TOO_LONG, text)
    if not _USSD_CHARS.match(text):
        return GrammarError(GrammarReason.INVALID_CHARACTERS, text)
    dialled = Dialled.parse(text)
    if dialled.override is not None and _NUMBER.match(dialled.number):
        return PlainCall(number=dialled.number, clir=dialled.override)
    match = _SS.match(text)
    slots = match.group(3).split("*")[1:] if match and match.group(3) else []
    if (
        match
        and match.group(2) in known_codes
        and (len(slots) < 4 or match.group(2) == PASSWORD_CODE)
    ):
        values = [slot or None for slot in slots] + [None] * (4 - len(slots))
        return ServiceRequest(
            procedure=Procedure(match.group(1)),
            code=match.group(2),
            sia=values[0],
            sib=values[1],
            sic=values[2],
            sid=values[3],
            text=text,
        )
    if text.endswith("#"):
        if text == "#" or text.count("#") == len(text):
            return GrammarError(GrammarReason.MALFORMED, text)
        return UssdString(text=text)
    if _NUMBER.match(text):
        return PlainCall(number=text)
    return GrammarError(GrammarReason.MALFORMED, text)
