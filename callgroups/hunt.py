"""Call groups in the engine (DESIGN §5): hunting members by the group's distribution
mode, the FIFO queue and its wake-ups, the inter-call delay per member across all its
groups, and the no-answer rule. The engine reaches it through its ``GroupHunting`` port;
the ordering of members is ``callgroups.strategies`` (pure).

Waiting callers are indexed by member: when a number becomes free, or a member's
inter-call delay ends, only the queues of that member's groups are looked at."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from callgroups.phases import Hunt, NoAnswerReason, Queued, no_answer
from callgroups.strategies import Candidate, Step, plan
from fleet.core import barring
from fleet.core.calls.call import Call
from fleet.core.calls.events import ReleaseCause
from fleet.core.calls.legs import Leg
from fleet.core.calls.ports import Directory, TimerHandle, Timers
from fleet.core.calls.presence import Presence
from fleet.core.clock import Clock
from fleet.core.criteria import CriteriaTarget
from fleet.core.linesettings import DND
from fleet.core.model import CallGroup, Line, Member
from fleet.core.numbering import E164
from fleet.core.roaming import Locations
from fleet.core.values import CallEventKind, CallOutcome


class GroupHunter:
    """Shared state of every group across calls, and the entry point of group calls."""

    def __init__(
        self,
        *,
        clock: Clock,
        timers: Timers,
        directory: Directory,
        presence: Presence,
        locations: Locations,
        seed: int = 0,
    ) -> None:
        self.clock = clock
        self._locations = locations  # the network: whether a member's handset is abroad
        self._timers = timers
        self._directory = directory
        self._presence = presence
        self.rng = random.Random(seed)
        self.rest_until: dict[int, datetime] = {}  # line id -> end of its inter-call delay
        self.idle_since: dict[int, datetime] = {}  # line id -> end of its last group call
        self.last_taker: dict[int, int] = {}  # group id -> line id (cyclic)
        self.queues: dict[int, deque[Call]] = {}  # group id -> waiting calls (FIFO)
        self._groups: dict[int, CallGroup] = {}  # group id -> the group its queue serves
        self._waiting: dict[str, set[int]] = {}  # member's E.164 -> groups with waiting calls
        self._queued_in: dict[str, int] = {}  # call id -> group id of the queue it waits in
        self._taken: dict[str, tuple[CallGroup, Member]] = {}  # call id -> who took it
        self._rest_timers: dict[int, TimerHandle] = {}  # line id -> end of its rest
        self._offers: dict[int, dict[str, Leg]] = {}  # line id -> its legs of group calls
        self._offered_to: dict[str, int] = {}  # leg id -> line id
        self._due: dict[int, None] = {}  # groups whose queue may move (ordered set)
        self._serving = False

    # -- the GroupHunting port -----------------------------------------------------------

    def hunt(self, call: Call, group: CallGroup) -> None:
        if group.id in call.groups_seen:
            call.finish(CallOutcome.LOOP, ReleaseCause.FORWARDING_LOOP)
            return
        call.groups_seen += (group.id,)
        call.note(CallEventKind.GROUP_OFFERED, to_number=group.number.value, group_id=group.id)
        if not call.applies(  # issue 16: outside its criteria, the no-answer rule at once
            self._directory.group_criteria(group.id),
            CriteriaTarget.GROUP,
            fleet_id=group.fleet_id,
            owner=group.id,
            to_number=group.number.value,
            group_id=group.id,
        ):
            no_answer(call, group, self, reason=NoAnswerReason.CRITERIA_NOT_MET)
            return
        call.enter(Hunt(group=group, hunter=self))

    def call_ended(self, call: Call) -> None:
        self.dequeue(call)
        self._forget_offers(call)
        taken = self._taken.pop(call.id, None)
        if taken is None:
            return
        group, member = taken
        now = self.clock.now()
        self.idle_since[member.line_id] = now
        rest = max(
            now + timedelta(seconds=group.intercall_delay),
            self.rest_until.get(member.line_id, now),
        )
        self.rest_until[member.line_id] = rest
        if rest > now:
            self._wake_at(member, rest)

    def settle(self, freed: Sequence[E164]) -> None:
        if not freed and not self._due:
            return
        for number in freed:
            for group_id in sorted(self._waiting.get(number.value, ())):
                self._due[group_id] = None
        if self._serving:
            return  # the serving loop under way picks these up
        self._serving = True
        try:
            while self._due:
                group_id = next(iter(self._due))
                del self._due[group_id]
                self._serve(group_id)
        finally:
            self._serving = False

    # -- availability ---------------------------------------------------------------------

    def connected(self, group: CallGroup) -> list[Member]:
        return [m for m in group.members if m.connected]

    def available(self, group: CallGroup, *, from_queue: bool = False) -> list[Member]:
        """Connected members who may ring now: not in a call, not resting, not barring
        incoming calls (BAIC, :meth:`barred`), not in do-not-disturb (skipped like a busy
        member, whoever calls: the colleagues' exemption is for calls to the line itself).
        For a caller taken from the queue, not ringing already for another group call
        either (two waiting callers go to two members, not both to the first one free)."""
        now = self.clock.now()
        return [
            m
            for m in self.connected(group)
            if self.rest_until.get(m.line_id, now) <= now
            and not self._presence.is_busy(m.msisdn)
            and not self._bars_incoming(m)
            and not self._do_not_disturb(m)
            and not (from_queue and self._ringing(m.line_id))
        ]

    def barred(self, group: CallGroup) -> list[tuple[Member, Line]]:
        """Connected members whose line bars incoming calls (BAIC, TS 22.088; BAIC-Roam while
        roaming), with their line: never rung by the group while it does."""
        found = []
        for member in self.connected(group):
            line = self._directory.by_msisdn(member.msisdn)
            if line is not None and self.bars_incoming(line.line):
                found.append((member, line.line))
        return found

    def bars_incoming(self, line: Line) -> bool:
        """Whether ``line`` bars incoming calls now: BAIC, or BAIC-Roam while the network
        says its handset is abroad."""
        roaming = barring.bars_roaming(line) and self._locations.location(line.msisdn).roaming
        return barring.incoming(line, roaming=roaming) is not None

    def _bars_incoming(self, member: Member) -> bool:
        line = self._directory.by_msisdn(member.msisdn)
        return line is not None and self.bars_incoming(line.line)

    def _do_not_disturb(self, member: Member) -> bool:
        line = self._directory.by_msisdn(member.msisdn)
        return line is not None and DND.of(line.line)

    def offered(self, member: Member, leg: Leg) -> None:
        """A group call rings ``member`` on ``leg``: no other group call is offered to him
        while it rings."""
        self._offers.setdefault(member.line_id, {})[leg.id] = leg
        self._offered_to[leg.id] = member.line_id

    def _ringing(self, line_id: int) -> bool:
        legs = self._offers.get(line_id)
        return legs is not None and any(leg.ringing for leg in legs.values())

    def _forget_offers(self, call: Call) -> None:
        for leg_id in call.legs:
            line_id = self._offered_to.pop(leg_id, None)
            if line_id is None:
                continue
            legs = self._offers.get(line_id)
            if legs is not None:
                legs.pop(leg_id, None)
                if not legs:
                    del self._offers[line_id]

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
        now = self.clock.now()
        return any(
            self.rest_until.get(m.line_id, now) > now or self._presence.is_busy(m.msisdn)
            for m in self.connected(group)
        )

    def group(self, group_id: int) -> CallGroup | None:
        return self._directory.group(group_id)

    @property
    def in_flight(self) -> int:
        """Calls the groups still hold (waiting, or with a member's ring on record)."""
        return len(self._queued_in) + len(self._offered_to) + len(self._taken)

    def resting_until(self, line_id: int) -> datetime | None:
        """The end of the member's inter-call delay when it is still to come."""
        until = self.rest_until.get(line_id)
        return until if until is not None and until > self.clock.now() else None

    def waiting(self, group_id: int) -> list[Call]:
        """The callers waiting in the group's queue, first in line first."""
        return [
            call
            for call in self.queues.get(group_id, ())
            if not call.released and isinstance(call.phase, Queued)
        ]

    def groups_waiting_for(self, number: E164) -> set[int]:
        """The groups with callers waiting that the member with this number could take."""
        return set(self._waiting.get(number.value, ()))

    # -- what the phases tell ---------------------------------------------------------------

    def answered(self, call: Call, group: CallGroup, member: Member) -> None:
        self._taken[call.id] = (group, member)
        self.last_taker[group.id] = member.line_id
        if self.queues.get(group.id):
            self._due[group.id] = None  # another member may take the next waiting caller

    def enqueue(self, call: Call, group: CallGroup, *, front: bool = False) -> int:
        """Put ``call`` in the group's queue (back in its place when ``front``); its position."""
        queue = self.queues.setdefault(group.id, deque())
        if front:
            queue.appendleft(call)
        else:
            queue.append(call)
        self._queued_in[call.id] = group.id
        self._index(group)
        return len(queue)

    def queue_length(self, group: CallGroup) -> int:
        return len(self.queues.get(group.id, ()))

    def dequeue(self, call: Call) -> None:
        group_id = self._queued_in.pop(call.id, None)
        if group_id is None:
            return
        queue = self.queues.get(group_id)
        if queue is not None and call in queue:
            queue.remove(call)
        if not queue:
            self._drop_queue(group_id)

    def group_changed(self, group: CallGroup | None, group_id: int) -> None:
        """The configuration of a group changed (a member connected, say): callers waiting
        in its queue may be offered to a member now."""
        if group_id not in self.queues:
            return
        if group is not None:
            self._index(group)
        self._due[group_id] = None
        self.settle(())

    # -- queues -------------------------------------------------------------------------------

    def _serve(self, group_id: int) -> None:
        """Offer the head of the group's queue to its members when one is available."""
        queue = self.queues.get(group_id)
        while queue:
            head = queue[0]
            phase = head.phase
            if head.released or not isinstance(phase, Queued):
                queue.popleft()
                self._queued_in.pop(head.id, None)
                continue
            group = self.group(group_id) or phase.group
            if not self.available(group, from_queue=True):
                break
            queue.popleft()
            self._queued_in.pop(head.id, None)
            head.run(_leaving(head, phase, group))
            break
        if not queue:
            self._drop_queue(group_id)

    def _index(self, group: CallGroup) -> None:
        old = self._groups.get(group.id)
        if old is not None:
            for member in old.members:
                self._waiting.get(member.msisdn.value, set()).discard(group.id)
        self._groups[group.id] = group
        for member in group.members:
            self._waiting.setdefault(member.msisdn.value, set()).add(group.id)

    def _drop_queue(self, group_id: int) -> None:
        self.queues.pop(group_id, None)
        group = self._groups.pop(group_id, None)
        if group is None:
            return
        for member in group.members:
            waiting = self._waiting.get(member.msisdn.value)
            if waiting is not None:
                waiting.discard(group_id)
                if not waiting:
                    del self._waiting[member.msisdn.value]

    def _wake_at(self, member: Member, at: datetime) -> None:
        """When the member's inter-call delay ends, its groups' queues may move."""
        old = self._rest_timers.pop(member.line_id, None)
        if old is not None:
            old.cancel()
        delay = (at - self.clock.now()).total_seconds()
        number = member.msisdn

        def rested() -> None:
            self._rest_timers.pop(member.line_id, None)
            self.settle((number,))

        self._rest_timers[member.line_id] = self._timers.start(delay, rested)


def _leaving(call: Call, phase: Queued, group: CallGroup) -> Callable[[], None]:
    return lambda: phase.leave(call, group)
