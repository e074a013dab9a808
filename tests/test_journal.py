"""What the audit journal writes of each typed change: the entity names and ids the portal's
audit page shows and filters on, the action, and the JSON before and after (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

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
    PasswordEvent,
    ScheduleChange,
    SmsDeadLettered,
    TrunkChange,
)
from fleet.core.contacts import Contact
from fleet.core.criteria import CallerFilter, Criteria, CriteriaTarget
from fleet.core.numbering import E164
from fleet.core.schedules import Holiday, Schedule, TimeRange, Weekday
from fleet.core.values import AuditAction, ForwardingKind, Language, RingMode, Role
from fleet.services.journal import ENTITIES, entry, snapshot
from tests.test_routing_table import COM, FIXED, FLEET, A, B, member, n

ACCOUNT = model.Account(
    id=5,
    login="chef",
    role=Role.MANAGER,
    display_name="Chef",
    language=Language.FR,
    fleet_ids=(1, 2),
    line_id=None,
    active=True,
)
RULE = model.Forwarding(
    line_id=2,
    kind=ForwardingKind.NO_REPLY,
    destination=n("0145678910"),
    active=True,
    no_reply_timer=20,
)
PLAN = model.IncomingList(
    line_id=2, active=True, mode=RingMode.SIMULTANEOUS, ring_time=10, entries=(A.msisdn,)
)
UNTIL = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
CONNECTED = replace(COM, members=(member(A, 1), member(B, 2, connected=True)))

SHOP = Schedule(
    id=6,
    fleet_id=1,
    name="Magasin",
    ranges=(TimeRange(day=Weekday.MONDAY, start=540, end=1020),),
    holidays=(Holiday(label="Noël", first=date(2026, 12, 25), last=date(2026, 12, 25)),),
)

GARAGE = Contact(
    id=5,
    fleet_id=1,
    name="Garage",
    company="",
    number=E164("+33478000001"),
    abbreviated=None,
    notes="",
)

WEEKDAYS = Criteria(schedule_id=6, callers=CallerFilter.NUMBERS, numbers=(n("0145678910"),))

CASES: list[tuple[Journalled, str, str, AuditAction]] = [
    (
        ContactChange(fleet_id=1, contact_id=5, before=GARAGE, after=None),
        "contact",
        "5",
        AuditAction.DELETE,
    ),
    (
        CriteriaChange(
            fleet_id=1, target=CriteriaTarget.BUSY, line_id=2, before=(), after=(WEEKDAYS,)
        ),
        "routing_criteria",
        "2:forwarding_busy",
        AuditAction.CREATE,
    ),
    (
        CriteriaChange(
            fleet_id=1, target=CriteriaTarget.GROUP, group_id=10, before=(WEEKDAYS,), after=()
        ),
        "routing_criteria",
        "group:10",
        AuditAction.DELETE,
    ),
    (
        ScheduleChange(fleet_id=1, schedule_id=6, before=None, after=SHOP),
        "schedule",
        "6",
        AuditAction.CREATE,
    ),
    (
        ScheduleChange(fleet_id=1, schedule_id=6, before=SHOP, after=None),
        "schedule",
        "6",
        AuditAction.DELETE,
    ),
    (FleetChange(fleet_id=1, before=None, after=FLEET), "fleet", "1", AuditAction.CREATE),
    (FleetChange(fleet_id=1, before=FLEET, after=FLEET), "fleet", "1", AuditAction.UPDATE),
    (FleetChange(fleet_id=1, before=FLEET, after=None), "fleet", "1", AuditAction.DELETE),
    (LineChange(fleet_id=1, line_id=2, before=None, after=B), "line", "2", AuditAction.CREATE),
    (LineChange(fleet_id=1, line_id=2, before=B, after=B), "line", "2", AuditAction.UPDATE),
    (
        ForwardingChange(
            fleet_id=1, line_id=2, kind=ForwardingKind.NO_REPLY, before=None, after=RULE
        ),
        "forwarding",
        "2:no_reply",
        AuditAction.CREATE,
    ),
    (
        ForwardingChange(
            fleet_id=1, line_id=2, kind=ForwardingKind.NO_REPLY, before=RULE, after=None
        ),
        "forwarding",
        "2:no_reply",
        AuditAction.DELETE,
    ),
    (
        IncomingListChange(fleet_id=1, line_id=2, before=None, after=PLAN),
        "incoming_list",
        "2",
        AuditAction.CREATE,
    ),
    (
        IncomingListChange(fleet_id=1, line_id=2, before=PLAN, after=PLAN),
        "incoming_list",
        "2",
        AuditAction.UPDATE,
    ),
    (
        GroupChange(fleet_id=1, group_id=10, before=None, after=COM),
        "call_group",
        "10",
        AuditAction.CREATE,
    ),
    (
        GroupChange(fleet_id=1, group_id=10, before=COM, after=None),
        "call_group",
        "10",
        AuditAction.DELETE,
    ),
    (
        MemberChange(fleet_id=1, group_id=10, before=COM, after=CONNECTED),
        "call_group",
        "10",
        AuditAction.UPDATE,
    ),
    (
        FixedNumberChange(fleet_id=1, fixed_id=7, before=None, after=FIXED),
        "fixed_number",
        "7",
        AuditAction.CREATE,
    ),
    (
        FixedNumberChange(fleet_id=1, fixed_id=7, before=FIXED, after=None),
        "fixed_number",
        "7",
        AuditAction.DELETE,
    ),
    (
        AccountChange(fleet_id=1, account_id=5, before=None, after=ACCOUNT),
        "account",
        "5",
        AuditAction.CREATE,
    ),
    (
        AccountChange(fleet_id=1, account_id=5, before=ACCOUNT, after=None),
        "account",
        "5",
        AuditAction.DELETE,
    ),
]


@pytest.mark.parametrize(("change", "entity", "entity_id", "action"), CASES)
def test_each_change_is_journalled_under_the_entity_the_audit_page_filters_on(
    change: Journalled, entity: str, entity_id: str, action: AuditAction
) -> None:
    row = entry(change)
    assert (row.fleet_id, row.entity, row.entity_id, row.action) == (
        1,
        entity,
        entity_id,
        action,
    )
    # (a rule without criteria, an empty list, is journalled as nothing)
    assert row.before == snapshot(change.before or None)  # type: ignore[union-attr]
    assert row.after == snapshot(change.after or None)  # type: ignore[union-attr]


def test_the_journal_knows_every_kind_of_change_and_note() -> None:
    assert set(ENTITIES.values()) == {
        "fleet",
        "line",
        "forwarding",
        "incoming_list",
        "call_group",
        "fixed_number",
        "trunk",
        "schedule",
        "contact",
        "routing_criteria",
        "account",
    }
    notes = {CodesLocked, LoginLocked, SmsDeadLettered, BarringLocked, BarringPasswordChanged}
    flattened = {TrunkChange}  # journalled flat (tests/test_trunks.py)
    assert {type(case[0]) for case in CASES} | notes | flattened == set(ENTITIES)


def test_a_view_is_journalled_as_plain_json() -> None:
    after = entry(LineChange(fleet_id=1, line_id=2, before=None, after=B)).after
    assert set(after) == set(B.__dataclass_fields__)
    assert (after["id"], after["msisdn"], after["short_number"], after["language"]) == (
        2,
        "+33611000002",
        "2002",
        "fr",
    )
    group = entry(GroupChange(fleet_id=1, group_id=10, before=None, after=COM)).after
    assert group["number"] == "+33611000001" and group["distribution"] == "linear"
    assert group["members"][1] == {
        "line_id": 2,
        "msisdn": "+33611000002",
        "employee_name": "Salarié 2",
        "position": 2,
        "connected": False,
    }


def test_a_deleted_line_is_journalled_with_the_groups_it_left() -> None:
    row = entry(LineChange(fleet_id=1, line_id=2, before=B, after=None, left_groups=("Com",)))
    assert (row.entity, row.entity_id, row.action) == ("line", "2", AuditAction.DELETE)
    assert row.before == {"line": snapshot(B), "left_groups": ["Com"]} and row.after is None


def test_a_password_change_journals_the_event_not_the_account() -> None:
    change = AccountChange(
        fleet_id=1, account_id=5, before=ACCOUNT, after=ACCOUNT, password=PasswordEvent.RESET
    )
    row = entry(change)
    assert (row.entity, row.entity_id, row.action) == ("account", "5", AuditAction.UPDATE)
    assert row.before is None and row.after == {"change": "password reset"}


def test_lock_outs_are_journalled_as_updates_of_the_line_or_the_account() -> None:
    codes = entry(
        CodesLocked(fleet_id=1, line_id=2, until=UNTIL, wrong_codes=5, group="Com", admin=True)
    )
    assert (codes.entity, codes.entity_id, codes.action) == ("line", "2", AuditAction.UPDATE)
    assert codes.before is None and codes.after == {
        "codes_locked_until": "2024-05-01T09:30:00+00:00",
        "wrong_codes": 5,
        "group": "Com",
        "kind": "admin",
    }
    login = entry(LoginLocked(fleet_id=None, account_id=5, until=UNTIL))
    assert (login.fleet_id, login.entity, login.entity_id) == (None, "account", "5")
    assert login.after == {"locked_until": "2024-05-01T09:30:00+00:00"}


def test_a_barring_lock_and_a_new_barring_password_are_events_of_the_line() -> None:
    locked = entry(BarringLocked(fleet_id=1, line_id=2, until=UNTIL, wrong_passwords=3))
    assert (locked.fleet_id, locked.entity, locked.entity_id, locked.action) == (
        1,
        "line",
        "2",
        AuditAction.UPDATE,
    )
    assert locked.before is None and locked.after == {
        "barring_locked_until": "2024-05-01T09:30:00+00:00",
        "wrong_passwords": 3,
    }
    changed = entry(BarringPasswordChanged(fleet_id=1, line_id=2))
    assert (changed.entity, changed.entity_id, changed.action) == ("line", "2", AuditAction.UPDATE)
    assert changed.before is None and changed.after == {"barring_password": "changed"}


def test_an_sms_given_up_is_journalled_as_an_event_of_its_line() -> None:
    row = entry(
        SmsDeadLettered(
            fleet_id=1,
            line_id=2,
            msisdn="+33611000002",
            text="Votre gestionnaire vous a connecté au groupe Com.",
            attempts=1,
            error="submit_sm refused: ESME_RINVDSTADR",
            permanent=True,
        )
    )
    assert (row.fleet_id, row.entity, row.entity_id, row.action) == (
        1,
        "line",
        "2",
        AuditAction.UPDATE,
    )
    assert row.before is None and row.after == {
        "sms_not_sent": "Votre gestionnaire vous a connecté au groupe Com.",
        "to": "+33611000002",
        "attempts": 1,
        "error": "submit_sm refused: ESME_RINVDSTADR",
        "refused_for_good": True,
    }
