"""Where a fleet line's handset is, as the network knows it (pure): at home, abroad in a
country (or in one of the few sharing a mobile country code; in none known when the network
does not say which), or unknown (the network has not seen it). The barring programs ask it:
BAIC-Roam (351) bars incoming calls while the line is abroad; BOIC (331) and BOIC-exHC (332)
judge "international" from the country the line is in (``fleet.core.barring``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from fleet.core.countries import Country
from fleet.core.numbering import E164


class Place(StrEnum):
    HOME = "home"  # in the home country (a white zone is at home too)
    ABROAD = "abroad"  # on a cell of another country
    UNKNOWN = "unknown"  # not seen: not known to roam


@dataclass(frozen=True, slots=True)
class LineLocation:
    """Where a line's handset is; ``countries``: abroad, the visited country (several when
    its mobile country code is shared; none when not known)."""

    place: Place
    countries: tuple[Country, ...] = ()

    def __post_init__(self) -> None:
        if self.countries and self.place is not Place.ABROAD:
            raise ValueError("a line location has countries only abroad")

    @classmethod
    def abroad(cls, *countries: Country) -> LineLocation:
        return cls(Place.ABROAD, tuple(sorted(set(countries))))

    @property
    def roaming(self) -> bool:
        """Abroad: BAIC-Roam bars incoming calls."""
        return self.place is Place.ABROAD

    @property
    def country(self) -> Country | None:
        """The visited country when exactly one is known."""
        return self.countries[0] if len(self.countries) == 1 else None

    def in_country(self, region: str | None) -> bool:
        """Whether the line is abroad in ``region`` (an alpha-2 code; None: unknown → no)."""
        return region is not None and any(c.code == region for c in self.countries)

    def describe(self) -> str:
        """``home``, ``unknown``, ``abroad`` or ``abroad:ES`` (``abroad:GB/JE``…)."""
        if self.place is Place.ABROAD and self.countries:
            return f"abroad:{'/'.join(c.code for c in self.countries)}"
        return self.place.value


AT_HOME = LineLocation(Place.HOME)
UNSEEN = LineLocation(Place.UNKNOWN)
ABROAD_SOMEWHERE = LineLocation(Place.ABROAD)  # abroad, the country not known


class Locations(Protocol):
    def location(self, number: E164) -> LineLocation:
        """Where the handset of the fleet line ``number`` is, as far as the network knows
        (the simulated network: the handset's state; SIP: the cell its latest requests or
        responses named, ``fleet.sipnet.sightings``)."""
        ...
