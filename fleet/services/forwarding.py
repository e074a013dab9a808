"""The four forwarding types of a line (DESIGN §4, seed 004 §3)."""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import model, rules
from fleet.core.changes import ForwardingChange
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.numbering import E164
from fleet.core.values import Actor, ForwardingKind, ForwardingTarget
from fleet.core.voicemail import forwarding_target
from fleet.db.tables import ForwardingRow, LineRow
from fleet.services import views
from fleet.services.base import Service
from fleet.services.lineload import check_pabx, pabx_line
from fleet.services.restrictioncheck import check_destinations


class ForwardingService(Service):
    async def of_line(self, line_id: int) -> tuple[model.Forwarding, ...]:
        async with self.read() as session:
            rows = await session.scalars(
                select(ForwardingRow).where(ForwardingRow.line_id == line_id)
            )
            return tuple(sorted((views.forwarding(r) for r in rows), key=lambda f: f.kind.value))

    async def set(
        self,
        actor: Actor,
        line_id: int,
        kind: str | ForwardingKind,
        *,
        destination: str | None,
        active: bool = True,
        no_reply_timer: int | None = None,
        target: str | ForwardingTarget | None = None,
    ) -> model.Forwarding:
        """Register a destination (and timer) for a forwarding type; activate it or not.
        The same rule saved again changes nothing: no journal entry, no change announced (so
        no SMS). ``target`` voicemail sends to the line's voicemail (no ``destination``);
        a number that is the voicemail platform's (``**21*<it>#``) is voicemail too.

        Two changes creating the same rule at once (a portal and the API, two managers) both
        land: the one whose INSERT meets the other's row is done again, as an update."""
        fkind = rules.forwarding_kind(kind)
        goal = forwarding_target(target)
        timer = rules.no_reply_timer(fkind, no_reply_timer)
        if goal is ForwardingTarget.VOICEMAIL:
            self.voicemail.require()
        return await self.again_on_conflict(
            lambda: self._set(actor, line_id, fkind, destination, active, timer, goal)
        )

    async def _set(
        self,
        actor: Actor,
        line_id: int,
        fkind: ForwardingKind,
        destination: str | None,
        active: bool,
        timer: int | None,
        goal: ForwardingTarget,
    ) -> model.Forwarding:
        async with self.write() as session:
            line, row = await self._line_and_rule(session, line_id, fkind)
            number = None if goal is ForwardingTarget.VOICEMAIL else self._number(destination)
            if self.voicemail.is_platform(number):
                goal, number = ForwardingTarget.VOICEMAIL, None  # the platform's number typed
            if number is not None and number.value == line.msisdn:
                raise DomainError(ErrorCode.FORWARDING_TO_SELF, field="destination")
            if number is not None:  # the line's restriction profile (issue 16)
                await check_destinations(session, self.policy, line, [number], field="destination")
            value = number.value if number else None
            before = views.forwarding(row) if row else None
            if row is not None and (
                row.destination,
                row.active,
                row.no_reply_timer,
                row.target,
            ) == (value, bool(active), timer, goal):
                return views.forwarding(row)  # saved unchanged: no journal entry, no notice
            if row is None:
                row = ForwardingRow(line_id=line_id, kind=fkind)
                session.add(row)
            row.target = goal
            row.destination = value
            row.active = bool(active)
            row.no_reply_timer = timer
            row.updated_at = self.now()
            await session.flush()
            after = views.forwarding(row)
            self._record(session, actor, line, before, after)
        return after

    def _number(self, destination: str | None) -> E164:
        if not (destination or "").strip():
            raise DomainError(ErrorCode.FORWARDING_DESTINATION_REQUIRED, field="destination")
        return self.policy.destination(destination or "")

    async def activate(
        self, actor: Actor, line_id: int, kind: str | ForwardingKind
    ) -> model.Forwarding:
        """Turn on a forwarding whose destination is already registered."""
        return await self._switch(actor, line_id, rules.forwarding_kind(kind), active=True)

    async def deactivate(
        self, actor: Actor, line_id: int, kind: str | ForwardingKind
    ) -> model.Forwarding | None:
        """Turn off a forwarding; its destination stays registered."""
        fkind = rules.forwarding_kind(kind)
        async with self.write() as session:
            line, row = await self._line_and_rule(session, line_id, fkind)
            if row is None or not row.active:
                return views.forwarding(row) if row else None
            before = views.forwarding(row)
            row.active = False
            row.updated_at = self.now()
            after = views.forwarding(row)
            self._record(session, actor, line, before, after)
        return after

    async def erase(self, actor: Actor, line_id: int, kind: str | ForwardingKind) -> None:
        """Forget a forwarding type entirely (destination and timer)."""
        fkind = rules.forwarding_kind(kind)
        async with self.write() as session:
            line, row = await self._line_and_rule(session, line_id, fkind)
            if row is None:
                return
            before = views.forwarding(row)
            await session.delete(row)
            self._record(session, actor, line, before, None)

    async def disable_all(self, actor: Actor, line_id: int) -> tuple[model.Forwarding, ...]:
        """ "Je ne souhaite pas personnaliser mes renvois d'appel": every forwarding off."""
        async with self.write() as session:
            line = await pabx_line(session, line_id)
            rows = (
                await session.scalars(
                    select(ForwardingRow).where(
                        ForwardingRow.line_id == line_id, ForwardingRow.active.is_(True)
                    )
                )
            ).all()
            for row in rows:
                before = views.forwarding(row)
                row.active = False
                row.updated_at = self.now()
                self._record(session, actor, line, before, views.forwarding(row))
        return await self.of_line(line_id)

    async def _switch(
        self, actor: Actor, line_id: int, kind: ForwardingKind, *, active: bool
    ) -> model.Forwarding:
        async with self.write() as session:
            line, row = await self._line_and_rule(session, line_id, kind)
            if row is None or not views.forwarding(row).registered:
                raise DomainError(ErrorCode.FORWARDING_DESTINATION_REQUIRED, field="destination")
            if active and row.target is ForwardingTarget.VOICEMAIL:
                self.voicemail.require()
            elif active and not row.active and row.destination is not None:
                destination = [E164(row.destination)]
                await check_destinations(
                    session, self.policy, line, destination, field="destination"
                )
            before = views.forwarding(row)
            row.active = active
            row.updated_at = self.now()
            after = views.forwarding(row)
            if after != before:
                self._record(session, actor, line, before, after)
        return after

    async def _line_and_rule(
        self, session: AsyncSession, line_id: int, kind: ForwardingKind
    ) -> tuple[LineRow, ForwardingRow | None]:
        """The line (with the PABX option) and its rule of ``kind``, in one statement."""
        found = (
            await session.execute(
                select(LineRow, ForwardingRow)
                .outerjoin(
                    ForwardingRow,
                    and_(ForwardingRow.line_id == LineRow.id, ForwardingRow.kind == kind),
                )
                .where(LineRow.id == line_id)
            )
        ).first()
        if found is None:
            raise not_found("line", line_id)
        return check_pabx(found[0]), found[1]

    def _record(
        self,
        session: AsyncSession,
        actor: Actor,
        line: LineRow,
        before: model.Forwarding | None,
        after: model.Forwarding | None,
    ) -> None:
        view = after or before
        assert view is not None
        change = ForwardingChange(
            fleet_id=line.fleet_id, line_id=line.id, kind=view.kind, before=before, after=after
        )
        self.record(session, actor, change)
