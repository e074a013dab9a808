"""The presented number in bulk import and export (issue 16 item 4): a line's ``presented``
column (CSV) or field (JSON) is ``line``, ``main`` or the name of a call group, as the
``groups`` column names them. On import it is checked against the fleet after the file: the
main number must exist, the line must be a member of the group once the file's memberships
(its ``groups`` column, or the file's groups' members) are applied; it is written after the
groups, so a group the same file creates may be named."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.presented import PresentedKind
from fleet.db.tables import GroupRow, LineRow
from fleet.services import views
from fleet.services.fleetio_spec import GroupSpec, LineSpec

if TYPE_CHECKING:
    from fleet.services.fleetio_plan import State

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
    main_number, existing = state.fleet.main_number, state.groups
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
