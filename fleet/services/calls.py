"""Call records (DESIGN §4): written by the call engine, read by the call logs."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from fleet.core import model
from fleet.core.errors import not_found
from fleet.db.tables import CallEventRow, CallRecordRow
from fleet.services import views
from fleet.services.base import Service

PAGE_MAX = 500


class CallRecordService(Service):
    async def save(self, record: model.CallRecord) -> None:
        """Insert or replace a record with its events (the engine writes it when the call ends)."""
        async with self.write() as session:
            row = await session.scalar(
                select(CallRecordRow)
                .where(CallRecordRow.call_id == record.call_id)
                .options(selectinload(CallRecordRow.events))
            )
            if row is None:
                row = CallRecordRow(call_id=record.call_id, events=[])
                session.add(row)
            row.fleet_id = record.fleet_id
            row.caller = record.caller
            row.called = record.called
            row.offered_at = record.offered_at
            row.answered_at = record.answered_at
            row.released_at = record.released_at
            row.outcome = record.outcome
            row.cause = record.cause
            row.events.clear()
            await session.flush()
            row.events.extend(
                CallEventRow(
                    seq=e.seq,
                    at=e.at,
                    kind=e.kind,
                    forwarding_kind=e.forwarding_kind,
                    from_number=e.from_number,
                    to_number=e.to_number,
                    group_id=e.group_id,
                    member_line_id=e.member_line_id,
                    detail=e.detail,
                )
                for e in record.events
            )

    async def get(self, call_id: str) -> model.CallRecord:
        async with self.read() as session:
            row = await session.scalar(
                select(CallRecordRow)
                .where(CallRecordRow.call_id == call_id)
                .options(selectinload(CallRecordRow.events))
            )
            if row is None:
                raise not_found("call_record", call_id)
            return views.call_record(row)

    async def search(
        self, *, fleet_id: int, number: str | None = None, offset: int = 0, limit: int = 50
    ) -> model.Page[model.CallRecord]:
        """A fleet's call log, newest first; ``number`` (E.164) keeps one party's calls."""
        offset, limit = max(0, offset), max(1, min(limit, PAGE_MAX))
        query = select(CallRecordRow).where(CallRecordRow.fleet_id == fleet_id)
        if number:
            query = query.where(or_(CallRecordRow.caller == number, CallRecordRow.called == number))
        async with self.read() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            rows = await session.scalars(
                query.options(selectinload(CallRecordRow.events))
                .order_by(CallRecordRow.offered_at.desc(), CallRecordRow.id.desc())
                .offset(offset)
                .limit(limit)
            )
            return model.Page(
                items=tuple(views.call_record(r) for r in rows.all()),
                total=int(total or 0),
                offset=offset,
                limit=limit,
            )
