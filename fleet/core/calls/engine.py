"""The call engine: takes calls and leg events from the network, routes and records them.

It is synchronous and deterministic: everything it does in reaction to an event or a
timer happens before it returns. Time comes from the injected clock and timers, so a
25-second no-reply timer runs in virtual time in tests. Call groups are reached through
the ``GroupHunting`` port (``callgroups`` implements it); the composition root
(``fleet.exchange``) builds the engine with its ports."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping

from fleet.core.calls.call import Call, CallPorts
from fleet.core.calls.events import (
    Announcement,
    BridgeFailed,
    LegAlerting,
    LegAnswered,
    LegEvent,
    LegState,
    LineCameHome,
    ReleaseCause,
)
from fleet.core.calls.hunting import GroupHunting
from fleet.core.calls.incall import InCallServices, InConference
from fleet.core.calls.legs import Leg
from fleet.core.calls.originating import (
    RingOnward,
    note_abbreviated,
    onward,
    presented_number,
)
from fleet.core.calls.ports import (
    Directory,
    EventLog,
    Limits,
    Network,
    Recorder,
    Timers,
    no_log,
    routine_events,
)
from fleet.core.calls.presence import Presence
from fleet.core.calls.restricted import refuse
from fleet.core.calls.router import Router
from fleet.core.calls.selector import Selector
from fleet.core.calls.shortdial import is_abbreviated_form, short_dial
from fleet.core.clock import Clock
from fleet.core.dialling import Dialled, Presentation
from fleet.core.linesettings import CLIR
from fleet.core.numbering import E164, NumberClass, NumberPolicy
from fleet.core.presented import split_prefix
from fleet.core.restrictions import Restrictions
from fleet.core.values import CallOutcome, SessionCase
from fleet.core.voicemail import NO_VOICEMAIL, VoicemailPlatform

__all__ = ["Engine", "Limits", "counter_ids"]


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
        groups: GroupHunting,
        presence: Presence,
        limits: Limits | None = None,
        new_id: Callable[[], str] | None = None,
        log: EventLog = no_log,
        voicemail: VoicemailPlatform = NO_VOICEMAIL,
    ) -> None:
        self.network = network
        self.clock = clock
        self.directory = directory
        self.recorder = recorder
        self.policy = policy
        self.groups = groups
        self.presence = presence
        self.limits = limits or Limits()
        self.log = log
        self._routine = routine_events(log)
        self._new_id = new_id or counter_ids()
        self.voicemail = voicemail
        self._ports = CallPorts(
            network=network,
            timers=timers,
            clock=clock,
            limits=self.limits,
            log=log,
            selector=Selector(directory=directory),
            restrictions=Restrictions(policy=policy, numbers=directory, locations=network),
            voicemail=voicemail,
            routine=self._routine,
        )
        self.router = Router(directory=directory, groups=groups)
        self.incall = InCallServices(
            calls=self,
            network=network,
            presence=presence,
            policy=policy,
            new_id=self.new_id,
            log=log,
        )
        self._calls: dict[str, Call] = {}
        self._legs: dict[str, Call] = {}
        self._depth = 0  # nesting of guarded actions; settle once the outermost returns
        self.faults = 0

    # -- what the network tells the engine ---------------------------------------------

    def incoming_call(
        self,
        *,
        leg_id: str,
        caller: E164 | None,
        dialled: str,
        restricted: bool = False,
        network_id: str | None = None,
        correlation_id: str | None = None,
    ) -> Call:
        """A caller's leg reached the service: resolve what was dialled and route it.
        ``dialled`` may carry a per-call caller-id prefix (``#31#N`` hides the caller's
        number for this call, ``*31#N`` shows it); ``restricted``: the network already
        withholds the caller's identity (SIP: ``Privacy: id`` from the core), which nothing
        here lifts. ``network_id``: the network's id of the caller's leg (SIP: Call-ID);
        ``correlation_id``: the same for every visit of one call (SIP: the ICID), both for
        the record."""
        prefix, dialled_rest = split_prefix(dialled)
        what = Dialled.parse(dialled_rest)
        own_line = self.directory.by_msisdn(caller) if caller else None
        caller_fleet = own_line.line.fleet_id if own_line else None
        if caller_fleet is None and caller is not None:
            caller_fleet = self.directory.fleet_of(caller)
        digits = self.policy.clean(what.number)
        kind, number = self.policy.classify(digits)
        abbreviated = None
        if caller_fleet is not None and (kind is NumberClass.SHORT or is_abbreviated_form(digits)):
            found = short_dial(self.directory, caller_fleet, digits)
            number, abbreviated = found.number, found.abbreviated
            kind = NumberClass.SHORT
        a_leg = self._caller_leg(leg_id, caller, network_id)
        fleet_id = (self.directory.fleet_of(number) if number else None) or caller_fleet
        call = Call(
            host=self,
            ports=self._ports,
            call_id=self._new_id(),
            caller=caller,
            called=number,
            a_leg=a_leg,
            fleet_id=fleet_id,
            presentation=Presentation.RESTRICTED
            if restricted
            else what.presentation(hidden_by_default=bool(own_line and CLIR.of(own_line.line))),
            correlation_id=correlation_id,
            presented=presented_number(
                own_line, prefix, number, policy=self.policy, directory=self.directory
            )
            if own_line is not None and kind is not NumberClass.INVALID
            else None,
        )
        if number is None:
            call.record.called = digits or dialled
        self._admit(call)
        if abbreviated is not None and number is not None:
            note_abbreviated(call, abbreviated, number)
        # an abbreviated number is checked as the number it stands for
        checked = number.value if abbreviated is not None and number is not None else digits
        refusal = self._ports.restrictions.outgoing(own_line.line, checked) if own_line else None
        if refusal is not None:  # a fleet line's own call its profile does not allow
            self.guarded(call, lambda: refuse(call, refusal))
        elif number is None or kind is NumberClass.INVALID:
            self.guarded(call, lambda: self._unknown_number(call))
        else:
            target = number
            self.guarded(call, lambda: call.deliver(target))
        return call

    def originating_call(
        self,
        *,
        leg_id: str,
        served: E164 | None,
        dialled: str,
        restricted: bool = False,
        network_id: str | None = None,
        correlation_id: str | None = None,
    ) -> Call:
        """The served user's own outgoing call reached the service (originating session
        case, :mod:`fleet.core.calls.originating`): a short number of its fleet translated,
        its presentation set, one leg on to the number. A served user that is no fleet line
        is not the service's to serve: the call is refused (not allowed)."""
        own_line = self.directory.by_msisdn(served) if served else None
        plan = (
            onward(
                own_line,
                dialled,
                policy=self.policy,
                directory=self.directory,
                restricted=restricted,
            )
            if own_line is not None
            else None
        )
        call = Call(
            host=self,
            ports=self._ports,
            call_id=self._new_id(),
            caller=served,
            called=plan.number if plan else None,
            a_leg=self._caller_leg(leg_id, served, network_id),
            fleet_id=own_line.line.fleet_id if own_line else None,
            presentation=plan.presentation if plan else Presentation.ALLOWED,
            session_case=SessionCase.ORIGINATING,
            correlation_id=correlation_id,
            presented=plan.presented if plan else None,
        )
        if plan is None or plan.number is None:
            call.record.called = plan.digits if plan else dialled
        self._admit(call)
        if plan is not None:
            plan.note_abbreviated(call)
        refusal = (
            self._ports.restrictions.outgoing(own_line.line, plan.checked)
            if own_line is not None and plan is not None
            else None
        )
        if plan is None:
            self.guarded(call, lambda: call.finish(CallOutcome.REJECTED, ReleaseCause.NOT_ALLOWED))
        elif refusal is not None:
            self.guarded(call, lambda: refuse(call, refusal))
        elif plan.number is None:
            self.guarded(call, lambda: self._unknown_number(call))
        else:
            target, trunk = plan.number, plan.trunk
            self.guarded(call, lambda: call.enter(RingOnward(number=target, trunk=trunk)))
        return call

    def _caller_leg(self, leg_id: str, caller: E164 | None, network_id: str | None) -> Leg:
        a_leg = Leg(id=leg_id, number=caller, state=LegState.CREATED, network_id=network_id)
        a_leg.move(LegState.ANSWERED)
        return a_leg

    def _admit(self, call: Call) -> None:
        self._calls[call.id] = call
        self._legs[call.a_leg.id] = call
        if call.caller is not None:
            self.presence.up(call.a_leg)
        if self._routine:
            self.log(
                "call_offered",
                call_id=call.id,
                fleet_id=call.fleet_id,
                caller=call.record.caller,
                called=call.record.called,
                presentation=call.presentation.value,
                session_case=call.session_case.value,
            )

    def leg_reference(self, leg_id: str, network_id: str) -> None:
        """The network tells the id it gave a leg the engine asked for (SIP: its Call-ID),
        for the call record."""
        call = self._legs.get(leg_id)
        if call is not None and leg_id in call.legs:
            call.legs[leg_id].network_id = network_id

    def _unknown_number(self, call: Call) -> None:
        call.finish(
            CallOutcome.REJECTED,
            ReleaseCause.UNKNOWN_NUMBER,
            announcement=Announcement.NUMBER_UNKNOWN,
        )

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
                self.presence.up(leg)
        else:
            leg.release()
            self.presence.down(leg)
        if leg is call.a_leg:
            if not leg.live and call.phase is not None:
                call.phase.on_caller_gone(call)
            return
        if call.phase is not None:
            call.phase.on_leg_event(call, leg, event)

    def came_home(self, event: LineCameHome) -> None:
        """A line's handset is home again: as a group's member barring calls while roaming
        it may take a caller waiting in its groups' queues now."""
        self.groups.settle((event.number,))

    def bridge_failed(self, event: BridgeFailed) -> None:
        """The network could not connect the legs of a transfer or move them to a conference:
        the call is released (a conference: every call in it, the initiator told it failed)."""
        call = self._legs.get(event.leg_id)
        if call is None:
            self.log("bridge_failed_for_unknown_leg", leg=event.leg_id)
            return
        self.guarded(call, lambda: self._bridge_failed(call, event))

    def _bridge_failed(self, call: Call, event: BridgeFailed) -> None:
        self.log("bridge_failed", call_id=call.id, leg=event.leg_id, reason=event.reason.value)
        phase = call.phase
        if isinstance(phase, InConference):
            self.incall.conference_failed(phase.conference)
        else:
            call.finish(CallOutcome.ANSWERED, ReleaseCause.NORMAL)

    # -- the Host of calls ---------------------------------------------------------------

    def new_id(self) -> str:
        return self._new_id()

    def leg_added(self, leg: Leg, call: Call) -> None:
        self._legs[leg.id] = call

    def route(self, call: Call, number: E164) -> None:
        self.router.deliver(call, number)

    def guarded(self, call: Call, action: Callable[[], None]) -> None:
        """Run ``action`` for one call; a fault releases that call only. Once the outermost
        action is over, call groups hear which numbers became free."""
        self._depth += 1
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
        finally:
            self._depth -= 1
        if self._depth == 0:
            self.groups.settle(self.presence.take_freed())

    def ended(self, call: Call) -> None:
        for leg in call.legs.values():
            self.presence.down(leg)
        self._forget(call)
        self.recorder.record(call.record.build())
        if self._routine:
            self.log(
                "call_released",
                call_id=call.id,
                fleet_id=call.fleet_id,
                outcome=call.record.outcome,
                cause=call.record.cause,
            )
        self.groups.call_ended(call)

    def _forget(self, call: Call) -> None:
        self._calls.pop(call.id, None)
        for leg_id in call.legs:
            self._legs.pop(leg_id, None)

    # -- reading --------------------------------------------------------------------------

    def live_calls(self) -> list[Call]:
        return list(self._calls.values())

    def call_of_leg(self, leg_id: str) -> Call | None:
        return self._legs.get(leg_id)

    def call(self, call_id: str) -> Call | None:
        return self._calls.get(call_id)

    def is_busy(self, number: E164) -> bool:
        return self.presence.is_busy(number)

    @property
    def busy(self) -> Mapping[str, int]:
        """Numbers with an answered leg in a live call (E.164 value -> legs)."""
        return self.presence.busy

    @property
    def active_calls(self) -> int:
        return len(self._calls)
