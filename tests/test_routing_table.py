"""The routing table on its own, with no database: a small fleet built in memory and
changed through the typed changes the services publish."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from featurecodes.ports import ConfigView
from fleet.core import model
from fleet.core.calls.ports import (
    Directory,
    ExternalTarget,
    FixedTarget,
    GroupTarget,
    LineTarget,
)
from fleet.core.changes import (
    AccountChange,
    FixedNumberChange,
    FleetChange,
    ForwardingChange,
    GroupChange,
    IncomingListChange,
    LineChange,
    MemberChange,
)
from fleet.core.directory import RoutingTable
from fleet.core.linesettings import LINE_SETTINGS
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.values import (
    DistributionMode,
    ForwardingKind,
    Language,
    NoAnswerAction,
    RingMode,
    Role,
)

POLICY = NumberPolicy()
FLEET = model.Fleet(
    id=1, name="Taxis", short_number_length=4, language=Language.FR, timezone="Europe/Paris"
)
OTHER = model.Fleet(
    id=2, name="Autre", short_number_length=4, language=Language.EN, timezone="Europe/Paris"
)


def n(national: str) -> E164:
    number = POLICY.classify(national)[1]
    assert number is not None, national
    return number


def line(line_id: int, msisdn: str, short: str | None = None, fleet_id: int = 1) -> model.Line:
    settings: dict[str, Any] = {s.name: s.default for s in LINE_SETTINGS}
    return model.Line(
        id=line_id,
        fleet_id=fleet_id,
        msisdn=n(msisdn),
        short_number=short,
        employee_name=f"Salarié {line_id}",
        email=None,
        language=Language.FR,
        **settings,
    )


def member(of: model.Line, position: int, connected: bool = True) -> model.Member:
    return model.Member(
        line_id=of.id,
        msisdn=of.msisdn,
        employee_name=of.employee_name,
        position=position,
        connected=connected,
    )


def group(
    group_id: int, number: str, name: str, *members: model.Member, short: str | None = None
) -> model.CallGroup:
    return model.CallGroup(
        id=group_id,
        fleet_id=1,
        number=n(number),
        name=name,
        short_number=short,
        user_code="1703",
        admin_code="2202",
        queue_size=1,
        switchover_delay=15,
        intercall_delay=0,
        distribution=DistributionMode.LINEAR,
        max_queue_wait=60,
        no_answer_action=NoAnswerAction.END_WITH_ANNOUNCEMENT,
        no_answer_number=None,
        no_answer_group_id=None,
        members=members,
    )


A = line(1, "0611000001", "2001")
B = line(2, "0611000002", "2002")
C = line(3, "0611000003")
FIXED = model.FixedNumber(
    id=7, fleet_id=1, number=n("0145678910"), label="Accueil", trunk="siege", short_number="2100"
)
# the group is numbered like its first member
COM = group(10, "0611000001", "Com", member(A, 1), member(B, 2, connected=False), short="2200")
FOREIGN = line(4, "0622000001", "2001", fleet_id=2)


@pytest.fixture
def table() -> RoutingTable:
    table = RoutingTable(policy=POLICY)
    table.put_fleet(FLEET, lines=[A, B, C], fixed=[FIXED], groups=[COM])
    table.put_fleet(OTHER, lines=[FOREIGN])
    return table


def test_the_table_is_the_engines_directory_and_the_feature_codes_view(
    table: RoutingTable,
) -> None:
    directory: Directory = table
    view: ConfigView = table
    assert view.loaded and directory.fleet_of(A.msisdn) == 1


def test_numbers_resolve_to_lines_groups_fixed_numbers_or_the_outside(
    table: RoutingTable,
) -> None:
    assert table.resolve(n("0611000001")) == GroupTarget(COM)  # the group before its member
    target = table.resolve(n("0611000002"))
    assert isinstance(target, LineTarget) and target.services.line == B
    assert table.resolve(n("0145678910")) == FixedTarget(FIXED)
    assert table.resolve(n("0699999999")) == ExternalTarget(n("0699999999"))
    assert table.fleet_of(FOREIGN.msisdn) == 2 and table.fleet_of(n("0699999999")) is None


def test_short_numbers_are_per_fleet(table: RoutingTable) -> None:
    assert table.short_number(1, "2001") == A.msisdn
    assert table.short_number(2, "2001") == FOREIGN.msisdn
    assert table.short_number(1, "2100") == FIXED.number
    assert table.short_number(1, "2200") == COM.number
    assert table.short_number(1, "2999") is None and table.short_number(9, "2001") is None


def test_memberships_are_taken_from_the_groups(table: RoutingTable) -> None:
    services = table.line(B.id)
    assert services is not None and services.line == B
    assert services.groups == (
        model.GroupMembership(
            group_id=10, group_number=COM.number, group_name="Com", position=2, connected=False
        ),
    )
    assert table.by_msisdn(A.msisdn) == table.line(A.id)  # the line that numbers the group
    assert table.groups_of_line(1, A.id) == [COM] and table.groups_of_line(1, C.id) == []
    assert table.group(10) == COM and table.group(11) is None
    assert table.group_in_fleet(1, "2200") == COM
    assert table.group_in_fleet(1, "06 11 00 00 01") == COM
    assert table.group_in_fleet(2, "2200") is None  # not the other fleet's
    assert table.line(FOREIGN.id) is not None and table.line(99) is None
    assert len(table.all_lines()) == 4 and table.all_fixed() == [FIXED]


def test_a_changed_line_moves_its_short_number_and_its_name_in_its_groups(
    table: RoutingTable,
) -> None:
    renamed = replace(B, short_number="2900", employee_name="Nouveau nom")
    assert table.apply(LineChange(fleet_id=1, line_id=B.id, before=B, after=renamed))
    assert table.short_number(1, "2002") is None
    assert table.short_number(1, "2900") == B.msisdn
    shown = table.group(10)
    assert shown is not None and shown.members[1].employee_name == "Nouveau nom"
    services = table.line(B.id)
    assert services is not None and services.groups[0].group_name == "Com"  # kept


def test_a_new_line_is_routed_without_services(table: RoutingTable) -> None:
    new = line(5, "0611000005", "2005")
    assert table.apply(LineChange(fleet_id=1, line_id=5, before=None, after=new))
    assert table.resolve(n("0611000005")) == LineTarget(
        model.LineServices(line=new, forwardings=(), incoming_list=None, groups=())
    )
    assert table.short_number(1, "2005") == new.msisdn


def test_a_deleted_line_leaves_its_groups_and_the_others_keep_their_places(
    table: RoutingTable,
) -> None:
    gone = LineChange(fleet_id=1, line_id=B.id, before=B, after=None, left_groups=("Com",))
    assert table.apply(gone)
    assert table.resolve(B.msisdn) == ExternalTarget(B.msisdn)
    assert table.short_number(1, "2002") is None and table.line(B.id) is None
    shown = table.group(10)
    assert shown is not None and shown.members == (member(A, 1),)


def test_forwardings_and_incoming_lists_change_the_lines_services(table: RoutingTable) -> None:
    busy = model.Forwarding(
        line_id=C.id,
        kind=ForwardingKind.BUSY,
        destination=n("0145678910"),
        active=True,
        no_reply_timer=None,
    )
    set_busy = ForwardingChange(
        fleet_id=1, line_id=C.id, kind=ForwardingKind.BUSY, before=None, after=busy
    )
    assert table.apply(set_busy)
    services = table.line(C.id)
    assert services is not None and services.forwarding(ForwardingKind.BUSY) == busy
    plan = model.IncomingList(
        line_id=C.id, active=True, mode=RingMode.CASCADE, ring_time=10, entries=(A.msisdn,)
    )
    assert table.apply(IncomingListChange(fleet_id=1, line_id=C.id, before=None, after=plan))
    erased = ForwardingChange(
        fleet_id=1, line_id=C.id, kind=ForwardingKind.BUSY, before=busy, after=None
    )
    assert table.apply(erased)
    services = table.line(C.id)
    assert services is not None
    assert services.forwardings == () and services.incoming_list == plan


def test_a_member_connected_shows_in_the_group_and_in_the_line(table: RoutingTable) -> None:
    after = replace(COM, members=(member(A, 1), member(B, 2), member(C, 3, connected=False)))
    assert table.apply(MemberChange(fleet_id=1, group_id=10, before=COM, after=after))
    assert table.group(10) == after
    services = table.line(C.id)
    assert services is not None and [g.position for g in services.groups] == [3]
    joined = table.line(B.id)
    assert joined is not None and joined.groups[0].connected


def test_a_renamed_group_is_renamed_in_its_members_lines(table: RoutingTable) -> None:
    renamed = replace(COM, name="Commercial", short_number=None)
    assert table.apply(GroupChange(fleet_id=1, group_id=10, before=COM, after=renamed))
    services = table.line(A.id)
    assert services is not None and services.groups[0].group_name == "Commercial"
    assert table.short_number(1, "2200") is None


def test_a_deleted_group_number_reaches_its_member_again(table: RoutingTable) -> None:
    assert table.apply(GroupChange(fleet_id=1, group_id=10, before=COM, after=None))
    target = table.resolve(n("0611000001"))
    assert isinstance(target, LineTarget) and target.services.groups == ()
    assert table.group(10) is None and table.groups_of_line(1, A.id) == []


def test_fixed_numbers_are_added_and_removed(table: RoutingTable) -> None:
    desk = model.FixedNumber(
        id=8, fleet_id=1, number=n("0145678911"), label="Bureau", trunk="siege", short_number=None
    )
    assert table.apply(FixedNumberChange(fleet_id=1, fixed_id=8, before=None, after=desk))
    assert table.resolve(desk.number) == FixedTarget(desk)
    assert table.apply(FixedNumberChange(fleet_id=1, fixed_id=7, before=FIXED, after=None))
    assert table.resolve(FIXED.number) == ExternalTarget(FIXED.number)
    assert table.short_number(1, "2100") is None


def test_fleets_are_created_changed_and_deleted(table: RoutingTable) -> None:
    new = model.Fleet(
        id=3, name="Neuve", short_number_length=3, language=Language.FR, timezone="Europe/Paris"
    )
    assert table.apply(FleetChange(fleet_id=3, before=None, after=new))
    assert table.apply(LineChange(fleet_id=3, line_id=9, before=None, after=line(9, "0633000001")))
    assert table.fleet_of(n("0633000001")) == 3
    assert table.apply(FleetChange(fleet_id=1, before=FLEET, after=replace(FLEET, name="T")))
    assert table.resolve(n("0611000001")) == GroupTarget(COM)  # the rest as it was
    assert table.apply(FleetChange(fleet_id=1, before=FLEET, after=None))
    assert table.resolve(n("0611000001")) == ExternalTarget(n("0611000001"))
    assert table.group(10) is None and table.line(A.id) is None
    assert table.short_number(1, "2001") is None and table.fleet_of(FIXED.number) is None
    assert len(table.all_lines()) == 2  # the other fleets'


def test_what_the_table_does_not_hold_must_be_read_again(table: RoutingTable) -> None:
    elsewhere = line(20, "0644000001")
    assert not table.apply(LineChange(fleet_id=9, line_id=20, before=None, after=elsewhere))
    unknown = line(21, "0611000021")
    assert not table.apply(LineChange(fleet_id=1, line_id=21, before=unknown, after=unknown))
    assert not table.apply(FleetChange(fleet_id=9, before=FLEET, after=FLEET))
    assert table.line(21) is None


def test_accounts_route_nothing(table: RoutingTable) -> None:
    account = model.Account(
        id=1,
        login="chef",
        role=Role.MANAGER,
        display_name="Chef",
        language=Language.FR,
        fleet_ids=(1,),
        line_id=None,
        active=True,
    )
    before = table.all_lines()
    assert table.apply(AccountChange(fleet_id=1, account_id=1, before=None, after=account))
    assert table.all_lines() == before


def test_a_fleet_put_again_replaces_what_was_held(table: RoutingTable) -> None:
    table.put_fleet(FLEET, lines=[C])
    assert table.resolve(A.msisdn) == ExternalTarget(A.msisdn)
    assert table.group(10) is None and table.short_number(1, "2100") is None
    assert table.line(C.id) is not None and table.line(A.id) is None
    assert table.short_number(2, "2001") == FOREIGN.msisdn  # the other fleet untouched


def test_a_fleet_filled_again_is_built_aside_and_swapped_in_at_once() -> None:
    """``fill_fleet`` yields between steps; until it is done the old view answers, then the
    new one does, with the lines gone from it gone from every index."""
    table = RoutingTable(policy=NumberPolicy())
    fleet = model.Fleet(
        id=7, name="Grande", short_number_length=6, language=Language.FR, timezone="Europe/Paris"
    )

    def line(i: int) -> model.Line:
        return model.Line(
            id=i,
            fleet_id=7,
            msisdn=E164(f"+3362{i:07d}"),
            short_number=f"{100000 + i}",
            employee_name=f"L{i}",
            email=None,
            language=Language.FR,
            pabx_option=True,
            call_waiting=True,
            clir=False,
        )

    table.put_fleet(fleet, lines=[line(i) for i in range(1, 5_001)])
    steps = 0
    for _ in table.fill_fleet(fleet, lines=[line(i) for i in range(2, 5_002)], step=500):
        steps += 1
        assert isinstance(table.resolve(line(1).msisdn), LineTarget)  # the old view still
        assert not isinstance(table.resolve(line(5_001).msisdn), LineTarget)
    assert steps >= 20  # 5,000 lines built and the old keys read, 500 at a time
    assert not isinstance(table.resolve(line(1).msisdn), LineTarget)  # gone from the new one
    assert table.line(1) is None and table.short_number(7, "100001") is None
    assert isinstance(table.resolve(line(5_001).msisdn), LineTarget)
    assert table.short_number(7, "105001") == line(5_001).msisdn
    assert len(table.all_lines()) == 5_000
