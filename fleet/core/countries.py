"""Countries of mobile networks (pure): a mobile country code (MCC, ITU-T E.212: the first
three digits of a cell's id in P-Access-Network-Info) → the country or countries it is
allocated to (ISO 3166-1 alpha-2), from the ``mcc-mnc-p1`` package's table (ITU-T's
operational bulletins and Wikipedia, kept up to date by its maintainers), and each country's
international calling code (ITU-T E.164, from ``phonenumbers``).

A few MCCs are shared by several territories (234: GB, GG, IM, JE; 310: US, GU, MP; 647: RE,
YT…): all of them are returned. A code of no country (001 test networks, 901 international
services) or none allocated names none."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import phonenumbers
from mcc_mnc_lut.p1_mcc import P1_MCC

MCC = re.compile(r"^[0-9]{3}$")
ALPHA_2 = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, slots=True, order=True)
class Country:
    """A country by its ISO 3166-1 alpha-2 code."""

    code: str

    def __post_init__(self) -> None:
        if not ALPHA_2.match(self.code):
            raise ValueError(f"country {self.code!r}: an ISO 3166-1 alpha-2 code expected (ES)")

    @property
    def calling_code(self) -> int | None:
        """Its international calling code (34 for ES), None when it has none."""
        return phonenumbers.country_code_for_region(self.code) or None

    def __str__(self) -> str:
        return self.code


def country(code: str) -> Country:
    """``code`` (any case, e.g. ``es``) as a country; ValueError when it is no alpha-2 code
    of a country with a calling code."""
    found = Country(code.strip().upper())
    if found.calling_code is None:
        raise ValueError(f"country {code!r}: no country with a calling code")
    return found


@cache
def countries_of_mcc(mcc: str) -> tuple[Country, ...]:
    """The countries mobile country code ``mcc`` is allocated to (usually one), none when it
    names no country."""
    if not MCC.match(mcc):
        raise ValueError(f"mobile country code {mcc!r}: three digits expected")
    entry = P1_MCC.get(mcc)
    entries = entry if isinstance(entry, list) else [entry] if entry is not None else []
    codes = sorted({e["cc2"] for e in entries if isinstance(e.get("cc2"), str)})
    return tuple(Country(code) for code in codes if ALPHA_2.match(code))


@cache
def mcc_of(where: Country) -> str | None:
    """A mobile country code of ``where`` (the lowest one naming it alone, else the lowest
    naming it), None when none does — the simulators' cells of a country."""
    alone, shared = [], []
    for mcc in sorted(P1_MCC):
        if not MCC.match(mcc):
            continue
        named = countries_of_mcc(mcc)
        if named == (where,):
            alone.append(mcc)
        elif where in named:
            shared.append(mcc)
    found = alone or shared
    return found[0] if found else None
