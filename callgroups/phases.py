"""The phases of a call to a call group (DESIGN §5): hunting its members step by step,
waiting in its queue, and the no-answer rule when nobody can take the call."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from callgroups.strategies import Step
from fleet.core.calls.call import Call
from fleet.core.calls.events import (
    Announcement,
    CallState,
    LegAlerting,
    LegAnswered,
    LegEvent,
    ReleaseCause,
)
from fleet.core.calls.legs import Leg
from fleet.core.calls.ports import TimerHandle
from fleet.core.calls.restricted import skipped_barred
from fleet.core.model import CallGroup, Line, Member
from fleet.core.values import CallEventKind, CallOutcome, ForwardingTarget, NoAnswerAction


class NoAnswerReason(StrEnum):
    """Why a group's no-answer rule applies (written in the call record)."""

    NO_MEMBER_CONNECTED = "no_member_connected"
    NO_MEMBER_ANSWERED = "no_member_answered"
    # every connected one in do-not-disturb or barring incoming calls
    NO_MEMBER_AVAILABLE = "no_member_available"
    QUEUE_FULL = "queue_full"
    QUEUE_TIMEOUT = "queue_timeout"
    CRITERIA_NOT_MET = "criteria_not_met"  # outside the group's schedule or callers (issue 16)


class GroupHunter(Protocol):
    """What the group phases read and tell of the groups' shared state
    (``callgroups.hunt.GroupHunter``)."""

    def connected(self, group: CallGroup) -> list[Member]: ...

    def available(self, group: CallGroup, *, from_queue: bool = False) -> list[Member]: ...

    def barred(self, group: CallGroup) -> list[tuple[Member, Line]]: ...

    def steps(self, group: CallGroup, members: list[Member]) -> list[Step]: ...

    def coming_back(self, group: CallGroup) -> bool: ...

    def group(self, group_id: int) -> CallGroup | None: ...

    def answered(self, call: Call, group: CallGroup, member: Member) -> None: ...

    def offered(self, member: Member, leg: Leg) -> None: ...

    def enqueue(self, call: Call, group: CallGroup, *, front: bool = False) -> int: ...

    def queue_length(self, group: CallGroup) -> int: ...

    def dequeue(self, call: Call) -> None: ...


@dataclass
class Hunt:
    """Ring the group's available members step by step (``switchover_delay`` each)."""

    group: CallGroup
    hunter: GroupHunter
    from_queue: bool = False  # a caller taken from the queue: members ringing are skipped
    state: CallState = CallState.RINGING
    steps: list[Step] = field(default_factory=list)
    legs: dict[str, Member] = field(default_factory=dict)
    timer: TimerHandle | None = None
    _call: Call = field(init=False, repr=False)

    def enter(self, call: Call) -> None:
        self._call = call
        if not self.hunter.connected(self.group):
            no_answer(call, self.group, self.hunter, reason=NoAnswerReason.NO_MEMBER_CONNECTED)
            return
        if not self.from_queue:  # the record says once which members bar incoming calls
            for member, line in self.hunter.barred(self.group):
                skipped_barred(call, line, group_id=self.group.id, member_line_id=member.line_id)
        available = self.hunter.available(self.group, from_queue=self.from_queue)
        if not available:
            if self.from_queue or self.hunter.coming_back(self.group):
                call.enter(Queued(group=self.group, hunter=self.hunter))
            else:  # the connected members are in do-not-disturb or barred: none will come back
                reason = NoAnswerReason.NO_MEMBER_AVAILABLE
                no_answer(call, self.group, self.hunter, reason=reason)
            return
        self.steps = self.hunter.steps(self.group, available)
        self._next()

    def _next(self) -> None:
        call = self._call
        call.stop(self.timer)
        for leg in self._ringing():
            call.cancel(leg)
        if not self.steps:
            if self.hunter.coming_back(self.group):  # busy or resting members will be back
                call.enter(Queued(group=self.group, hunter=self.hunter))
            else:
                no_answer(call, self.group, self.hunter, reason=NoAnswerReason.NO_MEMBER_ANSWERED)
            return
        step = self.steps.pop(0)
        members = {m.line_id: m for m in self.group.members}
        for line_id in step:
            member = members[line_id]
            call.note(
                CallEventKind.GROUP_OFFERED,
                to_number=member.msisdn.value,
                group_id=self.group.id,
                member_line_id=member.line_id,
            )
            leg = call.originate(member.msisdn)
            self.legs[leg.id] = member
            self.hunter.offered(member, leg)
        self.timer = call.after(self.group.switchover_delay, self._next)

    def _ringing(self) -> list[Leg]:
        return [leg for leg in self._call.legs.values() if leg.id in self.legs and leg.ringing]

    def on_leg_event(self, call: Call, leg: Leg, event: LegEvent) -> None:
        member = self.legs.get(leg.id)
        if member is None or isinstance(event, LegAlerting):
            return
        if isinstance(event, LegAnswered):
            self.hunter.answered(call, self.group, member)
            call.connect(leg, group_id=self.group.id, member_line_id=member.line_id)
            return
        # busy, rejected, unreachable: this member is skipped
        if not self._ringing():
            self._next()

    def on_caller_gone(self, call: Call) -> None:
        call.finish(CallOutcome.ABANDONED, ReleaseCause.CALLER_HUNG_UP)


