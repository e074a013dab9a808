"""3GPP call barring (TS 22.088; issue 16), pure: the five programs of a line, each a line
setting (``fleet/core/linesettings.py``: ``BARRINGS``), and what they bar.

- BAOC (33): every outgoing call but emergency numbers;
- BOIC (331): outgoing international calls;
- BOIC-exHC (332): outgoing international calls except to the home country — the model has
  no roaming (a line is always in its home country), so it bars what BOIC bars;
- BAIC (35): every incoming call (the caller hears the "call barred" announcement);
- BAIC-Roam (351): incoming calls while the line is roaming — its handset abroad, as the
  network tells it (``Network.roaming``: the simulated handset's state; on SIP the cell of
  the latest P-Access-Network-Info its requests carried).
"""

from __future__ import annotations

from enum import StrEnum

from fleet.core.linesettings import BAIC, BAIC_ROAM, BAOC, BOIC, BOIC_EXHC, LineSetting
from fleet.core.model import Line


class Barring(StrEnum):
    """A barring program, by its MMI service code (TS 22.030 Annex B)."""

    BAOC = "33"
    BOIC = "331"
    BOIC_EXHC = "332"
    BAIC = "35"
    BAIC_ROAM = "351"


SETTINGS: dict[Barring, LineSetting[bool]] = {
    Barring.BAOC: BAOC,
    Barring.BOIC: BOIC,
    Barring.BOIC_EXHC: BOIC_EXHC,
    Barring.BAIC: BAIC,
    Barring.BAIC_ROAM: BAIC_ROAM,
}


def active(line: Line) -> tuple[Barring, ...]:
    """The line's active programs."""
    return tuple(b for b, setting in SETTINGS.items() if setting.of(line))


def outgoing(line: Line, *, emergency: bool, abroad: bool) -> Barring | None:
    """The program barring the line's call, if one does: to an emergency number never; to
    a number ``abroad`` (an international number) the international ones too."""
    if emergency:
        return None
    if BAOC.of(line):
        return Barring.BAOC
    if abroad:
        if BOIC.of(line):
            return Barring.BOIC
        if BOIC_EXHC.of(line):  # never roaming: the home country is where the line is
            return Barring.BOIC_EXHC
    return None


def incoming(line: Line, *, roaming: bool = False) -> Barring | None:
    """The program barring a call to the line, if one does (``roaming``: its handset is
    abroad)."""
    if BAIC.of(line):
        return Barring.BAIC
    if roaming and BAIC_ROAM.of(line):
        return Barring.BAIC_ROAM
    return None


def bars_roaming(line: Line) -> bool:
    """Whether BAIC-Roam is active (then whether the line is roaming is worth asking)."""
    return BAIC_ROAM.of(line)


def any_outgoing(line: Line) -> bool:
    """Whether a program bars some of the line's outgoing calls."""
    return BAOC.of(line) or BOIC.of(line) or BOIC_EXHC.of(line)
