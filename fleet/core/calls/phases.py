"""The phases of a call to a number: ringing one line (DESIGN §4 step 4) and ringing an
incoming-call list (step 3). Each phase is a class that handles its own leg events."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.core.calls.call import Call
from fleet.core.calls.dnd import held_off
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
from fleet.core.calls.ports import Directory, FixedTarget, LineTarget, TimerHandle
from fleet.core.calls.restricted import allowed_entry, allowed_forwarding, skipped_barred
from fleet.core.criteria import CriteriaTarget
from fleet.core.linesettings import CALL_WAITING, PABX_OPTION
from fleet.core.model import Forwarding, IncomingList, Line, LineServices
from fleet.core.numbering import E164
from fleet.core.trunks import TrunkState
from fleet.core.values import (
    CallEventKind,
    CallOutcome,
    ForwardingKind,
    ForwardingTarget,
    RingMode,
)
from fleet.core.voicemail import VoicemailPlatform

DEFAULT_NO_REPLY_TIMER = 20  # seconds (DESIGN §4 step 4)


def active_forwarding(
    services: LineServices | None, kind: ForwardingKind, voicemail: VoicemailPlatform
) -> Forwarding | None:
    """The line's active forwarding of ``kind`` that has somewhere to go, if any (PABX
    option only): a number, or voicemail when the deployment has a platform."""
    if services is None or not PABX_OPTION.of(services.line):
        return None
    rule = services.forwarding(kind)
    if rule is None or not rule.active or voicemail.destination(rule) is None:
        return None
    return rule


def applying_forwarding(
    call: Call, services: LineServices | None, kind: ForwardingKind
) -> Forwarding | None:
    """``active_forwarding`` when its criteria (issue 16) match this call, else None."""
    rule = active_forwarding(services, kind, call.ports.voicemail)
    if services is None or rule is None:
        return None
    target = CriteriaTarget.of_forwarding(kind)
    line = services.line
    criteria = services.criteria_of(target)
    if not call.applies(
        criteria, target, fleet_id=line.fleet_id, owner=line.id, to_number=line.msisdn.value
    ):
        return None
    return rule


def allowed_rule(call: Call, line: Line, rule: Forwarding) -> bool:
    """Whether the line's restriction profile and outgoing barring programs let ``rule`` be
    followed (noted when not); the operator's voicemail platform is always allowed."""
    if rule.to_voicemail or rule.destination is None:
        return True
    return allowed_forwarding(call, line, rule.kind, rule.destination)


def follow(call: Call, services: LineServices, rule: Forwarding) -> None:
    """One hop along the line's forwarding ``rule``: to its number, or to the voicemail
    platform (the record's event says ``target`` voicemail; the diversion history names
    the line, whose mailbox the platform opens)."""
    destination = call.ports.voicemail.destination(rule)
    assert destination is not None
    detail: dict[str, object] | None = None
    if rule.to_voicemail:
        detail = {"target": ForwardingTarget.VOICEMAIL.value}
    call.forward(destination, kind=rule.kind, source=services.line.msisdn, detail=detail)


def no_reply_timer(call: Call, services: LineServices | None) -> int | None:
    """Seconds before no-reply forwarding, or None when the line has none that applies
    (none active, its criteria not matching, or its restriction profile not allowing it)."""
    rule = applying_forwarding(call, services, ForwardingKind.NO_REPLY)
    if services is None or rule is None:
        return None
    restrictions = call.ports.restrictions
    if rule.destination is not None and not rule.to_voicemail:
        return (
            None if restrictions.destination(services.line, rule.destination) else _rule_timer(rule)
        )
    return _rule_timer(rule)


def _rule_timer(rule: Forwarding) -> int:
    """A no-reply forwarding's timer: its own, or the default."""
    return rule.no_reply_timer or DEFAULT_NO_REPLY_TIMER


def forward_or_finish(
    call: Call,
    services: LineServices | None,
    kind: ForwardingKind,
    outcome: CallOutcome,
    cause: ReleaseCause,
) -> None:
    """Follow the line's forwarding of ``kind`` when active, its criteria match and the
    line's restriction profile allows it, else end the call."""
    rule = applying_forwarding(call, services, kind)
    if services is not None and rule is not None and allowed_rule(call, services.line, rule):
        follow(call, services, rule)
    else:
        call.finish(outcome, cause)


def _trunk_down(call: Call, number: E164, trunk: str | None) -> None:
    """The record says a fixed number was not rung: its trunk is out of service."""
    call.note(
        CallEventKind.OFFERED,
        to_number=number.value,
        detail={"trunk": trunk, "trunk_state": TrunkState.OUT_OF_SERVICE.value},
    )


