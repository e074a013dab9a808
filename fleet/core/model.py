"""Read models of the configuration domain: frozen, framework-free views.

Services return these; adapters (portal, USSD, engine) read them. They carry no
database identity beyond plain integer ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from fleet.core.criteria import Criteria, CriteriaTarget, RuleCriteria
from fleet.core.numbering import E164
from fleet.core.presented import LINE_NUMBER, PresentedNumber
from fleet.core.trunks import Trunk
from fleet.core.values import (
    AuditAction,
    CallEventKind,
    CallOutcome,
    Channel,
    DistributionMode,
    ForwardingKind,
    ForwardingTarget,
    Language,
    NoAnswerAction,
    RestrictionProfile,
    RingMode,
    Role,
    SessionCase,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Fleet:
    id: int
    name: str
    short_number_length: int
    language: Language
    timezone: str
    main_number: E164 | None = None  # the company's main number (presented number, issue 16)


@dataclass(frozen=True, slots=True)
class Line:
    """A mobile line. Its settings — the fields after ``language`` — are described in
    ``fleet/core/linesettings.py``: one typed field each, read with ``SETTING.of(line)``;
    except ``presented`` (last), a reference: the presented number of its outgoing calls."""

    id: int
    fleet_id: int
    msisdn: E164
    short_number: str | None
    employee_name: str
    email: str | None
    language: Language
    pabx_option: bool
    call_waiting: bool
    clir: bool  # caller-id restriction by default (MMI 31)
    dnd: bool = False  # do-not-disturb: callers get the busy treatment (MMI 26)
    dnd_vpn_exempt: bool = False  # ... except the fleet's own lines and fixed numbers
    presented: PresentedNumber = LINE_NUMBER  # what its outgoing calls present (issue 16)
    # the destinations the line may call and forward to (issue 16)
    restriction_profile: RestrictionProfile = RestrictionProfile.UNRESTRICTED
    # 3GPP call barring programs (TS 22.088; issue 16): BAOC 33, BOIC 331, BOIC-exHC 332,
    # BAIC 35, BAIC-Roam 351
    barring_all_outgoing: bool = False
    barring_outgoing_international: bool = False
    barring_outgoing_international_ex_home: bool = False
    barring_all_incoming: bool = False
    barring_incoming_roaming: bool = False
    # the employee may choose the presented number on the user portal (issue 16)
    presented_user_choice: bool = True


@dataclass(frozen=True, slots=True)
class FixedNumber:
    id: int
    fleet_id: int
    number: E164
    label: str
    trunk: str
    short_number: str | None


@dataclass(frozen=True, slots=True)
class TrunkView:
    """A SIP trunk as the services show it: its settings and state, whether it has a Digest
    secret (never the secret), and since when it is in its state."""

    trunk: Trunk
    has_secret: bool
    state_since: datetime | None  # None: never probed


@dataclass(frozen=True, slots=True)
class Forwarding:
    """A line's forwarding of one kind: to ``destination`` (a number), or, with ``target``
    voicemail, to the line's mailbox on the voicemail platform (``destination`` None)."""

    line_id: int
    kind: ForwardingKind
    destination: E164 | None
    active: bool
    no_reply_timer: int | None
    target: ForwardingTarget = ForwardingTarget.NUMBER

    @property
    def to_voicemail(self) -> bool:
        return self.target is ForwardingTarget.VOICEMAIL

    @property
    def registered(self) -> bool:
        """Whether it has somewhere to go (a number, or the voicemail)."""
        return self.to_voicemail or self.destination is not None


@dataclass(frozen=True, slots=True)
class IncomingList:
    line_id: int
    active: bool
    mode: RingMode
    ring_time: int
    entries: tuple[E164, ...]


@dataclass(frozen=True, slots=True)
class Member:
    line_id: int
    msisdn: E164
    employee_name: str
    position: int
    connected: bool


@dataclass(frozen=True, slots=True)
class CallGroup:
    id: int
    fleet_id: int
    number: E164
    name: str
    short_number: str | None
    user_code: str
    admin_code: str
    queue_size: int
    switchover_delay: int
    intercall_delay: int
    distribution: DistributionMode
    max_queue_wait: int
    no_answer_action: NoAnswerAction
    no_answer_number: E164 | None
    no_answer_group_id: int | None
    members: tuple[Member, ...] = ()

    @property
    def any_connected(self) -> bool:
        """The legend of the seed: at least one member connected / none connected."""
        return any(m.connected for m in self.members)


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """A row of the groups table: the group without its members, and how many are connected."""

    group: CallGroup
    members: int
    connected: int

    @property
    def any_connected(self) -> bool:
        return self.connected > 0


@dataclass(frozen=True, slots=True)
class GroupMembership:
    """One group a line belongs to, seen from the line."""

    group_id: int
    group_number: E164
    group_name: str
    position: int
    connected: bool


@dataclass(frozen=True, slots=True)
class LineServices:
    """A line with everything the engine needs to route a call to it."""

    line: Line
    forwardings: tuple[Forwarding, ...]
    incoming_list: IncomingList | None
    groups: tuple[GroupMembership, ...]
    # when its rules apply (issue 16 item 2): a rule without criteria always applies
    criteria: tuple[RuleCriteria, ...] = ()

    def forwarding(self, kind: ForwardingKind) -> Forwarding | None:
        return next((f for f in self.forwardings if f.kind is kind), None)

    def criteria_of(self, target: CriteriaTarget) -> tuple[Criteria, ...]:
        """The rule's criteria in order (none: the rule always applies)."""
        return next((c.criteria for c in self.criteria if c.target is target), ())


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    login: str
    role: Role
    display_name: str
    language: Language
    fleet_ids: tuple[int, ...]
    line_id: int | None
    active: bool

    def manages(self, fleet_id: int) -> bool:
        """Whether the account may manage the fleet: an operator every fleet, a manager
        its own."""
        if self.role is Role.OPERATOR:
            return True
        return self.role is Role.MANAGER and fleet_id in self.fleet_ids

    @property
    def fleet_scope(self) -> tuple[int, ...] | None:
        """The fleets it may see: ``None`` for every fleet (an operator)."""
        return None if self.role is Role.OPERATOR else self.fleet_ids

    @property
    def manages_fleets(self) -> bool:
        """An operator or a fleet manager (the manager pages and API)."""
        return self.role in (Role.OPERATOR, Role.MANAGER)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    channel: Channel
    fleet_id: int | None
    entity: str
    entity_id: str
    action: AuditAction
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class CallEvent:
    seq: int
    at: datetime
    kind: CallEventKind
    forwarding_kind: ForwardingKind | None = None
    from_number: str | None = None
    to_number: str | None = None
    group_id: int | None = None
    member_line_id: int | None = None
    detail: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class CallRecord:
    call_id: str
    fleet_id: int | None
    caller: str
    called: str
    offered_at: datetime
    answered_at: datetime | None = None
    released_at: datetime | None = None
    outcome: CallOutcome | None = None
    cause: str | None = None
    events: tuple[CallEvent, ...] = field(default=())
    # which visit this record is of: a call between two fleet lines through the mobile core
    # visits twice (originating, then terminating) and leaves one record per visit
    session_case: SessionCase = SessionCase.TERMINATING
    correlation_id: str | None = None  # the same on every visit of one call (SIP: the ICID)
    caller_network_id: str | None = None  # the caller's leg in the network (SIP: Call-ID)
    callee_network_id: str | None = None  # the answered, else the last, callee leg's


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    total: int
    offset: int
    limit: int
