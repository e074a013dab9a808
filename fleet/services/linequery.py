"""Loading lines with all their services in one round trip (the hot read of routing).

One joined query instead of an ORM load with five: a line has at most 4 forwardings,
5 list entries and a handful of groups, so the joined rows stay few."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import model
from fleet.core.linesettings import LINE_SETTINGS
from fleet.core.numbering import E164
from fleet.db.tables import (
    ForwardingRow,
    GroupRow,
    IncomingEntryRow,
    IncomingListRow,
    LineRow,
    MemberRow,
)
from fleet.services import views

PART = 500  # joined rows turned into views between two reads

_COLUMNS = (
    LineRow.id,
    LineRow.fleet_id,
    LineRow.msisdn,
    LineRow.short_number,
    LineRow.employee_name,
    LineRow.email,
    LineRow.language,
    *(getattr(LineRow, s.name) for s in LINE_SETTINGS),
    LineRow.presented_kind,
    LineRow.presented_group_id,
    ForwardingRow.kind,
    ForwardingRow.destination,
    ForwardingRow.active.label("fwd_active"),
    ForwardingRow.no_reply_timer,
    ForwardingRow.target,
    IncomingListRow.line_id.label("list_line"),
    IncomingListRow.active.label("list_active"),
    IncomingListRow.mode,
    IncomingListRow.ring_time,
    IncomingEntryRow.position.label("entry_position"),
    IncomingEntryRow.number.label("entry_number"),
    MemberRow.group_id,
    MemberRow.position.label("member_position"),
    MemberRow.connected,
    GroupRow.number.label("group_number"),
    GroupRow.name.label("group_name"),
)


async def load(session: AsyncSession, where: ColumnElement[bool]) -> list[model.LineServices]:
    query = (
        select(*_COLUMNS)
        .select_from(LineRow)
        .outerjoin(ForwardingRow, ForwardingRow.line_id == LineRow.id)
        .outerjoin(IncomingListRow, IncomingListRow.line_id == LineRow.id)
        .outerjoin(IncomingEntryRow, IncomingEntryRow.line_id == LineRow.id)
        .outerjoin(MemberRow, MemberRow.line_id == LineRow.id)
        .outerjoin(GroupRow, GroupRow.id == MemberRow.group_id)
        .where(where)
    )
    result = await session.stream(query)
    lines: dict[int, dict[str, Any]] = {}
    # rows are read and turned into views a part at a time: reading a fleet of 50,000
    # lines lets calls and feature codes run between parts instead of stalling them
    async for part in result.partitions(PART):
        for row in part:
            _add(lines, row)
    views_: list[model.LineServices] = []
    for count, entry in enumerate(lines.values(), start=1):
        views_.append(_view(entry))
        if count % PART == 0:
            await asyncio.sleep(0)
    return views_


def _add(lines: dict[int, dict[str, Any]], row: Any) -> None:
    entry = lines.get(row.id)
    if entry is None:
        entry = lines[row.id] = {
            "line": views.line(row),
            "forwardings": {},
            "list": None,
            "entries": {},
            "groups": {},
        }
    if row.kind is not None:
        entry["forwardings"][row.kind] = model.Forwarding(
            line_id=row.id,
            kind=row.kind,
            destination=E164(row.destination) if row.destination else None,
            active=row.fwd_active,
            no_reply_timer=row.no_reply_timer,
            target=row.target,
        )
    if row.list_line is not None:
        entry["list"] = (row.list_active, row.mode, row.ring_time)
    if row.entry_position is not None:
        entry["entries"][row.entry_position] = E164(row.entry_number)
    if row.group_id is not None:
        entry["groups"][row.group_id] = model.GroupMembership(
            group_id=row.group_id,
            group_number=E164(row.group_number),
            group_name=row.group_name,
            position=row.member_position,
            connected=row.connected,
        )


def _view(entry: dict[str, Any]) -> model.LineServices:
    line: model.Line = entry["line"]
    plan = None
    if entry["list"] is not None:
        active, mode, ring_time = entry["list"]
        entries = entry["entries"]
        plan = model.IncomingList(
            line_id=line.id,
            active=active,
            mode=mode,
            ring_time=ring_time,
            entries=tuple(entries[p] for p in sorted(entries)),
        )
    forwardings = entry["forwardings"]
    groups = entry["groups"].values()
    return model.LineServices(
        line=line,
        forwardings=tuple(forwardings[k] for k in sorted(forwardings, key=lambda k: k.value)),
        incoming_list=plan,
        groups=tuple(sorted(groups, key=lambda g: g.group_name)),
    )
