"""The call groups of an import (JSON): each checked with the rules of ``callgroups.rules``
and the number policy, then created or brought to what the file states — its settings, and
its members in the file's order with their connection state. A group is known by its name
(without regard to case); a group of the fleet the file does not name is left alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from callgroups import rules as group_rules
from fleet.core.errors import ErrorCode
from fleet.core.numbering import E164
from fleet.core.numbering import optional_short_number as _short
from fleet.core.values import NoAnswerAction
from fleet.db.tables import GroupRow
from fleet.services.fleetio_plan import Checker
from fleet.services.fleetio_spec import GroupSpec, Where

SETTINGS = (
    "number",
    "name",
    "short_number",
    "user_code",
    "admin_code",
    "queue_size",
    "switchover_delay",
    "intercall_delay",
    "distribution",
    "max_queue_wait",
    "no_answer_action",
    "no_answer_number",
)
DEFAULTS = {
    "queue_size": group_rules.QUEUE_MIN,
    "switchover_delay": group_rules.SWITCHOVER_DEFAULT,
    "intercall_delay": group_rules.INTERCALL_DEFAULT,
    "max_queue_wait": group_rules.MAX_WAIT_DEFAULT,
}


@dataclass(slots=True)
class GroupPlan:
    where: Where
    row: GroupRow | None
    values: dict[str, Any]
    overflow: str | None  # the no-answer group, by lower-case name
    members: list[tuple[str, bool]] = field(default_factory=list)  # MSISDN, connected
    changed: tuple[str, ...] = ()
    members_changed: bool = False


def check_groups(
    checker: Checker, specs: tuple[GroupSpec, ...], pabx: dict[str, bool]
) -> list[GroupPlan]:
    """``pabx``: every line of the fleet once the import is done (MSISDN → PABX option)."""
    plans: list[GroupPlan] = []
    names: dict[str, Where] = {}
    for spec in specs:
        plan = _check(checker, spec, pabx, names)
        if plan is not None:
            plans.append(plan)
    known = set(names) | set(checker.state.groups)
    for plan in plans:
        if plan.overflow is not None and plan.overflow not in known:
            checker.fault(plan.where, ErrorCode.IMPORT_GROUP_UNKNOWN, name=plan.overflow)
        elif plan.overflow is not None and plan.overflow == plan.values["name"].lower():
            checker.fault(plan.where, ErrorCode.GROUP_NO_ANSWER_SELF)
        row = plan.row
        if row is not None and plan.overflow is not None:
            target = checker.state.groups.get(plan.overflow)
            if target is None or target.id != row.no_answer_group_id:
                plan.changed = (*plan.changed, "no_answer_group")
        elif row is not None and row.no_answer_group_id is not None:
            plan.changed = (*plan.changed, "no_answer_group")
    return plans


def _check(
    checker: Checker, spec: GroupSpec, pabx: dict[str, bool], names: dict[str, Where]
) -> GroupPlan | None:
    where, state = spec.where, checker.state
    name = checker.check(where, lambda: group_rules.name(spec.name))
    if name is None:
        return None
    first = names.setdefault(name.lower(), where)
    if first is not where:
        checker.fault(where, ErrorCode.IMPORT_DUPLICATE, value=name, first=first)
        return None
    row = state.groups.get(name.lower())
    number = checker.check(where, lambda: checker.policy.group_number(spec.number))
    codes = checker.check(where, lambda: group_rules.codes(spec.user_code, spec.admin_code))
    values: dict[str, Any] = {"name": name}
    for key, bounds in group_rules.BOUNDS.items():
        given = getattr(spec, key)
        current = getattr(row, key) if row is not None else DEFAULTS[key]
        values[key] = checker.check(
            where, partial(bounds.check, current if given is None else given)
        )
    values["distribution"] = checker.check(
        where, lambda: group_rules.distribution(spec.distribution or "linear")
    )
    action = checker.check(
        where,
        lambda: group_rules.no_answer_action(
            spec.no_answer_action or NoAnswerAction.END_WITH_ANNOUNCEMENT
        ),
    )
    values["no_answer_action"] = action
    values["no_answer_number"] = None
    overflow = None
    if action is NoAnswerAction.FORWARD_TO_NUMBER:
        found = checker.check(
            where,
            lambda: checker.policy.destination(
                spec.no_answer_number or "", field="no_answer_number"
            ),
        )
        values["no_answer_number"] = found.value if found else None
    elif action is NoAnswerAction.FORWARD_TO_VOICEMAIL:
        checker.check(where, lambda: group_rules.no_answer_offered(action, checker.voicemail))
    elif action is NoAnswerAction.FORWARD_TO_GROUP:
        if not spec.no_answer_group:
            checker.fault(
                where,
                ErrorCode.GROUP_NO_ANSWER_INVALID,
                detail="groupe manquant / group missing",
            )
        overflow = (spec.no_answer_group or "").lower() or None
    values["short_number"] = checker.check(
        where, lambda: _short(spec.short_number, state.fleet.short_number_length)
    )
    checker.short(where, values["short_number"], name.lower())
    if codes is not None:
        values["user_code"], values["admin_code"] = codes
    members = _members(checker, spec, pabx)
    if number is not None:
        values["number"] = number.value
        _check_number(checker, where, number, row, pabx, members)
    plan = GroupPlan(where, row, values, overflow, members)
    if row is not None:  # (a faulty group's plan is never applied)
        plan.changed = tuple(n for n in SETTINGS if getattr(row, n) != values.get(n))
        now = [(m.line.msisdn, m.connected) for m in sorted(row.members, key=lambda m: m.position)]
        plan.members_changed = now != members
    return plan


def _members(checker: Checker, spec: GroupSpec, pabx: dict[str, bool]) -> list[tuple[str, bool]]:
    where, members = spec.where, []
    seen: set[str] = set()
    for member in spec.members:
        number = checker.check(
            where, partial(checker.policy.mobile, member.msisdn, field="members")
        )
        if number is None:
            continue
        if number.value not in pabx:
            checker.fault(where, ErrorCode.IMPORT_LINE_UNKNOWN, number=number.national())
        elif not pabx[number.value]:
            checker.fault(where, ErrorCode.PABX_OPTION_REQUIRED, number=number.national())
        elif number.value in seen:
            checker.fault(where, ErrorCode.GROUP_MEMBER_DUPLICATE, number=number.national())
        seen.add(number.value)
        members.append((number.value, member.connected))
    checker.check(where, lambda: group_rules.member_count(len(members)))
    return members


def _check_number(
    checker: Checker,
    where: Where,
    number: E164,
    row: GroupRow | None,
    pabx: dict[str, bool],
    members: list[tuple[str, bool]],
) -> None:
    """A group's number is its own, or the number of one of its members (a line of the
    fleet with the PABX option: then the first member, as ``GroupService.create`` does)."""
    if number.value in pabx:
        if not pabx[number.value]:
            checker.fault(where, ErrorCode.PABX_OPTION_REQUIRED, number=number.national())
        elif number.value not in {m for m, _ in members}:
            members.insert(0, (number.value, False))
            checker.check(where, lambda: group_rules.member_count(len(members)))
        return
    if number.value in checker.state.fixed:
        checker.fault(where, ErrorCode.NUMBER_IN_USE, number=number.national())
        return
    for other in checker.state.groups.values():
        if other.number == number.value and other is not row:
            checker.fault(where, ErrorCode.NUMBER_IN_USE, number=number.national())
            return
    first = checker.seen_numbers.setdefault(number.value, where)
    if first is not where:
        checker.fault(where, ErrorCode.IMPORT_DUPLICATE, value=number.national(), first=first)
