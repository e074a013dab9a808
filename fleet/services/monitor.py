"""The activity monitor's use case (issue 16 item 8): a fleet's snapshot — the live part
through the ``LiveActivity`` port (the engine's state of call groups), each schedule's
verdict at the same instant on the fleet's wall clock, and whether this process holds the
live state at all.

Several processes (issue 15): a fleet's calls, and so its groups' queues and members'
ringing, calls and rests, live in its owner process only. On another process the snapshot
says so (``source`` ELSEWHERE with the owner's process id, or NOBODY during a takeover) and
carries no groups — unknown, not an empty fleet; the schedules, read from the database, are
there on every process."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from fleet.core import schedules as sch
from fleet.core.activity import FleetActivity, LiveActivity, LiveSource, ScheduleNow
from fleet.core.ownership import OwnerMap, Ownership
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
        owners: Callable[[], OwnerMap],
    ) -> None:
        self._live = live
        self._fleets = fleets
        self._schedules = schedules
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
        return FleetActivity(
            fleet_id=fleet_id,
            at=at,
            local=at.astimezone(zone),
            timezone=fleet.timezone,
            source=source,
            owner_process=owner.process if owner is not None else None,
            groups=self._live.groups(fleet_id) if source is LiveSource.HERE else None,
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
