"""A load run of netsim (``fleetpbx netsim --load``, ``POST /load``): the traffic model's
attempts placed from the fleets' lines through the S-CSCF as a person would dial them, at the
model's Poisson arrival times, each answered call hung up after its holding time. Everything
runs on the SIP stack's scheduler (virtual time in tests): one timer for the next arrival, one
for the progress line, one per call (giving up while it rings, or its holding time).

Setup times are measured where netsim's calling handset hears them: from the moment it dials
(the INVITE to FleetPBX) to the first ringing (18x) and to the answer (200)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import structlog

from fleet.sip.transaction_ports import Scheduler, TimerHandle
from simulators.netsim.handset import Handset, HandsetKind
from simulators.netsim.handset_leg import HandsetError, HandsetLeg
from simulators.netsim.legs import LegState
from simulators.netsim.load_model import BadModel, CallKind, TrafficDraws, TrafficModel
from simulators.netsim.load_summary import LoadTally, NotPlaced
from simulators.netsim.network import Netsim
from simulators.netsim.scscf import DialRefused

log = structlog.get_logger("simulators.netsim.load")

FeatureDialler = Callable[[Handset, str], None]
"""How a handset dials a feature code (USSD): netsim's USSD gateway, when it has one."""

OUTSIDE_PREFIX = "0799"  # the outside numbers called: 07 99 xx xx xx (no seeded line there)
CALLER_DRAWS = 10  # lines drawn for an attempt before it counts as "caller busy"


class RunState(StrEnum):
    RUNNING = "running"  # placing the model's attempts
    DRAINING = "draining"  # attempts done, the calls in progress going on
    DONE = "done"


@dataclass(frozen=True, slots=True)
class LoadOptions:
    model: TrafficModel = field(default_factory=TrafficModel)
    give_up_after: float = 60.0  # wall seconds a caller lets a call ring before hanging up
    drain_seconds: float = 30.0  # after the last attempt, wall seconds before the rest is cut
    progress_every: float = 10.0  # wall seconds between progress lines (0: none)

    def __post_init__(self) -> None:
        for name in ("give_up_after", "drain_seconds", "progress_every"):
            if getattr(self, name) < 0:
                raise BadModel(f"{name} must be zero or more")


@dataclass(eq=False)
class _Call:
    leg: HandsetLeg
    kind: CallKind
    placed_at: float
    answered: bool = False
    cut: bool = False
    timer: TimerHandle | None = None


