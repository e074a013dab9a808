"""The presented number in bulk import and export (issue 16 item 4): a line's ``presented``
column (CSV) or field (JSON) is ``line``, ``main`` or the name of a call group, as the
``groups`` column names them. On import it is checked against the fleet after the file: the
main number must exist, the line must be a member of the group once the file's memberships
(its ``groups`` column, or the file's groups' members) are applied; it is written after the
groups, so a group the same file creates may be named.

The fleet's main number (the JSON's ``fleet.main_number``; null or absent: left as it is) is
one of the fleet's numbers once the file is applied — a line, a fixed number or a group of the
fleet or of the file — and is written before the lines' choices, so a copy of a line presenting
``main`` into another fleet carries its main number with it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import model
from fleet.core.changes import FleetChange
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.presented import PresentedKind
from fleet.db.tables import FleetRow, GroupRow, LineRow
from fleet.services import views
from fleet.services.fleetio_spec import GroupSpec, LineSpec, Where

if TYPE_CHECKING:
    from fleet.services.fleetio_plan import Checker, State

KINDS = (PresentedKind.LINE.value, PresentedKind.MAIN.value)


def presented_cell(entry: model.LineServices) -> str:
    """The line's choice as the files write it."""
    choice = entry.line.presented
    if choice.kind is PresentedKind.GROUP:
        names = {g.group_id: g.group_name for g in entry.groups}
        return names.get(choice.group_id or 0, PresentedKind.LINE.value)
    return choice.kind.value


@dataclass(frozen=True, slots=True)
class PresentedTarget:
    """What a line is to present after the import: ``group`` a group's lower-case name."""

    kind: PresentedKind
    group: str | None = None


def file_members(policy: NumberPolicy, groups: Iterable[GroupSpec]) -> dict[str, frozenset[str]]:
    """The members (E.164) of each group the file states, by lower-case name."""
    found: dict[str, frozenset[str]] = {}
    for spec in groups:
        numbers = set()
        for member in spec.members:
            number = policy.classify(member.msisdn)[1]
            if number is not None:
                numbers.add(number.value)
        found[spec.name.lower()] = frozenset(numbers)
    return found


def target(
    spec: LineSpec,
    number: E164,
    row: LineRow | None,
    state: State,
    stated: dict[str, frozenset[str]],
) -> PresentedTarget | None:
    """The line's presented number after the file, None when the file leaves it (or it is
    already so); ``DomainError`` when the file's choice breaks a rule. ``state``: the fleet
    before the file; ``stated``: the file's groups' members."""
    main_number, existing = state.main_number or state.fleet.main_number, state.groups
    raw = (spec.presented or "").strip()
    if not raw:
        return None
    if raw.lower() in KINDS:
        wanted = PresentedTarget(PresentedKind(raw.lower()))
        if wanted.kind is PresentedKind.MAIN and not main_number:
            raise DomainError(ErrorCode.PRESENTED_NO_MAIN_NUMBER, field="presented")
    else:
        name = raw.lower()
        if name in stated:
            member = number.value in stated[name]
        elif name in existing:
            if spec.groups is not None:
                member = name in {g.lower() for g in spec.groups}
            else:
                member = row is not None and any(
                    m.group_id == existing[name].id for m in row.memberships
                )
        else:
            raise DomainError(ErrorCode.IMPORT_GROUP_UNKNOWN, field="presented", name=raw)
        if not member:
            raise DomainError(
                ErrorCode.PRESENTED_NOT_A_MEMBER,
                field="presented",
                number=number.national(),
                group=raw,
            )
        wanted = PresentedTarget(PresentedKind.GROUP, name)
    if row is not None and _now(row, existing) == wanted:
        return None
    return wanted


MAIN_WHERE = Where(path="fleet")


def read_main_number(checker: Checker, raw: str | None) -> E164 | None:
    """The file's main number, checked as a number (None: the file leaves it); the lines'
    ``main`` choices are checked against it (``State.main_number``)."""
    if raw is None:
        return None
    policy = checker.policy
    number = checker.check(MAIN_WHERE, lambda: policy.group_number(raw, field="main_number"))
    if number is not None:
        checker.state.main_number = number.value
    return number


def check_main_number(checker: Checker, number: E164 | None, owned: set[str]) -> str | None:
    """The main number to write (None: none to write): one of ``owned``, the fleet's numbers
    once the file is applied."""
    if number is None or number.value == checker.state.fleet.main_number:
        return None
    if number.value not in owned:
        code = ErrorCode.MAIN_NUMBER_NOT_IN_FLEET
        checker.fault(MAIN_WHERE, code, field="main_number", number=number.national())
        return None
    return number.value


def write_main_number(fleet: FleetRow, number: str, now: datetime) -> FleetChange:
    before = views.fleet(fleet)
    fleet.main_number, fleet.updated_at = number, now
    return FleetChange(fleet_id=fleet.id, before=before, after=views.fleet(fleet))


def _now(row: LineRow, existing: dict[str, GroupRow]) -> PresentedTarget:
    choice = views.presented(row.presented_kind, row.presented_group_id)
    if choice.kind is PresentedKind.GROUP:
        names = {g.id: name for name, g in existing.items()}
        return PresentedTarget(choice.kind, names.get(choice.group_id or 0))
    return PresentedTarget(choice.kind)


async def apply(
    session: AsyncSession, fleet_id: int, wanted: list[tuple[int, PresentedTarget]], now: datetime
) -> list[tuple[model.Line, model.Line]]:
    """Write the lines' presented numbers (after the groups): each line's view before and
    after."""
    if not wanted:
        return []
    rows = await session.execute(
        select(func.lower(GroupRow.name), GroupRow.id).where(GroupRow.fleet_id == fleet_id)
    )
    ids = {name: ident for name, ident in rows.all()}
    done = []
    for line_id, goal in wanted:
        row = await session.get(LineRow, line_id)
        assert row is not None
        before = views.line(row)
        row.presented_kind = goal.kind
        row.presented_group_id = ids[goal.group] if goal.group is not None else None
        row.updated_at = now
        done.append((before, views.line(row)))
    return done
