"""Neutral call events and states, shared by the engine and every network adapter."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum


class LegState(Enum):
    CREATED = "created"
    OFFERED = "offered"  # originated towards the network, nothing heard yet
    ALERTING = "alerting"
    ANSWERED = "answered"
    HELD = "held"
    RELEASED = "released"


class CallState(Enum):
    ROUTING = "routing"
    RINGING = "ringing"
    QUEUED = "queued"
    CONNECTED = "connected"
    RELEASED = "released"


class ReleaseCause(StrEnum):
    NORMAL = "normal"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    UNREACHABLE = "unreachable"
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # the engine withdrew a ringing leg (another answered, timer...)
    CALLER_HUNG_UP = "caller_hung_up"
    FORWARDING_LOOP = "forwarding_loop"
    FORWARDING_LIMIT = "forwarding_limit"
    UNKNOWN_NUMBER = "unknown_number"
    NOT_ALLOWED = "not_allowed"
    QUEUE_FULL = "queue_full"
    QUEUE_TIMEOUT = "queue_timeout"
    INTERNAL_ERROR = "internal_error"


class Announcement(StrEnum):
    """Recorded messages the network can play to a leg."""

    GROUP_NO_ANSWER = "group_no_answer"
    PLEASE_HOLD = "please_hold"  # caller waiting in a group's queue
    TRANSFER_REFUSED_ABROAD = "transfer_refused_abroad"
    TRANSFER_REFUSED_WHITE_ZONE = "transfer_refused_white_zone"
    TRANSFER_REFUSED_SPECIAL_NUMBER = "transfer_refused_special_number"
    SERVICE_NOT_POSSIBLE = "service_not_possible"
    CONFERENCE_FULL = "conference_full"
    NUMBER_UNKNOWN = "number_unknown"


# -- network -> engine -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LegAlerting:
    leg_id: str
    waiting: bool = False  # alerting as a waiting call (call waiting)


@dataclass(frozen=True, slots=True)
class LegAnswered:
    leg_id: str


@dataclass(frozen=True, slots=True)
class LegBusy:
    leg_id: str


@dataclass(frozen=True, slots=True)
class LegUnreachable:
    leg_id: str


@dataclass(frozen=True, slots=True)
class LegRejected:
    leg_id: str


@dataclass(frozen=True, slots=True)
class LegReleased:
    leg_id: str
    cause: ReleaseCause = ReleaseCause.NORMAL


LegEvent = LegAlerting | LegAnswered | LegBusy | LegUnreachable | LegRejected | LegReleased
