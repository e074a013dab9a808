"""The phases of a call to a line: ringing one line, ringing an incoming-call list,
connected, released. Each phase is a class that handles its own leg events."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.core.calls.call import Call
from fleet.core.calls.events import (
    CallState,
    LegAlerting,
    LegAnswered,
    LegBusy,
    LegEvent,
    LegRejected,
    LegReleased,
    LegUnreachable,
    ReleaseCause,
)
from fleet.core.calls.legs import Leg
from fleet.core.calls.ports import FixedTarget, LineTarget, TimerHandle
from fleet.core.model import IncomingList, LineServices
from fleet.core.numbering import E164
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind, RingMode


class Released:
    state = CallState.RELEASED

    def enter(self, call: Call) -> None:
        pass

    def on_leg_event(self, call: Call, leg: Leg, event: LegEvent) -> None:
        pass

    def on_caller_gone(self, call: Call) -> None:
        pass


class Connected:
    state = CallState.CONNECTED

    def enter(self, call: Call) -> None:
        pass

    def on_leg_event(self, call: Call, leg: Leg, event: LegEvent) -> None:
        if isinstance(event, LegReleased) and leg is call.b_leg:
            call.finish(CallOutcome.ANSWERED, ReleaseCause.NORMAL)

    def on_caller_gone(self, call: Call) -> None:
        call.finish(CallOutcome.ANSWERED, ReleaseCause.NORMAL)


def _active(services: LineServices | None, kind: ForwardingKind) -> E164 | None:
    """The destination of an active forwarding of the line, if any (PABX option only)."""
    if services is None or not services.line.pabx_option:
        return None
    rule = services.forwarding(kind)
    if rule is None or not rule.active or rule.destination is None:
        return None
    return rule.destination


def no_reply_timer(services: LineServices | None) -> int | None:
    if _active(services, ForwardingKind.NO_REPLY) is None:
        return None
    rule = services.forwarding(ForwardingKind.NO_REPLY) if services else None
    return rule.no_reply_timer if rule and rule.no_reply_timer else 20


@dataclass
class RingLine:
    """Ring one number (DESIGN §4 step 4). ``services`` is None for a number outside the
    fleet, a fixed number, or a line whose forwarding must not apply."""

    number: E164
    services: LineServices | None
    trunk: str | None = None
    state: CallState = CallState.RINGING
    leg: Leg | None = None
    guard: TimerHandle | None = None
    timer: TimerHandle | None = None
    _call: Call = field(init=False, repr=False)

    def enter(self, call: Call) -> None:
        self._call = call
        waiting = bool(self.services and self.services.line.call_waiting)
        self.leg = call.originate(self.number, call_waiting=waiting, trunk=self.trunk)
        self.guard = call.after(call.engine.limits.setup_timeout, self._never_answered)

    def _never_answered(self) -> None:
        """The network said nothing about the leg: treat the line as not reachable."""
        call = self._call
        assert self.leg is not None
        call.cancel(self.leg)
        self._not_reachable(call)

    def on_leg_event(self, call: Call, leg: Leg, event: LegEvent) -> None:
        if leg is not self.leg:
            return
        if not isinstance(event, LegAlerting | LegAnswered):
            call.stop(self.timer)
        if isinstance(event, LegAlerting):
            call.stop(self.guard)
            timer = no_reply_timer(self.services)
            if timer is not None:
                self.timer = call.after(timer, self._no_reply)
            else:
                self.timer = call.after(call.engine.limits.ring_limit, self._ring_limit)
        elif isinstance(event, LegAnswered):
            call.connect(leg)
        elif isinstance(event, LegBusy | LegRejected):
            call.stop(self.guard)
            destination = _active(self.services, ForwardingKind.BUSY)
            if destination is not None:
                call.forward(ForwardingKind.BUSY, destination)
            else:
                call.finish(CallOutcome.BUSY, ReleaseCause.BUSY)
        elif isinstance(event, LegUnreachable | LegReleased):
            call.stop(self.guard)
            self._not_reachable(call)

    def _not_reachable(self, call: Call) -> None:
        destination = _active(self.services, ForwardingKind.NOT_REACHABLE)
        if destination is not None:
            call.forward(ForwardingKind.NOT_REACHABLE, destination)
        else:
            call.finish(CallOutcome.UNREACHABLE, ReleaseCause.UNREACHABLE)

    def _no_reply(self) -> None:
        call = self._call
        assert self.leg is not None
        call.cancel(self.leg)
        destination = _active(self.services, ForwardingKind.NO_REPLY)
        assert destination is not None
        call.forward(ForwardingKind.NO_REPLY, destination)

    def _ring_limit(self) -> None:
        call = self._call
        assert self.leg is not None
        call.cancel(self.leg)
        call.finish(CallOutcome.NO_ANSWER, ReleaseCause.NO_ANSWER)

    def on_caller_gone(self, call: Call) -> None:
        call.finish(CallOutcome.ABANDONED, ReleaseCause.CALLER_HUNG_UP)


@dataclass
class RingList:
    """Ring an incoming-call list (DESIGN §4 step 3): simultaneously, or one entry after
    another with ``ring_time`` per step. Entries ring as plain lines; first answer wins.
    The list exhausted: no-reply forwarding of the owner if active, else release."""

    owner: LineServices
    plan: IncomingList
    state: CallState = CallState.RINGING
    step: int = 0
    legs: list[Leg] = field(default_factory=list)
    timer: TimerHandle | None = None
    _call: Call = field(init=False, repr=False)

    def enter(self, call: Call) -> None:
        self._call = call
        if self.plan.mode is RingMode.SIMULTANEOUS:
            for number in self.plan.entries:
                self._ring(call, number)
            limit = no_reply_timer(self.owner) or call.engine.limits.ring_limit
            self.timer = call.after(limit, self._exhausted)
        else:
            self._next_step(call)

    def _ring(self, call: Call, number: E164) -> None:
        call.note(
            CallEventKind.LIST_RING,
            from_number=self.owner.line.msisdn.value,
            to_number=number.value,
            detail={"mode": self.plan.mode.value},
        )
        target = call.engine.directory.resolve(number)
        trunk = target.fixed.trunk if isinstance(target, FixedTarget) else None
        waiting = isinstance(target, LineTarget) and target.services.line.call_waiting
        self.legs.append(call.originate(number, call_waiting=waiting, trunk=trunk))

    def _next_step(self, call: Call) -> None:
        call.stop(self.timer)
        if self.step >= len(self.plan.entries):
            self._exhausted()
            return
        number = self.plan.entries[self.step]
        self.step += 1
        self._ring(call, number)
        self.timer = call.after(self.plan.ring_time, self._step_timeout)

    def _step_timeout(self) -> None:
        call = self._call
        for leg in self.legs:
            if leg.ringing:
                call.cancel(leg)
        self._next_step(call)

    def _exhausted(self) -> None:
        call = self._call
        for leg in self.legs:
            call.cancel(leg)
        destination = _active(self.owner, ForwardingKind.NO_REPLY)
        if destination is not None:
            call.forward(ForwardingKind.NO_REPLY, destination)
        else:
            call.finish(CallOutcome.NO_ANSWER, ReleaseCause.NO_ANSWER)

    def on_leg_event(self, call: Call, leg: Leg, event: LegEvent) -> None:
        if leg not in self.legs:
            return
        if isinstance(event, LegAnswered):
            call.connect(leg)
            return
        if isinstance(event, LegAlerting):
            return
        # busy, rejected, unreachable, released: this entry is out
        if leg.live:
            leg.release(ReleaseCause.UNREACHABLE)
        if self.plan.mode is RingMode.CASCADE:
            self._next_step(call)
        elif not any(other.ringing for other in self.legs):
            self._exhausted()

    def on_caller_gone(self, call: Call) -> None:
        call.finish(CallOutcome.ABANDONED, ReleaseCause.CALLER_HUNG_UP)