class LoadRun:
    def __init__(
        self,
        *,
        netsim: Netsim,
        scheduler: Scheduler,
        options: LoadOptions,
        feature_codes: FeatureDialler | None = None,
        on_done: Callable[[LoadRun], None] = lambda run: None,
        measure: Callable[[], float] | None = None,
    ) -> None:
        """``measure``: the clock setup times are read on (the scheduler's by default; a
        finer one in service, where the event loop's time may tick by the millisecond)."""
        self.netsim = netsim
        self.options = options
        self.tally = LoadTally()
        self.state = RunState.RUNNING
        self._scheduler = scheduler
        self._feature_codes = feature_codes
        self._on_done = on_done
        self._measure = measure or scheduler.now
        lines = [h for h in netsim.handsets.by_number.values() if h.kind is HandsetKind.LINE]
        self._lines = sorted(lines, key=lambda h: h.number.value)  # the seed's order, always
        self._draws = TrafficDraws(options.model, len(self._lines))
        self._colleagues: dict[int | None, list[Handset]] = {}
        for handset in self._lines:
            self._colleagues.setdefault(handset.info.fleet_id, []).append(handset)
        self._groups: dict[int, list[str]] = {}
        for group in sorted(netsim.view.groups(), key=lambda g: g.id):
            dialled = group.short_number or group.number.national()
            self._groups.setdefault(group.fleet_id, []).append(dialled)
        self._calls: dict[HandsetLeg, _Call] = {}
        self._started = 0.0
        self._arrivals = self._draws.arrivals()
        self._timers: dict[str, TimerHandle] = {}  # "arrival", "progress", "drain"

    # -- the run ----------------------------------------------------------------------------

    def start(self) -> None:
        self._started = self._scheduler.now()
        log.info(
            "netsim_load_started",
            lines=len(self._lines),
            expected_attempts=round(self.options.model.expected_attempts(len(self._lines))),
            erlangs=round(self.options.model.erlangs(len(self._lines)), 1),
            **self.options.model.view(),
        )
        self._next_arrival()
        if self.options.progress_every > 0:
            self._later("progress", self.options.progress_every, self._progress)

    def stop(self) -> None:
        """End the run now: no more attempts, the calls in progress hung up."""
        if self.state is RunState.DONE:
            return
        self.state = RunState.DRAINING
        self._cut()
        for call in list(self._calls.values()):  # a leg that did not end when hung up
            del self._calls[call.leg]
            self.tally.ended(call.kind, answered=call.answered, cause=call.leg.cause, cut=True)
        self._finish()

    @property
    def elapsed(self) -> float:
        return self._scheduler.now() - self._started

    def _next_arrival(self) -> None:
        at = next(self._arrivals, None)
        if at is None:
            self._drain()
            return
        due = self._started + at
        delay = max(0.0, due - self._scheduler.now())
        self._later("arrival", delay, lambda: self._arrive(due))

    def _arrive(self, due: float) -> None:
        if self.state is not RunState.RUNNING:
            return
        self.tally.late(self._scheduler.now() - due)
        self._attempt()
        self._next_arrival()

    def _drain(self) -> None:
        self.state = RunState.DRAINING
        if not self._calls:
            self._finish()
            return
        self._later("drain", self.options.drain_seconds, self.stop)

    def _later(self, name: str, delay: float, then: Callable[[], None]) -> None:
        self._timers[name] = self._scheduler.call_later(delay, then)

    def _cut(self) -> None:
        for call in list(self._calls.values()):
            call.cut = True
            with contextlib.suppress(HandsetError):  # ended meanwhile
                call.leg.hang_up()

    def _finish(self) -> None:
        if self.state is RunState.DONE or self._calls:
            return
        self.state = RunState.DONE
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        log.info("netsim_load_summary", **self.view())
        self._on_done(self)

    def _progress(self) -> None:
        if self.state is RunState.DONE:
            return
        tally = self.tally
        log.info(
            "netsim_load_progress",
            state=self.state.value,
            elapsed=round(self.elapsed, 1),
            attempts=tally.attempts,
            answered=tally.answered,
            failed=tally.failures,
            in_progress=tally.in_progress,
            peak_in_progress=tally.peak_in_progress,
        )
        self._later("progress", self.options.progress_every, self._progress)

    # -- one attempt ------------------------------------------------------------------------

    def _attempt(self) -> None:
        kind = self._draws.kind()
        caller = self._caller()
        if caller is None:
            self.tally.skipped(NotPlaced.CALLER_BUSY, kind)
            return
        if kind is CallKind.FEATURE_CODE:
            if self._feature_codes is None:
                self.tally.skipped(NotPlaced.FEATURE_CODES_NOT_AVAILABLE, kind)
                return
            self._feature_codes(caller, self.options.model.feature_code)
            self.tally.kinds[kind] += 1
            self.tally.feature_codes += 1
            return
        dialled = self._destination(kind, caller)
        if dialled is None:
            self.tally.skipped(NotPlaced.NO_DESTINATION, kind)
            return
        placed_at = self._measure()
        try:
            call = self.netsim.dial(caller, dialled)
        except DialRefused:
            self.tally.skipped(NotPlaced.REFUSED, kind)
            return
        leg = call.legs[0]
        assert isinstance(leg, HandsetLeg)
        self.tally.placed(kind)
        tracked = self._calls[leg] = _Call(leg, kind, placed_at)
        tracked.timer = self._scheduler.call_later(
            self.options.give_up_after, lambda: self._give_up(tracked)
        )
        leg.on_change = self._changed
        if leg.state is not LegState.CALLING:  # something happened while dialling
            self._changed(leg)

    def _caller(self) -> Handset | None:
        for _ in range(CALLER_DRAWS):
            handset = self._draws.pick(self._lines)
            if not handset.legs and handset.state.reachable:
                return handset
        return None

    def _destination(self, kind: CallKind, caller: Handset) -> str | None:
        fleet = caller.info.fleet_id
        if kind is CallKind.OUTSIDE:
            return OUTSIDE_PREFIX + self._draws.digits(6)
        if kind is CallKind.GROUP:
            groups = self._groups.get(fleet) if fleet is not None else None
            return self._draws.pick(groups) if groups else None
        fleet_lines = self._colleagues.get(fleet, [])
        if len(fleet_lines) < 2:
            return None
        colleague = caller
        while colleague is caller:
            colleague = self._draws.pick(fleet_lines)
        short = colleague.info.short_number
        # a line with a short number dials its colleague's; one without, the full number
        return short if short and caller.info.short_number else colleague.national

    # -- what the calling handset hears -------------------------------------------------------

    def _changed(self, leg: HandsetLeg) -> None:
        call = self._calls.get(leg)
        if call is None:
            return
        now = self._measure()
        if leg.state is LegState.RINGING:
            self.tally.rang(now - call.placed_at)
        elif leg.state is LegState.ANSWERED and not call.answered:
            call.answered = True
            self.tally.answer(now - call.placed_at)
            self._rearm(call, self._draws.holding(), lambda: self._hang_up(call))
        elif leg.state is LegState.ENDED:
            del self._calls[leg]
            if call.timer is not None:
                call.timer.cancel()
            self.tally.ended(call.kind, answered=call.answered, cause=leg.cause, cut=call.cut)
            if self.state is RunState.DRAINING:
                self._finish()

    def _rearm(self, call: _Call, delay: float, then: Callable[[], None]) -> None:
        if call.timer is not None:
            call.timer.cancel()
        call.timer = self._scheduler.call_later(delay, then)

    def _give_up(self, call: _Call) -> None:
        call.timer = None
        if not call.answered and not call.leg.ended:
            self.tally.given_up += 1
            call.leg.hang_up()

    def _hang_up(self, call: _Call) -> None:
        call.timer = None
        if not call.leg.ended:
            call.leg.hang_up()

    def view(self) -> dict[str, object]:
        return {
            "state": self.state.value,
            "lines": len(self._lines),
            "elapsed": round(self.elapsed, 3),
            "model": self.options.model.view(),
            **self.tally.view(),
        }
