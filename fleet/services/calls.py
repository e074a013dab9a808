"""Call records (DESIGN §4): written by the call engine, read by the call logs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, exists, func, or_, select
from sqlalchemy import insert as sa_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased, selectinload

from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.values import CallOutcome, SessionCase
from fleet.db.tables import CallEventRow, CallRecordRow
from fleet.services import views
from fleet.services.base import Service
from fleet.services.record_copy import copy_records, text_value

PAGE_MAX = 500
# Core tables, not the ORM classes: an ORM bulk INSERT leaves out the keys whose value is
# None and so splits a batch into one statement per shape of row
RECORDS = cast(Table, CallRecordRow.__table__)
EVENTS = cast(Table, CallEventRow.__table__)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFilter:
    """Which calls of a fleet's log: ``line`` (E.164) keeps one line's calls, each once
    (:func:`_one_visit_per_call`); ``number`` (as typed) keeps the calls it took part in;
    ``since`` (included) and ``until`` (excluded) bound when the call was offered."""

    fleet_id: int
    line: str | None = None
    number: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    outcome: CallOutcome | None = None


@dataclass(frozen=True, slots=True)
class CallCursor:
    """Where a page of the log ends: the next page starts after this record (keyset)."""

    offered_at: datetime
    record_id: int


@dataclass(frozen=True, slots=True)
class CallLogPage:
    items: tuple[model.CallRecord, ...]
    next: CallCursor | None  # None: the last page


class CallRecordService(Service):
    async def save(self, record: model.CallRecord) -> bool:
        """Store a record with its events unless a record with its call id is stored
        already (then nothing changes); True when it was new."""
        return await self.save_many([record]) == 1

    async def save_many(self, records: Sequence[model.CallRecord]) -> int:
        """Store, in one transaction, the records whose call id is not stored yet, with
        their events (PostgreSQL: ``COPY``, ``fleet.services.record_copy``; SQLite: two
        multi-row INSERTs); a record already stored is left as it is: delivering a record
        twice stores it once. Returns how many were new."""
        first: dict[str, model.CallRecord] = {}
        for record in records:
            first.setdefault(record.call_id, record)
        unique = list(first.values())
        if not unique:
            return 0
        async with self.write() as session:
            if session.get_bind().dialect.name == "postgresql":
                return await copy_records(session, unique)
            statement = (
                sqlite_insert(RECORDS)
                .on_conflict_do_nothing(index_elements=["call_id"])
                .returning(RECORDS.c.id, RECORDS.c.call_id)
            )
            stored = await session.execute(statement, [_record_row(r) for r in unique])
            ids = {call_id: row_id for row_id, call_id in stored.all()}
            events = [
                _event_row(ids[r.call_id], e) for r in unique if r.call_id in ids for e in r.events
            ]
            if events:
                await session.execute(sa_insert(EVENTS), events)
            return len(ids)

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

    async def of_correlations(
        self, correlation_ids: Sequence[str], *, limit: int = PAGE_MAX
    ) -> list[model.CallRecord]:
        """The records (every visit) of the calls with these correlation ids (SIP: the
        ICID), oldest first, with their events; at most ``limit``."""
        wanted = sorted({c for c in correlation_ids if c})
        if not wanted:
            return []
        async with self.read() as session:
            rows = await session.scalars(
                select(CallRecordRow)
                .where(CallRecordRow.correlation_id.in_(wanted))
                .options(selectinload(CallRecordRow.events))
                .order_by(CallRecordRow.offered_at, CallRecordRow.id)
                .limit(max(1, min(limit, PAGE_MAX)))
            )
            return [views.call_record(r) for r in rows.all()]

    async def search(
        self, *, fleet_id: int, number: str | None = None, offset: int = 0, limit: int = 50
    ) -> model.Page[model.CallRecord]:
        """A fleet's call log, newest first; ``number`` (E.164) keeps one party's calls,
        each once (:func:`_one_visit_per_call`)."""
        offset, limit = max(0, offset), max(1, min(limit, PAGE_MAX))
        query = select(CallRecordRow).where(CallRecordRow.fleet_id == fleet_id)
        if number:
            query = query.where(_one_visit_per_call(number))
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

    async def log(
        self, where: CallFilter, *, after: CallCursor | None = None, limit: int = 50
    ) -> CallLogPage:
        """A page of a fleet's call log, newest first, filtered; keyset paging: each page
        costs the same however deep, and a call recorded meanwhile shifts nothing."""
        limit = max(1, min(limit, PAGE_MAX))
        query = select(CallRecordRow).where(CallRecordRow.fleet_id == where.fleet_id)
        if where.line:
            query = query.where(_one_visit_per_call(where.line))
        if where.number is not None:
            party = self._party(where.number)
            query = query.where(or_(CallRecordRow.caller == party, CallRecordRow.called == party))
        if where.since is not None:
            query = query.where(CallRecordRow.offered_at >= where.since)
        if where.until is not None:
            query = query.where(CallRecordRow.offered_at < where.until)
        if where.outcome is not None:
            query = query.where(CallRecordRow.outcome == where.outcome)
        if after is not None:
            query = query.where(
                or_(
                    CallRecordRow.offered_at < after.offered_at,
                    and_(
                        CallRecordRow.offered_at == after.offered_at,
                        CallRecordRow.id < after.record_id,
                    ),
                )
            )
        async with self.read() as session:
            rows = (
                await session.scalars(
                    query.options(selectinload(CallRecordRow.events))
                    .order_by(CallRecordRow.offered_at.desc(), CallRecordRow.id.desc())
                    .limit(limit + 1)
                )
            ).all()
            shown = rows[:limit]
            last = shown[-1] if len(rows) > limit else None
            return CallLogPage(
                items=tuple(views.call_record(r) for r in shown),
                next=CallCursor(last.offered_at, last.id) if last is not None else None,
            )

    def _party(self, typed: str) -> str:
        """A typed number as the records hold it: E.164 when it is a phone number, else its
        digits (a short number, as dialled)."""
        digits = self.policy.clean(typed)
        if not digits or not digits.lstrip("+").isdigit():
            raise DomainError(ErrorCode.NUMBER_INVALID, field="number", number=typed)
        number = self.policy.classify(digits)[1]
        return number.value if number is not None else digits


def _one_visit_per_call(number: str) -> ColumnElement[bool]:
    """The records of ``number``'s calls, one per call: a call between two fleet lines
    through the mobile core leaves a record per visit (originating, terminating) with one
    correlation id. The caller's log shows its originating visit, the callee's its
    terminating one; the other visit only when that one is missing."""
    twin = aliased(CallRecordRow)
    record = CallRecordRow

    def has_twin(case: SessionCase, party: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists().where(
            twin.correlation_id == record.correlation_id, twin.session_case == case, party
        )

    as_caller = and_(
        record.caller == number,
        or_(
            record.session_case == SessionCase.ORIGINATING,
            ~has_twin(SessionCase.ORIGINATING, twin.caller == number),
        ),
    )
    as_callee = and_(
        record.called == number,
        or_(
            record.session_case == SessionCase.TERMINATING,
            ~has_twin(SessionCase.TERMINATING, twin.called == number),
        ),
    )
    return or_(as_caller, as_callee)


def _record_row(r: model.CallRecord) -> dict[str, Any]:
    return {
        "call_id": r.call_id,
        "fleet_id": r.fleet_id,
        "caller": text_value(r.caller, 32),
        "called": text_value(r.called, 32),
        "offered_at": r.offered_at,
        "answered_at": r.answered_at,
        "released_at": r.released_at,
        "outcome": r.outcome,
        "cause": text_value(r.cause, 64),
        "session_case": r.session_case,
        "correlation_id": text_value(r.correlation_id, 128),
        "caller_network_id": text_value(r.caller_network_id, 255),
        "callee_network_id": text_value(r.callee_network_id, 255),
    }


def _event_row(record_id: int, e: model.CallEvent) -> dict[str, Any]:
    return {
        "call_record_id": record_id,
        "seq": e.seq,
        "at": e.at,
        "kind": e.kind,
        "forwarding_kind": e.forwarding_kind,
        "from_number": text_value(e.from_number, 32),
        "to_number": text_value(e.to_number, 32),
        "group_id": e.group_id,
        "member_line_id": e.member_line_id,
        "detail": e.detail,
    }
