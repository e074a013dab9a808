"""What the call-group screens show (seed 004 §5, "Administrer les groupes d'appel"): the
groups table with its legend, a group's members with their status, the group form with its
defaults and distribution modes, an employee's own groups; and the shape of what the form
sends back. Pure view models over ``fleet.core.model`` views, for any portal to render.

Texts are named, not written: a ``label`` and the values of ``Legend``, ``MemberStatus``,
``MemberAction`` and ``DistributionMode`` are keys of the portal's French/English table.
Every rule stays in ``callgroups.rules`` and the service: a form's number that is not a
number is refused with the bounds the service would refuse it with."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import NotRequired, TypedDict

from callgroups import rules
from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.values import DistributionMode, NoAnswerAction

GROUPS_PER_PAGE = 50  # rows of the groups table (a fleet may have hundreds of groups)


class Legend(StrEnum):
    """The legend of the groups table ("Légende : ● … ● …"), one per row."""

    SOME_CONNECTED = "some_connected"  # at least one member connected
    NONE_CONNECTED = "none_connected"  # no member connected

    @property
    def lit(self) -> bool:
        return self is Legend.SOME_CONNECTED


class MemberAction(StrEnum):
    """What a member's button does; also the last part of the path it posts to."""

    CONNECT = "connect"
    DISCONNECT = "disconnect"


