"""What the audit journal writes of each typed change: the one place that knows its
entity names, ids and JSON snapshots (``entity``/``entity_id`` as the portal's audit page
shows and filters them, and as journals already stored hold them)."""

from __future__ import annotations

import dataclasses
from datetime import date
from enum import Enum
from typing import Any

from fleet.core import model
from fleet.core.changes import (
    AccountChange,
    BarringLocked,
    BarringPasswordChanged,
    CodesLocked,
    ContactChange,
    CriteriaChange,
    FixedNumberChange,
    FleetChange,
    ForwardingChange,
    GroupChange,
    IncomingListChange,
    Journalled,
    LineChange,
    LoginLocked,
    MemberChange,
    Note,
    PasswordEvent,
    ScheduleChange,
    SmsDeadLettered,
    TrunkChange,
)
from fleet.core.numbering import E164
from fleet.core.values import AuditAction

ENTITIES: dict[type[Journalled], str] = {
    FleetChange: "fleet",
    LineChange: "line",
    ForwardingChange: "forwarding",
    IncomingListChange: "incoming_list",
    GroupChange: "call_group",
    MemberChange: "call_group",
    FixedNumberChange: "fixed_number",
    TrunkChange: "trunk",
    ScheduleChange: "schedule",
    ContactChange: "contact",
    CriteriaChange: "routing_criteria",
    AccountChange: "account",
    LoginLocked: "account",  # an event of the account
    CodesLocked: "line",  # an event of the line that typed the codes
    SmsDeadLettered: "line",  # an event of the line the SMS was for
    BarringLocked: "line",  # an event of the line whose handset typed the passwords
    BarringPasswordChanged: "line",
}
"""The journal's entity of each kind of change (what the audit page shows and filters)."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class JournalEntry:
    """One row of the audit journal, without who and when."""

    fleet_id: int | None
    entity: str
    entity_id: str
    action: AuditAction
    before: Any  # JSON
    after: Any


def entry(change: Journalled) -> JournalEntry:
    """The journal's row for ``change``. A thing created has nothing before, a thing
    deleted nothing after; an event about a thing (a password replaced, a lock-out) is an
    update of it, with the event as ``after``."""
    entity_id, before, after = _content(change)
    action = AuditAction.UPDATE
    if not _is_event(change) and before is None:
        action = AuditAction.CREATE
    elif not _is_event(change) and after is None:
        action = AuditAction.DELETE
    return JournalEntry(
        fleet_id=change.fleet_id,
        entity=ENTITIES[type(change)],
        entity_id=str(entity_id),
        action=action,
        before=snapshot(before),
        after=snapshot(after),
    )


def _is_event(change: Journalled) -> bool:
    return isinstance(change, Note) or (
        isinstance(change, AccountChange) and change.password is not None
    )


def _content(change: Journalled) -> tuple[object, object, object]:
    """The entity id, and what the journal shows before and after."""
    match change:
        case FleetChange():
            return change.fleet_id, change.before, change.after
        case LineChange(after=None):  # what the line was, and the groups it left
            left = {"line": change.before, "left_groups": list(change.left_groups)}
            return change.line_id, left, None
        case LineChange():
            return change.line_id, change.before, change.after
        case ForwardingChange():
            return f"{change.line_id}:{change.kind.value}", change.before, change.after
        case IncomingListChange():
            return change.line_id, change.before, change.after
        case GroupChange() | MemberChange():
            return change.group_id, change.before, change.after
        case FixedNumberChange():
            return change.fixed_id, change.before, change.after
        case TrunkChange():
            return change.trunk_id, _trunk(change, change.before), _trunk(change, change.after)
        case ScheduleChange():
            return change.schedule_id, change.before, change.after
        case ContactChange():
            return change.contact_id, change.before, change.after
        case CriteriaChange(line_id=int() as line_id):  # no criteria: created, deleted
            return f"{line_id}:{change.target.value}", change.before or None, change.after or None
        case CriteriaChange():
            return f"group:{change.group_id}", change.before or None, change.after or None
        case AccountChange(password=PasswordEvent() as password):  # the event, not the view
            return change.account_id, None, {"change": password.value}
        case AccountChange():
            return change.account_id, change.before, change.after
        case LoginLocked():
            return change.account_id, None, {"locked_until": change.until.isoformat()}
        case CodesLocked():
            locked = {
                "codes_locked_until": change.until.isoformat() if change.until else None,
                "wrong_codes": change.wrong_codes,
                "group": change.group,
                "kind": "admin" if change.admin else "user",
            }
            return change.line_id, None, locked
        case BarringLocked():
            locked = {
                "barring_locked_until": change.until.isoformat(),
                "wrong_passwords": change.wrong_passwords,
            }
            return change.line_id, None, locked
        case BarringPasswordChanged():
            return change.line_id, None, {"barring_password": "changed"}
        case SmsDeadLettered():
            given_up = {
                "sms_not_sent": change.text,
                "to": change.msisdn,
                "attempts": change.attempts,
                "error": change.error,
                "refused_for_good": change.permanent,
            }
            return change.line_id, None, given_up


def _trunk(change: TrunkChange, view: object) -> object:
    """A trunk's view, flat, saying when its secret changed (never the secret)."""
    if view is None:
        return None
    assert isinstance(view, model.TrunkView)
    shown = {**snapshot(view.trunk), "has_secret": view.has_secret}
    if change.secret_changed and change.before is not None and view is change.after:
        shown["secret"] = "changed"
    return shown


def snapshot(value: Any) -> Any:
    """A JSON-safe copy of a view (dataclass), for the audit journal."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, E164):
        return value.value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: snapshot(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): snapshot(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [snapshot(v) for v in value]
    raise TypeError(f"cannot snapshot {type(value).__name__}")
