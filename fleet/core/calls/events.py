"""Neutral call events and states, shared by the engine and every network adapter."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from fleet.core.numbering import E164


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
    CALL_RESTRICTED = "call_restricted"  # the line's restriction profile forbids the number
    CALL_BARRED = "call_barred"  # a call barring program of the line bars the call


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


class BridgeFailure(StrEnum):
    """Why the network could not connect answered legs."""

    REFUSED = "refused"  # a party refused the new session (e.g. its media)
    GLARE = "glare"  # the party was changing its session too, again after one retry
    NO_ANSWER = "no_answer"  # a party did not answer, or its dialog was gone
    NO_MEDIA_SERVER = "no_media_server"  # no conference bridge is configured


@dataclass(frozen=True, slots=True)
class BridgeFailed:
    """The network could not carry out a ``bridge`` of answered legs (a transfer) or a
    ``conference``; ``leg_id`` is one of the legs it was asked to connect."""

    leg_id: str
    reason: BridgeFailure


@dataclass(frozen=True, slots=True)
class LineCameHome:
    """The network learned that the handset of fleet line ``number``, which it knew abroad,
    is home again (the simulated network: the handset left its state ``abroad``; SIP: a
    sighting from home). A line barring incoming calls while roaming (BAIC-Roam, 351) may
    ring again as a group's member."""

    number: E164


LegEvent = LegAlerting | LegAnswered | LegBusy | LegUnreachable | LegRejected | LegReleased
