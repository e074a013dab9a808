"""The loop scheduler's timer wheel: long timers fire at or after their due time on one loop
timer, cancelled ones never, and stopping cancels them all (the wheel made fine-grained here so
the tests take milliseconds)."""

from __future__ import annotations

import asyncio

import pytest

from fleet.sip import loop_scheduler
from fleet.sip.loop_scheduler import LoopScheduler


@pytest.fixture
def fine_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loop_scheduler, "WHEEL_FROM", 0.02)
    monkeypatch.setattr(loop_scheduler, "TICK", 0.005)


@pytest.mark.usefixtures("fine_wheel")
async def test_wheel_timers_fire_not_before_their_time_and_cancelled_ones_never() -> None:
    scheduler = LoopScheduler()
    loop = asyncio.get_running_loop()
    fired: dict[str, float] = {}
    done = asyncio.Event()
    start = loop.time()
    scheduler.call_later(0.03, lambda: fired.setdefault("first", loop.time()))
    cancelled = scheduler.call_later(0.03, lambda: fired.setdefault("cancelled", loop.time()))

    def second() -> None:
        fired.setdefault("second", loop.time())
        done.set()

    scheduler.call_later(0.05, second)
    assert scheduler.pending == 3
    cancelled.cancel()
    cancelled.cancel()  # twice is harmless
    assert scheduler.pending == 2
    async with asyncio.timeout(10):
        await done.wait()
    assert fired["first"] >= start + 0.03 and fired["second"] >= start + 0.05
    assert fired["first"] <= fired["second"] and "cancelled" not in fired
    assert scheduler.pending == 0


@pytest.mark.usefixtures("fine_wheel")
async def test_a_wheel_timer_cancelled_by_one_of_its_bucket_does_not_fire() -> None:
    scheduler = LoopScheduler()
    done = asyncio.Event()
    wrong: list[str] = []
    holder: list[object] = []
    scheduler.call_later(0.05, lambda: holder[0].cancel())  # type: ignore[attr-defined]
    holder.append(scheduler.call_later(0.05, lambda: wrong.append("cancelled, yet fired")))
    scheduler.call_later(0.05, done.set)  # due no earlier, so it runs after both
    async with asyncio.timeout(10):
        await done.wait()
    assert wrong == [] and scheduler.pending == 0


@pytest.mark.usefixtures("fine_wheel")
async def test_cancel_all_stops_wheel_and_loop_timers() -> None:
    scheduler = LoopScheduler()
    wrong: list[str] = []
    scheduler.call_later(0.001, lambda: wrong.append("short timer fired after cancel_all"))
    scheduler.call_later(0.03, lambda: wrong.append("wheel timer fired after cancel_all"))
    assert scheduler.pending == 2
    scheduler.cancel_all()
    assert scheduler.pending == 0
    await asyncio.sleep(0.05)  # time for either to have fired, were it still set
    assert wrong == [] and scheduler.pending == 0
