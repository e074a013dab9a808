"""The company directory's external contacts (issue 16 item 6): added, changed, removed and
imported by the fleet's manager, journalled like every change (``ContactChange`` on the change
hub: the routing cache learns the abbreviated numbers). A contact's number is checked by the
number policy as a forwarding destination is; its abbreviated number is one more short number
of the fleet (``fleet.core.contacts``), free of every line's, fixed number's and group's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import contacts as rules
from fleet.core.changes import ContactChange
from fleet.core.contacts import Contact
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.numbering import E164
from fleet.core.values import UNSET, Actor, Unset
from fleet.db.tables_contacts import ContactRow
from fleet.services.base import Service
from fleet.services.lookups import Owner, OwnerKind, ensure_short_number_free, load_fleet


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactInput:
    """A contact as typed or read from a file, not checked yet."""

    name: str
    number: str
    company: str = ""
    abbreviated: str = ""
    notes: str = ""


@dataclass(frozen=True, slots=True)
class RowFault:
    """A refused row of an import: its line in the file and why."""

    row: int
    error: DomainError


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What an import did: every row written, or none (``faults`` says why)."""

    created: int
    faults: tuple[RowFault, ...]


@dataclass(frozen=True, slots=True)
class _Checked:
    name: str
    company: str
    number: E164
    abbreviated: str | None
    notes: str


