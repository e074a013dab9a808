"""What the call-group screens of seed 004 §5 show, computed without a database or a web
server: the form's defaults and values, its shape checks, the groups table and its legend,
a group's members and an employee's own groups."""

from __future__ import annotations

import dataclasses

import pytest

from callgroups import rules, screens
from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import E164
from fleet.core.values import DistributionMode, Language, NoAnswerAction

FORM = {
    "number": "0609182250",
    "name": "Taxis",
    "user_code": "4321",
    "admin_code": "8765",
    "queue_size": "3",
    "switchover_delay": "15",
    "intercall_delay": "20",
    "distribution": "cyclic",
    "short_number": "",
}


def member(line_id: int, name: str, msisdn: str, *, connected: bool) -> model.Member:
    return model.Member(
        line_id=line_id,
        msisdn=E164(msisdn),
        employee_name=name,
        position=line_id,
        connected=connected,
    )


def com_group(*members: model.Member, short_number: str | None = None) -> model.CallGroup:
    """The group of the seed's screenshot: 0609182236 Com 1703 2202 1 12 30 Linéaire."""
    return model.CallGroup(
        id=7,
        fleet_id=1,
        number=E164("+33609182236"),
        name="Com",
        short_number=short_number,
        user_code="1703",
        admin_code="2202",
        queue_size=1,
        switchover_delay=12,
        intercall_delay=30,
        distribution=DistributionMode.LINEAR,
        max_queue_wait=120,
        no_answer_action=NoAnswerAction.END_WITH_ANNOUNCEMENT,
        no_answer_number=None,
        no_answer_group_id=None,
        members=members,
    )


def page(
    *summaries: model.GroupSummary, total: int | None = None, offset: int = 0
) -> model.Page[model.GroupSummary]:
    return model.Page(
        items=summaries,
        total=len(summaries) if total is None else total,
        offset=offset,
        limit=screens.GROUPS_PER_PAGE,
    )


# -- the form --------------------------------------------------------------------------------


def test_a_new_group_form_shows_the_service_defaults() -> None:
    form = screens.group_form(None)
    assert form.values == {
        "number": "",
        "name": "",
        "user_code": "",
        "admin_code": "",
        "queue_size": "0",
        "switchover_delay": "15",
        "intercall_delay": "0",
        "short_number": "",
        "max_queue_wait": "120",
        "distribution": "linear",
        "no_answer_action": "end_with_announcement",
        "no_answer_number": "",
        "no_answer_group_id": "",
    }
    assert [c.mode for c in form.modes if c.selected] == [DistributionMode.LINEAR]


def test_the_form_offers_every_distribution_mode_in_order() -> None:
    form = screens.group_form(None)
    assert [c.mode for c in form.modes] == list(DistributionMode)
    assert [c.mode.value for c in form.modes] == [
        "linear",
        "cyclic",
        "simultaneous",
        "least_active",
        "random",
    ]


def test_the_form_fields_come_in_the_order_of_the_seed_with_their_labels() -> None:
    form = screens.group_form(None)
    assert [(f.name, f.label) for f in form.inputs] == [
        ("number", "group_number"),
        ("name", "group_name"),
        ("user_code", "user_code"),
        ("admin_code", "admin_code"),
        ("queue_size", "queue"),
        ("switchover_delay", "switchover"),
        ("intercall_delay", "intercall"),
        ("short_number", "group_short"),
        ("max_queue_wait", "max_queue_wait"),
    ]
    assert (form.distribution.name, form.distribution.label) == ("distribution", "distribution")


def test_an_existing_group_form_shows_its_values() -> None:
    group = dataclasses.replace(
        com_group(short_number="250"), distribution=DistributionMode.LEAST_ACTIVE
    )
    form = screens.group_form(group)
    assert form.values == {
        "number": "06 09 18 22 36",  # as the pages show numbers
        "name": "Com",
        "user_code": "1703",
        "admin_code": "2202",
        "queue_size": "1",
        "switchover_delay": "12",
        "intercall_delay": "30",
        "short_number": "250",
        "max_queue_wait": "120",
        "distribution": "least_active",
        "no_answer_action": "end_with_announcement",
        "no_answer_number": "",
        "no_answer_group_id": "",
    }
    assert [c.mode for c in form.modes if c.selected] == [DistributionMode.LEAST_ACTIVE]


def test_a_group_without_short_number_shows_an_empty_field() -> None:
    assert screens.group_form(com_group()).values["short_number"] == ""


def test_a_refused_form_shows_again_what_was_typed() -> None:
    typed = {**FORM, "switchover_delay": "40x", "csrf": "token"}
    form = screens.refilled_form(typed)
    blank = {name: "" for name in screens.FIELD_NAMES}
    assert form.values == {**blank, **FORM, "switchover_delay": "40x"}  # never the token
    assert [c.mode for c in form.modes if c.selected] == [DistributionMode.CYCLIC]


