"""The activity monitor's read model (issue 16 item 8; seed 003 "Moniteur d'activité": the
members' connection state, "Plage actuelle"): a typed snapshot of a fleet's live activity —
each call group's members and what they are doing, its queue, each schedule's verdict now.

Pure. The live part comes through the :class:`LiveActivity` port, implemented on the
engine's state by ``callgroups.activity``; the use case ``fleet.services.monitor`` adds the
schedules and who holds the live state (the fleet's owner process, issue 15)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Protocol

from fleet.core.numbering import E164
from fleet.core.schedules import Holiday, Rule, TimeRange


class MemberState(Enum):
    """What a member of a group is doing now, as the hunt sees it (the first that holds)."""

    DISCONNECTED = "disconnected"  # not connected to the group: never rung by it
    IN_CALL = "in_call"  # an answered call (group call or not)
    RINGING = "ringing"  # a call rings its handset
    RESTING = "resting"  # the inter-call delay after a group call, until ``rest_until``
    BARRED = "barred"  # its line bars incoming calls (BAIC): skipped by the hunt
    DO_NOT_DISTURB = "do_not_disturb"  # skipped by the hunt
    AVAILABLE = "available"  # the next group call may ring it


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberActivity:
    line_id: int
    msisdn: E164
    employee_name: str
    position: int
    connected: bool
    state: MemberState
    rest_until: datetime | None = None  # end of its inter-call delay, when still to come


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleNow:
    """A schedule's verdict at the snapshot's instant, in the fleet's time zone: open or
    not, and the range or holiday that decided (none when outside every range)."""

    schedule_id: int
    name: str
    open: bool
    rule: Rule
    range: TimeRange | None = None
    holiday: Holiday | None = None
    opposite_of: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupActivity:
    group_id: int
    name: str
    number: E164
    short_number: str | None
    members: tuple[MemberActivity, ...]
    queue_length: int
    queue_size: int  # the most callers the queue holds
    waiting_since: datetime | None = None  # when the caller waiting longest joined the queue
    # the schedule the group's routing follows, once groups have one (time-based routing)
    schedule: ScheduleNow | None = None

    def longest_wait(self, at: datetime) -> timedelta | None:
        return at - self.waiting_since if self.waiting_since is not None else None

    def count(self, state: MemberState) -> int:
        return sum(1 for m in self.members if m.state is state)


class LiveSource(Enum):
    """Whether this process holds the fleet's live state (it decides the fleet's calls)."""

    HERE = "here"
    ELSEWHERE = "elsewhere"  # another process owns the fleet's calls
    NOBODY = "nobody"  # no process owns them right now (a takeover under way)


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetActivity:
    """A fleet's activity at ``at``: ``groups`` is None when this process does not hold
    the live state (``source`` says who does) — unknown, never an empty fleet."""

    fleet_id: int
    at: datetime  # aware, the engine's clock
    local: datetime  # the same instant on the fleet's wall clock
    timezone: str
    source: LiveSource
    owner_process: str | None
    groups: tuple[GroupActivity, ...] | None
    schedules: tuple[ScheduleNow, ...]

    def absent(self) -> int:
        """Members disconnected from their group, over all groups (seed 003's "utilisateur
        absent")."""
        return sum(g.count(MemberState.DISCONNECTED) for g in self.groups or ())


class LiveActivity(Protocol):
    """The engine's live state of call groups, read (the port the use case takes)."""

    def now(self) -> datetime: ...

    def groups(self, fleet_id: int) -> tuple[GroupActivity, ...]: ...