@dataclass
class RingLine:
    """Ring one number. ``services`` is None for a number outside the fleet, a fixed
    number, or a line whose forwarding must not apply (no PABX option). A fixed number
    whose trunk is out of service (``reachable`` False) is not rung: it is not reachable."""

    number: E164
    services: LineServices | None
    trunk: str | None = None
    reachable: bool = True
    state: CallState = CallState.RINGING
    leg: Leg | None = None
    guard: TimerHandle | None = None
    timer: TimerHandle | None = None
    _call: Call = field(init=False, repr=False)

    def enter(self, call: Call) -> None:
        self._call = call
        if not self.reachable:
            _trunk_down(call, self.number, self.trunk)
            self._not_reachable(call)
            return
        waiting = bool(self.services and CALL_WAITING.of(self.services.line))
        self.leg = call.originate(self.number, call_waiting=waiting, trunk=self.trunk)
        self.guard = call.after(call.limits.setup_timeout, self._never_answered)

    def _never_answered(self) -> None:
        """The network said nothing about the leg: treat the line as not reachable."""
        assert self.leg is not None
        self._call.cancel(self.leg)
        self._not_reachable(self._call)

    def on_leg_event(self, call: Call, leg: Leg, event: LegEvent) -> None:
        if leg is not self.leg:
            return
        if isinstance(event, LegAlerting):
            call.stop(self.guard)
            timer = no_reply_timer(call, self.services)
            if timer is not None:
                self.timer = call.after(timer, self._no_reply)
            else:
                self.timer = call.after(call.limits.ring_limit, self._ring_limit)
            return
        if isinstance(event, LegAnswered):
            call.connect(leg)
            return
        call.stop(self.timer)
        call.stop(self.guard)
        if isinstance(event, LegBusy | LegRejected):
            forward_or_finish(
                call, self.services, ForwardingKind.BUSY, CallOutcome.BUSY, ReleaseCause.BUSY
            )
        elif isinstance(event, LegUnreachable | LegReleased):
            self._not_reachable(call)

    def _not_reachable(self, call: Call) -> None:
        forward_or_finish(
            call,
            self.services,
            ForwardingKind.NOT_REACHABLE,
            CallOutcome.UNREACHABLE,
            ReleaseCause.UNREACHABLE,
        )

    def _no_reply(self) -> None:
        assert self.leg is not None
        self._call.cancel(self.leg)
        forward_or_finish(
            self._call,
            self.services,
            ForwardingKind.NO_REPLY,
            CallOutcome.NO_ANSWER,
            ReleaseCause.NO_ANSWER,
        )

    def _ring_limit(self) -> None:
        """No no-reply forwarding to follow (none, or one the line's profile forbids: the
        record notes it)."""
        assert self.leg is not None
        self._call.cancel(self.leg)
        forward_or_finish(
            self._call,
            self.services,
            ForwardingKind.NO_REPLY,
            CallOutcome.NO_ANSWER,
            ReleaseCause.NO_ANSWER,
        )

    def on_caller_gone(self, call: Call) -> None:
        call.finish(CallOutcome.ABANDONED, ReleaseCause.CALLER_HUNG_UP)


@dataclass
class RingList:
    """Ring an incoming-call list (DESIGN §4 step 3): simultaneously, or one entry after
    another with ``ring_time`` per step. Entries ring as plain lines; first answer wins.
    The list exhausted: no-reply forwarding of the owner if active, else release."""

    owner: LineServices
    plan: IncomingList
    directory: Directory  # how each entry is reached (a trunk, call waiting)
    state: CallState = CallState.RINGING
    step: int = 0
    legs: list[Leg] = field(default_factory=list)
    timer: TimerHandle | None = None
    _call: Call = field(init=False, repr=False)

    def enter(self, call: Call) -> None:
        self._call = call
        if self.plan.mode is RingMode.SIMULTANEOUS:
            rung = [self._ring(call, number) for number in self.plan.entries]
            if not any(rung):
                self._exhausted()
                return
            limit = no_reply_timer(call, self.owner) or call.limits.ring_limit
            self.timer = call.after(limit, self._exhausted)
        else:
            self._next_step(call)

    def _ring(self, call: Call, number: E164) -> bool:
        """Ring one entry; False when it cannot be (a fixed number whose trunk is out of
        service, a line barring incoming calls, a line in do-not-disturb that does not
        exempt the caller, an entry the owner's restriction profile or outgoing barring does
        not allow)."""
        if not allowed_entry(call, self.owner.line, number):
            return False
        call.note(
            CallEventKind.LIST_RING,
            from_number=self.owner.line.msisdn.value,
            to_number=number.value,
            detail={"mode": self.plan.mode.value},
        )
        target = self.directory.resolve(number)
        trunk = target.fixed.trunk if isinstance(target, FixedTarget) else None
        if isinstance(target, FixedTarget) and not target.trunk_state.reachable:
            _trunk_down(call, number, trunk)
            return False
        if isinstance(target, LineTarget) and skipped_barred(call, target.services.line):
            return False  # an entry barring incoming calls (BAIC) is not rung
        if isinstance(target, LineTarget) and held_off(call, target.services, self.directory):
            return False  # an entry in do-not-disturb is not rung, like a busy one
        waiting = isinstance(target, LineTarget) and CALL_WAITING.of(target.services.line)
        self.legs.append(call.originate(number, call_waiting=waiting, trunk=trunk))
        return True

    def _next_step(self, call: Call) -> None:
        call.stop(self.timer)
        if self.step >= len(self.plan.entries):
            self._exhausted()
            return
        number = self.plan.entries[self.step]
        self.step += 1
        if not self._ring(call, number):
            self._next_step(call)
            return
        self.timer = call.after(self.plan.ring_time, self._step_timeout)

    def _step_timeout(self) -> None:
        for leg in self.legs:
            if leg.ringing:
                self._call.cancel(leg)
        self._next_step(self._call)

    def _exhausted(self) -> None:
        for leg in self.legs:
            self._call.cancel(leg)
        forward_or_finish(
            self._call,
            self.owner,
            ForwardingKind.NO_REPLY,
            CallOutcome.NO_ANSWER,
            ReleaseCause.NO_ANSWER,
        )

    def on_leg_event(self, call: Call, leg: Leg, event: LegEvent) -> None:
        if leg not in self.legs or isinstance(event, LegAlerting):
            return
        if isinstance(event, LegAnswered):
            call.connect(leg)
        elif self.plan.mode is RingMode.CASCADE:  # busy, rejected, unreachable: next entry
            self._next_step(call)
        elif not any(other.ringing for other in self.legs):
            self._exhausted()

    def on_caller_gone(self, call: Call) -> None:
        call.finish(CallOutcome.ABANDONED, ReleaseCause.CALLER_HUNG_UP)
