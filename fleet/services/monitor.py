"""The activity monitor's use case (issue 16 item 8): a fleet's snapshot — the live part
through the ``LiveActivity`` port (the engine's state of call groups), each schedule's
verdict at the same instant on the fleet's wall clock, and whether this process holds the
live state at all.

Several processes (issue 15): a fleet's calls, and so its groups' queues and members'
ringing, calls and rests, live in its owner process only. On another process the snapshot
says so (``source`` ELSEWHERE with the owner's process id, or NOBODY during a takeover) and
carries no groups — unknown, not an empty fleet; the schedules, read from the database, are
there on every process. A group whose routing follows a schedule (its routing criteria,
issue 16 item 2) shows that schedule's verdict now beside its members (with several
criteria, the first active one's that names a schedule)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from zoneinfo import ZoneInfo

from fleet.core import schedules as sch
from fleet.core.activity import (
    FleetActivity,
    GroupActivity,
    LiveActivity,
    LiveSource,
    ScheduleNow,
)
from fleet.core.criteria import Criteria
from fleet.core.ownership import OwnerMap, Ownership
from fleet.services.criteria import CriteriaService
from fleet.services.fleets import FleetService
from fleet.services.schedules import ScheduleService

SOURCES = {
    Ownership.MINE: LiveSource.HERE,
    Ownership.ELSEWHERE: LiveSource.ELSEWHERE,
    Ownership.NOBODY: LiveSource.NOBODY,
}


class ActivityMonitor:
    def __init__(
        self,
        *,
        live: LiveActivity,
        fleets: FleetService,
        schedules: ScheduleService,
        criteria: CriteriaService,
        owners: Callable[[], OwnerMap],
    ) -> None:
        self._live = live
        self._fleets = fleets
        self._schedules = schedules
        self._criteria = criteria
        self._owners = owners

    async def snapshot(self, fleet_id: int) -> FleetActivity:
        """The fleet's activity now (``DomainError`` not found for no such fleet)."""
        fleet = await self._fleets.get(fleet_id)
        found = await self._schedules.in_fleet(fleet_id)
        zone = ZoneInfo(fleet.timezone)
        at = self._live.now()
        verdicts = tuple(_now(s, sch.evaluate(s, at, zone)) for s in found)
        ownership, owner = self._owners().of(fleet_id)
        source = SOURCES[ownership]
        groups = None
        if source is LiveSource.HERE:
            _, group_criteria = await self._criteria.in_fleet(fleet_id)
            followed = {
                g: first
                for g, found in group_criteria
                if (first := next(_schedules(found), None)) is not None
            }
            by_id = {v.schedule_id: v for v in verdicts}
            groups = tuple(
                _with_schedule(group, by_id.get(followed.get(group.group_id, -1)))
                for group in self._live.groups(fleet_id)
            )
        return FleetActivity(
            fleet_id=fleet_id,
            at=at,
            local=at.astimezone(zone),
            timezone=fleet.timezone,
            source=source,
            owner_process=owner.process if owner is not None else None,
            groups=groups,
            schedules=verdicts,
        )


def _now(schedule: sch.Schedule, verdict: sch.Verdict) -> ScheduleNow:
    return ScheduleNow(
        schedule_id=schedule.id,
        name=schedule.name,
        open=verdict.open,
        rule=verdict.rule,
        range=verdict.range,
        holiday=verdict.holiday,
        opposite_of=schedule.opposite_of,
    )


def _with_schedule(group: GroupActivity, schedule: ScheduleNow | None) -> GroupActivity:
    return group if schedule is None else replace(group, schedule=schedule)


def _schedules(criteria: tuple[Criteria, ...]) -> Iterator[int]:
    return (c.schedule_id for c in criteria if c.active and c.schedule_id is not None)