@dataclass
class Queued:
    """Every connected member busy or resting: wait in the group's FIFO queue until a
    member is available (the hunter wakes the queue), at most ``max_queue_wait``."""

    group: CallGroup
    hunter: GroupHunter
    state: CallState = CallState.QUEUED
    _call: Call = field(init=False, repr=False)

    def enter(self, call: Call) -> None:
        self._call = call
        now = call.now()
        if call.queued_at is not None:  # back from a hunt nobody answered: keep its place
            waited = (now - call.queued_at).total_seconds()
            if waited >= self.group.max_queue_wait:
                no_answer(call, self.group, self.hunter, reason=NoAnswerReason.QUEUE_TIMEOUT)
                return
            self.hunter.enqueue(call, self.group, front=True)
            call.after(self.group.max_queue_wait - waited, self._timeout)
            return
        if self.hunter.queue_length(self.group) >= self.group.queue_size:
            no_answer(call, self.group, self.hunter, reason=NoAnswerReason.QUEUE_FULL)
            return
        call.queued_at = now
        position = self.hunter.enqueue(call, self.group)
        call.note(CallEventKind.QUEUED, group_id=self.group.id, detail={"position": position})
        call.announce(Announcement.PLEASE_HOLD)
        call.after(self.group.max_queue_wait, self._timeout)

    def leave(self, call: Call, group: CallGroup) -> None:
        """A member is available: hunt again (``group`` as configured now)."""
        call.cancel_timers()
        call.enter(Hunt(group=group, hunter=self.hunter, from_queue=True))

    def _timeout(self) -> None:
        self.hunter.dequeue(self._call)
        no_answer(self._call, self.group, self.hunter, reason=NoAnswerReason.QUEUE_TIMEOUT)

    def on_leg_event(self, call: Call, leg: Leg, event: LegEvent) -> None:
        pass

    def on_caller_gone(self, call: Call) -> None:
        call.finish(CallOutcome.ABANDONED, ReleaseCause.CALLER_HUNG_UP)


def no_answer(call: Call, group: CallGroup, hunter: GroupHunter, *, reason: NoAnswerReason) -> None:
    """The group's no-answer rule: forward to a number, to another group, to the group's
    voicemail (one hop each; none without a platform), or end the call with an
    announcement."""
    detail: dict[str, object] = {
        "group_no_answer": reason.value,
        "action": group.no_answer_action.value,
    }
    destination = None
    if group.no_answer_action is NoAnswerAction.FORWARD_TO_NUMBER:
        destination = group.no_answer_number
    elif group.no_answer_action is NoAnswerAction.FORWARD_TO_VOICEMAIL:
        # the group's own mailbox: the diversion history names the group's number
        destination = call.ports.voicemail.number
        detail["target"] = ForwardingTarget.VOICEMAIL.value
    elif group.no_answer_action is NoAnswerAction.FORWARD_TO_GROUP and group.no_answer_group_id:
        target = hunter.group(group.no_answer_group_id)
        destination = target.number if target is not None else None
    if destination is not None:
        call.forward(destination, source=group.number, group_id=group.id, detail=detail)
        return
    cause = {
        NoAnswerReason.QUEUE_FULL: ReleaseCause.QUEUE_FULL,
        NoAnswerReason.QUEUE_TIMEOUT: ReleaseCause.QUEUE_TIMEOUT,
    }.get(reason, ReleaseCause.NO_ANSWER)
    call.finish(CallOutcome.NO_ANSWER, cause, announcement=Announcement.GROUP_NO_ANSWER)
