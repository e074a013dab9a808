"""What the call-group use cases share: loading a group, its members and lines, and
recording their changes (a group's settings, or its members)."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fleet.core import model
from fleet.core.changes import GroupChange, MemberChange
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.numbering import E164
from fleet.core.values import Actor
from fleet.db.tables import GroupRow, LineRow, MemberRow
from fleet.services.base import Service


class GroupStore(Service):
    def _query(self) -> Select[GroupRow]:
        return select(GroupRow).options(selectinload(GroupRow.members).selectinload(MemberRow.line))

    async def _load(
        self, session: AsyncSession, group_id: int, *, refresh: bool = False, lock: bool = False
    ) -> GroupRow:
        query = self._query().where(GroupRow.id == group_id)
        if lock:
            # membership changes of one group are serialised (the 10-member limit holds
            # under concurrency); SQLite ignores this and relies on the unique position
            query = query.with_for_update(of=GroupRow)
        if refresh:
            query = query.execution_options(populate_existing=True)
        row = await session.scalar(query)
        if row is None:
            raise not_found("call_group", group_id)
        return row

    async def _member(self, session: AsyncSession, row: GroupRow, line_id: int) -> MemberRow:
        for member in row.members:
            if member.line_id == line_id:
                return member
        line = await session.get(LineRow, line_id)  # named by its number, never by its id
        number = E164(line.msisdn).national() if line is not None else "?"
        raise DomainError(ErrorCode.NOT_A_MEMBER, field="line", number=number)

    async def _renumber(self, session: AsyncSession, row: GroupRow, order: list[int]) -> None:
        by_line = {m.line_id: m for m in row.members}
        # two passes so the (group, position) uniqueness never collides midway
        for offset, line_id in enumerate(order, start=1):
            by_line[line_id].position = 1000 + offset
        await session.flush()
        for position, line_id in enumerate(order, start=1):
            by_line[line_id].position = position
        await session.flush()

    async def _member_line(self, session: AsyncSession, fleet_id: int, line_id: int) -> LineRow:
        line = await session.get(LineRow, line_id)
        if line is None:
            raise not_found("line", line_id)
        number = E164(line.msisdn).national()
        if line.fleet_id != fleet_id:
            raise DomainError(ErrorCode.GROUP_MEMBER_OTHER_FLEET, field="line", number=number)
        if not line.pabx_option:
            raise DomainError(ErrorCode.PABX_OPTION_REQUIRED, field="line", number=number)
        return line

    def _group_changed(
        self,
        session: AsyncSession,
        actor: Actor,
        row: GroupRow,
        before: model.CallGroup | None,
        after: model.CallGroup | None,
    ) -> None:
        """The group created (``before`` None), its settings changed, or deleted."""
        change = GroupChange(fleet_id=row.fleet_id, group_id=row.id, before=before, after=after)
        self.record(session, actor, change)

    def _members_changed(
        self,
        session: AsyncSession,
        actor: Actor,
        row: GroupRow,
        before: model.CallGroup,
        after: model.CallGroup,
    ) -> None:
        """Members added, removed, reordered, connected or disconnected."""
        change = MemberChange(fleet_id=row.fleet_id, group_id=row.id, before=before, after=after)
        self.record(session, actor, change)
