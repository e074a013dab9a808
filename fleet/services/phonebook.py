"""The company directory as the portals and the API search it (issue 16 item 6): one list of
the fleet's lines (the employee's name, short number, MSISDN), fixed numbers (their label),
call groups (their name) and external contacts (name, company, abbreviated number), found by
a name or a number and read a page at a time, by name.

Seed 003: the directory shows internal entries (grey) and external contacts (white); seed 002:
"accessible depuis chaque téléphone … et depuis le web utilisateur"."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, String, func, literal, or_, select, union_all

from fleet.core.numbering import E164
from fleet.db.tables import FixedNumberRow, GroupRow, LineRow
from fleet.db.tables_contacts import ContactRow
from fleet.services.base import Service
from fleet.services.lookups import load_fleet

PAGE_DEFAULT = 50
PAGE_MAX = 200
SEARCH_MAX = 100  # characters of a search term
OFFSET_MAX = 1_000_000  # the furthest page asked for (the API refuses more, and documents it)


class EntryKind(StrEnum):
    LINE = "line"
    FIXED = "fixed"
    GROUP = "group"
    CONTACT = "contact"


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One entry of the directory. ``short_number`` is a contact's abbreviated number."""

    kind: EntryKind
    id: int
    name: str
    number: E164
    short_number: str | None
    company: str = ""

    @property
    def internal(self) -> bool:
        """A line, fixed number or group of the fleet (seed 003's grey rows)."""
        return self.kind is not EntryKind.CONTACT


@dataclass(frozen=True, slots=True)
class Page:
    entries: tuple[Entry, ...]
    total: int  # the entries matching the search
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.entries) < self.total


class PhonebookService(Service):
    async def search(
        self, fleet_id: int, term: str = "", *, offset: int = 0, limit: int = PAGE_DEFAULT
    ) -> Page:
        """The entries matching ``term`` (anywhere in a name or company, a number as typed
        — national or E.164 —, a short or abbreviated number by its start), by name."""
        term = term.strip()[:SEARCH_MAX]
        offset = max(offset, 0)
        limit = min(max(limit, 1), PAGE_MAX)
        parts = [
            _part(EntryKind.LINE, LineRow, LineRow.employee_name, LineRow.msisdn, fleet_id, term),
            _part(
                EntryKind.FIXED,
                FixedNumberRow,
                FixedNumberRow.label,
                FixedNumberRow.number,
                fleet_id,
                term,
            ),
            _part(EntryKind.GROUP, GroupRow, GroupRow.name, GroupRow.number, fleet_id, term),
            _contacts(fleet_id, term),
        ]
        every = union_all(*parts).subquery()
        async with self.read() as session:
            await load_fleet(session, fleet_id)
            total = int(await session.scalar(select(func.count()).select_from(every)) or 0)
            rows = await session.execute(
                select(every)
                .order_by(func.lower(every.c.name), every.c.kind, every.c.id)
                .offset(offset)
                .limit(limit)
            )
            entries = tuple(
                Entry(
                    kind=EntryKind(r.kind),
                    id=r.id,
                    name=r.name,
                    number=E164(r.number),
                    short_number=r.short_number,
                    company=r.company or "",
                )
                for r in rows
            )
        return Page(entries=entries, total=total, offset=offset, limit=limit)


def _part(
    kind: EntryKind,
    table: Any,
    name: Any,
    number: Any,
    fleet_id: int,
    term: str,
) -> Select[Any]:
    query = select(
        literal(kind.value, String).label("kind"),
        table.id.label("id"),
        name.label("name"),
        number.label("number"),
        table.short_number.label("short_number"),
        literal("", String).label("company"),
    ).where(table.fleet_id == fleet_id)
    if term:
        query = query.where(or_(*_matches(term, [name], number, table.short_number)))
    return query


def _contacts(fleet_id: int, term: str) -> Select[Any]:
    columns: list[Any] = [
        literal(EntryKind.CONTACT.value, String).label("kind"),
        ContactRow.id.label("id"),
        ContactRow.name.label("name"),
        ContactRow.number.label("number"),
        ContactRow.abbreviated.label("short_number"),
        ContactRow.company.label("company"),
    ]
    query = select(*columns).where(ContactRow.fleet_id == fleet_id)
    if term:
        texts = [ContactRow.name, ContactRow.company]
        query = query.where(or_(*_matches(term, texts, ContactRow.number, ContactRow.abbreviated)))
    return query


def _matches(term: str, texts: list[Any], number: Any, short: Any) -> list[ColumnElement[bool]]:
    like = f"%{_escape(term.lower())}%"
    found: list[ColumnElement[bool]] = [func.lower(t).like(like, escape="\\") for t in texts]
    digits = "".join(ch for ch in term if ch.isdigit())
    if digits and not any(ch.isalpha() for ch in term):  # a number, as typed
        found.append(short.like(f"{digits}%"))
        national = digits[1:] if digits.startswith("0") else digits
        found.append(number.like(f"%{national}%"))
    return found


def _escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
