"""Turning database rows into the core's frozen views."""

from __future__ import annotations

from typing import Any, Protocol

from fleet.core import model
from fleet.core.linesettings import LINE_SETTINGS
from fleet.core.numbering import E164
from fleet.core.presented import LINE_NUMBER, PresentedKind, PresentedNumber
from fleet.core.trunks import Trunk
from fleet.core.values import ForwardingTarget, Language
from fleet.db.tables import (
    AccountRow,
    AuditRow,
    CallEventRow,
    CallRecordRow,
    FixedNumberRow,
    FleetRow,
    ForwardingRow,
    GroupRow,
    IncomingListRow,
    MemberRow,
    TrunkRow,
)


def _num(value: str | None) -> E164 | None:
    return E164(value) if value else None


def fleet(row: FleetRow) -> model.Fleet:
    return model.Fleet(
        id=row.id,
        name=row.name,
        short_number_length=row.short_number_length,
        language=row.language,
        timezone=row.timezone,
        main_number=_num(row.main_number),
    )


class LineFields(Protocol):
    """A line's columns: an ORM row or a row of a Core query selecting them; and a column
    per line setting, named as the setting (``LINE_SETTINGS``)."""

    id: int
    fleet_id: int
    msisdn: str
    short_number: str | None
    employee_name: str
    email: str | None
    language: Language
    presented_kind: PresentedKind
    presented_group_id: int | None


def presented(kind: PresentedKind | None, group_id: int | None) -> PresentedNumber:
    """A line's presented-number choice from its columns; a group choice whose group was
    deleted (the column set to NULL) is the line's own number, so is a row not yet flushed
    (its column default not applied)."""
    if kind is None or (kind is PresentedKind.GROUP and group_id is None):
        return LINE_NUMBER
    return PresentedNumber.of(kind, group_id)


def line(row: LineFields) -> model.Line:
    settings: dict[str, Any] = {s.name: getattr(row, s.name) for s in LINE_SETTINGS}
    return model.Line(
        id=row.id,
        fleet_id=row.fleet_id,
        msisdn=E164(row.msisdn),
        short_number=row.short_number,
        employee_name=row.employee_name,
        email=row.email,
        language=row.language,
        **settings,
        presented=presented(row.presented_kind, row.presented_group_id),
    )


def fixed_number(row: FixedNumberRow) -> model.FixedNumber:
    return model.FixedNumber(
        id=row.id,
        fleet_id=row.fleet_id,
        number=E164(row.number),
        label=row.label,
        trunk=row.trunk,
        short_number=row.short_number,
    )


def trunk(row: TrunkRow) -> model.TrunkView:
    return model.TrunkView(
        trunk=Trunk(
            id=row.id,
            fleet_id=row.fleet_id,
            name=row.name,
            mode=row.mode,
            host=row.host,
            port=row.port,
            transport=row.transport,
            username=row.username,
            realm=row.realm,
            history=row.history,
            state=row.state,
        ),
        has_secret=row.secret is not None,
        state_since=row.state_since,
    )


def forwarding(row: ForwardingRow) -> model.Forwarding:
    return model.Forwarding(
        line_id=row.line_id,
        kind=row.kind,
        destination=_num(row.destination),
        active=row.active,
        no_reply_timer=row.no_reply_timer,
        target=row.target or ForwardingTarget.NUMBER,
    )


def incoming_list(row: IncomingListRow) -> model.IncomingList:
    return model.IncomingList(
        line_id=row.line_id,
        active=row.active,
        mode=row.mode,
        ring_time=row.ring_time,
        entries=tuple(E164(e.number) for e in sorted(row.entries, key=lambda e: e.position)),
    )


def member(row: MemberRow) -> model.Member:
    return model.Member(
        line_id=row.line_id,
        msisdn=E164(row.line.msisdn),
        employee_name=row.line.employee_name,
        position=row.position,
        connected=row.connected,
    )


def group(row: GroupRow) -> model.CallGroup:
    members = tuple(member(m) for m in sorted(row.members, key=lambda m: m.position))
    return group_with(row, members)


def group_with(row: Any, members: tuple[model.Member, ...]) -> model.CallGroup:
    """A group from its columns (an ORM row or a Core row) and the members given."""
    return model.CallGroup(
        id=row.id,
        fleet_id=row.fleet_id,
        number=E164(row.number),
        name=row.name,
        short_number=row.short_number,
        user_code=row.user_code,
        admin_code=row.admin_code,
        queue_size=row.queue_size,
        switchover_delay=row.switchover_delay,
        intercall_delay=row.intercall_delay,
        distribution=row.distribution,
        max_queue_wait=row.max_queue_wait,
        no_answer_action=row.no_answer_action,
        no_answer_number=_num(row.no_answer_number),
        no_answer_group_id=row.no_answer_group_id,
        members=members,
    )


def account(row: AccountRow) -> model.Account:
    return model.Account(
        id=row.id,
        login=row.login,
        role=row.role,
        display_name=row.display_name,
        language=row.language,
        fleet_ids=tuple(sorted(f.fleet_id for f in row.fleets)),
        line_id=row.line_id,
        active=row.active,
    )


def audit_entry(row: AuditRow) -> model.AuditEntry:
    return model.AuditEntry(
        id=row.id,
        at=row.at,
        actor=row.actor,
        channel=row.channel,
        fleet_id=row.fleet_id,
        entity=row.entity,
        entity_id=row.entity_id,
        action=row.action,
        before=row.before,
        after=row.after,
    )


def call_event(row: CallEventRow) -> model.CallEvent:
    return model.CallEvent(
        seq=row.seq,
        at=row.at,
        kind=row.kind,
        forwarding_kind=row.forwarding_kind,
        from_number=row.from_number,
        to_number=row.to_number,
        group_id=row.group_id,
        member_line_id=row.member_line_id,
        detail=row.detail,
    )


def call_record(row: CallRecordRow) -> model.CallRecord:
    return model.CallRecord(
        call_id=row.call_id,
        fleet_id=row.fleet_id,
        caller=row.caller,
        called=row.called,
        offered_at=row.offered_at,
        answered_at=row.answered_at,
        released_at=row.released_at,
        outcome=row.outcome,
        cause=row.cause,
        events=tuple(call_event(e) for e in row.events),
        session_case=row.session_case,
        correlation_id=row.correlation_id,
        caller_network_id=row.caller_network_id,
        callee_network_id=row.callee_network_id,
    )
