"""Call groups and their members (DESIGN §5, seed 004 §5): the use cases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from callgroups import rules
from callgroups.members import MembershipService
from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.numbering import E164
from fleet.core.numbering import optional_short_number as _short
from fleet.core.values import UNSET, Actor, DistributionMode, NoAnswerAction, Unset
from fleet.db.tables import GroupRow, LineRow, MemberRow
from fleet.services import views
from fleet.services.lookups import (
    Owner,
    OwnerKind,
    changed_short_number,
    ensure_short_number_free,
    load_fleet,
    number_owners,
)


class GroupService(MembershipService):
    """Call groups: reading, creating, changing, deleting; members via ``MembershipService``."""

    # -- reading ---------------------------------------------------------------------

    async def get(self, group_id: int) -> model.CallGroup:
        async with self.read() as session:
            return views.group(await self._load(session, group_id))

    async def get_by_number(self, number: str | E164) -> model.CallGroup:
        e164 = number if isinstance(number, E164) else self.policy.classify(number)[1]
        if e164 is None:
            raise not_found("call_group", number)
        async with self.read() as session:
            row = await session.scalar(self._query().where(GroupRow.number == e164.value))
            if row is None:
                raise not_found("call_group", e164.value)
            return views.group(row)

    async def in_fleet(self, fleet_id: int) -> list[model.CallGroup]:
        async with self.read() as session:
            await load_fleet(session, fleet_id)
            rows = await session.scalars(
                self._query().where(GroupRow.fleet_id == fleet_id).order_by(GroupRow.name)
            )
            return [views.group(r) for r in rows.all()]

    async def table(
        self, fleet_id: int, *, offset: int = 0, limit: int = 50
    ) -> model.Page[model.GroupSummary]:
        """A page of the fleet's groups by name, each with its member counts, without loading
        the members (the groups table of seed 004: a fleet may have hundreds of groups)."""
        offset, limit = max(0, offset), max(1, min(limit, 500))
        counts = (
            select(
                MemberRow.group_id,
                func.count().label("members"),
                func.sum(case((MemberRow.connected, 1), else_=0)).label("connected"),
            )
            .group_by(MemberRow.group_id)
            .subquery()
        )
        query = (
            select(GroupRow.__table__, counts.c.members, counts.c.connected)
            .outerjoin(counts, counts.c.group_id == GroupRow.id)
            .where(GroupRow.fleet_id == fleet_id)
            .order_by(GroupRow.name, GroupRow.id)
            .offset(offset)
            .limit(limit)
        )
        count = select(func.count()).select_from(GroupRow).where(GroupRow.fleet_id == fleet_id)
        async with self.read() as session:
            total = int(await session.scalar(count) or 0)
            found = (await session.execute(query)).all() if total > offset else []
            if not total:
                await load_fleet(session, fleet_id)  # an unknown fleet is "not found"
            items = tuple(
                model.GroupSummary(
                    group=views.group_with(row, ()),
                    members=int(row.members or 0),
                    connected=int(row.connected or 0),
                )
                for row in found
            )
            return model.Page(items=items, total=total, offset=offset, limit=limit)

    async def find_in_fleet(self, fleet_id: int, dialled: str) -> model.CallGroup | None:
        """The fleet's group reached by a dialled string: its short number or its number."""
        digits = self.policy.clean(dialled)
        number = self.policy.classify(digits)[1]
        condition = GroupRow.short_number == digits
        if number is not None:
            condition = or_(condition, GroupRow.number == number.value)
        async with self.read() as session:
            row = await session.scalar(
                self._query().where(GroupRow.fleet_id == fleet_id, condition)
            )
            return views.group(row) if row else None

    async def groups_of_line(self, line_id: int) -> list[model.CallGroup]:
        async with self.read() as session:
            rows = await session.scalars(
                self._query()
                .join(MemberRow, MemberRow.group_id == GroupRow.id)
                .where(MemberRow.line_id == line_id)
                .order_by(GroupRow.name)
            )
            return [views.group(r) for r in rows.unique().all()]

    # -- the group itself ------------------------------------------------------------

    async def create(
        self,
        actor: Actor,
        fleet_id: int,
        *,
        number: str,
        name: str,
        user_code: str,
        admin_code: str,
        queue_size: int = rules.QUEUE_MIN,
        switchover_delay: int = rules.SWITCHOVER_DEFAULT,
        intercall_delay: int = rules.INTERCALL_DEFAULT,
        distribution: str | DistributionMode = DistributionMode.LINEAR,
        max_queue_wait: int = rules.MAX_WAIT_DEFAULT,
        no_answer_action: str | NoAnswerAction = NoAnswerAction.END_WITH_ANNOUNCEMENT,
        no_answer_number: str | None = None,
        no_answer_group_id: int | None = None,
        short_number: str | None = None,
        members: Sequence[int] = (),
    ) -> model.CallGroup:
        """Create a group. A group numbered like one of the fleet's lines gets that line as
        its first member (the seed: the group number may be the number of a member)."""
        e164 = self.policy.group_number(number)
        user, admin = rules.codes(user_code, admin_code)
        now = self.now()
        row = GroupRow(
            fleet_id=fleet_id,
            number=e164.value,
            name=rules.name(name),
            user_code=user,
            admin_code=admin,
            queue_size=rules.queue_size(queue_size),
            switchover_delay=rules.switchover_delay(switchover_delay),
            intercall_delay=rules.intercall_delay(intercall_delay),
            distribution=rules.distribution(distribution),
            max_queue_wait=rules.max_queue_wait(max_queue_wait),
            no_answer_action=rules.no_answer_action(no_answer_action),
            created_at=now,
            updated_at=now,
            members=[],
        )
        member_ids = list(dict.fromkeys(members))
        async with self.write() as session:
            fleet = await load_fleet(session, fleet_id)
            await self._ensure_name_free(session, fleet_id, row.name, None)
            row.short_number = _short(short_number, fleet.short_number_length)
            if row.short_number:
                await ensure_short_number_free(session, fleet_id, row.short_number)
            numbering_line = await self._check_number(session, fleet_id, e164, None)
            if numbering_line is not None and numbering_line.id not in member_ids:
                member_ids.insert(0, numbering_line.id)
            await self._apply_no_answer(
                session, row, no_answer_number, no_answer_group_id, group_id=None
            )
            rules.member_count(len(member_ids))
            session.add(row)
            await session.flush()
            for position, line_id in enumerate(member_ids, start=1):
                line = await self._member_line(session, fleet_id, line_id)
                session.add(
                    MemberRow(
                        group_id=row.id,
                        line_id=line.id,
                        position=position,
                        connected=False,
                        changed_at=now,
                    )
                )
            await session.flush()
            view = views.group(await self._load(session, row.id, refresh=True))
            self._group_changed(session, actor, row, None, view)
        return view

    async def update(
        self,
        actor: Actor,
        group_id: int,
        *,
        number: str | Unset = UNSET,
        name: str | Unset = UNSET,
        user_code: str | Unset = UNSET,
        admin_code: str | Unset = UNSET,
        queue_size: int | Unset = UNSET,
        switchover_delay: int | Unset = UNSET,
        intercall_delay: int | Unset = UNSET,
        distribution: str | DistributionMode | Unset = UNSET,
        max_queue_wait: int | Unset = UNSET,
        no_answer_action: str | NoAnswerAction | Unset = UNSET,
        no_answer_number: str | Unset | None = UNSET,
        no_answer_group_id: int | Unset | None = UNSET,
        short_number: str | Unset | None = UNSET,
    ) -> model.CallGroup:
        async with self.write() as session:
            row = await self._load(session, group_id)
            before = views.group(row)
            if not isinstance(number, Unset):
                e164 = self.policy.group_number(number)
                if e164.value != row.number:
                    line = await self._check_number(session, row.fleet_id, e164, row.id)
                    if line is not None and line.id not in {m.line_id for m in row.members}:
                        raise DomainError(
                            ErrorCode.GROUP_NUMBER_NOT_MEMBER,
                            field="number",
                            number=e164.national(),
                        )
                    row.number = e164.value
            if not isinstance(name, Unset):
                clean = rules.name(name)
                await self._ensure_name_free(session, row.fleet_id, clean, row.id)
                row.name = clean
            if not isinstance(user_code, Unset) or not isinstance(admin_code, Unset):
                row.user_code, row.admin_code = rules.codes(
                    row.user_code if isinstance(user_code, Unset) else user_code,
                    row.admin_code if isinstance(admin_code, Unset) else admin_code,
                )
            if not isinstance(queue_size, Unset):
                row.queue_size = rules.queue_size(queue_size)
            if not isinstance(switchover_delay, Unset):
                row.switchover_delay = rules.switchover_delay(switchover_delay)
            if not isinstance(intercall_delay, Unset):
                row.intercall_delay = rules.intercall_delay(intercall_delay)
            if not isinstance(distribution, Unset):
                row.distribution = rules.distribution(distribution)
            if not isinstance(max_queue_wait, Unset):
                row.max_queue_wait = rules.max_queue_wait(max_queue_wait)
            if not isinstance(short_number, Unset):
                row.short_number = await changed_short_number(
                    session,
                    Owner(OwnerKind.GROUP, row.id, row.fleet_id),
                    current=row.short_number,
                    wanted=short_number,
                )
            if not (
                isinstance(no_answer_action, Unset)
                and isinstance(no_answer_number, Unset)
                and isinstance(no_answer_group_id, Unset)
            ):
                if not isinstance(no_answer_action, Unset):
                    row.no_answer_action = rules.no_answer_action(no_answer_action)
                await self._apply_no_answer(
                    session,
                    row,
                    _current(no_answer_number, row.no_answer_number),
                    _current(no_answer_group_id, row.no_answer_group_id),
                    group_id=row.id,
                )
            after = views.group(row)
            if after != before:
                row.updated_at = self.now()
                self._group_changed(session, actor, row, before, after)
        return after

    async def change_codes(
        self, actor: Actor, group_id: int, *, user_code: str, admin_code: str
    ) -> model.CallGroup:
        return await self.update(actor, group_id, user_code=user_code, admin_code=admin_code)

    async def delete(self, actor: Actor, group_id: int) -> None:
        async with self.write() as session:
            row = await self._load(session, group_id)
            referrer = await session.scalar(
                select(GroupRow).where(GroupRow.no_answer_group_id == group_id)
            )
            if referrer is not None:
                raise DomainError(ErrorCode.GROUP_IS_OVERFLOW_TARGET, group=referrer.name)
            before = views.group(row)
            await session.delete(row)
            self._group_changed(session, actor, row, before, None)

    # -- helpers ---------------------------------------------------------------------

    async def _ensure_name_free(
        self, session: AsyncSession, fleet_id: int, name: str, group_id: int | None
    ) -> None:
        query = (
            select(func.count())
            .select_from(GroupRow)
            .where(GroupRow.fleet_id == fleet_id, func.lower(GroupRow.name) == name.lower())
        )
        if group_id is not None:
            query = query.where(GroupRow.id != group_id)
        if await session.scalar(query):
            raise DomainError(ErrorCode.GROUP_NAME_IN_USE, field="name", name=name)

    async def _check_number(
        self, session: AsyncSession, fleet_id: int, number: E164, group_id: int | None
    ) -> LineRow | None:
        """The group number is free, or it is the number of a line of the same fleet with
        the PABX option (returned: it must be a member)."""
        owners = [
            o
            for o in await number_owners(session, number)
            if not (o.kind is OwnerKind.GROUP and o.id == group_id)
        ]
        if not owners:
            return None
        owner = owners[0]
        if len(owners) == 1 and owner.kind is OwnerKind.LINE and owner.fleet_id == fleet_id:
            line = await self._member_line(session, fleet_id, owner.id)
            return line
        raise DomainError(ErrorCode.NUMBER_IN_USE, field="number", number=number.national())

    async def _apply_no_answer(
        self,
        session: AsyncSession,
        row: GroupRow,
        number: str | None,
        target_group_id: int | None,
        *,
        group_id: int | None,
    ) -> None:
        action = rules.no_answer_offered(row.no_answer_action, self.voicemail)
        if action is NoAnswerAction.FORWARD_TO_NUMBER:
            if not (number or "").strip():
                raise DomainError(
                    ErrorCode.GROUP_NO_ANSWER_INVALID,
                    field="no_answer_number",
                    detail="numéro manquant",
                    detail_en="number missing",
                )
            row.no_answer_number = self.policy.destination(
                number or "", field="no_answer_number"
            ).value
            row.no_answer_group_id = None
        elif action is NoAnswerAction.FORWARD_TO_GROUP:
            if target_group_id is None:
                raise DomainError(
                    ErrorCode.GROUP_NO_ANSWER_INVALID,
                    field="no_answer_group_id",
                    detail="groupe manquant",
                    detail_en="group missing",
                )
            if group_id is not None and target_group_id == group_id:
                raise DomainError(ErrorCode.GROUP_NO_ANSWER_SELF, field="no_answer_group_id")
            target = await session.get(GroupRow, target_group_id)
            if target is None or target.fleet_id != row.fleet_id:
                raise DomainError(
                    ErrorCode.GROUP_NO_ANSWER_INVALID,
                    field="no_answer_group_id",
                    detail="ce groupe n'est pas un groupe de la flotte",
                    detail_en="that group is not a group of the fleet",
                )
            row.no_answer_group_id = target.id
            row.no_answer_number = None
        else:
            row.no_answer_number = None
            row.no_answer_group_id = None


T = TypeVar("T")


def _current(value: T | Unset, current: T) -> T:
    return current if isinstance(value, Unset) else value
