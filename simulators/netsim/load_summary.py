"""What a load run counts (``fleetpbx netsim --load``): attempts, answered calls, failures by
SIP status, attempts netsim could not place, setup times as netsim's calling handset sees them
(INVITE → the first ringing, INVITE → the answer), the calls in progress and their peak. Pure:
the runner tells it what happened and when."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from simulators.netsim.load_model import CallKind

PERCENTILES = (50, 90, 99)


class NotPlaced(StrEnum):
    """Why an attempt of the model placed no call."""

    CALLER_BUSY = "caller_busy"  # every line drawn was in a call already
    NO_DESTINATION = "no_destination"  # nothing of that kind to call in the caller's fleet
    FEATURE_CODES_NOT_AVAILABLE = "feature_codes_not_available"  # no USSD gateway in netsim
    REFUSED = "refused"  # netsim refused to dial (the handset off, out of coverage)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q``-th percentile (0 < q ≤ 100) of ``values``; None when empty."""
    if not 0 < q <= 100:
        raise ValueError("q must be in (0, 100]")
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def spread(values: Sequence[float]) -> dict[str, object]:
    """Count, percentiles and max of durations in seconds, shown in milliseconds."""
    shown: dict[str, object] = {"count": len(values)}
    for q in PERCENTILES:
        shown[f"p{q}_ms"] = _ms(percentile(values, q))
    shown["max_ms"] = _ms(max(values) if values else None)
    return shown


@dataclass
class LoadTally:
    attempts: int = 0  # calls placed (an INVITE sent, or a handset rung directly)
    answered: int = 0
    completed: int = 0  # calls ended, answered or not
    failed: Counter[int] = field(default_factory=Counter)  # unanswered, by final SIP status
    failed_kinds: Counter[CallKind] = field(default_factory=Counter)  # unanswered, by kind
    not_placed: Counter[NotPlaced] = field(default_factory=Counter)
    kinds: Counter[CallKind] = field(default_factory=Counter)  # attempts by kind
    feature_codes: int = 0  # feature codes dialled
    ringing: list[float] = field(default_factory=list)  # INVITE → first 18x, seconds
    answering: list[float] = field(default_factory=list)  # INVITE → 200, seconds
    in_progress: int = 0
    peak_in_progress: int = 0
    given_up: int = 0  # callers who hung up a call ringing too long (counted in failed: 487)
    cut_at_end: int = 0  # calls still in progress when the run ended, hung up then
    late_max: float = 0.0  # the latest an attempt was placed after its arrival time, seconds
    late_over_1s: int = 0  # attempts placed more than a second late (netsim behind)

    def placed(self, kind: CallKind) -> None:
        self.attempts += 1
        self.kinds[kind] += 1
        self.in_progress += 1
        self.peak_in_progress = max(self.peak_in_progress, self.in_progress)

    def late(self, seconds: float) -> None:
        """An attempt placed ``seconds`` after its arrival time (the event loop busy)."""
        self.late_max = max(self.late_max, seconds)
        if seconds > 1:
            self.late_over_1s += 1

    def rang(self, seconds: float) -> None:
        self.ringing.append(seconds)

    def answer(self, seconds: float) -> None:
        self.answered += 1
        self.answering.append(seconds)

    def ended(
        self, kind: CallKind, *, answered: bool, cause: int | None, cut: bool = False
    ) -> None:
        """A call ended; ``cut``: hung up by the end of the run (not counted as failed)."""
        self.in_progress -= 1
        self.completed += 1
        if cut:
            self.cut_at_end += 1
        elif not answered:
            self.failed[cause if cause is not None else 0] += 1
            self.failed_kinds[kind] += 1

    def skipped(self, why: NotPlaced, kind: CallKind) -> None:
        self.not_placed[why] += 1
        self.kinds[kind] += 1

    @property
    def failures(self) -> int:
        return sum(self.failed.values())

    def view(self) -> dict[str, object]:
        return {
            "attempts": self.attempts,
            "answered": self.answered,
            "failed": self.failures,
            "failed_by_status": {str(k): v for k, v in sorted(self.failed.items())},
            "failed_by_kind": {k.value: v for k, v in sorted(self.failed_kinds.items())},
            "completed": self.completed,
            "in_progress": self.in_progress,
            "peak_in_progress": self.peak_in_progress,
            "given_up": self.given_up,
            "cut_at_end": self.cut_at_end,
            "late_max_s": round(self.late_max, 3),
            "late_over_1s": self.late_over_1s,
            "not_placed": {k.value: v for k, v in sorted(self.not_placed.items())},
            "by_kind": {k.value: v for k, v in sorted(self.kinds.items())},
            "feature_codes": self.feature_codes,
            "setup_ringing": spread(self.ringing),
            "setup_answer": spread(self.answering),
        }
