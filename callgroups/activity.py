"""The activity monitor's live part (issue 16 item 8), read from the engine's state: each
group's members — connected or not (the members as the routing cache holds them), in a
call (the engine's busy marks), ringing (a live call's leg alerting their number), resting
until the end of the inter-call delay, barring incoming calls (BAIC, or BAIC-Roam while
abroad), in do-not-disturb — and its queue (the callers waiting, with the time each
joined). Implements ``fleet.core.activity.LiveActivity``: the portal reads this port, never
the hunter or the engine. Pure and synchronous: the engine runs on the same event loop, so a
snapshot is consistent."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from callgroups.hunt import GroupHunter
from fleet.core.activity import GroupActivity, MemberActivity, MemberState
from fleet.core.calls.engine import Engine
from fleet.core.linesettings import DND
from fleet.core.model import CallGroup, LineServices, Member
from fleet.core.numbering import E164


class GroupDirectory(Protocol):
    """What the monitor reads of the routing table."""

    def groups_in_fleet(self, fleet_id: int) -> list[CallGroup]: ...

    def by_msisdn(self, number: E164) -> LineServices | None: ...


class EngineActivity:
    def __init__(self, *, engine: Engine, hunter: GroupHunter, directory: GroupDirectory) -> None:
        self._engine = engine
        self._hunter = hunter
        self._directory = directory

    def now(self) -> datetime:
        return self._hunter.clock.now()

    def groups(self, fleet_id: int) -> tuple[GroupActivity, ...]:
        ringing = self._ringing_numbers()
        return tuple(self._group(g, ringing) for g in self._directory.groups_in_fleet(fleet_id))

    def _ringing_numbers(self) -> set[str]:
        """Numbers a live call is ringing now (callers' own legs aside)."""
        return {
            leg.number.value
            for call in self._engine.live_calls()
            for leg in call.legs.values()
            if leg is not call.a_leg and leg.ringing and leg.number is not None
        }

    def _group(self, group: CallGroup, ringing: set[str]) -> GroupActivity:
        waiting = self._hunter.waiting(group.id)
        since = [call.queued_at for call in waiting if call.queued_at is not None]
        return GroupActivity(
            group_id=group.id,
            name=group.name,
            number=group.number,
            short_number=group.short_number,
            members=tuple(self._member(m, ringing) for m in group.members),
            queue_length=len(waiting),
            queue_size=group.queue_size,
            waiting_since=min(since, default=None),
        )

    def _member(self, member: Member, ringing: set[str]) -> MemberActivity:
        rest_until = self._hunter.resting_until(member.line_id)
        return MemberActivity(
            line_id=member.line_id,
            msisdn=member.msisdn,
            employee_name=member.employee_name,
            position=member.position,
            connected=member.connected,
            state=self._state(member, ringing, rest_until),
            rest_until=rest_until,
        )

    def _state(self, member: Member, ringing: set[str], rest_until: datetime | None) -> MemberState:
        if not member.connected:
            return MemberState.DISCONNECTED
        if self._engine.is_busy(member.msisdn):
            return MemberState.IN_CALL
        if member.msisdn.value in ringing:
            return MemberState.RINGING
        if rest_until is not None:
            return MemberState.RESTING
        line = self._directory.by_msisdn(member.msisdn)
        if line is not None and self._hunter.bars_incoming(line.line):
            return MemberState.BARRED
        if line is not None and DND.of(line.line):
            return MemberState.DO_NOT_DISTURB
        return MemberState.AVAILABLE