class MemberStatus(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"

    @staticmethod
    def of(connected: bool) -> MemberStatus:
        return MemberStatus.CONNECTED if connected else MemberStatus.DISCONNECTED

    @property
    def connected(self) -> bool:
        return self is MemberStatus.CONNECTED

    @property
    def action(self) -> MemberAction:
        """The button next to the status: the change it offers."""
        return MemberAction.DISCONNECT if self.connected else MemberAction.CONNECT


def member_action(raw: str) -> MemberAction | None:
    """The action of a path, or None when the path names none."""
    try:
        return MemberAction(raw)
    except ValueError:
        return None


# -- the groups table ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupRow:
    id: int
    number: str  # ten digits without spaces, as the seed's table shows it
    name: str
    user_code: str
    admin_code: str
    queue_size: int
    switchover_delay: int
    intercall_delay: int
    distribution: DistributionMode
    legend: Legend


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupsTable:
    rows: tuple[GroupRow, ...]
    total: int
    page: int  # from 1
    pages: int  # at least 1, even with no group
    legend: tuple[Legend, ...] = tuple(Legend)


def table_offset(page: int) -> int:
    """Where page ``page`` (from 1) of the table starts."""
    return (max(1, page) - 1) * GROUPS_PER_PAGE


def groups_table(found: model.Page[model.GroupSummary]) -> GroupsTable:
    size = max(1, found.limit)
    return GroupsTable(
        rows=tuple(_row(summary) for summary in found.items),
        total=found.total,
        page=found.offset // size + 1,
        pages=max(1, -(-found.total // size)),
    )


def _row(summary: model.GroupSummary) -> GroupRow:
    group = summary.group
    return GroupRow(
        id=group.id,
        number=group.number.national_digits(),
        name=group.name,
        user_code=group.user_code,
        admin_code=group.admin_code,
        queue_size=group.queue_size,
        switchover_delay=group.switchover_delay,
        intercall_delay=group.intercall_delay,
        distribution=group.distribution,
        legend=Legend.SOME_CONNECTED if summary.any_connected else Legend.NONE_CONNECTED,
    )


# -- a group's members, an employee's groups ---------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberRow:
    line_id: int
    name: str
    number: str  # national, with spaces
    status: MemberStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupMembers:
    """The members screen (Membres du groupe d'appel : <name>), in hunting order."""

    id: int
    name: str
    members: tuple[MemberRow, ...]


def group_members(group: model.CallGroup) -> GroupMembers:
    return GroupMembers(
        id=group.id,
        name=group.name,
        members=tuple(
            MemberRow(
                line_id=member.line_id,
                name=member.employee_name,
                number=member.msisdn.national(),
                status=MemberStatus.of(member.connected),
            )
            for member in group.members
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnGroupRow:
    """One group of the employee's "my call groups", with the employee's own status in it."""

    id: int
    name: str
    number: str  # national, with spaces
    status: MemberStatus


def own_groups(groups: Iterable[model.CallGroup], line_id: int) -> tuple[OwnGroupRow, ...]:
    """The groups the line is a member of, in the given order (others are left out)."""
    rows: list[OwnGroupRow] = []
    for group in groups:
        mine = next((m for m in group.members if m.line_id == line_id), None)
        if mine is not None:
            rows.append(
                OwnGroupRow(
                    id=group.id,
                    name=group.name,
                    number=group.number.national(),
                    status=MemberStatus.of(mine.connected),
                )
            )
    return tuple(rows)


# -- the group form ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class FormField:
    name: str
    label: str


INPUTS = (  # the text inputs, in the order of the form; the distribution mode is a choice
    FormField(name="number", label="group_number"),
    FormField(name="name", label="group_name"),
    FormField(name="user_code", label="user_code"),
    FormField(name="admin_code", label="admin_code"),
    FormField(name="queue_size", label="queue"),
    FormField(name="switchover_delay", label="switchover"),
    FormField(name="intercall_delay", label="intercall"),
    FormField(name="short_number", label="group_short"),
    FormField(name="max_queue_wait", label="max_queue_wait"),
)
DISTRIBUTION = FormField(name="distribution", label="distribution")
NO_ANSWER_ACTION = FormField(name="no_answer_action", label="no_answer_action")
NO_ANSWER_NUMBER = FormField(name="no_answer_number", label="no_answer_number")
NO_ANSWER_GROUP = FormField(name="no_answer_group_id", label="no_answer_group")
FIELD_NAMES = (
    *(field.name for field in INPUTS),
    DISTRIBUTION.name,
    NO_ANSWER_ACTION.name,
    NO_ANSWER_NUMBER.name,
    NO_ANSWER_GROUP.name,
)
NUMERIC = ("queue_size", "switchover_delay", "intercall_delay", "max_queue_wait")


@dataclass(frozen=True, slots=True, kw_only=True)
class ModeChoice:
    mode: DistributionMode  # its label's key is its value
    selected: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionChoice:
    action: NoAnswerAction  # its label's key is its value
    selected: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetChoice:  # another group of the fleet the calls nobody answered may go to
    id: int
    name: str
    selected: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupForm:
    inputs: tuple[FormField, ...]
    distribution: FormField
    values: Mapping[str, str]  # every name of FIELD_NAMES, as the inputs show it
    modes: tuple[ModeChoice, ...]
    no_answer_action: FormField = NO_ANSWER_ACTION
    no_answer_number: FormField = NO_ANSWER_NUMBER
    no_answer_group: FormField = NO_ANSWER_GROUP  # the rule: action, number, other group
    actions: tuple[ActionChoice, ...] = ()
    targets: tuple[TargetChoice, ...] = ()  # the fleet's other groups, by name


def group_form(
    group: model.CallGroup | None,
    others: Iterable[model.CallGroup] = (),
    *,
    voicemail: bool = False,
) -> GroupForm:
    """The form of a new group (the service's defaults) or of an existing one (its values);
    ``others``: the fleet's groups, offered as the other group (not the group itself);
    ``voicemail``: the deployment has a voicemail platform (else the rule to voicemail is
    not offered, unless it is the group's)."""
    if group is None:
        values = {
            "number": "",
            "name": "",
            "user_code": "",
            "admin_code": "",
            "queue_size": str(rules.QUEUE_MIN),
            "switchover_delay": str(rules.SWITCHOVER_DEFAULT),
            "intercall_delay": str(rules.INTERCALL_DEFAULT),
            "short_number": "",
            "max_queue_wait": str(rules.MAX_WAIT_DEFAULT),
            "distribution": DistributionMode.LINEAR.value,
            "no_answer_action": NoAnswerAction.END_WITH_ANNOUNCEMENT.value,
            "no_answer_number": "",
            "no_answer_group_id": "",
        }
    else:
        values = {
            "number": group.number.national(),
            "name": group.name,
            "user_code": group.user_code,
            "admin_code": group.admin_code,
            "queue_size": str(group.queue_size),
            "switchover_delay": str(group.switchover_delay),
            "intercall_delay": str(group.intercall_delay),
            "short_number": group.short_number or "",
            "max_queue_wait": str(group.max_queue_wait),
            "distribution": group.distribution.value,
            "no_answer_action": group.no_answer_action.value,
            "no_answer_number": group.no_answer_number.national() if group.no_answer_number else "",
            "no_answer_group_id": str(group.no_answer_group_id or ""),
        }
    return _form(values, others, None if group is None else group.id, voicemail)


def refilled_form(
    data: Mapping[str, str],
    others: Iterable[model.CallGroup] = (),
    group_id: int | None = None,
    *,
    voicemail: bool = False,
) -> GroupForm:
    """The form as it was sent, to show again with the reason it was refused."""
    values = {name: data.get(name, "") for name in FIELD_NAMES}
    return _form(values, others, group_id, voicemail)


def _form(
    values: dict[str, str],
    others: Iterable[model.CallGroup],
    group_id: int | None,
    voicemail: bool,
) -> GroupForm:
    chosen = values["distribution"]
    action = values["no_answer_action"]
    target = values["no_answer_group_id"]
    return GroupForm(
        inputs=INPUTS,
        distribution=DISTRIBUTION,
        values=values,
        modes=tuple(
            ModeChoice(mode=mode, selected=mode.value == chosen) for mode in DistributionMode
        ),
        actions=tuple(
            ActionChoice(action=choice, selected=choice.value == action)
            for choice in NoAnswerAction
            if voicemail
            or choice is not NoAnswerAction.FORWARD_TO_VOICEMAIL
            or choice.value == action
        ),
        targets=tuple(
            TargetChoice(id=other.id, name=other.name, selected=str(other.id) == target)
            for other in others
            if other.id != group_id
        ),
    )


class GroupInput(TypedDict):
    """The form's fields in the shape the group service takes them."""

    number: str
    name: str
    user_code: str
    admin_code: str
    queue_size: int
    switchover_delay: int
    intercall_delay: int
    distribution: str
    short_number: str | None
    max_queue_wait: NotRequired[int]
    no_answer_action: NotRequired[str]
    no_answer_number: NotRequired[str | None]
    no_answer_group_id: NotRequired[int | None]


_WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def parse_form(data: Mapping[str, str]) -> GroupInput:
    """Shape only: the delays and the queue must be whole numbers, else they are refused
    (``DomainError``) with the bounds of ``callgroups.rules``. Every rule is the service's.
    The maximum queue wait and the no-answer rule are left as they are when the form does
    not hold them."""
    text = {name: data.get(name, "").strip() for name in FIELD_NAMES}
    given = [name for name in NUMERIC if name != "max_queue_wait" or name in data]
    numbers = {name: _whole_number(name, text[name]) for name in given}
    parsed = GroupInput(
        number=text["number"],
        name=text["name"],
        user_code=text["user_code"],
        admin_code=text["admin_code"],
        queue_size=numbers["queue_size"],
        switchover_delay=numbers["switchover_delay"],
        intercall_delay=numbers["intercall_delay"],
        distribution=text["distribution"],
        short_number=text["short_number"] or None,
    )
    if "max_queue_wait" in numbers:
        parsed["max_queue_wait"] = numbers["max_queue_wait"]
    if NO_ANSWER_ACTION.name in data:
        parsed["no_answer_action"] = text["no_answer_action"]
        parsed["no_answer_number"] = text["no_answer_number"] or None
        parsed["no_answer_group_id"] = _group_choice(text["no_answer_group_id"])
    return parsed


def _group_choice(raw: str) -> int | None:
    """The chosen other group, or None; what is no id at all is refused as the service
    refuses a group of another fleet."""
    if not raw:
        return None
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and 0 < int(raw) < 2**31:
        return int(raw)
    raise DomainError(
        ErrorCode.GROUP_NO_ANSWER_INVALID,
        field="no_answer_group_id",
        detail="ce groupe n'est pas un groupe de la flotte",
        detail_en="that group is not a group of the fleet",
    )


def _whole_number(name: str, raw: str) -> int:
    if _WHOLE_NUMBER.fullmatch(raw) is not None:
        try:
            return int(raw)
        except ValueError:  # more digits than Python converts: out of bounds anyway
            pass
    raise rules.BOUNDS[name].refusal()