def test_a_refused_form_with_fields_missing_or_an_unknown_mode_shows_them_empty() -> None:
    form = screens.refilled_form({"name": "Taxis", "distribution": "round-robin"})
    assert form.values["name"] == "Taxis" and form.values["queue_size"] == ""
    assert not any(c.selected for c in form.modes)


def test_a_complete_form_is_shaped_for_the_service() -> None:
    assert screens.parse_form({**FORM, "name": "  Taxis ", "queue_size": " 3 "}) == {
        "number": "0609182250",
        "name": "Taxis",
        "user_code": "4321",
        "admin_code": "8765",
        "queue_size": 3,
        "switchover_delay": 15,
        "intercall_delay": 20,
        "distribution": "cyclic",
        "short_number": None,
    }


def test_the_no_answer_rule_and_the_queue_wait_are_shaped_for_the_service() -> None:
    parsed = screens.parse_form(
        {
            **FORM,
            "max_queue_wait": " 300 ",
            "no_answer_action": "forward_to_group",
            "no_answer_number": " ",
            "no_answer_group_id": "12",
        }
    )
    assert (parsed["max_queue_wait"], parsed["no_answer_action"]) == (300, "forward_to_group")
    assert (parsed["no_answer_number"], parsed["no_answer_group_id"]) == (None, 12)


def test_a_form_without_the_no_answer_rule_leaves_it_as_it_is() -> None:
    parsed = screens.parse_form(FORM)
    assert not {"max_queue_wait", "no_answer_action", "no_answer_group_id"} & set(parsed)


@pytest.mark.parametrize("typed", ["x", "-1", "0", "99999999999", "2147483648"])
def test_an_other_group_that_is_no_group_id_is_refused_on_its_field(typed: str) -> None:
    with pytest.raises(DomainError) as refused:
        screens.parse_form(
            {**FORM, "no_answer_action": "forward_to_group", "no_answer_group_id": typed}
        )
    assert (refused.value.code, refused.value.field) == (
        ErrorCode.GROUP_NO_ANSWER_INVALID,
        "no_answer_group_id",
    )
    assert refused.value.message(Language.EN) == (
        "Incomplete no-answer rule: that group is not a group of the fleet."
    )


def test_the_other_groups_offered_leave_the_group_itself_out_and_mark_its_choice() -> None:
    own = dataclasses.replace(
        com_group(), no_answer_action=NoAnswerAction.FORWARD_TO_GROUP, no_answer_group_id=8
    )
    backup = dataclasses.replace(com_group(), id=8, name="Backup")
    form = screens.group_form(own, [own, backup])
    assert [(c.id, c.name, c.selected) for c in form.targets] == [(8, "Backup", True)]
    assert [c.action for c in form.actions if c.selected] == [NoAnswerAction.FORWARD_TO_GROUP]


def test_a_short_number_is_kept_and_rules_are_left_to_the_service() -> None:
    parsed = screens.parse_form(
        {**FORM, "short_number": "250", "user_code": "12", "queue_size": "21"}
    )
    # shape only: a short code and a queue past its bounds are the service's to refuse
    assert (parsed["short_number"], parsed["user_code"], parsed["queue_size"]) == ("250", "12", 21)


def test_a_negative_number_is_a_number_for_the_service_to_refuse() -> None:
    assert screens.parse_form({**FORM, "intercall_delay": "-5"})["intercall_delay"] == -5


@pytest.mark.parametrize(
    ("field", "code", "low", "high"),
    [
        ("queue_size", ErrorCode.GROUP_QUEUE_INVALID, 0, 20),
        ("switchover_delay", ErrorCode.GROUP_SWITCHOVER_DELAY_INVALID, 5, 120),
        ("intercall_delay", ErrorCode.GROUP_INTERCALL_DELAY_INVALID, 0, 600),
    ],
)
@pytest.mark.parametrize("typed", ["40x", "", "-", "--5", "1.5", "²", "٣", "1_0", "9" * 5000])
def test_a_field_that_is_not_a_whole_number_is_refused_with_its_bounds(
    field: str, code: ErrorCode, low: int, high: int, typed: str
) -> None:
    with pytest.raises(DomainError) as refused:
        screens.parse_form({**FORM, field: typed})
    error = refused.value
    assert (error.code, error.field, error.params) == (code, field, {"min": low, "max": high})


def test_a_non_numeric_delay_is_refused_with_the_message_of_the_rule() -> None:
    with pytest.raises(DomainError) as refused:
        screens.parse_form({**FORM, "switchover_delay": "40x"})
    assert refused.value.message(Language.FR) == (
        "Le délai avant basculement doit être compris entre 5 et 120 secondes."
    )
    with pytest.raises(DomainError) as out_of_range:
        rules.switchover_delay(121)  # the service's own refusal says the same
    assert out_of_range.value.message(Language.FR) == refused.value.message(Language.FR)


def test_the_first_malformed_number_of_the_form_is_the_one_refused() -> None:
    with pytest.raises(DomainError) as refused:
        screens.parse_form({**FORM, "queue_size": "x", "intercall_delay": "y"})
    assert refused.value.field == "queue_size"


