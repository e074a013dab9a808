"""One string object for values that repeat from call to call — a peer's Contact, our own, the
names of the headers a peer sends in the same order every time — so that the thousands of
calls in progress that keep such a value share it instead of each keeping a copy (issue 12's
memory per call). Bounded: past ``limit`` distinct values, a new one is kept as it came."""

from __future__ import annotations


class SharedText:
    __slots__ = ("_limit", "_seen")

    def __init__(self, limit: int = 1024) -> None:
        self._seen: dict[str, str] = {}
        self._limit = limit

    def __call__(self, text: str) -> str:
        """``text``, or the equal string seen before."""
        seen = self._seen
        if len(seen) < self._limit:
            return seen.setdefault(text, text)
        return seen.get(text, text)

    def __len__(self) -> int:
        return len(self._seen)
