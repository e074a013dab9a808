"""Call groups in the engine (DESIGN §5): hunting members by the group's distribution
mode, the FIFO queue, the inter-call delay per member across all its groups, and the
no-answer rule. The ordering itself is ``callgroups.strategies`` (pure)."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from callgroups.strategies import Candidate, Step, plan
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
from fleet.core.model import CallGroup, Member
from fleet.core.values import CallEventKind, CallOutcome, NoAnswerAction

if TYPE_CHECKING:
    from fleet.core.calls.call import Call
    from fleet.core.calls.engine import Engine


class GroupHunter:
    """Shared state of every group across calls, and the entry point of group calls."""

    def __init__(self, *, engine: Engine, seed: int = 0) -> None:
        self.engine = engine
        self.rng = random.Random(seed)
        self.rest_until: dict[int, datetime] = {}  # line id -> end of its inter-call delay
        self.idle_since: dict[int, datetime] = {}  # line id -> end of its last group call
        self.last_taker: dict[int, int] = {}  # group id -> line id (cyclic)
        self.queues: dict[int, deque[Call]] = {}  # group id -> waiting calls (FIFO)
        self.in_group_call: dict[str, tuple[CallGroup, Member]] = {}  # call id -> taker

    def hunt(self, call: Call, group: CallGroup) -> None:
        call.line = None
        if group.id in call.groups_seen:
            call.finish(CallOutcome.LOOP, ReleaseCause.FORWARDING_LOOP)
            return
        call.groups_seen.add(group.id)
        call.note(CallEventKind.GROUP_OFFERED, to_number=group.number.value, group_id=group.id)
        call.enter(Hunt(group=group))

    # -- availability -----------------------------------------------------------------

    def connected(self, group: CallGroup) -> list[Member]:
        return [m for m in group.members if m.connected]

    def available(self, group: CallGroup) -> list[Member]:
        now = self.engine.clock.now()
        return [
            m
            for m in self.connected(group)
            if self.rest_until.get(m.line_id, now) <= now and not self.engine.is_busy(m.msisdn)
        ]

    def steps(self, group: CallGroup, members: list[Member]) -> list[Step]:
        return plan(
            group.distribution,
            [Candidate(m.line_id, m.position, self.idle_since.get(m.line_id)) for m in members],
            last_taker=self.last_taker.get(group.id),
            positions={m.line_id: m.position for m in group.members},
            rng=self.rng,
        )

    def coming_back(self, group: CallGroup) -> bool:
        """Some connected member is busy or resting now, so waiting makes sense."""
        now = self.engine.clock.now()
        return any(
            self.rest_until.get(m.line_id, now) > now or self.engine.is_busy(m.msisdn)
            for m in self.connected(group)
        )

    def next_rest_end(self, group: CallGroup) -> datetime | None:
        now = self.engine.clock.now()
        ends = [
            self.rest_until[m.line_id]
            for m in self.connected(group)
            if self.rest_until.get(m.line_id, now) > now
        ]
        return min(ends) if ends else None

    # -- events from calls -------------------------------------------------------------

    def answered(self, call: Call, group: CallGroup, member: Member) -> None:
        self.in_group_call[call.id] = (group, member)
        self.last_taker[group.id] = member.line_id

    def call_ended(self, call: Call) -> None:
        for queue in self.queues.values():
            if call in queue:
                queue.remove(call)
        taken = self.in_group_call.pop(call.id, None)
        if taken is not None:
            group, member = taken
            now = self.engine.clock.now()
            self.idle_since[member.line_id] = now
            rest = now + timedelta(seconds=group.intercall_delay)
            self.rest_until[member.line_id] = max(rest, self.rest_until.get(member.line_id, now))
        self.serve_queues()

    def serve_queues(self) -> None:
        """Offer the head of each queue to its group again when a member is available."""
        for group_id in [g for g, q in self.queues.items() if not q]:
            del self.queues[group_id]
        for queue in list(self.queues.values()):
            while queue:
                head = queue[0]
                phase = head.phase
                if head.released or not isinstance(phase, Queued):
                    queue.popleft()
                    continue
                if not self.available(phase.group):
                    break
                queue.popleft()
                self.engine.guarded(head, _leaving(head, phase))
                break


@dataclass
class Hunt:
    """Ring the group's available members step by step (``switchover_delay`` each)."""

    group: CallGroup
    state: CallState = CallState.RINGING
    steps: list[Step] = field(default_factory=list)
    legs: dict[str, Member] = field(default_factory=dict)
    timer: TimerHandle | None = None
    _call: Call = field(init=False, repr=False)

    def enter(self, call: Call) -> None:
        self._call = call
        hunter = call.engine.groups
        if not hunter.connected(self.group):
            no_answer(call, self.group, reason="no_member_connected")
            return
        available = hunter.available(self.group)
        if not available:
            call.enter(Queued(group=self.group))
            return
        self.steps = hunter.steps(self.group, available)
        self._next(call)

    def _next(self, call: Call) -> None:
        call.stop(self.timer)
        for leg in self._ringing():
            call.cancel(leg)
        if not self.steps:
            if call.engine.groups.coming_back(self.group):
                call.enter(Queued(group=self.group))  # busy or resting members will be back
            else:
                no_answer(call, self.group, reason="no_member_answered")
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
        self.timer = call.after(self.group.switchover_delay, lambda: self._next(call))

    def _ringing(self) -> list[Leg]:
        return [leg for leg in self._call.legs.values() if leg.id in self.legs and leg.ringing]

    def on_leg_event(self, call: Call, leg: Leg, event: LegEvent) -> None:
        member = self.legs.get(leg.id)
        if member is None or isinstance(event, LegAlerting):
            return
        if isinstance(event, LegAnswered):
            call.engine.groups.answered(call, self.group, member)
            call.connect(leg, group_id=self.group.id, member_line_id=member.line_id)
            return
        # busy, rejected, unreachable: this member is skipped
        if not self._ringing():
            self._next(call)

    def on_caller_gone(self, call: Call) -> None:
        call.finish(CallOutcome.ABANDONED, ReleaseCause.CALLER_HUNG_UP)


