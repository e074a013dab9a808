"""Fleets (the company VPN) and their fixed numbers reached over SIP trunks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import model, rules
from fleet.core.changes import FixedNumberChange, FleetChange
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.numbering import optional_short_number as _short
from fleet.core.values import UNSET, Actor, Language, Unset
from fleet.db.tables import FixedNumberRow, FleetRow, GroupRow, LineRow
from fleet.db.tables_contacts import ContactRow
from fleet.services import views
from fleet.services.base import Service
from fleet.services.lookups import (
    Owner,
    OwnerKind,
    ensure_number_free,
    ensure_short_number_free,
    load_fleet,
)
from fleet.services.trunks import require_trunk


class FleetService(Service):
    async def create(
        self,
        actor: Actor,
        *,
        name: str,
        short_number_length: int = rules.DEFAULT_SHORT_NUMBER_LENGTH,
        language: str | Language = Language.FR,
        timezone: str = "Europe/Paris",
    ) -> model.Fleet:
        now = self.now()
        row = FleetRow(
            name=rules.fleet_name(name),
            short_number_length=rules.short_number_length(short_number_length),
            language=rules.language(language),
            timezone=rules.timezone(timezone),
            created_at=now,
            updated_at=now,
        )
        async with self.write() as session:
            session.add(row)
            await session.flush()
            view = views.fleet(row)
            self.record(session, actor, FleetChange(fleet_id=row.id, before=None, after=view))
        return view

    async def get(self, fleet_id: int) -> model.Fleet:
        async with self.read() as session:
            return views.fleet(await load_fleet(session, fleet_id))

    async def all(self, fleet_ids: Sequence[int] | None = None) -> list[model.Fleet]:
        query = select(FleetRow).order_by(FleetRow.name, FleetRow.id)
        if fleet_ids is not None:
            query = query.where(FleetRow.id.in_(fleet_ids))
        async with self.read() as session:
            return [views.fleet(r) for r in (await session.scalars(query)).all()]

    async def update(
        self,
        actor: Actor,
        fleet_id: int,
        *,
        name: str | Unset = UNSET,
        short_number_length: int | Unset = UNSET,
        language: str | Language | Unset = UNSET,
        timezone: str | Unset = UNSET,
    ) -> model.Fleet:
        async with self.write() as session:
            row = await load_fleet(session, fleet_id)
            before = views.fleet(row)
            if not isinstance(name, Unset):
                row.name = rules.fleet_name(name)
            if not isinstance(short_number_length, Unset):
                length = rules.short_number_length(short_number_length)
                if length != row.short_number_length and await self._has_short_numbers(
                    session, fleet_id
                ):
                    raise DomainError(
                        ErrorCode.SHORT_NUMBER_LENGTH_LOCKED, field="short_number_length"
                    )
                row.short_number_length = length
            if not isinstance(language, Unset):
                row.language = rules.language(language)
            if not isinstance(timezone, Unset):
                row.timezone = rules.timezone(timezone)
            row.updated_at = self.now()
            after = views.fleet(row)
            if after != before:
                change = FleetChange(fleet_id=fleet_id, before=before, after=after)
                self.record(session, actor, change)
        return after

    async def delete(self, actor: Actor, fleet_id: int) -> None:
        async with self.write() as session:
            row = await load_fleet(session, fleet_id)
            before = views.fleet(row)
            # groups first: a group may be another group's no-answer target (RESTRICT)
            groups = (
                await session.scalars(select(GroupRow).where(GroupRow.fleet_id == fleet_id))
            ).all()
            for group in groups:
                group.no_answer_group_id = None
            await session.flush()
            await session.delete(row)
            self.record(session, actor, FleetChange(fleet_id=fleet_id, before=before, after=None))

    async def _has_short_numbers(self, session: AsyncSession, fleet_id: int) -> bool:
        for table in (LineRow, FixedNumberRow, GroupRow):
            count = await session.scalar(
                select(func.count())
                .select_from(table)
                .where(table.fleet_id == fleet_id, table.short_number.is_not(None))
            )
            if count:
                return True
        abbreviated = await session.scalar(  # directory contacts' numbers have the length too
            select(func.count())
            .select_from(ContactRow)
            .where(ContactRow.fleet_id == fleet_id, ContactRow.abbreviated.is_not(None))
        )
        return bool(abbreviated)

    # -- fixed numbers ---------------------------------------------------------------

    async def add_fixed_number(
        self,
        actor: Actor,
        fleet_id: int,
        *,
        number: str,
        label: str,
        trunk: str,
        short_number: str | None = None,
    ) -> model.FixedNumber:
        e164 = self.policy.fixed(number)
        clean_label = rules.label(label)
        clean_trunk = rules.trunk_name(trunk)
        async with self.write() as session:
            fleet = await load_fleet(session, fleet_id)
            short = _short(short_number, fleet.short_number_length)
            await ensure_number_free(session, e164, field="number")
            if short:
                await ensure_short_number_free(session, fleet_id, short)
            await require_trunk(session, fleet_id, clean_trunk)
            now = self.now()
            row = FixedNumberRow(
                fleet_id=fleet_id,
                number=e164.value,
                label=clean_label,
                trunk=clean_trunk,
                short_number=short,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            view = views.fixed_number(row)
            change = FixedNumberChange(fleet_id=fleet_id, fixed_id=row.id, before=None, after=view)
            self.record(session, actor, change)
        return view

    async def update_fixed_number(
        self,
        actor: Actor,
        fixed_id: int,
        *,
        label: str | Unset = UNSET,
        trunk: str | Unset = UNSET,
        short_number: str | Unset | None = UNSET,
    ) -> model.FixedNumber:
        async with self.write() as session:
            row = await session.get(FixedNumberRow, fixed_id)
            if row is None:
                raise not_found("fixed_number", fixed_id)
            before = views.fixed_number(row)
            if not isinstance(label, Unset):
                row.label = rules.label(label)
            if not isinstance(trunk, Unset):
                row.trunk = rules.trunk_name(trunk)
                await require_trunk(session, row.fleet_id, row.trunk)
            if not isinstance(short_number, Unset):
                fleet = await load_fleet(session, row.fleet_id)
                short = _short(short_number, fleet.short_number_length)
                if short:
                    await ensure_short_number_free(
                        session,
                        row.fleet_id,
                        short,
                        keep=Owner(OwnerKind.FIXED, row.id, row.fleet_id),
                    )
                row.short_number = short
            row.updated_at = self.now()
            after = views.fixed_number(row)
            change = FixedNumberChange(
                fleet_id=row.fleet_id, fixed_id=row.id, before=before, after=after
            )
            self.record(session, actor, change)
        return after

    async def remove_fixed_number(self, actor: Actor, fixed_id: int) -> None:
        async with self.write() as session:
            row = await session.get(FixedNumberRow, fixed_id)
            if row is None:
                raise not_found("fixed_number", fixed_id)
            before = views.fixed_number(row)
            await session.delete(row)
            change = FixedNumberChange(
                fleet_id=row.fleet_id, fixed_id=fixed_id, before=before, after=None
            )
            self.record(session, actor, change)

    async def fixed_numbers(self, fleet_id: int) -> list[model.FixedNumber]:
        async with self.read() as session:
            await load_fleet(session, fleet_id)
            rows = await session.scalars(
                select(FixedNumberRow)
                .where(FixedNumberRow.fleet_id == fleet_id)
                .order_by(FixedNumberRow.number)
            )
            return [views.fixed_number(r) for r in rows.all()]
