"""Incoming-call lists: up to 5 numbers of the VPN, simultaneous or cascade (seed 004 §4)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fleet.core import model, rules
from fleet.core.changes import IncomingListChange
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import E164
from fleet.core.values import UNSET, Actor, RingMode, Unset
from fleet.db.tables import IncomingEntryRow, IncomingListRow, LineRow
from fleet.services import views
from fleet.services.base import Service
from fleet.services.lineload import pabx_line
from fleet.services.lookups import vpn_numbers
from fleet.services.restrictioncheck import check_destinations


class IncomingListService(Service):
    async def get(self, line_id: int) -> model.IncomingList | None:
        async with self.read() as session:
            row = await self._load(session, line_id)
            return views.incoming_list(row) if row else None

    async def save(
        self,
        actor: Actor,
        line_id: int,
        *,
        entries: Sequence[str],
        mode: str | RingMode = RingMode.SIMULTANEOUS,
        ring_time: int = rules.RING_TIME_DEFAULT,
        active: bool = True,
    ) -> model.IncomingList:
        """Replace the whole list: its entries (in order), mode, ring time and state."""
        ring = rules.ring_mode(mode)
        step = rules.ring_time(ring_time)
        cleaned = [e for e in entries if e and e.strip()]
        rules.list_size(len(cleaned))
        numbers = []
        for index, raw in enumerate(cleaned):
            number = self.policy.destination(raw, field=f"entries.{index}")
            if number in numbers:
                raise DomainError(
                    ErrorCode.LIST_DUPLICATE_ENTRY,
                    field=f"entries.{index}",
                    number=number.national(),
                )
            numbers.append(number)
        if active and not numbers:
            raise DomainError(ErrorCode.LIST_EMPTY, field="entries")
        return await self.again_on_conflict(
            lambda: self._replace(actor, line_id, numbers, ring, step, active)
        )

    async def _replace(
        self,
        actor: Actor,
        line_id: int,
        numbers: list[E164],
        ring: RingMode,
        step: int,
        active: bool,
    ) -> model.IncomingList:
        async with self.write() as session:
            line = await pabx_line(session, line_id, lock=True)  # one replacement at a time
            in_vpn = await vpn_numbers(session, line.fleet_id, [n.value for n in numbers])
            for index, number in enumerate(numbers):
                if number.value not in in_vpn:
                    raise DomainError(
                        ErrorCode.NUMBER_NOT_IN_VPN,
                        field=f"entries.{index}",
                        number=number.national(),
                    )
            await check_destinations(
                session, self.policy, line, numbers, field="entries", indexed=True
            )
            row = await self._load(session, line_id)
            before = views.incoming_list(row) if row else None
            if row is None:
                row = IncomingListRow(line_id=line_id, entries=[])
                session.add(row)
            else:
                await session.execute(
                    delete(IncomingEntryRow).where(IncomingEntryRow.line_id == line_id)
                )
                session.expire(row, ["entries"])
            row.active = bool(active)
            row.mode = ring
            row.ring_time = step
            row.updated_at = self.now()
            await session.flush()
            session.add_all(
                IncomingEntryRow(line_id=line_id, position=i + 1, number=n.value)
                for i, n in enumerate(numbers)
            )
            await session.flush()
            row = await self._load(session, line_id, refresh=True)
            assert row is not None
            after = views.incoming_list(row)
            self._record(session, actor, line, before, after)
        return after

    async def update(
        self,
        actor: Actor,
        line_id: int,
        *,
        active: bool | Unset = UNSET,
        mode: str | RingMode | Unset = UNSET,
        ring_time: int | Unset = UNSET,
    ) -> model.IncomingList:
        """Change the state, mode or ring time and keep the entries (USSD on/off, mode)."""
        ring = None if isinstance(mode, Unset) else rules.ring_mode(mode)
        step = None if isinstance(ring_time, Unset) else rules.ring_time(ring_time)
        async with self.write() as session:
            line = await pabx_line(session, line_id)
            row = await self._load(session, line_id)
            if row is None:
                if active is True:
                    raise DomainError(ErrorCode.LIST_EMPTY, field="entries")
                row = IncomingListRow(
                    line_id=line_id,
                    active=False,
                    mode=RingMode.SIMULTANEOUS,
                    ring_time=rules.RING_TIME_DEFAULT,
                    updated_at=self.now(),
                    entries=[],
                )
                session.add(row)
                before = None
            else:
                before = views.incoming_list(row)
            if not isinstance(active, Unset):
                if active and not row.entries:
                    raise DomainError(ErrorCode.LIST_EMPTY, field="entries")
                row.active = bool(active)
            if ring is not None:
                row.mode = ring
            if step is not None:
                row.ring_time = step
            row.updated_at = self.now()
            await session.flush()
            after = views.incoming_list(row)
            if after != before:
                self._record(session, actor, line, before, after)
        return after

    async def disable(self, actor: Actor, line_id: int) -> model.IncomingList | None:
        """ "Je ne souhaite pas personnaliser mes appels entrants": the list is kept, off."""
        async with self.read() as session:
            exists = await self._load(session, line_id) is not None
        if not exists:
            async with self.write() as session:
                await pabx_line(session, line_id)
            return None
        return await self.update(actor, line_id, active=False)

    async def _load(
        self, session: AsyncSession, line_id: int, *, refresh: bool = False
    ) -> IncomingListRow | None:
        query = (
            select(IncomingListRow)
            .where(IncomingListRow.line_id == line_id)
            .options(selectinload(IncomingListRow.entries))
        )
        if refresh:
            query = query.execution_options(populate_existing=True)
        return await session.scalar(query)

    def _record(
        self,
        session: AsyncSession,
        actor: Actor,
        line: LineRow,
        before: model.IncomingList | None,
        after: model.IncomingList,
    ) -> None:
        change = IncomingListChange(
            fleet_id=line.fleet_id, line_id=line.id, before=before, after=after
        )
        self.record(session, actor, change)