@dataclass
class Queued:
    """Every connected member busy or resting: wait in the group's FIFO queue."""

    group: CallGroup
    state: CallState = CallState.QUEUED
    _call: Call = field(init=False, repr=False)

    def enter(self, call: Call) -> None:
        self._call = call
        hunter = call.engine.groups
        queue = hunter.queues.setdefault(self.group.id, deque())
        now = call.engine.clock.now()
        if call.queued_at is not None:  # back from a hunt nobody answered: keep its place
            waited = (now - call.queued_at).total_seconds()
            if waited >= self.group.max_queue_wait:
                no_answer(call, self.group, reason="queue_timeout")
                return
            queue.appendleft(call)
            call.after(self.group.max_queue_wait - waited, self._timeout)
            self._watch_rest(call)
            return
        if len(queue) >= self.group.queue_size:
            no_answer(call, self.group, reason="queue_full")
            return
        call.queued_at = now
        queue.append(call)
        call.note(
            CallEventKind.QUEUED,
            group_id=self.group.id,
            detail={"position": len(queue)},
        )
        call.engine.network.play(call.a_leg.id, Announcement.PLEASE_HOLD)
        call.after(self.group.max_queue_wait, self._timeout)
        self._watch_rest(call)

    def _watch_rest(self, call: Call) -> None:
        """Wake up when the first resting member's inter-call delay ends."""
        rest_end = call.engine.groups.next_rest_end(self.group)
        if rest_end is not None:
            delay = max(0.0, (rest_end - call.engine.clock.now()).total_seconds())
            call.after(delay, self._rest_over)

    def _rest_over(self) -> None:
        self._watch_rest(self._call)
        self._call.engine.groups.serve_queues()

    def leave(self, call: Call) -> None:
        call.cancel_timers()
        call.enter(Hunt(group=self.group))

    def _timeout(self) -> None:
        call = self._call
        queue = call.engine.groups.queues.get(self.group.id)
        if queue and call in queue:
            queue.remove(call)
        no_answer(call, self.group, reason="queue_timeout")

    def on_leg_event(self, call: Call, leg: Leg, event: LegEvent) -> None:
        pass

    def on_caller_gone(self, call: Call) -> None:
        call.finish(CallOutcome.ABANDONED, ReleaseCause.CALLER_HUNG_UP)


def no_answer(call: Call, group: CallGroup, *, reason: str) -> None:
    """The group's no-answer rule: a number, another group, or an announcement."""
    detail: dict[str, object] = {"group_no_answer": reason, "action": group.no_answer_action.value}
    if group.no_answer_action is NoAnswerAction.FORWARD_TO_NUMBER and group.no_answer_number:
        call.hops += 1
        call.note(
            CallEventKind.FORWARDED,
            group_id=group.id,
            from_number=group.number.value,
            to_number=group.no_answer_number.value,
            detail=detail,
        )
        if call.hops > call.engine.limits.max_hops:
            call.finish(CallOutcome.LOOP, ReleaseCause.FORWARDING_LIMIT)
            return
        call.deliver(group.no_answer_number)
        return
    if group.no_answer_action is NoAnswerAction.FORWARD_TO_GROUP and group.no_answer_group_id:
        target = call.engine.directory.group(group.no_answer_group_id)
        if target is not None:
            call.hops += 1
            call.note(
                CallEventKind.FORWARDED,
                group_id=group.id,
                from_number=group.number.value,
                to_number=target.number.value,
                detail=detail,
            )
            if call.hops > call.engine.limits.max_hops:
                call.finish(CallOutcome.LOOP, ReleaseCause.FORWARDING_LIMIT)
                return
            call.engine.groups.hunt(call, target)
            return
    call.engine.network.play(call.a_leg.id, Announcement.GROUP_NO_ANSWER)
    cause = {
        "queue_full": ReleaseCause.QUEUE_FULL,
        "queue_timeout": ReleaseCause.QUEUE_TIMEOUT,
    }.get(reason, ReleaseCause.NO_ANSWER)
    call.finish(CallOutcome.NO_ANSWER, cause)


def _leaving(call: Call, phase: Queued) -> Callable[[], None]:
    return lambda: phase.leave(call)
