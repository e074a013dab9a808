"""The ports the engine drives or reads. Adapters implement them at the edge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from fleet.core.calls.diversion import Diversion
from fleet.core.calls.events import Announcement, ReleaseCause
from fleet.core.criteria import Criteria
from fleet.core.dialling import Presentation
from fleet.core.model import CallGroup, CallRecord, FixedNumber, LineServices
from fleet.core.numbering import E164
from fleet.core.roaming import Locations
from fleet.core.schedules import Schedule
from fleet.core.trunks import TrunkState


@dataclass(frozen=True, slots=True)
class Limits:
    max_hops: int = 5  # forwarding hops per call (DESIGN §4 step 5)
    ring_limit: float = 60.0  # the network's ring limit without no-reply forwarding
    setup_timeout: float = 10.0  # a leg the network says nothing about is "not reachable"


@dataclass(frozen=True, slots=True)
class LegRequest:
    """Ask the network to ring ``number`` for call ``call_id``."""

    leg_id: str
    call_id: str
    number: E164
    caller: E164 | None
    presentation: Presentation = Presentation.ALLOWED  # may the callee see ``caller``?
    call_waiting: bool = False  # the line accepts a waiting call when already in one
    trunk: str | None = None  # a fixed number of the fleet, reached over this SIP trunk
    diversions: tuple[Diversion, ...] = ()  # the forwarding hops before this leg, in order
    presented: E164 | None = None  # the number shown instead of ``caller`` (issue 16 item 4)

    @property
    def identity(self) -> E164 | None:
        """The caller's number as the callee is to see it (before CLIR): the presented
        number of the caller's outgoing call, else the caller."""
        return self.presented or self.caller


class Network(Locations, Protocol):
    """Rings legs, bridges, releases and plays to them; tells where a fleet line's handset
    is (``location``: BAIC-Roam, BOIC and BOIC-exHC depend on it)."""

    def originate(self, request: LegRequest) -> None: ...

    def cancel(self, leg_id: str) -> None: ...

    def bridge(self, a_leg: str, b_leg: str) -> None: ...

    def release(
        self, leg_id: str, cause: ReleaseCause, *, announcement: Announcement | None = None
    ) -> None:
        """End the leg with ``cause``. With ``announcement`` the network first plays it to the
        leg and releases it once it is over (the engine has forgotten the leg by then: an
        announcement completes before the release, whatever the engine does meanwhile)."""
        ...

    def play(self, leg_id: str, announcement: Announcement) -> None:
        """Play to a leg while the call goes on (a queued caller's music): it stops when the
        leg is bridged, cancelled or released."""
        ...

    def conference(self, conference_id: str, leg_ids: list[str]) -> None:
        """Mix these legs together (replaces any earlier mix of this conference)."""
        ...


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Timers(Protocol):
    """Schedules callbacks; tests use virtual time, production the event loop."""

    def start(self, delay: float, callback: Callable[[], None]) -> TimerHandle: ...


class TimeSource(Timers, Protocol):
    """A clock with its timers: virtual time in tests and scenarios, the event loop in the
    service."""

    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class LineTarget:
    services: LineServices


@dataclass(frozen=True, slots=True)
class GroupTarget:
    group: CallGroup


@dataclass(frozen=True, slots=True)
class FixedTarget:
    fixed: FixedNumber
    trunk_state: TrunkState = TrunkState.UNKNOWN  # of the trunk that reaches it


@dataclass(frozen=True, slots=True)
class ExternalTarget:
    number: E164


Target = LineTarget | GroupTarget | FixedTarget | ExternalTarget


class Directory(Protocol):
    """Synchronous reads of the routing configuration (an in-memory cache)."""

    def resolve(self, number: E164) -> Target:
        """Where a call to ``number`` goes (a group's number reaches the group, even when it
        is also the number of one of its members)."""
        ...

    def by_msisdn(self, number: E164) -> LineServices | None:
        """The fleet line with this MSISDN (the caller's line), whatever group it numbers."""
        ...

    def short_number(self, fleet_id: int, digits: str) -> E164 | None: ...

    def abbreviated(self, fleet_id: int, digits: str) -> E164 | None:
        """The number of the fleet's directory contact with this abbreviated number."""
        ...

    def fleet_of(self, number: E164) -> int | None: ...

    def group(self, group_id: int) -> CallGroup | None: ...

    def main_number(self, fleet_id: int) -> E164 | None:
        """The fleet's main number (the presented number "main"), None when it has none."""
        ...

    def schedule(self, fleet_id: int, schedule_id: int) -> tuple[Schedule, ZoneInfo] | None:
        """A fleet's schedule with the fleet's time zone (routing criteria)."""
        ...

    def group_criteria(self, group_id: int) -> tuple[Criteria, ...]:
        """When a group's routing applies, its criteria in order (none: always)."""
        ...


class Recorder(Protocol):
    def record(self, record: CallRecord) -> None: ...


class EventLog(Protocol):
    def __call__(self, event: str, **fields: object) -> None: ...


def routine_events(log: EventLog) -> bool:
    """Whether ``log`` keeps the routine events every call reports (its phases and call
    events, offered, released): False when the log says it drops them (``routine`` False, e.g.
    ``StructlogEvents`` below the debug level) — the engine then neither builds nor sends
    them, nothing per call. Faults are always sent."""
    return bool(getattr(log, "routine", True))


def no_log(event: str, **fields: object) -> None:
    """The default event log: discard."""
