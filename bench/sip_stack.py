"""sip_stack: the SIP stack as a UAS under SIPp on loopback — the highest call rate it takes with
no failed call (the knee), its CPU per call, uvloop against asyncio, then twice the knee with
overload control shedding.

A call is SIPp's built-in ``uac``: INVITE, 200 with SDP, ACK, BYE, 200, no pause. The UAS is
``_sip_uas.py`` in a process of its own (the UA core behind the overload guard, answering at
once), so its CPU time (``time.process_time`` there) is the stack's alone.

- **Knee**: rates double from ``--start`` until a run fails, then are bisected to within
  ``--resolution``; each search step lasts ``--step`` seconds. A rate passes when SIPp reports no
  failed call (exit code 0) and the run took no longer than its calls at that rate (+15 % and
  2 s): the issue's criterion, the anchor's too. Printed beside it: the calls whose BYE never
  reached the UAS ("not completed": the BYE was dropped and SIPp took a retransmitted 200 of the
  INVITE for the BYE's, which its built-in ``uac`` does not tell apart) and the datagrams the
  kernel dropped at the UAS's socket (``/proc/net/udp``). The knee found is then confirmed over
  ``--seconds`` (30: the issue's figure), stepping down 10 % while it fails. CPU µs per call:
  the UAS's CPU time over the confirmation divided by the calls it completed.
- **2× the knee** (``bench/sipp/uac_shed.xml``: a 503 is acknowledged and ends the call):
  completed calls per second (BYEs the UAS answered during the ``--seconds`` of the run) as a
  share of the knee, target ≥ 90 %; the 503s; SIPp's failed calls and retransmissions.
- **Anchor**: SIPp calling ``sipp -sn uas``, searched the same way (the SIPp ceiling of this
  machine now), and the pure-Python anchor of ``_anchor.py``.
- **Floor**: ``_sip_floor.py`` on the same loop at the knee's rate — a datagram endpoint that
  answers INVITE and BYE 200 by copying five header lines, no SIP stack at all: the least a
  Python process on that loop pays per call for the sockets and the loop; the stack's CPU per
  call is printed as a multiple of it. ``--at RATE`` skips the searches: one run of the floor
  and one of the stack per loop at that rate (to compare two versions of the stack).

The guard runs with the service's defaults: ``max_transactions`` (2,000 server transactions not
yet answered; answered ones waiting for their timers do not count), ``--max-lag`` (0.5 s) and
the UDP receive queue (half the buffer, or any drop). A call it sheds is a 503, which SIPp's
built-in ``uac`` counts as failed: each step prints the 503s beside the failures.

    .venv/bin/python bench/sip_stack.py [--quick] [--seconds 30] [--loops uvloop,asyncio]
        [--profile] [--at RATE]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import pstats
import tempfile
import time

import _anchor
from _knee import Step, Trial, confirm, search
from _report import out
from _sipp_run import Caller, SippCallee, Uas, place

from fleet.sip.overload import Limits

BOUND = Limits().max_transactions  # the service's default: transactions not yet answered


class UasTrial:
    """Steps against the bench's UAS on ``loop``; after a failed one the UAS is started
    afresh, so the retransmissions and the backlog of that step do not weigh on the next."""

    def __init__(self, loop: str, max_lag: float, *, floor: bool = False) -> None:
        self.loop = loop
        self.max_lag = max_lag
        self.floor = floor
        self.uas = self._start()

    def _start(self) -> Uas:
        return Uas(self.loop, max_transactions=BOUND, max_lag=self.max_lag, floor=self.floor)

    def __call__(self, rate: float, seconds: float) -> Step:
        uas = self.uas
        before = uas.stats()
        run = place(uas.port, rate, max(1, int(rate * seconds)))
        after = uas.stats()
        step = Step(
            rate,
            run,
            after.byes - before.byes,
            after.cpu - before.cpu,
            after.drops - before.drops,
            after.shed - before.shed,
        )
        if not step.ok:
            uas.stop()
            self.uas = self._start()
        return step


def sipp_trial(port: int) -> Trial:
    def trial(rate: float, seconds: float) -> Step:
        run = place(port, rate, max(1, int(rate * seconds)))
        return Step(rate, run, run.successful, 0.0)

    return trial


def overload(uas: Uas, knee: float, seconds: float) -> None:
    rate = 2 * knee
    before = uas.stats()
    caller = Caller(uas.port, rate, int(rate * seconds), shed=True)
    time.sleep(max(0.0, caller.started + seconds - time.perf_counter()))
    during = uas.stats()
    run = caller.wait()
    after = uas.stats()
    completed = during.byes - before.byes
    per_second = completed / seconds
    shed = after.shed - before.shed
    out(
        f"2× knee: {rate:.0f} calls/s offered for {seconds:g} s: {per_second:.0f} completed/s = "
        f"{per_second / knee:.0%} of the knee (target ≥ 90 %); {shed} shed 503 "
        f"({shed / max(1, run.calls):.0%} of the calls); {run.failed} failed; "
        f"{run.retransmissions} SIPp retransmissions; {after.drops - before.drops} datagrams "
        f"dropped by the kernel at the UAS; after the run "
        f"{after.byes - before.byes} completed, {after.invites - before.invites} admitted; "
        f"peak {during.max_transactions} live server transactions; lag worst "
        f"{during.worst_lag * 1000:.0f} ms, smoothed {during.lag * 1000:.0f} ms at {seconds:g} s"
    )


def profile(loop: str, rate: float, seconds: float, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "uas.prof"
        uas = Uas(loop, max_transactions=BOUND, max_lag=args.max_lag, profile=path)
        try:
            before = uas.stats()
            run = place(uas.port, rate, max(1, int(rate * seconds)))
            after = uas.stats()
            step = Step(rate, run, after.byes - before.byes, after.cpu - before.cpu)
            out(step.line(f"profiled {loop}"))
        finally:
            uas.stop()
        stats = pstats.Stats(str(path))
        out(f"cProfile of the UAS ({loop}) at {rate:.0f}/s, top 15 by tottime:")
        stats.sort_stats("tottime")
        width = 0
        rows = []
        for func, (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            name = f"{Path(func[0]).name}:{func[1]}({func[2]})"
            width = max(width, len(name))
            rows.append((tottime, cumtime, calls, name))
        rows.sort(reverse=True)
        total = sum(r[0] for r in rows)
        for tottime, cumtime, calls, name in rows[:15]:
            out(
                f"  {tottime:7.3f} s {tottime / total:5.1%} cum {cumtime:7.3f} s "
                f"{calls:9d} calls  {name}"
            )


def fixed_rate(args: argparse.Namespace) -> None:
    """One ``--seconds`` run at ``--at`` calls/s per loop: the figure to compare two versions
    of the stack by (CPU per call is the UAS's own CPU time, whatever else runs)."""
    for loop in args.loops.split(","):
        steps = {}
        for floor in (True, False):
            trial = UasTrial(loop, args.max_lag, floor=floor)
            try:
                steps[floor] = trial(args.at, args.seconds)
                out(steps[floor].line(f"{loop} floor" if floor else loop))
            finally:
                trial.uas.stop()
        out(f"  {loop}: the stack's CPU per call = {floor_ratio(steps[False], steps[True])}")
        if args.profile:
            profile(loop, args.at, args.seconds, args)


def floor_ratio(stack: Step, floor: Step) -> str:
    return f"{stack.cpu_us / max(1.0, floor.cpu_us):.1f} × the floor's ({floor.cpu_us:.0f} µs)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: 5 s, coarse search")
    parser.add_argument("--seconds", type=float, default=30.0, help="confirmation and 2× runs")
    parser.add_argument("--step", type=float, default=5.0, help="seconds per search step")
    parser.add_argument("--start", type=float, default=100.0, help="first rate of the UAS")
    parser.add_argument("--sipp-start", type=float, default=1000.0, help="first rate, anchor")
    parser.add_argument("--tries", type=int, default=3, help="confirmations, 10 %% apart")
    parser.add_argument("--ceiling", type=float, default=64000.0)
    parser.add_argument("--resolution", type=float, default=1.1)
    parser.add_argument("--loops", default="uvloop,asyncio")
    parser.add_argument("--max-lag", type=float, default=0.5)
    parser.add_argument("--profile", action="store_true", help="cProfile the UAS at the knee")
    parser.add_argument(
        "--at", type=float, help="no search: one run at this rate per loop (CPU per call)"
    )
    args = parser.parse_args()
    if args.at:
        fixed_rate(args)
        return
    if args.quick:
        args.seconds, args.step, args.resolution, args.tries = 5.0, 1.5, 1.5, 1
        args.start, args.sipp_start = 300.0, 4000.0
    anchor_before = _anchor.measure("before")
    callee = SippCallee()
    try:
        out(f"SIPp uac → SIPp uas (the anchor's ceiling), {args.step:g} s steps:")
        ceiling = search(sipp_trial(callee.port), "sipp", args, args.sipp_start)
        held = confirm(
            sipp_trial(callee.port),
            ceiling,
            "sipp",
            args.seconds,
            args.tries + (0 if args.quick else 2),
        )
    finally:
        callee.stop()
    if held is not None:
        sipp_rate = held.rate
        out(f"SIPp ceiling: {sipp_rate:.0f} calls/s with 0 failed over {args.seconds:g} s")
    else:  # the ratio still needs an anchor: the search's, over shorter runs
        sipp_rate = ceiling
        out(
            f"SIPp ceiling: none held over {args.seconds:g} s; {sipp_rate:.0f} calls/s over "
            f"{args.step:g} s steps is the anchor"
        )
    knees: dict[str, Step] = {}
    for loop in args.loops.split(","):
        trial = UasTrial(loop, args.max_lag)
        try:
            out(f"SIPp uac → fleet.sip UAS on {loop}, {args.step:g} s steps:")
            found = search(trial, loop, args, args.start)
            knee = confirm(trial, found, loop, args.seconds, args.tries) if found else None
            if knee is None:
                out(f"{loop}: no rate held over {args.seconds:g} s")
                continue
            knees[loop] = knee
            out(
                f"{loop} knee: {knee.rate:.0f} calls/s with 0 failed over {args.seconds:g} s "
                f"(target ≥ 3,000: {knee.rate / 3000:.0%}), {knee.cpu_us:.0f} µs CPU per call "
                f"(target ≤ 80), {knee.rate / max(1.0, sipp_rate):.1%} of the SIPp ceiling"
            )
            floor = UasTrial(loop, args.max_lag, floor=True)
            try:
                at_floor = floor(knee.rate, args.seconds)
            finally:
                floor.uas.stop()
            out(at_floor.line(f"{loop} floor"))
            out(f"  {loop} at the knee: the stack's CPU per call = {floor_ratio(knee, at_floor)}")
            if loop == args.loops.split(",")[0]:
                overload(trial.uas, knee.rate, args.seconds)
        finally:
            trial.uas.stop()
    anchor = _anchor.mean(anchor_before, _anchor.measure("after"))
    if "uvloop" in knees and "asyncio" in knees:
        fast, plain = knees["uvloop"], knees["asyncio"]
        out(
            f"uvloop / asyncio: knee {fast.rate / plain.rate:.2f}×, "
            f"CPU per call {fast.cpu_us / plain.cpu_us:.2f}×"
        )
    for loop, knee in knees.items():
        out(
            f"{loop}: {knee.cpu_us:.0f} µs CPU/call = {anchor.cpu_ratio(knee.cpu_us / 1000)}; "
            f"knee / SIPp ceiling = {knee.rate / max(1.0, sipp_rate):.3f}"
        )
    if args.profile and knees:
        loop, knee = next(iter(knees.items()))
        profile(loop, knee.rate, min(args.seconds, 10.0), args)


if __name__ == "__main__":
    main()
