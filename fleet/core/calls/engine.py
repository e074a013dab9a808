"""The call engine: takes calls and leg events from the network, routes and records them.

It is synchronous and deterministic: everything it does in reaction to an event or a
timer happens before it returns. Time comes from the injected clock and timers, so a
25-second no-reply timer runs in virtual time in tests."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from fleet.core.calls.call import Call
from fleet.core.calls.events import (
    Announcement,
    LegAlerting,
    LegAnswered,
    LegEvent,
    LegState,
    ReleaseCause,
)
from fleet.core.calls.hunt import GroupHunter
from fleet.core.calls.incall import InCallServices
from fleet.core.calls.legs import Leg
from fleet.core.calls.ports import Directory, EventLog, Network, Recorder, Timers, no_log
from fleet.core.calls.router import Router
from fleet.core.clock import Clock
from fleet.core.numbering import E164, NumberClass, NumberPolicy
from fleet.core.values import CallOutcome


@dataclass(frozen=True, slots=True)
class Limits:
    max_hops: int = 5  # forwarding hops per call (DESIGN §4 step 5)
    ring_limit: float = 60.0  # the network's ring limit without no-reply forwarding
    setup_timeout: float = 10.0  # a leg the network says nothing about is "not reachable"


def counter_ids(prefix: str = "c") -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"{prefix}{next(numbers)}"


class Engine:
    def __init__(
        self,
        *,
        network: Network,
        timers: Timers,
        clock: Clock,
        directory: Directory,
        recorder: Recorder,
        policy: NumberPolicy,
        limits: Limits | None = None,
        new_id: Callable[[], str] | None = None,
        log: EventLog = no_log,
        seed: int = 0,
    ) -> None:
        self.network = network
        self.timers = timers
        self.clock = clock
        self.directory = directory
        self.recorder = recorder
        self.policy = policy
        self.limits = limits or Limits()
        self.new_id = new_id or counter_ids()
        self.log = log
        self.router = Router(engine=self)
        self.groups = GroupHunter(engine=self, seed=seed)
        self.incall = InCallServices(engine=self)
        self._calls: dict[str, Call] = {}
        self._legs: dict[str, Call] = {}
        self.busy: Counter[str] = Counter()  # numbers with an answered leg in a live call
        self._up: set[str] = set()  # ids of the legs counted in ``busy``
        self.faults = 0

    # -- what the network tells the engine ---------------------------------------------

    def incoming_call(self, *, leg_id: str, caller: E164 | None, dialled: str) -> Call:
        """A caller's leg reached the service: resolve what was dialled and route it."""
        caller_fleet = self.directory.fleet_of(caller) if caller else None
        digits = self.policy.clean(dialled)
        kind, number = self.policy.classify(digits)
        if kind is NumberClass.SHORT and caller_fleet is not None:
            number = self.directory.short_number(caller_fleet, digits)
        a_leg = Leg(id=leg_id, number=caller, state=LegState.CREATED)
        a_leg.move(LegState.ANSWERED)
        fleet_id = (self.directory.fleet_of(number) if number else None) or caller_fleet
        call = Call(
            engine=self,
            call_id=self.new_id(),
            caller=caller,
            called=number,
            a_leg=a_leg,
            fleet_id=fleet_id,
        )
        if number is None:
            call.record.called = digits or dialled
        self._calls[call.id] = call
        self._legs[leg_id] = call
        if caller is not None:
            self._mark_up(a_leg)
        self.log(
            "call_offered",
            call_id=call.id,
            fleet_id=fleet_id,
            caller=call.record.caller,
            called=call.record.called,
        )
        if number is None or kind is NumberClass.INVALID:
            self.guarded(call, lambda: self._unknown_number(call))
        else:
            target = number
            self.guarded(call, lambda: call.deliver(target))
        return call

    def _unknown_number(self, call: Call) -> None:
        self.network.play(call.a_leg.id, Announcement.NUMBER_UNKNOWN)
        call.finish(CallOutcome.REJECTED, ReleaseCause.UNKNOWN_NUMBER)

    def handle(self, event: LegEvent) -> None:
        call = self._legs.get(event.leg_id)
        if call is None:
            self.log("event_for_unknown_leg", leg=event.leg_id, kind=type(event).__name__)
            return
        leg = call.legs[event.leg_id]
        if not leg.live:
            if isinstance(event, LegAnswered):  # answered after being withdrawn
                self.network.release(leg.id, ReleaseCause.CANCELLED)
            return
        self.guarded(call, lambda: self._apply(call, leg, event))

    def _apply(self, call: Call, leg: Leg, event: LegEvent) -> None:
        if isinstance(event, LegAlerting):
            if leg.state is LegState.OFFERED:
                leg.move(LegState.ALERTING)
                leg.waiting = event.waiting
        elif isinstance(event, LegAnswered):
            if leg.state in (LegState.OFFERED, LegState.ALERTING):
                leg.move(LegState.ANSWERED)
                self._mark_up(leg)
        else:
            leg.release(getattr(event, "cause", ReleaseCause.NORMAL))
            self._mark_down(leg)
        if leg is call.a_leg:
            if not leg.live and call.phase is not None:
                call.phase.on_caller_gone(call)
            return
        if call.phase is not None:
            call.phase.on_leg_event(call, leg, event)

    # -- bookkeeping ---------------------------------------------------------------------

    def guarded(self, call: Call, action: Callable[[], None]) -> None:
        """Run ``action`` for one call; a fault releases that call only."""
        try:
            action()
        except Exception as exc:  # a bug in one call must not disturb the others
            self.faults += 1
            self.log("call_fault", call_id=call.id, error=repr(exc))
            try:
                call.finish(CallOutcome.REJECTED, ReleaseCause.INTERNAL_ERROR)
            except Exception as again:
                self.log("call_fault_on_release", call_id=call.id, error=repr(again))
                self._forget(call)

    def index_leg(self, leg: Leg, call: Call) -> None:
        self._legs[leg.id] = call

    def ended(self, call: Call) -> None:
        for leg in call.legs.values():
            self._mark_down(leg)
        self._forget(call)
        self.recorder.record(call.record.build())
        self.log(
            "call_released",
            call_id=call.id,
            fleet_id=call.fleet_id,
            outcome=call.record.outcome,
            cause=call.record.cause,
        )
        self.groups.call_ended(call)

    def _mark_up(self, leg: Leg) -> None:
        if leg.number is not None and leg.id not in self._up:
            self._up.add(leg.id)
            self.busy[leg.number.value] += 1

    def _mark_down(self, leg: Leg) -> None:
        if leg.id in self._up:
            self._up.discard(leg.id)
            key = leg.number.value if leg.number else ""
            self.busy[key] -= 1
            if self.busy[key] <= 0:
                del self.busy[key]

    def _forget(self, call: Call) -> None:
        self._calls.pop(call.id, None)
        for leg_id in call.legs:
            self._legs.pop(leg_id, None)

    def leg_down(self, leg: Leg) -> None:
        self._mark_down(leg)

    def live_calls(self) -> list[Call]:
        return list(self._calls.values())

    def call_of_leg(self, leg_id: str) -> Call | None:
        return self._legs.get(leg_id)

    def is_busy(self, number: E164) -> bool:
        return self.busy.get(number.value, 0) > 0

    @property
    def active_calls(self) -> int:
        return len(self._calls)

    def call(self, call_id: str) -> Call | None:
        return self._calls.get(call_id)
