"""One call: its legs, timers, forwarding hops, record, and the phase it is in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from fleet.core.calls.events import CallState, LegEvent, LegState, ReleaseCause
from fleet.core.calls.legs import Leg
from fleet.core.calls.ports import LegRequest, TimerHandle
from fleet.core.calls.record import RecordBuilder
from fleet.core.model import LineServices
from fleet.core.numbering import E164
from fleet.core.values import CallEventKind, CallOutcome, ForwardingKind

if TYPE_CHECKING:
    from fleet.core.calls.engine import Engine


class Phase(Protocol):
    """What a call is doing now. Each phase is a class; it handles its own leg events."""

    state: CallState

    def enter(self, call: Call) -> None: ...

    def on_leg_event(self, call: Call, leg: Leg, event: LegEvent) -> None: ...

    def on_caller_gone(self, call: Call) -> None: ...


class Call:
    def __init__(
        self,
        *,
        engine: Engine,
        call_id: str,
        caller: E164 | None,
        called: E164 | None,
        a_leg: Leg,
        fleet_id: int | None,
    ) -> None:
        self.engine = engine
        self.id = call_id
        self.caller = caller
        self.called = called
        self.a_leg = a_leg
        self.fleet_id = fleet_id
        self.legs: dict[str, Leg] = {a_leg.id: a_leg}
        self.timers: set[TimerHandle] = set()
        self.visited: set[int] = set()  # fleet lines this call has reached (loop detection)
        self.groups_seen: set[int] = set()
        self.queued_at: datetime | None = None  # first time it waited in a group queue
        self.hops = 0
        self.line: LineServices | None = None  # the fleet line whose services apply now
        self.b_leg: Leg | None = None
        self.phase: Phase | None = None
        self.record = RecordBuilder(
            call_id=call_id,
            fleet_id=fleet_id,
            caller=caller.value if caller else "anonymous",
            called=called.value if called else "unknown",
            at=engine.clock.now(),
        )

    # -- state --------------------------------------------------------------------------

    @property
    def state(self) -> CallState:
        return self.phase.state if self.phase else CallState.ROUTING

    @property
    def released(self) -> bool:
        return self.state is CallState.RELEASED

    def enter(self, phase: Phase) -> None:
        self.phase = phase
        self.engine.log("call_phase", call_id=self.id, phase=type(phase).__name__)
        phase.enter(self)

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
        self.engine.log(
            "call_event",
            call_id=self.id,
            fleet_id=self.fleet_id,
            kind=kind.value,
            forwarding_kind=forwarding_kind.value if forwarding_kind else None,
            to_number=to_number,
            detail=detail,
        )
        self.record.event(
            self.engine.clock.now(),
            kind,
            forwarding_kind=forwarding_kind,
            from_number=from_number,
            to_number=to_number,
            group_id=group_id,
            member_line_id=member_line_id,
            detail=detail,
        )

    # -- legs ---------------------------------------------------------------------------

    def originate(
        self, number: E164, *, call_waiting: bool = False, trunk: str | None = None
    ) -> Leg:
        leg = Leg(id=self.engine.new_id(), number=number)
        self.legs[leg.id] = leg
        self.engine.index_leg(leg, self)
        leg.move(LegState.OFFERED)
        self.engine.network.originate(
            LegRequest(
                leg_id=leg.id,
                call_id=self.id,
                number=number,
                caller=self.caller,
                call_waiting=call_waiting,
                trunk=trunk,
            )
        )
        return leg

    def cancel(self, leg: Leg, cause: ReleaseCause = ReleaseCause.CANCELLED) -> None:
        """Withdraw a leg that is still ringing (or drop one that is up)."""
        if not leg.live:
            return
        if leg.ringing:
            self.engine.network.cancel(leg.id)
        else:
            self.engine.network.release(leg.id, cause)
        leg.release(cause)

    def connect(
        self, leg: Leg, *, group_id: int | None = None, member_line_id: int | None = None
    ) -> None:
        """``leg`` answered: it wins, every other ringing leg is withdrawn."""
        from fleet.core.calls.phases import Connected

        for other in list(self.legs.values()):
            if other is not leg and other is not self.a_leg and other.ringing:
                self.cancel(other)
        self.cancel_timers()
        self.b_leg = leg
        self.record.answered_at = self.engine.clock.now()
        self.note(
            CallEventKind.ANSWERED,
            to_number=leg.number.value if leg.number else None,
            group_id=group_id,
            member_line_id=member_line_id,
        )
        self.engine.network.bridge(self.a_leg.id, leg.id)
        self.enter(Connected())

    # -- timers -------------------------------------------------------------------------

    def after(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """A timer owned by this call: cancelled when the call ends; a fault in the
        callback releases this call only."""
        holder: list[TimerHandle] = []

        def fire() -> None:
            if holder:
                self.timers.discard(holder[0])
            if self.released:
                return
            self.engine.guarded(self, callback)

        handle = self.engine.timers.start(delay, fire)
        holder.append(handle)
        self.timers.add(handle)
        return handle

    def stop(self, handle: TimerHandle | None) -> None:
        if handle is not None:
            handle.cancel()
            self.timers.discard(handle)

    def cancel_timers(self) -> None:
        for handle in list(self.timers):
            handle.cancel()
        self.timers.clear()

    # -- routing ------------------------------------------------------------------------

    def deliver(self, number: E164) -> None:
        self.engine.router.deliver(self, number)

    def forward(self, kind: ForwardingKind, destination: E164) -> None:
        """Follow a forwarding of the current line to ``destination``."""
        self.hops += 1
        source = self.line.line.msisdn.value if self.line else None
        self.note(
            CallEventKind.FORWARDED,
            forwarding_kind=kind,
            from_number=source,
            to_number=destination.value,
        )
        if self.hops > self.engine.limits.max_hops:
            self.finish(CallOutcome.LOOP, ReleaseCause.FORWARDING_LIMIT)
            return
        self.deliver(destination)

    # -- the end ------------------------------------------------------------------------

    def finish(self, outcome: CallOutcome, cause: ReleaseCause) -> None:
        """Release every leg, cancel every timer, write the record. Idempotent."""
        from fleet.core.calls.phases import Released

        if self.released:
            return
        self.cancel_timers()
        for leg in list(self.legs.values()):
            if leg is self.a_leg:
                if leg.live:
                    self.engine.network.release(leg.id, cause)
                    leg.release(cause)
            else:
                self.cancel(leg, ReleaseCause.NORMAL if leg.state is LegState.ANSWERED else cause)
        self.record.outcome = outcome
        self.record.cause = cause.value
        self.record.released_at = self.engine.clock.now()
        self.note(CallEventKind.RELEASED, detail={"cause": cause.value})
        self.enter(Released())
        self.engine.ended(self)
