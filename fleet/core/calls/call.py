"""One call: its legs, timers, forwarding hops, record, and the phase it is in.

A phase sees only the call (and whatever ports it was built with): the call offers what
phases do — ring a number, withdraw a leg, connect, start a timer, forward, announce,
finish — and reaches the engine that hosts it through the narrow ``Host`` port."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from fleet.core.calls.diversion import Diversion, DiversionReason
from fleet.core.calls.events import (
    Announcement,
    CallState,
    LegEvent,
    LegReleased,
    LegState,
    ReleaseCause,
)
from fleet.core.calls.legs import Leg
from fleet.core.calls.ports import EventLog, LegRequest, Limits, Network, TimerHandle, Timers
from fleet.core.calls.record import RecordBuilder
from fleet.core.calls.selector import Selector
from fleet.core.clock import Clock
from fleet.core.criteria import Criteria, CriteriaTarget
from fleet.core.dialling import Presentation
from fleet.core.numbering import E164
from fleet.core.presented import Presented
from fleet.core.restrictions import Restrictions
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind, SessionCase
from fleet.core.voicemail import NO_VOICEMAIL, VoicemailPlatform


class Phase(Protocol):
    """What a call is doing now. Each phase is a class; it handles its own leg events."""

    @property
    def state(self) -> CallState: ...

    def enter(self, call: Call) -> None: ...

    def on_leg_event(self, call: Call, leg: Leg, event: LegEvent) -> None: ...

    def on_caller_gone(self, call: Call) -> None: ...


class Host(Protocol):
    """What a call needs from the engine that runs it."""

    def new_id(self) -> str: ...

    def leg_added(self, leg: Leg, call: Call) -> None: ...

    def guarded(self, call: Call, action: Callable[[], None]) -> None: ...

    def route(self, call: Call, number: E164) -> None: ...

    def ended(self, call: Call) -> None: ...


@dataclass(frozen=True, slots=True)
class CallPorts:
    """The ports every call uses."""

    network: Network
    timers: Timers
    clock: Clock
    limits: Limits
    log: EventLog
    selector: Selector  # whether a rule's criteria match (issue 16)
    restrictions: Restrictions  # the lines' restriction profiles (issue 16)
    voicemail: VoicemailPlatform = NO_VOICEMAIL  # where forwarding to voicemail goes
    routine: bool = True  # the log keeps routine events (``ports.routine_events``)


class Call:
    """Slotted, with its rarely used collections made on first use (a call in progress is
    held ten thousand times over: issue 12's memory target)."""

    __slots__ = (
        "_decided",
        "_timers",
        "a_leg",
        "b_leg",
        "called",
        "caller",
        "diversions",
        "fleet_id",
        "groups_seen",
        "hops",
        "host",
        "id",
        "last_leg",
        "legs",
        "phase",
        "ports",
        "presentation",
        "presented",
        "queued_at",
        "record",
        "session_case",
        "visited",
    )

    def __init__(
        self,
        *,
        host: Host,
        ports: CallPorts,
        call_id: str,
        caller: E164 | None,
        called: E164 | None,
        a_leg: Leg,
        fleet_id: int | None,
        presentation: Presentation = Presentation.ALLOWED,
        session_case: SessionCase = SessionCase.TERMINATING,
        correlation_id: str | None = None,
        presented: Presented | None = None,
    ) -> None:
        self.host = host
        self.ports = ports
        self.id = call_id
        self.caller = caller
        self.called = called
        self.presentation = presentation
        self.presented = presented  # the caller's presented number (outgoing calls, issue 16)
        self.a_leg = a_leg
        self.fleet_id = fleet_id
        self.legs: dict[str, Leg] = {a_leg.id: a_leg}
        self._timers: set[TimerHandle] | None = None  # made by the first timer
        self.visited: tuple[int, ...] = ()  # fleet lines this call has reached (loop detection)
        self.groups_seen: tuple[int, ...] = ()
        self.queued_at: datetime | None = None  # first time it waited in a group queue
        self.hops = 0
        self.diversions: tuple[Diversion, ...] = ()  # the forwarding hops so far, in order
        # criteria decided so far, by (line or group id, rule): each is decided once a call
        self._decided: dict[tuple[int, CriteriaTarget], bool] | None = None
        self.b_leg: Leg | None = None
        self.last_leg: Leg | None = None  # the callee leg originated last
        self.session_case = session_case
        self.phase: Phase | None = None
        self.record = RecordBuilder(
            call_id=call_id,
            fleet_id=fleet_id,
            caller=caller.value if caller else "anonymous",
            called=called.value if called else "unknown",
            at=ports.clock.now(),
            session_case=session_case,
        )
        self.record.correlation_id = correlation_id

    # -- state --------------------------------------------------------------------------

    @property
    def state(self) -> CallState:
        return self.phase.state if self.phase else CallState.ROUTING

    @property
    def released(self) -> bool:
        return self.state is CallState.RELEASED

    @property
    def limits(self) -> Limits:
        return self.ports.limits

    def now(self) -> datetime:
        return self.ports.clock.now()

    def enter(self, phase: Phase) -> None:
        self.phase = phase
        if self.ports.routine:
            self.ports.log("call_phase", call_id=self.id, phase=type(phase).__name__)
        phase.enter(self)

    def run(self, action: Callable[[], None]) -> None:
        """Run ``action`` for this call from outside an event of its own (a group's queue
        moving): a fault releases this call only."""
        self.host.guarded(self, action)

    def note(
        self,
        kind: CallEventKind,
        *,
        forwarding_kind: ForwardingKind | None = None,
        from_number: str | None = None,
        to_number: str | None = None,
        group_id: int | None = None,
        member_line_id: int | None = None,
        detail: dict[str, object] | None = None,
    ) -> None:
        if self.ports.routine:
            self.ports.log(
                "call_event",
                call_id=self.id,
                fleet_id=self.fleet_id,
                kind=kind.value,
                forwarding_kind=forwarding_kind.value if forwarding_kind else None,
                to_number=to_number,
                detail=detail,
            )
        self.record.event(
            self.now(),
            kind,
            forwarding_kind=forwarding_kind,
            from_number=from_number,
            to_number=to_number,
            group_id=group_id,
            member_line_id=member_line_id,
            detail=detail,
        )

    def applies(
        self,
        criteria: Sequence[Criteria],
        target: CriteriaTarget,
        *,
        fleet_id: int,
        owner: int,
        to_number: str | None = None,
        group_id: int | None = None,
    ) -> bool:
        """Whether a rule (``target`` of the line or group ``owner``) applies to this call:
        always without criteria; else when one of its active criteria matches at the engine
        clock's now (in order, ``criteria.first_match``), decided the first time the call
        meets the rule (the record notes the decision and the criterion that made it)."""
        if not criteria:
            return True
        key = (owner, target)
        decided = self._decided
        if decided is None:
            decided = self._decided = {}
        if key not in decided:
            match = self.ports.selector.first(
                criteria,
                fleet_id=fleet_id,
                caller=self.caller,
                hidden=self.presentation is Presentation.RESTRICTED,
                at=self.now(),
            )
            decided[key] = match.matched
            self.note(
                CallEventKind.CRITERIA,
                to_number=to_number,
                group_id=group_id,
                detail={"target": target.value, "matched": match.matched, **match.detail},
            )
        return decided[key]

    # -- legs ---------------------------------------------------------------------------

    def originate(
        self, number: E164, *, call_waiting: bool = False, trunk: str | None = None
    ) -> Leg:
        leg = Leg(id=self.host.new_id(), number=number)
        self.legs[leg.id] = leg
        self.last_leg = leg
        self.host.leg_added(leg, self)
        leg.move(LegState.OFFERED)
        self.ports.network.originate(
            LegRequest(
                leg_id=leg.id,
                call_id=self.id,
                number=number,
                caller=self.caller,
                presentation=self.presentation,
                call_waiting=call_waiting,
                trunk=trunk,
                diversions=self.diversions,
                presented=self.presented.number if self.presented else None,
            )
        )
        return leg

    def cancel(self, leg: Leg, cause: ReleaseCause = ReleaseCause.CANCELLED) -> None:
        """Withdraw a leg that is still ringing (or drop one that is up)."""
        if not leg.live:
            return
        if leg.ringing:
            self.ports.network.cancel(leg.id)
        else:
            self.ports.network.release(leg.id, cause)
        leg.release()

    def announce(self, announcement: Announcement) -> None:
        """Play a recorded message to the caller while the call goes on (stopped by the
        bridge or the release); to announce and then end the call, :meth:`finish` with
        ``announcement``."""
        self.ports.network.play(self.a_leg.id, announcement)

    def connect(
        self, leg: Leg, *, group_id: int | None = None, member_line_id: int | None = None
    ) -> None:
        """``leg`` answered: it wins, every other ringing leg is withdrawn."""
        for other in list(self.legs.values()):
            if other is not leg and other is not self.a_leg and other.ringing:
                self.cancel(other)
        self.cancel_timers()
        self.b_leg = leg
        self.record.answered_at = self.now()
        self.note(
            CallEventKind.ANSWERED,
            to_number=leg.number.value if leg.number else None,
            group_id=group_id,
            member_line_id=member_line_id,
        )
        self.ports.network.bridge(self.a_leg.id, leg.id)
        self.enter(Connected())

    # -- timers -------------------------------------------------------------------------

    def after(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """A timer owned by this call: cancelled when the call ends; a fault in the
        callback releases this call only."""
        holder: list[TimerHandle] = []

        def fire() -> None:
            if holder and self._timers is not None:
                self._timers.discard(holder[0])
            if self.released:
                return
            self.host.guarded(self, callback)

        handle = self.ports.timers.start(delay, fire)
        holder.append(handle)
        timers = self._timers
        if timers is None:
            timers = self._timers = set()
        timers.add(handle)
        return handle

    def stop(self, handle: TimerHandle | None) -> None:
        if handle is not None:
            handle.cancel()
            if self._timers is not None:
                self._timers.discard(handle)

    def cancel_timers(self) -> None:
        timers, self._timers = self._timers, None
        for handle in timers or ():
            handle.cancel()

    # -- routing ------------------------------------------------------------------------

    def deliver(self, number: E164) -> None:
        """Route the call to ``number`` (DESIGN §4: whatever path led there)."""
        self.host.route(self, number)

    def forward(
        self,
        destination: E164,
        *,
        kind: ForwardingKind | None = None,
        source: E164 | None = None,
        group_id: int | None = None,
        detail: dict[str, object] | None = None,
    ) -> None:
        """One forwarding hop to ``destination``: a line's forwarding of ``kind``, or a
        group's no-answer rule (``group_id``). Past ``max_hops`` the call stops."""
        self.hops += 1
        self.note(
            CallEventKind.FORWARDED,
            forwarding_kind=kind,
            from_number=source.value if source else None,
            to_number=destination.value,
            group_id=group_id,
            detail=detail,
        )
        if self.hops > self.limits.max_hops:
            self.finish(CallOutcome.LOOP, ReleaseCause.FORWARDING_LIMIT)
            return
        self.diversions += (Diversion(DiversionReason.of(kind), source, destination),)
        self.deliver(destination)

    # -- the end ------------------------------------------------------------------------

    def finish(
        self,
        outcome: CallOutcome,
        cause: ReleaseCause,
        *,
        announcement: Announcement | None = None,
    ) -> None:
        """Release every leg, cancel every timer, write the record. Idempotent. With
        ``announcement`` the caller hears it before its leg is released (the network's
        release with announcement)."""
        if self.released:
            return
        self.cancel_timers()
        for leg in list(self.legs.values()):
            if leg is self.a_leg:
                if leg.live:
                    self.ports.network.release(leg.id, cause, announcement=announcement)
                    leg.release()
            else:
                answered = leg.state is LegState.ANSWERED
                self.cancel(leg, ReleaseCause.NORMAL if answered else cause)
        self.record.outcome = outcome
        self.record.cause = cause.value
        self.record.released_at = self.now()
        self.record.caller_network_id = self.a_leg.network_id
        callee = self.b_leg or self.last_leg
        self.record.callee_network_id = callee.network_id if callee else None
        self.note(CallEventKind.RELEASED, detail={"cause": cause.value})
        self.enter(Released())
        self.host.ended(self)


class Released:
    __slots__ = ()
    state = CallState.RELEASED

    def enter(self, call: Call) -> None:
        pass

    def on_leg_event(self, call: Call, leg: Leg, event: LegEvent) -> None:
        pass

    def on_caller_gone(self, call: Call) -> None:
        pass


class Connected:
    """The caller and one answered leg are talking."""

    __slots__ = ()
    state = CallState.CONNECTED

    def enter(self, call: Call) -> None:
        pass

    def on_leg_event(self, call: Call, leg: Leg, event: LegEvent) -> None:
        if isinstance(event, LegReleased) and leg is call.b_leg:
            call.finish(CallOutcome.ANSWERED, ReleaseCause.NORMAL)

    def on_caller_gone(self, call: Call) -> None:
        call.finish(CallOutcome.ANSWERED, ReleaseCause.NORMAL)
