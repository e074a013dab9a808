"""What every benchmark prints with: a line (flushed at once, a run takes minutes) and the
nearest-rank percentile."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]