# -- the groups table ------------------------------------------------------------------------


def test_a_table_row_shows_the_columns_of_the_seed() -> None:
    table = screens.groups_table(page(model.GroupSummary(com_group(), members=2, connected=0)))
    (row,) = table.rows
    assert (
        row.number,
        row.name,
        row.user_code,
        row.admin_code,
        row.queue_size,
        row.switchover_delay,
        row.intercall_delay,
        row.distribution,
    ) == ("0609182236", "Com", "1703", "2202", 1, 12, 30, DistributionMode.LINEAR)
    assert row.id == 7


def test_a_group_without_a_connected_member_shows_the_none_connected_legend() -> None:
    table = screens.groups_table(page(model.GroupSummary(com_group(), members=3, connected=0)))
    assert table.rows[0].legend is screens.Legend.NONE_CONNECTED
    assert not table.rows[0].legend.lit


def test_a_group_with_one_connected_member_shows_the_some_connected_legend() -> None:
    table = screens.groups_table(page(model.GroupSummary(com_group(), members=3, connected=1)))
    assert table.rows[0].legend is screens.Legend.SOME_CONNECTED
    assert table.rows[0].legend.lit


def test_the_legend_explains_both_marks_lit_first() -> None:
    legend = screens.groups_table(page()).legend
    assert [(item.value, item.lit) for item in legend] == [
        ("some_connected", True),
        ("none_connected", False),
    ]


def test_an_empty_table_is_one_page() -> None:
    table = screens.groups_table(page())
    assert (table.rows, table.total, table.page, table.pages) == ((), 0, 1, 1)


def test_the_table_counts_its_pages_from_the_total() -> None:
    summary = model.GroupSummary(com_group(), members=0, connected=0)
    second = screens.groups_table(page(summary, total=101, offset=screens.table_offset(2)))
    assert (second.page, second.pages, second.total) == (2, 3, 101)
    exact = screens.groups_table(page(summary, total=2 * screens.GROUPS_PER_PAGE))
    assert (exact.page, exact.pages) == (1, 2)


def test_the_table_pages_start_at_the_first_row() -> None:
    assert screens.table_offset(1) == 0
    assert screens.table_offset(3) == 2 * screens.GROUPS_PER_PAGE
    assert screens.table_offset(0) == 0


# -- members -----------------------------------------------------------------------------------


def test_a_group_lists_its_members_in_order_with_their_status() -> None:
    group = com_group(
        member(11, "Madame C", "+33612345611", connected=True),
        member(12, "Monsieur D", "+33612345612", connected=False),
    )
    shown = screens.group_members(group)
    assert (shown.id, shown.name) == (7, "Com")
    assert [(m.line_id, m.name, m.number, m.status) for m in shown.members] == [
        (11, "Madame C", "06 12 34 56 11", screens.MemberStatus.CONNECTED),
        (12, "Monsieur D", "06 12 34 56 12", screens.MemberStatus.DISCONNECTED),
    ]


def test_a_connected_member_is_offered_disconnection_and_the_other_connection() -> None:
    on, off = screens.MemberStatus.CONNECTED, screens.MemberStatus.DISCONNECTED
    assert (on.connected, on.action) == (True, screens.MemberAction.DISCONNECT)
    assert (off.connected, off.action) == (False, screens.MemberAction.CONNECT)
    assert screens.MemberStatus.of(True) is on and screens.MemberStatus.of(False) is off


def test_a_group_without_members_shows_an_empty_list() -> None:
    assert screens.group_members(com_group()).members == ()


def test_only_connect_and_disconnect_are_member_actions() -> None:
    assert screens.member_action("connect") is screens.MemberAction.CONNECT
    assert screens.member_action("disconnect") is screens.MemberAction.DISCONNECT
    for other in ("disconnect-all", "Connect", "delete", ""):
        assert screens.member_action(other) is None


def test_an_employee_sees_its_own_status_in_each_of_its_groups() -> None:
    com = com_group(
        member(11, "Madame C", "+33612345611", connected=False),
        member(12, "Monsieur D", "+33612345612", connected=True),
    )
    taxis = dataclasses.replace(
        com,
        id=8,
        name="Taxis",
        number=E164("+33609182250"),
        members=(member(12, "Monsieur D", "+33612345612", connected=False),),
    )
    rows = screens.own_groups([com, taxis], line_id=12)
    assert [(r.id, r.name, r.number, r.status) for r in rows] == [
        (7, "Com", "06 09 18 22 36", screens.MemberStatus.CONNECTED),
        (8, "Taxis", "06 09 18 22 50", screens.MemberStatus.DISCONNECTED),
    ]


def test_a_group_the_line_is_not_in_is_not_among_its_groups() -> None:
    com = com_group(member(11, "Madame C", "+33612345611", connected=True))
    assert screens.own_groups([com], line_id=12) == ()
