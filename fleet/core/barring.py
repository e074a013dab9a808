"""3GPP call barring (TS 22.088; issue 16), pure: the five programs of a line, each a line
setting (``fleet/core/linesettings.py``: ``BARRINGS``), and what they bar.

- BAOC (33): every outgoing call but emergency numbers;
- BOIC (331): outgoing international calls — to a country other than the one the line is
  in: at home every call abroad; roaming in country X every call but to X (calling home
  included);
- BOIC-exHC (332): as BOIC, except calls to the home country (the fleet's: the numbering
  policy's) — at home the same as BOIC; roaming in X, calls to X and home are allowed;
- BAIC (35): every incoming call (the caller hears the "call barred" announcement);
- BAIC-Roam (351): incoming calls while the line is roaming — its handset abroad, as the
  network tells it (``Network.location``: the simulated handset's state; on SIP the cell of
  the latest P-Access-Network-Info its requests or responses carried).

Where the line is (:class:`~fleet.core.roaming.LineLocation`) is asked of the network only
when a program depends on it. Not seen by the network (unknown) counts as at home; abroad in
a country not known, conservatively, every call but an emergency one is international (BOIC
bars them all, BOIC-exHC all but those to the home country).
"""

from __future__ import annotations

from enum import StrEnum

from fleet.core.linesettings import BAIC, BAIC_ROAM, BAOC, BOIC, BOIC_EXHC, LineSetting
from fleet.core.model import Line
from fleet.core.roaming import AT_HOME, LineLocation


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


def outgoing(
    line: Line,
    *,
    emergency: bool,
    international: bool,
    country: str | None = None,
    where: LineLocation = AT_HOME,
) -> Barring | None:
    """The program barring the line's call, if one does: to an emergency number never.
    ``international``: the number is of another country than the home one; ``country``: its
    country (ISO alpha-2; None when it has none known), which matters only when ``where``
    says the line is abroad."""
    if emergency:
        return None
    if BAOC.of(line):
        return Barring.BAOC
    if where.roaming:  # international: to another country than the one visited
        if where.in_country(country):
            return None
        if BOIC.of(line):
            return Barring.BOIC
        if BOIC_EXHC.of(line) and international:
            return Barring.BOIC_EXHC
        return None
    if international:
        if BOIC.of(line):
            return Barring.BOIC
        if BOIC_EXHC.of(line):  # at home: the home country is where the line is
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


def by_country(line: Line) -> bool:
    """Whether BOIC or BOIC-exHC is active (then where the line is is worth asking)."""
    return BOIC.of(line) or BOIC_EXHC.of(line)


def any_outgoing(line: Line) -> bool:
    """Whether a program bars some of the line's outgoing calls."""
    return BAOC.of(line) or BOIC.of(line) or BOIC_EXHC.of(line)
