"""Enumerations and small value objects shared by the whole product."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum


class Language(StrEnum):
    FR = "fr"
    EN = "en"


class Channel(StrEnum):
    """Where a change came from, as written in the audit journal."""

    CLI = "cli"
    PORTAL = "portal"
    API = "api"
    USSD = "ussd"
    SYSTEM = "system"
    SEED = "seed"


class ForwardingKind(StrEnum):
    """The four forwarding types of the seed (004 §3)."""

    UNCONDITIONAL = "unconditional"  # renvoi immédiat (MMI 21)
    BUSY = "busy"  # renvoi sur occupation (MMI 67)
    NO_REPLY = "no_reply"  # renvoi sur non-réponse (MMI 61)
    NOT_REACHABLE = "not_reachable"  # renvoi sur injoignabilité (MMI 62)


class ForwardingTarget(StrEnum):
    """Where a forwarding (or a group's no-answer rule) sends the call: a number, or the
    line's voicemail on the operator's platform (issue 16 item 7)."""

    NUMBER = "number"
    VOICEMAIL = "voicemail"  # "messagerie vocale" (seeds 000, 001), "boîte vocale" (003)


class RingMode(StrEnum):
    """How an incoming-call list rings its entries (004 §4)."""

    SIMULTANEOUS = "simultaneous"
    CASCADE = "cascade"  # "séquentiellement" / "en cascade"


class DistributionMode(StrEnum):
    """Call-group distribution modes (DESIGN §5, 003 §4.2)."""

    LINEAR = "linear"  # always from the top of the list ("hiérarchique", "Linéaire")
    CYCLIC = "cyclic"  # start after the member who took the last call
    SIMULTANEOUS = "simultaneous"
    LEAST_ACTIVE = "least_active"  # longest idle first
    RANDOM = "random"


class NoAnswerAction(StrEnum):
    """What a call group does when nobody answers (003 §4.4)."""

    END_WITH_ANNOUNCEMENT = "end_with_announcement"
    FORWARD_TO_NUMBER = "forward_to_number"
    FORWARD_TO_GROUP = "forward_to_group"
    FORWARD_TO_VOICEMAIL = "forward_to_voicemail"  # the group's own mailbox (003 §6)


class RestrictionProfile(StrEnum):
    """Which destinations a line may call and forward to (issue 16; seed 002 §2.4), from
    the most restricted to the unrestricted default (``fleet/core/restrictions.py``)."""

    EMERGENCY = "emergency"  # emergency, free and customer-service numbers (seed: 1)
    VPN = "vpn"  # ... and the fleet's own lines and fixed numbers
    NATIONAL = "national"  # ... and national fixed numbers (seed: 2)
    NATIONAL_SHARED_COST = "national_shared_cost"  # ... and shared-cost 081 (seed: 3)
    FRANCE = "france"  # ... and mobiles (seed: 4)
    FRANCE_OVERSEAS = "france_overseas"  # ... and the overseas departments (seed: 5)
    NO_INTERNATIONAL = "no_international"  # ... and premium numbers (seed: 6)
    NO_PREMIUM = "no_premium"  # everything but premium numbers (seed: 7)
    UNRESTRICTED = "unrestricted"  # everything (seed: 10, the default)


class Role(StrEnum):
    OPERATOR = "operator"  # the carrier's staff: every fleet, no fleet of its own
    MANAGER = "manager"  # fleet manager: one or more fleets
    EMPLOYEE = "employee"  # one line


class CodeKind(StrEnum):
    """The two codes of a call group (DESIGN §5); wrong ones are counted per kind."""

    USER = "user"  # code de connexion utilisateur: a member connects or disconnects itself
    ADMIN = "admin"  # code administratif: acts on the group and its members


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class CallOutcome(StrEnum):
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    UNREACHABLE = "unreachable"
    REJECTED = "rejected"
    LOOP = "loop"
    ABANDONED = "abandoned"


class SessionCase(StrEnum):
    """Which side of a call a visit serves (3GPP TS 24.229 session case): the served
    user's outgoing call (originating: short numbers translated, caller identity and
    presentation set, no callee services) or a call to the served user (terminating: the
    callee's services of DESIGN §4 and §5)."""

    ORIGINATING = "originating"
    TERMINATING = "terminating"


class CallEventKind(StrEnum):
    ABBREVIATED_DIALLED = "abbreviated_dialled"  # a directory contact's abbreviated number
    OFFERED = "offered"
    FORWARDED = "forwarded"
    LIST_RING = "list_ring"
    DO_NOT_DISTURB = "do_not_disturb"  # the line is in DND: held off or, exempt, rung
    CRITERIA = "criteria"  # a rule's criteria (schedule, callers) decided whether it applies
    RESTRICTED = "restricted"  # a restriction profile refused a destination (issue 16)
    GROUP_OFFERED = "group_offered"
    QUEUED = "queued"
    ANSWERED = "answered"
    TRANSFERRED = "transferred"
    CONFERENCE_JOINED = "conference_joined"
    CONFERENCE_LEFT = "conference_left"
    RELEASED = "released"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change and through which channel (for the audit journal). ``line_id`` is
    set when a line's own user acts — an employee in the user portal, a handset by USSD — and
    names that line (a manager, even acting as a line, leaves it None): the SMS a change sends
    follow who acted, not the channel (``featurecodes.notices``)."""

    name: str
    channel: Channel
    account_id: int | None = None
    line_id: int | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(name=name, channel=Channel.SYSTEM)


class Unset(Enum):
    """Marks a keyword argument that was not given (so ``None`` can mean "clear")."""

    UNSET = "unset"


UNSET = Unset.UNSET
