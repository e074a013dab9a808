"""A fleet's lines a page at a time, by name, for the lines page and the API: keyset paging.

A page starts after (or ends before) a line given by a cursor — its name and id, the order of
the ``ix_lines_fleet_name`` index — so page 4,000 of a 100,000-line fleet costs what page 1
does (``OFFSET`` would read and drop every line before it). A search matches a name anywhere
(case-insensitive), a short number by its start, a phone number anywhere; on PostgreSQL the
trigram indexes of migration 0010 serve those ``LIKE '%…%'``. How many lines match is counted up
to :data:`COUNT_CAP` ("more than 1,000" beyond); a fleet's whole line count is exact."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode
from fleet.db.tables import LineRow
from fleet.services import views
from fleet.services.lookups import load_fleet

COUNT_CAP = 1000  # a search's matches are counted up to this many


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page starts or ends: a line's name and id (opaque text at the edges)."""

    name: str
    line_id: int

    def encode(self) -> str:
        raw = json.dumps([self.name, self.line_id], ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def of(cls, line: model.Line) -> Cursor:
        return cls(line.employee_name, line.id)

    @classmethod
    def decode(cls, text: str, *, field: str = "after") -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            name, line_id = json.loads(raw.decode())
            if isinstance(name, str) and isinstance(line_id, int) and line_id > 0:
                return cls(name, line_id)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            pass
        raise DomainError(ErrorCode.CURSOR_INVALID, field=field)


@dataclass(frozen=True, slots=True)
class LineSlice:
    """One page of lines and how to reach its neighbours."""

    fleet: model.Fleet  # read in the same transaction (the page shows its name)
    items: tuple[model.Line, ...]
    total: int  # the lines that match (at most COUNT_CAP counted for a search)
    more: bool  # more than ``total`` match (the count stopped at COUNT_CAP)
    after: Cursor | None  # the next page starts after this line, if there is one
    before: Cursor | None  # the previous page ends before this line, if there is one


def matching(fleet_id: int, term: str) -> Select[LineRow]:
    query = select(LineRow).where(LineRow.fleet_id == fleet_id)
    if not term:
        return query
    like = f"%{_escape_like(term)}%"
    digits = "".join(ch for ch in term if ch.isdigit())
    conditions: list[ColumnElement[bool]] = [LineRow.employee_name.ilike(like, escape="\\")]
    if digits:
        conditions.append(LineRow.short_number.like(f"{digits}%"))
        national = digits[1:] if digits.startswith("0") else digits
        conditions.append(LineRow.msisdn.like(f"%{national}%"))
    return query.where(or_(*conditions))


async def browse(
    session: AsyncSession,
    fleet_id: int,
    *,
    search: str,
    after: Cursor | None,
    before: Cursor | None,
    limit: int,
    total: int | None = None,
    counted: tuple[int, bool] | None = None,
) -> LineSlice:
    """A page of ``limit`` lines; ``total`` when the caller knows how many lines browsing the
    whole fleet gives, ``counted`` the (capped count, more) of the search ``search`` (neither
    counted again)."""
    fleet = views.fleet(await load_fleet(session, fleet_id))  # an unknown fleet: not found
    term = search.strip()
    query = matching(fleet_id, term)
    key = tuple_(LineRow.employee_name, LineRow.id)
    if before is not None:  # the page that ends before the cursor: read backwards
        page = query.where(key < tuple_(before.name, before.line_id)).order_by(
            LineRow.employee_name.desc(), LineRow.id.desc()
        )
    else:
        if after is not None:
            query_after = query.where(key > tuple_(after.name, after.line_id))
        else:
            query_after = query
        page = query_after.order_by(LineRow.employee_name, LineRow.id)
    rows = list((await session.scalars(page.limit(limit + 1))).all())
    beyond = len(rows) > limit  # a line beyond this page, in the reading direction
    rows = rows[:limit]
    if before is not None:
        rows.reverse()
    items = tuple(views.line(r) for r in rows)
    if before is not None:
        has_previous, has_next = beyond, True
    else:
        has_previous, has_next = after is not None, beyond
    more = False
    if term and counted is not None:
        total, more = counted
    elif total is None or term:
        total, more = await count(session, query, capped=bool(term))
    return LineSlice(
        fleet=fleet,
        items=items,
        total=total,
        more=more,
        after=Cursor.of(items[-1]) if items and has_next else None,
        before=Cursor.of(items[0]) if items and has_previous else None,
    )


async def count(session: AsyncSession, query: Select[LineRow], *, capped: bool) -> tuple[int, bool]:
    if not capped:  # the whole fleet: one index-only count
        whole = select(func.count()).select_from(query.with_only_columns(LineRow.id).subquery())
        return int(await session.scalar(whole) or 0), False
    some = query.with_only_columns(LineRow.id).limit(COUNT_CAP + 1).subquery()
    found = int(await session.scalar(select(func.count()).select_from(some)) or 0)
    return min(found, COUNT_CAP), found > COUNT_CAP


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
