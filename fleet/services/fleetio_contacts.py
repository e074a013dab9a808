"""The company directory's external contacts in the fleet's JSON (issue 16 item 6): each with
its name, number, company, abbreviated number and notes. On import a contact is known by its
number (once per fleet): created, or given the file's name, company, abbreviated number and
notes (a key absent leaves that value as it is, ``""`` or ``null`` is "none" for the optional
ones); a contact of the fleet the file does not name is left alone (an import never deletes).
The rules are ``ContactService``'s: ``fleet.core.contacts`` and the number policy (a number
as a forwarding destination); an abbreviated number is one more short number of the fleet, so
it goes through the import's short-number check with the lines, fixed numbers and groups of
the fleet and of the file (no swaps within one import); at most ``MAX_CONTACTS_PER_FLEET``
once imported. Every fault is reported with its place (``contacts[2]``); then nothing is
written (``fleetio``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import contacts as rules
from fleet.core.changes import ContactChange
from fleet.core.contacts import Contact
from fleet.core.errors import DomainError, ErrorCode
from fleet.db.tables_contacts import ContactRow
from fleet.services.contacts import contact_view
from fleet.services.fleetio_schedules import json_get, json_object
from fleet.services.fleetio_spec import Fault, Where

if TYPE_CHECKING:
    from fleet.services.fleetio_plan import Checker

KEYS = ("name", "number", "company", "abbreviated", "notes")
TEXTS = ("company", "abbreviated", "notes")  # optional: blank or null is "none"


def encode(contacts: Sequence[Contact]) -> list[dict[str, Any]]:
    """The contacts by name, numbers national."""
    return [
        {
            "name": c.name,
            "number": c.number.national_digits(),
            "company": c.company,
            "abbreviated": c.abbreviated,
            "notes": c.notes,
        }
        for c in sorted(contacts, key=lambda c: (c.name.lower(), c.number.value))
    ]


@dataclass(frozen=True, slots=True)
class ContactSpec:
    where: Where
    name: str | None  # None: absent, left as it is (a new contact needs it)
    number: str
    texts: dict[str, str]  # the optional texts stated ("" is "none")


def decode(value: object, path: str) -> ContactSpec:
    """A contact of the file, its JSON shape checked (``Malformed`` otherwise)."""
    item = json_object(value, path, KEYS)
    texts = {k: json_get(item, path, k, str, required=False) or "" for k in TEXTS if k in item}
    return ContactSpec(
        where=Where(path=path),
        name=json_get(item, path, "name", str, required=False),
        number=json_get(item, path, "number", str, required=True),
        texts=texts,
    )


async def load(session: AsyncSession, fleet_id: int) -> list[Contact]:
    """The fleet's contacts by name (the export)."""
    rows = await session.scalars(
        select(ContactRow)
        .where(ContactRow.fleet_id == fleet_id)
        .order_by(func.lower(ContactRow.name), ContactRow.id)
    )
    return [contact_view(r) for r in rows.all()]


@dataclass(frozen=True, slots=True)
class ContactPlan:
    where: Where
    row: Contact | None  # the fleet's contact of that number
    values: dict[str, Any]  # name, company, number (E.164), abbreviated, notes
    changed: tuple[str, ...]


def check(
    checker: Checker, specs: Sequence[ContactSpec], existing: Sequence[Contact]
) -> list[ContactPlan]:
    """Every contact of the file checked against the fleet's ``existing`` ones and the
    short numbers of the fleet and the file (``checker``); faults go to ``checker.faults``."""
    by_number = {c.number.value: c for c in existing}
    length = checker.state.fleet.short_number_length
    seen: dict[str, Where] = {}
    plans: list[ContactPlan] = []
    for spec in specs:
        where, before = spec.where, len(checker.faults)
        try:
            number = checker.policy.destination(spec.number, field="number")
        except DomainError as exc:
            checker.faults.append(Fault(where, exc))
            continue
        first = seen.setdefault(number.value, where)
        if first is not where:
            checker.fault(where, ErrorCode.IMPORT_DUPLICATE, value=number.national(), first=first)
            continue
        row = by_number.get(number.value)
        try:
            values = _values(spec, row, length)
        except DomainError as exc:
            checker.faults.append(Fault(where, exc))
            continue
        short = values["abbreviated"]
        mine = row is not None and row.abbreviated == short
        checker.short(where, short, f"contact:{short}" if mine else f"contact {number.value}")
        if len(checker.faults) > before:
            continue
        values["number"] = number.value
        now = _now(row) if row is not None else {}
        changed = tuple(k for k in values if now.get(k) != values[k]) if row else tuple(values)
        plans.append(ContactPlan(where, row, values, changed))
    created = sum(p.row is None for p in plans)
    if created and len(existing) + created > rules.MAX_CONTACTS_PER_FLEET:
        code, most = ErrorCode.CONTACT_LIMIT_REACHED, rules.MAX_CONTACTS_PER_FLEET
        checker.fault(Where(path="contacts"), code, max=most)
    return plans


def _now(row: Contact) -> dict[str, Any]:
    return {
        "name": row.name,
        "company": row.company,
        "abbreviated": row.abbreviated,
        "notes": row.notes,
        "number": row.number.value,
    }


def _values(spec: ContactSpec, row: Contact | None, length: int) -> dict[str, Any]:
    now = _now(row) if row is not None else {"company": "", "abbreviated": None, "notes": ""}
    if spec.name is None and row is None:
        raise DomainError(ErrorCode.IMPORT_COLUMN_MISSING, column="name")
    texts = {k: spec.texts.get(k, now[k] or "") for k in TEXTS}
    return {
        "name": rules.name(spec.name) if spec.name is not None else now["name"],
        "company": rules.optional_text(
            texts["company"], field="company", max_len=rules.COMPANY_MAX
        ),
        "abbreviated": rules.abbreviated(texts["abbreviated"], length=length),
        "notes": rules.optional_text(texts["notes"], field="notes", max_len=rules.NOTES_MAX),
    }


async def apply(
    session: AsyncSession, fleet_id: int, plans: Sequence[ContactPlan], now: datetime
) -> list[ContactChange]:
    """Write the checked contacts (changed ones first, so an abbreviated number one leaves
    is free for the next); the changes to journal and announce."""
    done: list[ContactChange] = []
    for plan in plans:
        if plan.row is None or not plan.changed:
            continue
        found = await session.get(ContactRow, plan.row.id)
        assert found is not None
        for name, value in plan.values.items():
            setattr(found, name, value)
        found.updated_at = now
        await session.flush()
        after = contact_view(found)
        done.append(
            ContactChange(fleet_id=fleet_id, contact_id=found.id, before=plan.row, after=after)
        )
    for plan in plans:
        if plan.row is None:
            row = ContactRow(fleet_id=fleet_id, created_at=now, updated_at=now, **plan.values)
            session.add(row)
            await session.flush()
            after = contact_view(row)
            done.append(
                ContactChange(fleet_id=fleet_id, contact_id=row.id, before=None, after=after)
            )
    return done
