"""A handset of netsim: a small state object (no task, no socket of its own), its state in
the network, its behaviour when called, and what its screen shows. Thousands fit in one
process; the only timers are those of a handset that is ringing."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from fleet.core.countries import Country
from fleet.core.numbering import E164

if TYPE_CHECKING:
    from simulators.netsim.handset_leg import HandsetLeg

HIDDEN_NUMBER = "Numéro masqué"  # what a handset shows of a caller who hides its number


class HandsetState(StrEnum):
    ON = "on"
    OFF = "off"  # switched off: not registered, calls to it get 480
    OUT_OF_COVERAGE = "out_of_coverage"  # paging fails: 408
    ABROAD = "abroad"  # reachable, on a cell of another country
    WHITE_ZONE = "white_zone"  # reachable, on a cell of the white zone

    @property
    def reachable(self) -> bool:
        return self not in (HandsetState.OFF, HandsetState.OUT_OF_COVERAGE)


class Answering(StrEnum):
    AFTER = "after"  # rings, answers after ``seconds``
    NEVER = "never"  # rings until the caller gives up
    DECLINE = "decline"  # rings, declines (603) after ``seconds``
    BUSY = "busy"  # busy at once (486)


class HandsetKind(StrEnum):
    LINE = "line"  # a mobile line of a fleet
    FIXED = "fixed"  # a fleet's fixed number (a desk behind its PBX)
    OUTSIDE = "outside"  # anyone else, created on first use


@dataclass(frozen=True, slots=True)
class Behaviour:
    answering: Answering = Answering.AFTER
    seconds: float = 5.0

    def __post_init__(self) -> None:
        if not 0 <= self.seconds <= 3600:
            raise ValueError("seconds must be between 0 and 3600")


@dataclass(frozen=True, slots=True)
class Directory:
    """What the fleets say of a handset's number (None fields: an outside number)."""

    kind: HandsetKind
    name: str
    fleet_id: int | None = None
    short_number: str | None = None


@dataclass(slots=True, eq=False)
class Handset:
    number: E164
    info: Directory
    state: HandsetState = HandsetState.ON
    behaviour: Behaviour = field(default_factory=Behaviour)
    country: Country | None = None  # abroad: the visited country (None: Spain's cells)
    legs: list[HandsetLeg] = field(default_factory=list)  # its legs in calls, oldest first
    _national: str | None = field(default=None, init=False, repr=False)

    @property
    def national(self) -> str:
        """Its number as shown, formatted once (phonenumbers' formatting costs)."""
        if self._national is None:
            self._national = self.number.national()
        return self._national

    @property
    def kind(self) -> HandsetKind:
        return self.info.kind


def shown_caller(caller: E164 | None) -> str:
    """What a ringing handset shows: the caller's national number, or "Numéro masqué"."""
    return HIDDEN_NUMBER if caller is None else caller.national()
