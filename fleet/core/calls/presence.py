"""Which numbers are in a call now: an answered leg in a live call makes its number busy
(for call waiting and for call groups, which skip busy members). Numbers that became free
are kept until the engine has finished the event that freed them, then handed on (a call
group's queue may move)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from fleet.core.calls.legs import Leg
from fleet.core.numbering import E164


class Presence:
    def __init__(self) -> None:
        self._count: Counter[str] = Counter()  # E.164 value -> answered legs
        self._up: set[str] = set()  # ids of the legs counted
        self._freed: list[E164] = []

    def up(self, leg: Leg) -> None:
        if leg.number is not None and leg.id not in self._up:
            self._up.add(leg.id)
            self._count[leg.number.value] += 1

    def down(self, leg: Leg) -> None:
        if leg.id not in self._up or leg.number is None:
            return
        self._up.discard(leg.id)
        key = leg.number.value
        self._count[key] -= 1
        if self._count[key] <= 0:
            del self._count[key]
            self._freed.append(leg.number)

    def is_busy(self, number: E164) -> bool:
        return number.value in self._count

    def take_freed(self) -> list[E164]:
        """The numbers that became free since the last call, oldest first."""
        if not self._freed:
            return []
        freed, self._freed = self._freed, []
        return [number for number in dict.fromkeys(freed) if number.value not in self._count]

    @property
    def busy(self) -> Mapping[str, int]:
        return self._count
