"""Connection and administrative codes of call groups, with the lock-out (DESIGN §7).

Wrong codes are counted per (line, group, kind of code). After 5 in 15 minutes, that line's
codes of that kind for that group are refused, even the right one, until the oldest of those
5 leaves the window. Nothing erases a failure before then: not a right code of the same kind
(the count is not reset, so a burst never gets more than 5 wrong codes evaluated), nor a code
of the other kind or of another group (so a line cannot reset its count by interleaving a
code it knows). A right code from a line that may not use it (the connection code from a
line outside the group; any code from a line of another fleet) is a failure like a wrong
code, with the same answer: the answer never tells which codes are right.

The check and the count are one transaction whose first statement takes the (line, group,
kind) guard row with an upsert: on PostgreSQL a row lock that serialises the checks of the
same code from every process; on SQLite the database's write lock. The failures each check
reads are therefore all those committed before it, and the one that reaches 5 writes the
only journal entry of that lock (a ``CodesLocked`` note: it changes no configuration, so it
is not published on the change hub)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Executable, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import model
from fleet.core.changes import CodesLocked
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.values import Actor
from fleet.core.values import CodeKind as CodeKind  # where the callers find it
from fleet.db.tables import CodeFailureRow, CodeGuardRow, GroupRow, LineRow, MemberRow
from fleet.services.base import Service

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


def may_use(kind: CodeKind, *, same_fleet: bool, member: bool) -> bool:
    """Who may use a group's code: a member its connection code (to connect or disconnect
    itself); any line of the group's fleet its administrative code."""
    return same_fleet and (member or kind is CodeKind.ADMIN)


class CodeGuard(Service):
    async def check(
        self, actor: Actor, line_id: int, group: model.CallGroup, code: str, kind: CodeKind
    ) -> None:
        """Return when ``code`` is the group's code of that kind and the line may use it;
        raise ``CODE_WRONG`` (a failure is recorded) or ``CODE_LOCKED`` otherwise."""
        now = self.now()
        async with self.write() as session:
            await self._take_guard(session, line_id, group, kind, now)
            await session.execute(
                delete(CodeFailureRow).where(*_key(line_id, group.id, kind), _expired(now))
            )
            recent = await self._recent(session, line_id, group.id, kind, now)
            if len(recent) >= MAX_FAILURES:
                refusal = _locked(recent)  # nothing evaluated, nothing counted
            elif (facts := await self._facts(session, line_id, group)).accepts(kind, code):
                return
            else:
                session.add(CodeFailureRow(line_id=line_id, group_id=group.id, kind=kind, at=now))
                failures = [now, *recent]
                if len(failures) < MAX_FAILURES:
                    left = MAX_FAILURES - len(failures)
                    refusal = DomainError(ErrorCode.CODE_WRONG, field="code", left=left)
                else:
                    refusal = _locked(failures)
                    locked = CodesLocked(
                        fleet_id=facts.line_fleet_id,
                        line_id=line_id,
                        until=_until(failures),
                        wrong_codes=len(failures),
                        group=group.name,
                        admin=kind is CodeKind.ADMIN,
                    )
                    self.record(session, actor, locked)  # journalled; no configuration changed
        raise refusal

    async def _take_guard(
        self,
        session: AsyncSession,
        line_id: int,
        group: model.CallGroup,
        kind: CodeKind,
        now: datetime,
    ) -> None:
        """The transaction's first statement: an upsert of the guard row, which holds it
        (and on SQLite the database) until the commit."""
        dialect = session.get_bind().dialect.name
        try:
            await session.execute(_upsert_guard(dialect, line_id, group.id, kind, now))
        except IntegrityError as exc:  # the line or the group was deleted meanwhile
            raise not_found("call_group", group.name) from exc

    async def _recent(
        self, session: AsyncSession, line_id: int, group_id: int, kind: CodeKind, now: datetime
    ) -> list[datetime]:
        """The newest failures in the window (at most ``MAX_FAILURES``), newest first."""
        found = await session.scalars(
            select(CodeFailureRow.at)
            .where(*_key(line_id, group_id, kind), CodeFailureRow.at > now - WINDOW)
            .order_by(CodeFailureRow.at.desc())
            .limit(MAX_FAILURES)
        )
        return list(found.all())

    async def _facts(self, session: AsyncSession, line_id: int, group: model.CallGroup) -> _Facts:
        """What decides whether a code is accepted, read in the guard's transaction (the
        group's current codes); the same queries run whatever the outcome."""
        codes = (
            await session.execute(
                select(GroupRow.fleet_id, GroupRow.user_code, GroupRow.admin_code).where(
                    GroupRow.id == group.id
                )
            )
        ).one_or_none()
        line_fleet = await session.scalar(select(LineRow.fleet_id).where(LineRow.id == line_id))
        members = await session.scalar(
            select(func.count())
            .select_from(MemberRow)
            .where(MemberRow.group_id == group.id, MemberRow.line_id == line_id)
        )
        if codes is None or line_fleet is None:  # held by the guard row: cannot happen
            raise not_found("call_group", group.name)
        return _Facts(
            line_fleet_id=line_fleet,
            group_fleet_id=codes.fleet_id,
            user_code=codes.user_code,
            admin_code=codes.admin_code,
            member=bool(members),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Facts:
    line_fleet_id: int
    group_fleet_id: int
    user_code: str
    admin_code: str
    member: bool

    def accepts(self, kind: CodeKind, code: str) -> bool:
        """The code is the group's code of that kind, from a line that may use it."""
        expected = self.user_code if kind is CodeKind.USER else self.admin_code
        right = hmac.compare_digest((code or "").strip().encode(), expected.encode())
        same_fleet = self.line_fleet_id == self.group_fleet_id
        return right and may_use(kind, same_fleet=same_fleet, member=self.member)


def _upsert_guard(
    dialect: str, line_id: int, group_id: int, kind: CodeKind, now: datetime
) -> Executable:
    values = {"line_id": line_id, "group_id": group_id, "kind": kind, "checked_at": now}
    keys = [CodeGuardRow.line_id, CodeGuardRow.group_id, CodeGuardRow.kind]
    if dialect == "postgresql":
        pg = postgresql.insert(CodeGuardRow).values(values)
        return pg.on_conflict_do_update(index_elements=keys, set_={"checked_at": now})
    lite = sqlite.insert(CodeGuardRow).values(values)
    return lite.on_conflict_do_update(index_elements=keys, set_={"checked_at": now})


def _key(line_id: int, group_id: int, kind: CodeKind) -> tuple[ColumnElement[bool], ...]:
    return (
        CodeFailureRow.line_id == line_id,
        CodeFailureRow.group_id == group_id,
        CodeFailureRow.kind == kind,
    )


def _expired(now: datetime) -> ColumnElement[bool]:
    return CodeFailureRow.at <= now - WINDOW


def _until(newest_first: list[datetime]) -> datetime:
    """Locked until the 5th newest failure leaves the window."""
    return newest_first[MAX_FAILURES - 1] + WINDOW


def _locked(newest_first: list[datetime]) -> DomainError:
    return DomainError(ErrorCode.CODE_LOCKED, field="code", until=_hhmm(_until(newest_first)))


def _hhmm(at: datetime) -> str:
    return at.strftime("%H:%M UTC")
