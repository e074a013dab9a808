"""Call records written to PostgreSQL with ``COPY`` (issue 12): the record writer's batches
under load, in three round trips whatever their size, with no SQL compiled or parameters
bound per row.

1. one query gives each record whose call id is not stored yet its row id from the table's
   sequence (``nextval``), in the batch's order — a record delivered twice (a journal shipped
   again after a crash) gets none and is left out;
2. ``COPY call_records`` of those records, with their ids;
3. ``COPY call_record_events`` of their events under those ids.

The statements run on the transaction's connection, inside its transaction (the first query,
through SQLAlchemy, begins it; the two ``COPY`` go through the same asyncpg connection, so
they commit or roll back with it). A record stored by another process between step 1 and
step 2 makes the ``COPY`` fail on ``call_id``'s unique constraint: the whole batch is rolled
back (the writer tries it again, and step 1 then leaves that record out)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no stubs
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String

from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode
from fleet.services.base import UNAVAILABLE_STATES

RECORD_COLUMNS = (
    "id",
    "call_id",
    "fleet_id",
    "caller",
    "called",
    "offered_at",
    "answered_at",
    "released_at",
    "outcome",
    "cause",
    "session_case",
    "correlation_id",
    "caller_network_id",
    "callee_network_id",
)
EVENT_COLUMNS = (
    "call_record_id",
    "seq",
    "at",
    "kind",
    "forwarding_kind",
    "from_number",
    "to_number",
    "group_id",
    "member_line_id",
    "detail",
)
# the new call ids, in the batch's order, each with the next id of the table's sequence
NEW_IDS = text(
    "SELECT c.call_id, nextval(pg_get_serial_sequence('call_records', 'id')) "
    "FROM unnest(:call_ids) WITH ORDINALITY AS c(call_id, n) "
    "WHERE NOT EXISTS (SELECT 1 FROM call_records r WHERE r.call_id = c.call_id) "
    "ORDER BY c.n"
).bindparams(bindparam("call_ids", type_=ARRAY(String)))


async def copy_records(session: AsyncSession, records: Sequence[model.CallRecord]) -> int:
    """Store the records (their call ids distinct) not stored yet, with their events, in the
    session's transaction; returns how many were new."""
    rows = await session.execute(NEW_IDS, {"call_ids": [r.call_id for r in records]})
    ids: dict[str, int] = {call_id: row_id for call_id, row_id in rows.all()}
    if not ids:
        return 0
    new = [r for r in records if r.call_id in ids]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection  # asyncpg's Connection, in the transaction begun above
    events = [event_tuple(ids[r.call_id], e) for r in new for e in r.events]
    try:
        await driver.copy_records_to_table(
            "call_records",
            records=[record_tuple(ids[r.call_id], r) for r in new],
            columns=RECORD_COLUMNS,
        )
        if events:
            await driver.copy_records_to_table(
                "call_record_events", records=events, columns=EVENT_COLUMNS
            )
    except (asyncpg.InterfaceError, OSError) as exc:  # the connection is gone
        await connection.invalidate(exc)
        raise DomainError(ErrorCode.DATABASE_UNAVAILABLE) from exc
    except asyncpg.PostgresError as exc:
        raise _domain_error(exc) from exc
    return len(new)


def _domain_error(exc: Exception) -> Exception:
    """A driver error of a ``COPY`` as ``write()`` reports SQLAlchemy's: the database cannot
    serve now, or a unique key already stored; anything else as it is (the batch refused)."""
    state = str(getattr(exc, "sqlstate", "") or "")
    if state.startswith(UNAVAILABLE_STATES):
        return DomainError(ErrorCode.DATABASE_UNAVAILABLE)
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return DomainError(ErrorCode.CONFLICT)
    return exc


def text_value(value: str | None, length: int) -> str | None:
    """A text column's value as the database takes it: no NUL, at most ``length``."""
    return None if value is None else value.replace("\x00", "")[:length]


def record_tuple(row_id: int, r: model.CallRecord) -> tuple[Any, ...]:
    return (
        row_id,
        r.call_id,
        r.fleet_id,
        text_value(r.caller, 32),
        text_value(r.called, 32),
        r.offered_at,
        r.answered_at,
        r.released_at,
        None if r.outcome is None else r.outcome.value,
        text_value(r.cause, 64),
        r.session_case.value,
        text_value(r.correlation_id, 128),
        text_value(r.caller_network_id, 255),
        text_value(r.callee_network_id, 255),
    )


def event_tuple(record_id: int, e: model.CallEvent) -> tuple[Any, ...]:
    return (
        record_id,
        e.seq,
        e.at,
        e.kind.value,
        None if e.forwarding_kind is None else e.forwarding_kind.value,
        text_value(e.from_number, 32),
        text_value(e.to_number, 32),
        e.group_id,
        e.member_line_id,
        None if e.detail is None else json.dumps(e.detail),
    )
