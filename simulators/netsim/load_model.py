"""netsim's busy-hour traffic model (``fleetpbx netsim --load``): how many calls the fleet's
lines place, how long they hold, where they go. Pure: no SIP, no clock; the draws come from
random generators seeded by the model's ``seed`` (one per kind of draw, so the arrivals of a
seed stay the same whatever else is drawn).

Arrivals are a Poisson process — each line places ``calls_per_line_hour`` calls an hour at
random, the fleet's calls the superposition of its lines' — and holding times are exponential
with mean ``holding_seconds``. ``duration`` and ``holding_seconds`` are in traffic time (the
busy hour as it would be); ``compression`` plays it faster: ×10 places ten times the calls a
second, each held a tenth as long (the number of calls in progress stays that of the busy
hour). The handsets ring and answer per their behaviour, which is not compressed."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")
HOUR = 3600.0


class CallKind(StrEnum):
    """Where a call of the load goes."""

    COLLEAGUE = "colleague"  # a colleague's short number (the share left by the others)
    GROUP = "group"  # a call group of the caller's fleet
    OUTSIDE = "outside"  # a number outside the fleets
    FEATURE_CODE = "feature_code"  # a feature code (USSD), not a call


class BadModel(ValueError):
    """A traffic model that cannot be played (its message says which parameter)."""


@dataclass(frozen=True, slots=True)
class TrafficModel:
    calls_per_line_hour: float = 3.0
    holding_seconds: float = 90.0  # mean holding time (exponential), traffic time
    group_share: float = 0.1  # of the calls, to call groups
    outside_share: float = 0.3  # to numbers outside the fleets
    feature_code_share: float = 0.0  # feature codes dialled (USSD) instead of a call
    duration: float = 60.0  # seconds of traffic time placed
    compression: float = 1.0  # ×N: the traffic time played N times faster
    seed: int = 1
    feature_code: str = "*#21#"  # what a handset dials for a feature code

    def __post_init__(self) -> None:
        positive = {
            "calls_per_line_hour": self.calls_per_line_hour,
            "holding_seconds": self.holding_seconds,
            "duration": self.duration,
            "compression": self.compression,
        }
        for name, value in positive.items():
            if not value > 0:
                raise BadModel(f"{name} must be more than zero")
        shares = {
            "group_share": self.group_share,
            "outside_share": self.outside_share,
            "feature_code_share": self.feature_code_share,
        }
        for name, value in shares.items():
            if not 0 <= value <= 1:
                raise BadModel(f"{name} must be between 0 and 1")
        if sum(shares.values()) > 1 + 1e-9:
            raise BadModel("group_share + outside_share + feature_code_share must be at most 1")
        if not self.feature_code:
            raise BadModel("feature_code must not be empty")

    @property
    def colleague_share(self) -> float:
        return max(0.0, 1 - self.group_share - self.outside_share - self.feature_code_share)

    @property
    def wall_seconds(self) -> float:
        """How long the arrivals last, played."""
        return self.duration / self.compression

    def rate(self, lines: int) -> float:
        """Attempts a second of traffic time for ``lines`` lines."""
        return lines * self.calls_per_line_hour / HOUR

    def expected_attempts(self, lines: int) -> float:
        return self.rate(lines) * self.duration

    def erlangs(self, lines: int) -> float:
        """The offered traffic: calls in progress on average (after the first holding times)."""
        return self.rate(lines) * self.holding_seconds * (1 - self.feature_code_share)

    def view(self) -> dict[str, object]:
        return {
            "calls_per_line_hour": self.calls_per_line_hour,
            "holding_seconds": self.holding_seconds,
            "group_share": self.group_share,
            "outside_share": self.outside_share,
            "colleague_share": round(self.colleague_share, 6),
            "feature_code_share": self.feature_code_share,
            "duration": self.duration,
            "compression": self.compression,
            "wall_seconds": self.wall_seconds,
            "seed": self.seed,
        }


class TrafficDraws:
    """The random draws of one run of ``model`` over ``lines`` lines, in wall time."""

    def __init__(self, model: TrafficModel, lines: int) -> None:
        if lines < 1:
            raise BadModel("the fleets have no line to place calls from")
        self.model = model
        self.lines = lines
        self._arrivals = random.Random(f"{model.seed}-arrivals")
        self._holding = random.Random(f"{model.seed}-holding")
        self._choices = random.Random(f"{model.seed}-choices")
        self._wall_rate = model.rate(lines) * model.compression

    def gap(self) -> float:
        """Wall seconds until the next attempt (exponential: Poisson arrivals)."""
        return self._arrivals.expovariate(self._wall_rate)

    def arrivals(self) -> Iterator[float]:
        """The attempts' wall offsets from the start, until the model's duration is played."""
        at = self.gap()
        while at < self.model.wall_seconds:
            yield at
            at += self.gap()

    def holding(self) -> float:
        """A call's holding time once answered, wall seconds."""
        return self._holding.expovariate(self.model.compression / self.model.holding_seconds)

    def kind(self) -> CallKind:
        model = self.model
        draw = self._choices.random()
        for kind, share in (
            (CallKind.GROUP, model.group_share),
            (CallKind.OUTSIDE, model.outside_share),
            (CallKind.FEATURE_CODE, model.feature_code_share),
        ):
            if draw < share:
                return kind
            draw -= share
        return CallKind.COLLEAGUE

    def pick(self, choices: Sequence[T]) -> T:
        return self._choices.choice(choices)

    def digits(self, count: int) -> str:
        return f"{self._choices.randrange(10**count):0{count}d}"
