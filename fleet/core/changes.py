"""Typed changes of the configuration, as the services publish them (pure).

A service states each change it commits once, as one of these values: what kind of thing
changed, its fleet, its ids, and its read model (``fleet.core.model``) before and after the
change (``after`` is None once it is deleted, ``before`` is None when it was created). The
audit journal is derived from them (``fleet.services.journal``); the change hub carries them
with their author (``ChangeEvent``) to the stagers inside the transaction and to the
listeners after the commit: the routing cache (``fleet.core.directory.RoutingTable.apply``),
the account cache and the SMS notifier, which dispatch on the type.

A ``Note`` is journalled only: an event worth showing the fleet manager that changes no
configuration (a line's group codes or an account locked out, an SMS to a line given up, a
line's barring codes locked or its barring password changed).
It never reaches the hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fleet.core import model
from fleet.core.contacts import Contact
from fleet.core.criteria import Criteria, CriteriaTarget
from fleet.core.schedules import Schedule
from fleet.core.values import Actor, ForwardingKind


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetChange:
    """A fleet created, its settings changed, or deleted with everything in it."""

    fleet_id: int
    before: model.Fleet | None
    after: model.Fleet | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LineChange:
    """A line created, its details or settings changed, or deleted: a deleted line takes its
    forwardings and incoming list along and leaves its groups (``left_groups``, by name)."""

    fleet_id: int
    line_id: int
    before: model.Line | None
    after: model.Line | None
    left_groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ForwardingChange:
    """One forwarding rule of a line registered, switched or erased (``after`` None)."""

    fleet_id: int
    line_id: int
    kind: ForwardingKind
    before: model.Forwarding | None
    after: model.Forwarding | None


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingListChange:
    """A line's incoming-call list created or changed (it is deleted only with its line)."""

    fleet_id: int
    line_id: int
    before: model.IncomingList | None
    after: model.IncomingList


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupChange:
    """A call group created (with its first members), its settings changed, or deleted."""

    fleet_id: int
    group_id: int
    before: model.CallGroup | None
    after: model.CallGroup | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberChange:
    """A group's membership changed: members added, removed, reordered, connected or
    disconnected. The group is given whole before and after the change."""

    fleet_id: int
    group_id: int
    before: model.CallGroup
    after: model.CallGroup

    @property
    def line_ids(self) -> frozenset[int]:
        """The lines whose membership changed: added, removed, moved or (dis)connected."""
        before = {m.line_id: m for m in self.before.members}
        after = {m.line_id: m for m in self.after.members}
        return frozenset(
            line_id
            for line_id in before.keys() | after.keys()
            if before.get(line_id) != after.get(line_id)
        )

    @property
    def switched(self) -> tuple[model.Member, ...]:
        """The members, as they are after the change, who were members before and whose
        connection changed (``connected`` tells which way)."""
        before = {m.line_id: m.connected for m in self.before.members}
        return tuple(
            m
            for m in self.after.members
            if m.line_id in before and before[m.line_id] != m.connected
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FixedNumberChange:
    """A fixed number of the fleet (reached over a SIP trunk) added, changed or removed."""

    fleet_id: int
    fixed_id: int
    before: model.FixedNumber | None
    after: model.FixedNumber | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TrunkChange:
    """A SIP trunk added, changed (its settings, or its state as the keepalive found it) or
    removed. ``secret_changed``: its Digest secret was set, replaced or cleared (the views
    never carry it)."""

    fleet_id: int
    trunk_id: int
    before: model.TrunkView | None
    after: model.TrunkView | None
    secret_changed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleChange:
    """A schedule created, changed (its name, ranges or holidays) or deleted. An opposite
    schedule is given with its source's ranges and holidays, as it evaluates."""

    fleet_id: int
    schedule_id: int
    before: Schedule | None
    after: Schedule | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactChange:
    """An external contact of the fleet's directory added, changed or removed (its
    abbreviated number, when it has one, is dialled from every line of the fleet)."""

    fleet_id: int
    contact_id: int
    before: Contact | None
    after: Contact | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CriteriaChange:
    """The criteria of a rule set, changed or removed (``after`` empty: the rule always
    applies again), in order: a line's rule (``line_id``) or a group's routing
    (``group_id``)."""

    fleet_id: int
    target: CriteriaTarget
    line_id: int | None = None
    group_id: int | None = None
    before: tuple[Criteria, ...]
    after: tuple[Criteria, ...]


class PasswordEvent(StrEnum):
    """How an account's password was replaced (written as such in the journal)."""

    CHANGED = "password changed"  # by its owner, who gave the old one
    RESET = "password reset"  # by someone else


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountChange:
    """A portal account created, its fleets or its password changed, or deleted. A password
    change (``password``) leaves the view as it was (``before`` is ``after``); the journal
    records only the event."""

    fleet_id: int | None
    account_id: int
    before: model.Account | None
    after: model.Account | None
    password: PasswordEvent | None = None


Change = (
    FleetChange
    | LineChange
    | ForwardingChange
    | IncomingListChange
    | GroupChange
    | MemberChange
    | FixedNumberChange
    | TrunkChange
    | ScheduleChange
    | ContactChange
    | CriteriaChange
    | AccountChange
)
"""Any change of the configuration."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CodesLocked:
    """Too many wrong group codes from a line: its codes are refused until ``until``."""

    fleet_id: int
    line_id: int
    until: datetime | None
    wrong_codes: int
    group: str  # the group's name, as the manager knows it
    admin: bool  # the administrative code was being tried (else the connection code)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginLocked:
    """Too many wrong passwords: the account is refused until ``until``."""

    fleet_id: int | None
    account_id: int
    until: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsDeadLettered:
    """An SMS notification to a line that will not be sent: the SMSC refused it for good
    (``permanent``), or it failed ``attempts`` times."""

    fleet_id: int
    line_id: int
    msisdn: str  # E.164, as the message was addressed
    text: str
    attempts: int
    error: str  # what the SMSC said last
    permanent: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class BarringLocked:
    """Too many wrong barring passwords in a row from a line's handset: its call-barring
    codes are refused until ``until`` (``fleet.services.barringpw``)."""

    fleet_id: int
    line_id: int
    until: datetime
    wrong_passwords: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BarringPasswordChanged:
    """A line's call-barring password replaced from its handset (the event only: never the
    password nor its hash; nothing else reads it, so nothing to publish)."""

    fleet_id: int
    line_id: int


Note = CodesLocked | LoginLocked | SmsDeadLettered | BarringLocked | BarringPasswordChanged
"""A journal entry that changes no configuration the hub's listeners hold (never published
on the hub)."""

Journalled = Change | Note
"""Anything the audit journal records."""


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """A change with who made it, as the change hub carries it."""

    change: Change
    actor: Actor
