"""Queries shared by several services: who owns a number or a short number."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.numbering import E164, optional_short_number
from fleet.db.tables import FixedNumberRow, FleetRow, GroupRow, LineRow
from fleet.db.tables_contacts import ContactRow


class OwnerKind(Enum):
    LINE = "line"
    FIXED = "fixed"
    GROUP = "group"
    CONTACT = "contact"  # a directory contact's abbreviated number is a short number too


@dataclass(frozen=True, slots=True)
class Owner:
    kind: OwnerKind
    id: int
    fleet_id: int


async def number_owners(session: AsyncSession, number: E164) -> list[Owner]:
    """Every line, fixed number and call group using this number (any fleet)."""
    owners: list[Owner] = []
    for kind, table, column in (
        (OwnerKind.LINE, LineRow, LineRow.msisdn),
        (OwnerKind.FIXED, FixedNumberRow, FixedNumberRow.number),
        (OwnerKind.GROUP, GroupRow, GroupRow.number),
    ):
        rows = await session.execute(select(table.id, table.fleet_id).where(column == number.value))
        owners.extend(Owner(kind, r.id, r.fleet_id) for r in rows)
    return owners


async def ensure_number_free(session: AsyncSession, number: E164, *, field: str) -> None:
    if await number_owners(session, number):
        raise DomainError(ErrorCode.NUMBER_IN_USE, field=field, number=number.national())


async def short_number_owners(session: AsyncSession, fleet_id: int, short: str) -> list[Owner]:
    owners: list[Owner] = []
    for kind, table in (
        (OwnerKind.LINE, LineRow),
        (OwnerKind.FIXED, FixedNumberRow),
        (OwnerKind.GROUP, GroupRow),
    ):
        rows = await session.execute(
            select(table.id).where(table.fleet_id == fleet_id, table.short_number == short)
        )
        owners.extend(Owner(kind, r.id, fleet_id) for r in rows)
    contacts = await session.scalars(
        select(ContactRow.id).where(
            ContactRow.fleet_id == fleet_id, ContactRow.abbreviated == short
        )
    )
    owners.extend(Owner(OwnerKind.CONTACT, i, fleet_id) for i in contacts)
    return owners


async def abbreviated_taken(session: AsyncSession, fleet_id: int, shorts: list[str]) -> str | None:
    """One of ``shorts`` that is a directory contact's abbreviated number in the fleet."""
    if not shorts:
        return None
    return (
        await session.scalars(
            select(ContactRow.abbreviated).where(
                ContactRow.fleet_id == fleet_id, ContactRow.abbreviated.in_(shorts)
            )
        )
    ).first()


async def ensure_short_number_free(
    session: AsyncSession, fleet_id: int, short: str, *, keep: Owner | None = None
) -> None:
    owners = [o for o in await short_number_owners(session, fleet_id, short) if o != keep]
    if owners:
        raise DomainError(ErrorCode.SHORT_NUMBER_IN_USE, field="short_number", short_number=short)


async def changed_short_number(
    session: AsyncSession, owner: Owner, *, current: str | None, wanted: str | None
) -> str | None:
    """The short number ``owner`` (a line or a group) asks for in place of ``current``:
    ``wanted`` checked against its fleet's length (``None`` when blank), and free in the
    fleet unless it is the one it has."""
    fleet = await load_fleet(session, owner.fleet_id)
    short = optional_short_number(wanted, fleet.short_number_length)
    if short and short != current:
        await ensure_short_number_free(session, owner.fleet_id, short, keep=owner)
    return short


async def load_fleet(session: AsyncSession, fleet_id: int) -> FleetRow:
    row = await session.get(FleetRow, fleet_id)
    if row is None:
        raise not_found("fleet", fleet_id)
    return row


async def vpn_numbers(session: AsyncSession, fleet_id: int, numbers: list[str]) -> set[str]:
    """The subset of ``numbers`` (E.164) that are lines or fixed numbers of the fleet."""
    if not numbers:
        return set()
    found = set(
        (
            await session.scalars(
                select(LineRow.msisdn).where(
                    LineRow.fleet_id == fleet_id, LineRow.msisdn.in_(numbers)
                )
            )
        ).all()
    )
    found |= set(
        (
            await session.scalars(
                select(FixedNumberRow.number).where(
                    FixedNumberRow.fleet_id == fleet_id, FixedNumberRow.number.in_(numbers)
                )
            )
        ).all()
    )
    return found
