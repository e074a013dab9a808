"""Distribution strategies (DESIGN §5): pure functions from a group's state to the order
in which its available members ring. Each step is the members that ring together."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fleet.core.values import DistributionMode

Step = tuple[int, ...]  # line ids ringing together


@dataclass(frozen=True, slots=True)
class Candidate:
    """A connected member that may ring now (not busy, not resting)."""

    line_id: int
    position: int
    idle_since: datetime | None  # end of its last group call; None: never had one


def plan(
    mode: DistributionMode,
    candidates: Sequence[Candidate],
    *,
    last_taker: int | None,
    positions: dict[int, int],
    rng: random.Random,
) -> list[Step]:
    """The ringing steps for one hunt.

    ``positions`` maps every member (available or not) to its position, so cyclic
    distribution can start after the last taker even when that member is away now.
    """
    ordered = sorted(candidates, key=lambda c: c.position)
    if not ordered:
        return []
    if mode is DistributionMode.SIMULTANEOUS:
        return [tuple(c.line_id for c in ordered)]
    if mode is DistributionMode.LINEAR:
        return [(c.line_id,) for c in ordered]
    if mode is DistributionMode.CYCLIC:
        return [(c.line_id,) for c in _after(ordered, last_taker, positions)]
    if mode is DistributionMode.LEAST_ACTIVE:
        # never-called members first (in list order), then the longest idle
        by_idle = sorted(
            ordered,
            key=lambda c: (c.idle_since is not None, c.idle_since or datetime.min, c.position),
        )
        return [(c.line_id,) for c in by_idle]
    assert mode is DistributionMode.RANDOM
    shuffled = list(ordered)
    rng.shuffle(shuffled)
    return [(c.line_id,) for c in shuffled]


def _after(
    ordered: list[Candidate], last_taker: int | None, positions: dict[int, int]
) -> list[Candidate]:
    if last_taker is None or last_taker not in positions:
        return ordered
    pivot = positions[last_taker]
    later = [c for c in ordered if c.position > pivot]
    earlier = [c for c in ordered if c.position <= pivot]
    return later + earlier
