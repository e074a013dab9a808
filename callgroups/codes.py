"""Connection and administrative codes of call groups, with the lock-out: after 5 wrong
codes in 15 minutes from a line, its codes are refused until the window has passed.
The lock is written to the audit journal so the fleet manager sees it (a ``CodesLocked``
note: it changes no configuration, so it is not published on the change hub)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import model
from fleet.core.changes import CodesLocked
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.values import Actor
from fleet.db.tables import CodeFailureRow, LineRow
from fleet.services.base import Service

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


class CodeKind(Enum):
    USER = "user"  # code de connexion utilisateur
    ADMIN = "admin"  # code administratif


class CodeGuard(Service):
    async def check(
        self, actor: Actor, line_id: int, group: model.CallGroup, code: str, kind: CodeKind
    ) -> None:
        """Return when ``code`` is the group's code of that kind; raise ``CODE_WRONG`` or
        ``CODE_LOCKED`` otherwise (the failure is recorded either way)."""
        expected = group.user_code if kind is CodeKind.USER else group.admin_code
        now = self.now()
        async with self.read() as session:
            locked_until = await self._locked_until(session, line_id, now)
        if locked_until is not None:
            raise DomainError(ErrorCode.CODE_LOCKED, field="code", until=_hhmm(locked_until))
        if (code or "").strip() == expected:
            async with self.write() as session:
                await session.execute(
                    delete(CodeFailureRow).where(CodeFailureRow.line_id == line_id)
                )
            return
        async with self.write() as session:
            line = await session.get(LineRow, line_id)
            if line is None:
                raise not_found("line", line_id)
            session.add(CodeFailureRow(line_id=line_id, at=now))
            await session.flush()
            failures = await self._failures(session, line_id, now)
            if failures >= MAX_FAILURES:
                until = await self._locked_until(session, line_id, now)
                locked = CodesLocked(
                    fleet_id=line.fleet_id,
                    line_id=line_id,
                    until=until,
                    wrong_codes=failures,
                    group=group.name,
                    admin=kind is CodeKind.ADMIN,
                )
                self.record(session, actor, locked)  # journalled; no configuration changed
        if failures >= MAX_FAILURES:
            raise DomainError(ErrorCode.CODE_LOCKED, field="code", until=_hhmm(until or now))
        raise DomainError(ErrorCode.CODE_WRONG, field="code", left=MAX_FAILURES - failures)

    async def locked_until(self, line_id: int) -> datetime | None:
        async with self.read() as session:
            return await self._locked_until(session, line_id, self.now())

    async def _failures(self, session: AsyncSession, line_id: int, now: datetime) -> int:
        count = await session.scalar(
            select(func.count())
            .select_from(CodeFailureRow)
            .where(CodeFailureRow.line_id == line_id, CodeFailureRow.at > now - WINDOW)
        )
        return int(count or 0)

    async def _locked_until(
        self, session: AsyncSession, line_id: int, now: datetime
    ) -> datetime | None:
        """Locked while 5 failures lie within 15 minutes of now; until the 5th newest
        of them leaves the window."""
        rows = (
            await session.scalars(
                select(CodeFailureRow.at)
                .where(CodeFailureRow.line_id == line_id, CodeFailureRow.at > now - WINDOW)
                .order_by(CodeFailureRow.at.desc())
                .limit(MAX_FAILURES)
            )
        ).all()
        if len(rows) < MAX_FAILURES:
            return None
        return rows[-1] + WINDOW


def _hhmm(at: datetime) -> str:
    return at.strftime("%H:%M UTC")
