"""Cells as P-Access-Network-Info names them (3GPP TS 24.229 §7.2A.4), and the white zone's
cells as the settings name them. Pure: no SIP message here (:mod:`.whereabouts` reads the
header).

Per access type, the parameter naming the cell and what follows the mobile country code (3
decimal digits) and network code (2 or 3 decimal digits), in hexadecimal digits:

- ``3GPP-GERAN``: ``cgi-3gpp``, LAC (4) + cell identity (4);
- ``3GPP-UTRAN-FDD``/``-TDD``: ``utran-cell-id-3gpp``, LAC (4) + UTRAN cell id (7);
- ``3GPP-E-UTRAN-FDD``/``-TDD``: ``utran-cell-id-3gpp``, TAC (4, or 6 on a 5G core) + E-UTRAN
  cell identity (7);
- ``3GPP-NR-FDD``/``-TDD`` and ``3GPP-NR-U-FDD``/``-TDD`` (5G): ``utran-cell-id-3gpp``, TAC (6)
  + NR cell identity (9: 36 bits).

Another ``3GPP-…`` access type with one of these parameters gives a cell of no known radio
(its shape only loosely checked); a non-3GPP access (``IEEE-802.11``, ``3GPP2-…``, DSL…) names
no cell."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

GERAN_PARAMETER = "cgi-3gpp"
CELL_PARAMETER = "utran-cell-id-3gpp"
CELL_PARAMETERS = (CELL_PARAMETER, GERAN_PARAMETER)


class Radio(StrEnum):
    """The radio technology of a cell, by its name in the white zone's settings."""

    GERAN = "geran"
    UTRAN = "utran"
    E_UTRAN = "e-utran"
    NR = "nr"


@dataclass(frozen=True, slots=True)
class Layout:
    parameter: str
    hex_digits: tuple[int, ...]  # after MCC and MNC: each length allowed


LAYOUTS: dict[Radio, Layout] = {
    Radio.GERAN: Layout(GERAN_PARAMETER, (8,)),
    Radio.UTRAN: Layout(CELL_PARAMETER, (11,)),
    Radio.E_UTRAN: Layout(CELL_PARAMETER, (11, 13)),
    Radio.NR: Layout(CELL_PARAMETER, (15,)),
}

ACCESS_TYPES: dict[str, Radio] = {
    "3gpp-geran": Radio.GERAN,
    "3gpp-utran-fdd": Radio.UTRAN,
    "3gpp-utran-tdd": Radio.UTRAN,
    "3gpp-e-utran-fdd": Radio.E_UTRAN,
    "3gpp-e-utran-tdd": Radio.E_UTRAN,
    "3gpp-nr-fdd": Radio.NR,
    "3gpp-nr-tdd": Radio.NR,
    "3gpp-nr-u-fdd": Radio.NR,
    "3gpp-nr-u-tdd": Radio.NR,
}
THREE_GPP = "3gpp-"  # not "3gpp2-": CDMA2000 accesses name no 3GPP cell
LOOSE_CELL = re.compile(r"[0-9]{5,6}[0-9a-f]+")
PLMN = re.compile(r"[0-9]{5}")
HEX = re.compile(r"[0-9a-f]+")
WHITE_ZONE_ENTRY = re.compile(r"(?:(geran|utran|e-utran|nr):)?([0-9a-f]+)")


@dataclass(frozen=True, slots=True)
class Cell:
    """A cell the network named: its radio (None: a 3GPP access of no known radio) and its
    id, MCC first, in lower-case hex digits."""

    radio: Radio | None
    id: str

    @property
    def mcc(self) -> str:
        return self.id[:3]


def radio_of(access_type: str) -> Radio | None:
    return ACCESS_TYPES.get(access_type.strip().lower())


def is_3gpp(access_type: str) -> bool:
    return access_type.strip().lower().startswith(THREE_GPP)


def cell(access_type: str, parameter: str, value: str) -> Cell | None:
    """The cell ``parameter=value`` names under ``access_type``, or None: not a 3GPP access,
    the wrong parameter for its radio, or a value not of its radio's shape."""
    if not is_3gpp(access_type):
        return None
    text = value.strip().strip('"').lower()
    radio = radio_of(access_type)
    if radio is None:
        return Cell(None, text) if LOOSE_CELL.fullmatch(text) else None
    layout = LAYOUTS[radio]
    if parameter != layout.parameter or not PLMN.match(text) or not HEX.fullmatch(text):
        return None
    mnc_digits = (2, 3) if text[5:6].isdigit() else (2,)
    if not any(len(text) - 3 - mnc in layout.hex_digits for mnc in mnc_digits):
        return None
    return Cell(radio, text)


@dataclass(frozen=True, slots=True)
class WhiteZoneCell:
    """A white-zone entry of the settings: a cell-id prefix (MCC first), of one radio when
    written ``nr:2080112…`` (``geran:``, ``utran:``, ``e-utran:``, ``nr:``), else of any."""

    radio: Radio | None
    prefix: str

    def covers(self, cell: Cell) -> bool:
        if self.radio is not None and cell.radio is not self.radio:
            return False
        return cell.id.startswith(self.prefix)

    def __str__(self) -> str:
        return self.prefix if self.radio is None else f"{self.radio.value}:{self.prefix}"


def white_zone_cell(entry: str) -> WhiteZoneCell:
    found = WHITE_ZONE_ENTRY.fullmatch(entry.strip().lower())
    if found is None:
        raise ValueError(
            f"white zone cell {entry!r}: hex digits expected, optionally after a radio "
            "(geran:, utran:, e-utran:, nr:), e.g. nr:20801000a1b"
        )
    radio, prefix = found.groups()
    return WhiteZoneCell(Radio(radio) if radio else None, prefix)


def white_zone(entries: Iterable[str]) -> tuple[WhiteZoneCell, ...]:
    return tuple(white_zone_cell(entry) for entry in entries if entry.strip())
