"""One fixed delay, first in first out (:class:`fleet.sip.linger.Linger`): each item expires
its delay after it was added, never early, in order, with one scheduler timer at a time; a
scheduler's ``resolution`` batches expiries; one failing expiry does not strand the others. In
virtual time."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fleet.sip.linger import Linger
from tests.sip.virtual import VirtualClock


class CoarseClock(VirtualClock):
    resolution = 0.1


def _timers(clock: VirtualClock) -> int:
    return clock.pending


def test_each_item_expires_its_delay_after_it_was_added_in_order() -> None:
    clock = VirtualClock()
    expired: list[tuple[float, str]] = []
    linger: Linger[str] = Linger(clock, 32, lambda item: expired.append((clock.now(), item)))
    linger.add("a")
    clock.advance(0.5)
    linger.add("b")
    clock.advance(10)
    linger.add("c")
    assert _timers(clock) == 1  # one timer, for the oldest
    clock.advance(21.49)
    assert expired == []
    clock.advance(0.01)
    assert expired == [(32.0, "a")]
    clock.advance(10.5)
    assert expired == [(32.0, "a"), (32.5, "b"), (42.5, "c")]
    assert len(linger) == 0 and _timers(clock) == 0


def test_a_coarse_scheduler_batches_expiries_within_its_resolution_never_early() -> None:
    clock = CoarseClock()
    expired: list[tuple[float, int]] = []
    linger: Linger[int] = Linger(clock, 5, lambda item: expired.append((clock.now(), item)))
    for n in range(5):
        linger.add(n)
        clock.advance(0.01)
    clock.advance(5.2)
    assert [item for _, item in expired] == [0, 1, 2, 3, 4]
    assert {at for at, _ in expired} == {5.0, 5.1}  # two wake-ups for five items
    assert all(at >= 5 + 0.01 * item - 1e-9 for at, item in expired)


def test_an_expiry_that_fails_does_not_strand_the_items_after_it() -> None:
    clock = VirtualClock()
    expired: list[str] = []

    def expire(item: str) -> None:
        if item == "bad":
            raise RuntimeError(item)
        expired.append(item)

    linger: Linger[str] = Linger(clock, 1, expire)
    linger.add("bad")
    clock.advance(0.5)
    linger.add("good")
    with pytest.raises(RuntimeError):
        clock.advance(0.6)
    clock.advance(1)
    assert expired == ["good"]


def test_clear_forgets_every_item_and_its_timer() -> None:
    clock = VirtualClock()
    expire: Callable[[str], None] = lambda item: pytest.fail(item)  # noqa: E731
    linger: Linger[str] = Linger(clock, 1, expire)
    linger.add("a")
    linger.clear()
    clock.advance(2)
    assert len(linger) == 0 and _timers(clock) == 0
