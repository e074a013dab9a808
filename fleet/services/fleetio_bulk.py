"""The bulk writes of an import (``fleetio_apply``) for what it creates: fixed numbers,
the forwardings and incoming-call lists of new lines, and the read models of new groups.
A 100,000-line fleet (``fleet.seed``) is written with a few multi-row INSERTs instead of a
flush per row; each change is still returned as its typed value, which the applier
journals and announces as the owning service does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fleet.core import model
from fleet.core.changes import FixedNumberChange, ForwardingChange, IncomingListChange
from fleet.core.numbering import E164
from fleet.core.values import RingMode
from fleet.db.tables import (
    FixedNumberRow,
    ForwardingRow,
    GroupRow,
    IncomingEntryRow,
    IncomingListRow,
    LineRow,
    MemberRow,
)
from fleet.services import views
from fleet.services.fleetio_plan import FixedPlan, LinePlan

CHUNK = 500  # ids in one IN (…) list


async def fixed_numbers(
    session: AsyncSession, fleet_id: int, plans: Sequence[FixedPlan], now: datetime
) -> list[FixedNumberChange]:
    """The new fixed numbers, in one INSERT … RETURNING."""
    fresh = [
        {"fleet_id": fleet_id, "number": p.number, "created_at": now, "updated_at": now, **p.values}
        for p in plans
    ]
    if not fresh:
        return []
    ids = await session.scalars(
        insert(FixedNumberRow).returning(FixedNumberRow.id, sort_by_parameter_order=True), fresh
    )
    return [
        FixedNumberChange(
            fleet_id=fleet_id,
            fixed_id=fixed_id,
            before=None,
            after=views.fixed_number(FixedNumberRow(id=fixed_id, **values)),
        )
        for fixed_id, values in zip(ids.all(), fresh, strict=True)
    ]


async def forwardings(
    session: AsyncSession, lines: Sequence[tuple[LinePlan, LineRow]], now: datetime
) -> list[ForwardingChange]:
    """The forwardings of new lines (a new line has none to change or erase)."""
    rows: list[dict[str, Any]] = []
    changes: list[ForwardingChange] = []
    for plan, line in lines:
        for kind, goal in plan.forwardings.items():
            if goal is None:
                continue
            destination, active, timer, target = goal
            rows.append(
                {
                    "line_id": line.id,
                    "kind": kind,
                    "destination": destination,
                    "active": active,
                    "no_reply_timer": timer,
                    "target": target,
                    "updated_at": now,
                }
            )
            after = model.Forwarding(
                line_id=line.id,
                kind=kind,
                destination=E164(destination) if destination else None,
                active=active,
                no_reply_timer=timer,
                target=target,
            )
            changes.append(
                ForwardingChange(
                    fleet_id=line.fleet_id, line_id=line.id, kind=kind, before=None, after=after
                )
            )
    if rows:
        await session.execute(insert(ForwardingRow), rows)
    return changes


async def incoming_lists(
    session: AsyncSession, lines: Sequence[tuple[LinePlan, LineRow]], now: datetime
) -> list[IncomingListChange]:
    """The incoming-call lists of new lines, their entries in order."""
    lists: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    changes: list[IncomingListChange] = []
    for plan, line in lines:
        if plan.incoming is None:
            continue
        active, mode, ring_time, numbers = plan.incoming
        lists.append(
            {
                "line_id": line.id,
                "active": active,
                "mode": RingMode(mode),
                "ring_time": ring_time,
                "updated_at": now,
            }
        )
        entries.extend(
            {"line_id": line.id, "position": position, "number": number}
            for position, number in enumerate(numbers, start=1)
        )
        after = model.IncomingList(
            line_id=line.id,
            active=active,
            mode=RingMode(mode),
            ring_time=ring_time,
            entries=tuple(E164(n) for n in numbers),
        )
        changes.append(
            IncomingListChange(fleet_id=line.fleet_id, line_id=line.id, before=None, after=after)
        )
    if lists:
        await session.execute(insert(IncomingListRow), lists)
    if entries:
        await session.execute(insert(IncomingEntryRow), entries)
    return changes


async def group_views(session: AsyncSession, ids: Sequence[int]) -> dict[int, model.CallGroup]:
    """The groups ``ids`` as they are now in the transaction, members included: a few
    queries for any number of groups."""
    found: dict[int, model.CallGroup] = {}
    for start in range(0, len(ids), CHUNK):
        rows = await session.scalars(
            select(GroupRow)
            .where(GroupRow.id.in_(ids[start : start + CHUNK]))
            .options(selectinload(GroupRow.members).selectinload(MemberRow.line))
            .execution_options(populate_existing=True)
        )
        found.update((row.id, views.group(row)) for row in rows)
    return found
