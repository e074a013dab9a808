"""The knee search of the SIP benches (``sip_stack.py``, ``sip_calls.py``): one step is SIPp
placing calls at a rate for some seconds; a step passes when SIPp reports no failed call and
the run took no longer than its calls at that rate (+15 % and 2 s). Rates double from a start
until a step fails (or halve while the start fails), then are bisected to within
``--resolution``; the knee found is confirmed over a longer run, 10 % less at a time while it
fails."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from _report import out
from _sipp_run import SippRun


@dataclass(frozen=True, slots=True)
class Step:
    rate: float
    run: SippRun
    completed: int  # BYEs the UAS answered (the anchor: SIPp's successful calls)
    cpu: float  # UAS CPU seconds (0 for the anchor)
    drops: int = 0  # datagrams the kernel dropped at the UAS's socket
    shed: int = 0  # new INVITEs the UAS's guard refused 503 (SIPp's uac counts them failed)

    @property
    def ok(self) -> bool:
        run = self.run
        on_time = run.seconds <= run.calls / self.rate * 1.15 + 2
        return run.code == 0 and run.failed == 0 and on_time

    @property
    def cpu_us(self) -> float:
        return self.cpu / max(1, self.completed) * 1e6

    def line(self, label: str) -> str:
        run = self.run
        verdict = "ok" if self.ok else "FAIL"
        uas = f", {self.shed} shed 503, {self.drops} dropped by the kernel" if self.cpu else ""
        cpu = f", {self.cpu_us:.0f} µs CPU/call" if self.cpu else ""
        return (
            f"  {label} {self.rate:7.0f}/s × {run.calls:6d}: {verdict}: "
            f"{self.completed} completed, {run.failed} failed, {run.calls - self.completed} "
            f"not completed, "
            f"{run.retransmissions} retransmissions{uas}, {run.seconds:.1f} s{cpu}"
        )


FLOOR = 10.0  # calls/s: below this a start that fails gives no knee

Trial = Callable[[float, float], Step]  # (rate, seconds) -> step


def search(trial: Trial, label: str, args: argparse.Namespace, start: float) -> float:
    """The highest rate passing a ``--step`` run: doubling from ``start`` (halving while the
    start fails, down to ``FLOOR`` calls/s), then bisecting."""
    good, bad = 0.0, 0.0
    rate = start
    while rate <= args.ceiling:
        step = trial(rate, args.step)
        out(step.line(label))
        if not step.ok:
            bad = rate
            break
        good, rate = rate, rate * 2
    if not bad:
        return good
    while not good and bad / 2 >= FLOOR:
        rate = round(bad / 2)
        step = trial(rate, args.step)
        out(step.line(label))
        good, bad = (rate, bad) if step.ok else (0.0, rate)
    while good and bad / good > args.resolution:
        rate = round((good * bad) ** 0.5)
        step = trial(rate, args.step)
        out(step.line(label))
        good, bad = (rate, bad) if step.ok else (good, rate)
    return good


def confirm(trial: Trial, rate: float, label: str, seconds: float, tries: int) -> Step | None:
    """The knee over ``seconds``: ``rate``, or 10 % less at a time."""
    for _ in range(tries):
        step = trial(rate, seconds)
        out(step.line(label))
        if step.ok:
            return step
        rate = round(rate * 0.9)
    return None
