"""What removing a line or a fleet takes with it (``fleet.core.impact``), read before the
removal is confirmed. Reads only: the removal itself is ``LineService.delete`` and
``FleetService.delete``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.impact import Impact, ImpactItem, ImpactKind, item
from fleet.core.numbering import E164
from fleet.core.values import Role
from fleet.db.tables import (
    AccountFleetRow,
    AccountRow,
    CallRecordRow,
    FixedNumberRow,
    ForwardingRow,
    GroupRow,
    IncomingEntryRow,
    LineRow,
    MemberRow,
    TrunkRow,
)
from fleet.services.base import Service
from fleet.services.lookups import load_fleet


def _line_name(msisdn: str, name: str) -> str:
    return f"{E164(msisdn).national()} {name}"


class ImpactService(Service):
    async def of_line(self, line_id: int) -> Impact:
        """The line's own services, the groups it leaves, the employee account removed with
        it, and what other lines keep pointing to its number. A line numbering a group is
        not removable: ``LINE_IS_GROUP_NUMBER``, as the removal would say."""
        async with self.read() as session:
            row = await session.get(LineRow, line_id)
            if row is None:
                raise not_found("line", line_id)
            group = await session.scalar(select(GroupRow.name).where(GroupRow.number == row.msisdn))
            if group is not None:
                raise DomainError(
                    ErrorCode.LINE_IS_GROUP_NUMBER,
                    number=E164(row.msisdn).national(),
                    group=group,
                )
            own = await _count(
                session, select(ForwardingRow.id).where(ForwardingRow.line_id == row.id)
            )
            entries = await _count(
                session, select(IncomingEntryRow.id).where(IncomingEntryRow.line_id == row.id)
            )
            groups = await _names(
                session,
                select(GroupRow.name)
                .join(MemberRow, MemberRow.group_id == GroupRow.id)
                .where(MemberRow.line_id == row.id)
                .order_by(GroupRow.name),
            )
            accounts = await _names(
                session,
                select(AccountRow.login)
                .where(AccountRow.line_id == row.id)
                .order_by(AccountRow.login),
            )
            pointing = await _pointing(session, [row.msisdn], exclude_fleet=None, line_id=row.id)
            records = await _count(
                session,
                select(CallRecordRow.id).where(
                    CallRecordRow.fleet_id == row.fleet_id,
                    or_(CallRecordRow.caller == row.msisdn, CallRecordRow.called == row.msisdn),
                ),
            )
            found = [
                item(ImpactKind.FORWARDINGS, [], own),
                item(ImpactKind.INCOMING_LIST, [], entries),
                item(ImpactKind.MEMBERSHIPS, groups),
                item(ImpactKind.ACCOUNTS_REMOVED, accounts),
                *pointing,
                item(ImpactKind.CALL_RECORDS_KEPT, [], records),
            ]
            return Impact(
                subject="line",
                name=_line_name(row.msisdn, row.employee_name),
                items=tuple(i for i in found if i is not None),
            )

    async def of_fleet(self, fleet_id: int) -> Impact:
        """Everything of the fleet (lines, fixed numbers, groups, trunks, employee
        accounts), the managers who lose it, and what other fleets' lines keep pointing to
        its numbers."""
        async with self.read() as session:
            fleet = await load_fleet(session, fleet_id)
            line_query = select(LineRow.msisdn, LineRow.employee_name).where(
                LineRow.fleet_id == fleet_id
            )
            line_count = await _count(
                session, select(LineRow.id).where(LineRow.fleet_id == fleet_id)
            )
            sample = (
                await session.execute(line_query.order_by(LineRow.employee_name).limit(10))
            ).all()
            lines = [_line_name(m, n) for m, n in sample]
            fixed = await _names(
                session,
                select(FixedNumberRow.label)
                .where(FixedNumberRow.fleet_id == fleet_id)
                .order_by(FixedNumberRow.label),
            )
            groups = await _names(
                session,
                select(GroupRow.name).where(GroupRow.fleet_id == fleet_id).order_by(GroupRow.name),
            )
            trunks = await _names(
                session,
                select(TrunkRow.name).where(TrunkRow.fleet_id == fleet_id).order_by(TrunkRow.name),
            )
            employees = await _names(
                session,
                select(AccountRow.login)
                .join(LineRow, LineRow.id == AccountRow.line_id)
                .where(LineRow.fleet_id == fleet_id)
                .order_by(AccountRow.login),
            )
            managers = await _names(
                session,
                select(AccountRow.login)
                .join(AccountFleetRow, AccountFleetRow.account_id == AccountRow.id)
                .where(AccountFleetRow.fleet_id == fleet_id, AccountRow.role == Role.MANAGER)
                .order_by(AccountRow.login),
            )
            numbers = [
                *(
                    await session.scalars(
                        select(LineRow.msisdn).where(LineRow.fleet_id == fleet_id)
                    )
                ),
                *(
                    await session.scalars(
                        select(FixedNumberRow.number).where(FixedNumberRow.fleet_id == fleet_id)
                    )
                ),
                *(
                    await session.scalars(
                        select(GroupRow.number).where(GroupRow.fleet_id == fleet_id)
                    )
                ),
            ]
            pointing = await _pointing(session, numbers, exclude_fleet=fleet_id, line_id=None)
            records = await _count(
                session, select(CallRecordRow.id).where(CallRecordRow.fleet_id == fleet_id)
            )
            found = [
                item(ImpactKind.LINES, lines, line_count),
                item(ImpactKind.FIXED_NUMBERS, fixed),
                item(ImpactKind.GROUPS, groups),
                item(ImpactKind.TRUNKS, trunks),
                item(ImpactKind.ACCOUNTS_REMOVED, employees),
                item(ImpactKind.MANAGERS_LOSING, managers),
                *pointing,
                item(ImpactKind.CALL_RECORDS_KEPT, [], records),
            ]
            return Impact(
                subject="fleet",
                name=fleet.name,
                items=tuple(i for i in found if i is not None),
            )


async def _count(session: AsyncSession, query: Select[Any]) -> int:
    subquery = query.subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


async def _names(session: AsyncSession, query: Select[Any]) -> list[str]:
    return [str(n) for n in (await session.scalars(query)).all()]


async def _pointing(
    session: AsyncSession, numbers: list[str], *, exclude_fleet: int | None, line_id: int | None
) -> list[ImpactItem | None]:
    """Lines outside what is removed whose forwardings or incoming lists hold one of the
    numbers: they are kept, and the number is then reached as any other number."""
    if not numbers:
        return [None, None]
    found: list[ImpactItem | None] = []
    for kind, column, owner in (
        (ImpactKind.FORWARDED_TO, ForwardingRow.destination, ForwardingRow.line_id),
        (ImpactKind.LISTED_IN, IncomingEntryRow.number, IncomingEntryRow.line_id),
    ):
        names: list[str] = []
        for start in range(0, len(numbers), 500):
            query = (
                select(LineRow.msisdn, LineRow.employee_name)
                .join_from(LineRow, owner.table, owner == LineRow.id)
                .where(column.in_(numbers[start : start + 500]))
                .distinct()
            )
            if exclude_fleet is not None:
                query = query.where(LineRow.fleet_id != exclude_fleet)
            if line_id is not None:
                query = query.where(LineRow.id != line_id)
            names += [_line_name(m, n) for m, n in (await session.execute(query)).all()]
        found.append(item(kind, sorted(names)))
    return found