class ContactService(Service):
    async def create(self, actor: Actor, fleet_id: int, new: ContactInput) -> Contact:
        async with self.write() as session:
            fleet = await load_fleet(session, fleet_id)
            checked = self._check(new, fleet.short_number_length)
            await _room(session, fleet_id, adding=1)
            await _ensure_free(session, fleet_id, checked, keep=None)
            return await self._add(session, actor, fleet_id, checked)

    async def update(
        self,
        actor: Actor,
        contact_id: int,
        *,
        name: str | Unset = UNSET,
        company: str | Unset = UNSET,
        number: str | Unset = UNSET,
        abbreviated: str | Unset = UNSET,
        notes: str | Unset = UNSET,
    ) -> Contact:
        """Change what is given (a blank ``abbreviated`` removes the abbreviated number)."""
        async with self.write() as session:
            row = await _load(session, contact_id)
            before = contact_view(row)
            fleet = await load_fleet(session, row.fleet_id)
            wanted = ContactInput(
                name=before.name if isinstance(name, Unset) else name,
                company=before.company if isinstance(company, Unset) else company,
                number=before.number.value if isinstance(number, Unset) else number,
                abbreviated=(before.abbreviated or "")
                if isinstance(abbreviated, Unset)
                else abbreviated,
                notes=before.notes if isinstance(notes, Unset) else notes,
            )
            checked = self._check(wanted, fleet.short_number_length)
            await _ensure_free(session, row.fleet_id, checked, keep=row.id)
            row.name, row.company, row.notes = checked.name, checked.company, checked.notes
            row.number, row.abbreviated = checked.number.value, checked.abbreviated
            after = contact_view(row)
            if after != before:
                row.updated_at = self.now()
                change = ContactChange(
                    fleet_id=row.fleet_id, contact_id=row.id, before=before, after=after
                )
                self.record(session, actor, change)
            return after

    async def delete(self, actor: Actor, contact_id: int) -> None:
        async with self.write() as session:
            row = await _load(session, contact_id)
            before = contact_view(row)
            await session.delete(row)
            await session.flush()
            change = ContactChange(
                fleet_id=row.fleet_id, contact_id=contact_id, before=before, after=None
            )
            self.record(session, actor, change)

    async def get(self, contact_id: int) -> Contact:
        async with self.read() as session:
            return contact_view(await _load(session, contact_id))

    async def in_fleet(self, fleet_id: int) -> list[Contact]:
        """The fleet's contacts by name (the routing cache's read, the export)."""
        async with self.read() as session:
            await load_fleet(session, fleet_id)
            rows = await session.scalars(
                select(ContactRow)
                .where(ContactRow.fleet_id == fleet_id)
                .order_by(func.lower(ContactRow.name), ContactRow.id)
            )
            return [contact_view(r) for r in rows.all()]

    async def import_rows(
        self, actor: Actor, fleet_id: int, rows: Sequence[tuple[int, ContactInput]]
    ) -> ImportOutcome:
        """Add the contacts of a file (``rows``: the file's line number and the contact):
        all of them in one transaction, or none when any row is refused — every refused
        row is reported, not only the first."""
        faults: list[RowFault] = []
        async with self.write() as session:
            fleet = await load_fleet(session, fleet_id)
            seen_numbers: dict[str, int] = {}
            seen_short: dict[str, int] = {}
            good: list[_Checked] = []
            for line, new in rows:
                try:
                    checked = self._check(new, fleet.short_number_length)
                    _once(seen_numbers, checked.number.national(), line)
                    if checked.abbreviated:
                        _once(seen_short, checked.abbreviated, line)
                    await _ensure_free(session, fleet_id, checked, keep=None)
                except DomainError as exc:
                    faults.append(RowFault(line, exc))
                else:
                    good.append(checked)
            if not faults:
                try:
                    await _room(session, fleet_id, adding=len(good))
                except DomainError as exc:
                    faults.append(RowFault(0, exc))
            if faults:
                return ImportOutcome(created=0, faults=tuple(faults))
            for checked in good:
                await self._add(session, actor, fleet_id, checked)
        return ImportOutcome(created=len(good), faults=())

    # -- inside a transaction ------------------------------------------------------------

    def _check(self, new: ContactInput, length: int) -> _Checked:
        return _Checked(
            name=rules.name(new.name),
            company=rules.optional_text(new.company, field="company", max_len=rules.COMPANY_MAX),
            number=self.policy.destination(new.number, field="number"),
            abbreviated=rules.abbreviated(new.abbreviated, length=length),
            notes=rules.optional_text(new.notes, field="notes", max_len=rules.NOTES_MAX),
        )

    async def _add(
        self, session: AsyncSession, actor: Actor, fleet_id: int, new: _Checked
    ) -> Contact:
        now = self.now()
        row = ContactRow(
            fleet_id=fleet_id,
            name=new.name,
            company=new.company,
            number=new.number.value,
            abbreviated=new.abbreviated,
            notes=new.notes,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        await session.flush()
        created = contact_view(row)
        change = ContactChange(fleet_id=fleet_id, contact_id=row.id, before=None, after=created)
        self.record(session, actor, change)
        return created


async def _load(session: AsyncSession, contact_id: int) -> ContactRow:
    row = await session.get(ContactRow, contact_id)
    if row is None:
        raise not_found("contact", contact_id)
    return row


def contact_view(row: ContactRow) -> Contact:
    return Contact(
        id=row.id,
        fleet_id=row.fleet_id,
        name=row.name,
        company=row.company,
        number=E164(row.number),
        abbreviated=row.abbreviated,
        notes=row.notes,
    )


async def _room(session: AsyncSession, fleet_id: int, *, adding: int) -> None:
    count = await session.scalar(
        select(func.count()).select_from(ContactRow).where(ContactRow.fleet_id == fleet_id)
    )
    if (count or 0) + adding > rules.MAX_CONTACTS_PER_FLEET:
        raise DomainError(ErrorCode.CONTACT_LIMIT_REACHED, max=rules.MAX_CONTACTS_PER_FLEET)


async def _ensure_free(
    session: AsyncSession, fleet_id: int, new: _Checked, *, keep: int | None
) -> None:
    """The number is no other contact's of the fleet; the abbreviated number is no short
    number of the fleet (a line's, fixed number's, group's or another contact's)."""
    query = select(ContactRow.id).where(
        ContactRow.fleet_id == fleet_id, ContactRow.number == new.number.value
    )
    if keep is not None:
        query = query.where(ContactRow.id != keep)
    if await session.scalar(query) is not None:
        raise DomainError(
            ErrorCode.CONTACT_NUMBER_IN_USE, field="number", number=new.number.national()
        )
    if new.abbreviated:
        mine = Owner(OwnerKind.CONTACT, keep, fleet_id) if keep is not None else None
        try:
            await ensure_short_number_free(session, fleet_id, new.abbreviated, keep=mine)
        except DomainError as exc:
            raise DomainError(exc.code, field="abbreviated", **exc.params) from exc


def _once(seen: dict[str, int], value: str, line: int) -> None:
    """``value`` is the file's first of it."""
    first = seen.setdefault(value, line)
    if first != line:
        raise DomainError(ErrorCode.IMPORT_DUPLICATE, value=value, first=first)
