"""The handsets of the simulated network: their state, behaviour and screen (what they
show of a caller), the named misbehaviours tests put them in."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from fleet.core.calls.ports import LegRequest
from fleet.core.countries import Country
from fleet.core.dialling import Presentation
from fleet.core.numbering import E164


class HandsetState(Enum):
    ON = "on"
    OFF = "off"  # switched off
    OUT_OF_COVERAGE = "out_of_coverage"
    ABROAD = "abroad"  # reachable, but in-call services are refused
    WHITE_ZONE = "white_zone"  # "zone blanche": reachable, in-call services refused


HANDSET_ACTIONS = ("answer", "hang_up", "hold", "retrieve", "transfer", "conference")
HIDDEN_NUMBER = "Numéro masqué"  # what a handset shows of a caller who hides its number


class Misbehaviour(Enum):
    """Named faults, to test the engine against a network that does not play nice."""

    ANSWER_AND_DROP = "answer_and_drop"  # answers, then releases at once
    SILENT_LEG = "silent_leg"  # a leg that never reports anything
    ANSWER_AFTER_CANCEL = "answer_after_cancel"  # answers even when the ring was withdrawn
    DUPLICATE_EVENTS = "duplicate_events"  # every event is reported twice


@dataclass
class Behaviour:
    answer_after: float | None = 5.0  # None: never answers
    reject_after: float | None = None  # declines the call after this many seconds
    already_busy: bool = False  # busy in a call the simulator does not model
    misbehaviour: Misbehaviour | None = None


@dataclass
class Handset:
    number: E164
    name: str
    fixed: bool = False
    state: HandsetState = HandsetState.ON
    behaviour: Behaviour = field(default_factory=Behaviour)
    country: Country | None = None  # abroad: the visited country (None: some foreign one)
    legs: set[str] = field(default_factory=set)  # legs up (answered) on this handset
    held: set[str] = field(default_factory=set)
    ringing: set[str] = field(default_factory=set)
    shows: dict[str, LegRequest] = field(default_factory=dict)  # ringing leg -> its call

    @property
    def screen(self) -> str | None:
        """What the handset shows while it rings: the caller's number or "Numéro masqué"."""
        for leg_id in sorted(self.ringing):
            if leg_id in self.shows:
                return caller_shown(self.shows[leg_id])
        return None


class RingingText:
    """A timeline text naming what the ringing handset shows of the caller, written only
    when read."""

    __slots__ = ("prefix", "request")

    def __init__(self, prefix: str, request: LegRequest) -> None:
        self.prefix, self.request = prefix, request

    def __call__(self) -> str:
        return f"{self.prefix}: {caller_shown(self.request)}"


def caller_shown(request: LegRequest) -> str:
    """What the called handset's screen shows of the caller (CLIP, or CLIR applied)."""
    identity = request.identity  # the caller's presented number (issue 16), else the caller
    if identity is None or request.presentation is Presentation.RESTRICTED:
        return HIDDEN_NUMBER
    return identity.national()
