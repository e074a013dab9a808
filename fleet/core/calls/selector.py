"""Whether a rule's criteria match a call (issue 16 item 2): the engine's side of
``fleet.core.criteria``. It reads the fleet's schedule and time zone from the routing
table and the caller's fleet (inside or outside the VPN) only when the criteria need them;
the instant is the engine clock's (virtual time in tests)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fleet.core.calls.ports import Directory
from fleet.core.criteria import Caller, CallerFilter, Criteria, Match, evaluate, first_match
from fleet.core.numbering import E164

_VPN = (CallerFilter.INSIDE_VPN, CallerFilter.OUTSIDE_VPN)


class Selector:
    def __init__(self, *, directory: Directory) -> None:
        self._directory = directory

    def first(
        self,
        criteria: Sequence[Criteria],
        *,
        fleet_id: int,
        caller: E164 | None,
        hidden: bool,
        at: datetime,
    ) -> Match:
        """Whether one of a rule's active criteria matches (the first, in order, named)."""
        return first_match(
            criteria,
            lambda one: self.match(one, fleet_id=fleet_id, caller=caller, hidden=hidden, at=at),
        )

    def match(
        self,
        criteria: Criteria,
        *,
        fleet_id: int,
        caller: E164 | None,
        hidden: bool,
        at: datetime,
    ) -> Match:
        found = None
        if criteria.schedule_id is not None:
            found = self._directory.schedule(fleet_id, criteria.schedule_id)
        caller_fleet = None
        if caller is not None and criteria.callers in _VPN:
            caller_fleet = self._directory.fleet_of(caller)
        return evaluate(
            criteria,
            fleet_id=fleet_id,
            caller=Caller(number=caller, hidden=hidden, fleet_id=caller_fleet),
            schedule=found,
            at=at,
        )
