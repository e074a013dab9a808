"""Which SMS a change sends, composed from the typed changes (no database, no SMSC)."""

from __future__ import annotations

from dataclasses import replace

from featurecodes.notices import By, ForwardingNotice, MemberNotice, notices
from fleet.core import model
from fleet.core.changes import ChangeEvent, ForwardingChange, GroupChange, MemberChange
from fleet.core.values import Actor, Channel, ForwardingKind, Language
from tests.test_routing_table import COM, A, B, C, member, n

MANAGER = Actor(name="gestionnaire", channel=Channel.PORTAL, account_id=1)
API = Actor(name="api", channel=Channel.API, account_id=1)
USER = Actor(name="0611000002", channel=Channel.USSD, line_id=B.id)


def connections(before: tuple[bool, ...], after: tuple[bool, ...]) -> MemberChange:
    """Members A, B (and C after, when given a third state) connected or not."""
    lines = (A, B, C)
    old = tuple(member(lines[i], i + 1, connected) for i, connected in enumerate(before))
    new = tuple(member(lines[i], i + 1, connected) for i, connected in enumerate(after))
    return MemberChange(
        fleet_id=1,
        group_id=COM.id,
        before=replace(COM, members=old),
        after=replace(COM, members=new),
    )


def busy(rule: model.Forwarding | None) -> ForwardingChange:
    return ForwardingChange(
        fleet_id=1, line_id=B.id, kind=ForwardingKind.BUSY, before=None, after=rule
    )


RULE = model.Forwarding(
    line_id=B.id,
    kind=ForwardingKind.BUSY,
    destination=n("0145678910"),
    active=True,
    no_reply_timer=None,
)


def test_members_the_manager_switched_are_told_and_no_one_else() -> None:
    change = connections((True, False), (False, True, True))  # C joins: not a switch
    assert notices([ChangeEvent(change=change, actor=MANAGER)]) == [
        MemberNotice(line_id=A.id, group="Com", connected=False),
        MemberNotice(line_id=B.id, group="Com", connected=True),
    ]
    assert change.line_ids == {A.id, B.id, C.id}


def test_the_users_own_changes_send_nothing() -> None:
    events = [
        ChangeEvent(change=connections((False,), (True,)), actor=replace(USER, line_id=A.id)),
        ChangeEvent(change=busy(RULE), actor=USER),
    ]
    assert notices(events) == []


def test_a_forwarding_changed_by_the_manager_tells_its_new_state() -> None:
    events = [
        ChangeEvent(change=busy(RULE), actor=API),
        ChangeEvent(change=busy(replace(RULE, active=False)), actor=MANAGER),
        ChangeEvent(change=busy(None), actor=MANAGER),  # erased
    ]
    found = notices(events)
    assert found == [
        ForwardingNotice(line_id=B.id, kind=ForwardingKind.BUSY, destination=RULE.destination),
        ForwardingNotice(line_id=B.id, kind=ForwardingKind.BUSY, destination=None),
        ForwardingNotice(line_id=B.id, kind=ForwardingKind.BUSY, destination=None),
    ]
    assert [notice.text(Language.FR) for notice in found[:2]] == [
        "Votre gestionnaire a modifié vos renvois : Occupation 0145678910",
        "Votre gestionnaire a modifié vos renvois : Occupation inactive",
    ]


def test_notices_are_written_in_the_lines_language() -> None:
    notice = MemberNotice(line_id=A.id, group="Com", connected=True)
    assert notice.text(Language.FR) == "Votre gestionnaire vous a connecté au groupe Com."
    assert notice.text(Language.EN) != notice.text(Language.FR)
    assert "Com" in notice.text(Language.EN)


def test_group_settings_send_nothing() -> None:
    renamed = GroupChange(fleet_id=1, group_id=COM.id, before=COM, after=replace(COM, name="X"))
    assert notices([ChangeEvent(change=renamed, actor=MANAGER)]) == []


def test_the_notice_follows_who_acted_not_the_channel() -> None:
    employee = Actor(name="salarie", channel=Channel.PORTAL, account_id=7, line_id=A.id)
    handset_a = Actor(name="0611000001", channel=Channel.USSD, line_id=A.id)
    change = connections((False, False), (True, True))  # A and B connected
    assert notices([ChangeEvent(change=change, actor=employee)]) == [
        MemberNotice(line_id=B.id, group="Com", connected=True, by=By.ADMIN_CODE)
    ], "A's own switch is not told; B's, made by A's user, is"
    assert notices([ChangeEvent(change=change, actor=handset_a)]) == [
        MemberNotice(line_id=B.id, group="Com", connected=True, by=By.ADMIN_CODE)
    ]
    own_forwarding = replace(RULE, line_id=A.id)
    forwarding = ForwardingChange(
        fleet_id=1, line_id=A.id, kind=ForwardingKind.BUSY, before=None, after=own_forwarding
    )
    assert notices([ChangeEvent(change=forwarding, actor=employee)]) == []
    system = Actor.system()
    assert notices([ChangeEvent(change=change, actor=system)]) == []


def test_a_member_switched_with_the_admin_code_is_told_so() -> None:
    notice = MemberNotice(line_id=B.id, group="Com", connected=False, by=By.ADMIN_CODE)
    assert notice.text(Language.FR) == (
        "Vous avez été déconnecté du groupe Com avec son code administratif."
    )
    assert "administrative code" in notice.text(Language.EN)
