"""Members of a call group: add, remove, order, connect and disconnect (DESIGN §5)."""

from __future__ import annotations

from collections.abc import Sequence

from callgroups import rules
from callgroups.store import GroupStore
from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import E164
from fleet.core.values import Actor
from fleet.db.tables import MemberRow
from fleet.services import views


class MembershipService(GroupStore):
    async def add_member(
        self, actor: Actor, group_id: int, line_id: int, *, connected: bool = False
    ) -> model.CallGroup:
        async with self.write() as session:
            row = await self._load(session, group_id, lock=True)
            before = views.group(row)
            line = await self._member_line(session, row.fleet_id, line_id)
            if any(m.line_id == line.id for m in row.members):
                raise DomainError(
                    ErrorCode.GROUP_MEMBER_DUPLICATE,
                    field="line",
                    number=E164(line.msisdn).national(),
                )
            rules.member_count(len(row.members) + 1)
            position = max((m.position for m in row.members), default=0) + 1
            session.add(
                MemberRow(
                    group_id=row.id,
                    line_id=line.id,
                    position=position,
                    connected=bool(connected),
                    changed_at=self.now(),
                )
            )
            await session.flush()
            after = views.group(await self._load(session, group_id, refresh=True))
            self._members_changed(session, actor, row, before, after)
        return after

    async def remove_member(self, actor: Actor, group_id: int, line_id: int) -> model.CallGroup:
        async with self.write() as session:
            row = await self._load(session, group_id, lock=True)
            before = views.group(row)
            member = await self._member(session, row, line_id)
            if member.line.msisdn == row.number:
                raise DomainError(
                    ErrorCode.GROUP_NUMBER_MEMBER_REQUIRED,
                    field="line",
                    number=E164(row.number).national(),
                )
            row.members.remove(member)
            await session.flush()
            await self._renumber(session, row, [m.line_id for m in row.members])
            after = views.group(await self._load(session, group_id, refresh=True))
            self._members_changed(session, actor, row, before, after)
        return after

    async def reorder(
        self, actor: Actor, group_id: int, line_ids: Sequence[int]
    ) -> model.CallGroup:
        """Set the members' order (the priority of linear distribution)."""
        async with self.write() as session:
            row = await self._load(session, group_id, lock=True)
            before = views.group(row)
            current = {m.line_id for m in row.members}
            wanted = list(line_ids)
            if set(wanted) != current or len(wanted) != len(current):
                raise DomainError(ErrorCode.CONFLICT, field="members")
            await self._renumber(session, row, wanted)
            after = views.group(await self._load(session, group_id, refresh=True))
            if after != before:
                self._members_changed(session, actor, row, before, after)
        return after

    async def set_connected(
        self, actor: Actor, group_id: int, line_id: int, connected: bool
    ) -> model.CallGroup:
        """Connect or disconnect one member; only connected members receive group calls."""
        async with self.write() as session:
            row = await self._load(session, group_id)
            before = views.group(row)
            member = await self._member(session, row, line_id)
            if member.connected != connected:
                member.connected = connected
                member.changed_at = self.now()
                after = views.group(row)
                self._members_changed(session, actor, row, before, after)
            else:
                after = before
        return after

    async def disconnect_all(self, actor: Actor, group_id: int) -> model.CallGroup:
        """ "Déconnecter tous les membres"."""
        async with self.write() as session:
            row = await self._load(session, group_id)
            before = views.group(row)
            now = self.now()
            for member in row.members:
                if member.connected:
                    member.connected = False
                    member.changed_at = now
            after = views.group(row)
            if after != before:
                self._members_changed(session, actor, row, before, after)
        return after
