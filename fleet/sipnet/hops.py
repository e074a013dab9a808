"""The internal hops of a call between two fleet lines (ISC, DESIGN §8): such a call visits
FleetPBX twice, the originating visit's B-leg going back to the core, which brings it back as
the terminating visit's A-leg. The two ends of that hop carry no media of their own: the
handsets are on the originating visit's A-leg and the terminating visit's B-leg, and FleetPBX's
relay (:mod:`fleet.sipnet.relay`) and the core pass every offer across the hop.

When the engine asks for both ends of a hop to be moved (the conference key, where the
initiator's calls include both visits of a call with a colleague), moving both would send two
offerless re-INVITEs towards each other across the hop (glare, RFC 3261 §14.2, twice) and put
the hop itself in the mix. Neither end is moved instead: the handsets' legs on either side of
the hop are, each straight onto the media server.

The two ends are recognised by what FleetPBX saw of them: a B-leg placed towards the core and
a later terminating visit's A-leg with the same correlation (the ICID of P-Charging-Vector,
which the core keeps from one visit to the next, :mod:`fleet.sipnet.served`), belonging to two
different visits. A B-leg is paired with the first such A-leg named after it (the engine names
a conference's legs call by call, in the order the calls began: a visit's B-leg comes before
the next visit's A-leg), each A-leg once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from fleet.sip.dialog import Dialog
from fleet.sipnet.placing import BLeg
from fleet.sipnet.served import Visit


class HopSide(Enum):
    """Which end of a hop through the core a leg can be."""

    LEAVES = "leaves"  # a B-leg placed towards the core
    ARRIVES = "arrives"  # the A-leg of a terminating visit
    NEITHER = "neither"


@dataclass(frozen=True, slots=True)
class LegSeen:
    """What the adapter knows of a leg: its id, its visit's A-leg id and correlation, and which
    end of a hop it could be."""

    leg_id: str
    visit: str  # the visit's A-leg id (the leg's own for an A-leg)
    correlation: str | None
    side: HopSide


def hop_ends(legs: Iterable[LegSeen]) -> set[str]:
    """The ids of the legs that are both ends of a hop between two visits among ``legs``."""
    seen = list(legs)
    paired: set[str] = set()
    for position, leaving in enumerate(seen):
        if leaving.side is not HopSide.LEAVES or leaving.correlation is None:
            continue
        arriving = next(
            (
                later
                for later in seen[position + 1 :]
                if later.side is HopSide.ARRIVES
                and later.correlation == leaving.correlation
                and later.visit != leaving.visit
                and later.leg_id not in paired
            ),
            None,
        )
        if arriving is not None:
            paired |= {leaving.leg_id, arriving.leg_id}
    return paired


def leg_seen(leg_id: str, b_leg: BLeg | None, visits: Mapping[str, Visit]) -> LegSeen:
    """What the adapter knows of ``leg_id``: ``b_leg`` when it is one, ``visits`` by A-leg."""
    if b_leg is not None:
        visit = visits.get(b_leg.a_leg) if b_leg.a_leg is not None else None
        side = HopSide.LEAVES if b_leg.to_core else HopSide.NEITHER
        correlation = visit.correlation if visit is not None else None
        return LegSeen(leg_id, b_leg.a_leg or leg_id, correlation, side)
    visit = visits.get(leg_id)
    if visit is None:
        return LegSeen(leg_id, leg_id, None, HopSide.NEITHER)
    side = HopSide.NEITHER if visit.originating else HopSide.ARRIVES
    return LegSeen(leg_id, leg_id, visit.correlation, side)


def mixed(
    leg_ids: list[str],
    b_legs: Mapping[str, BLeg],
    visits: Mapping[str, Visit],
    dialog_of: Callable[[str], Dialog | None],
) -> tuple[set[str], list[tuple[str, Dialog]]]:
    """A conference's legs: the ends of hops kept out, and the answered others with their
    dialogs (those the media server mixes)."""
    hops = hop_ends(leg_seen(leg_id, b_legs.get(leg_id), visits) for leg_id in leg_ids)
    legs = [(leg_id, d) for leg_id in leg_ids if leg_id not in hops and (d := dialog_of(leg_id))]
    return hops, legs
