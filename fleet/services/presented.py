"""The presented number (issue 16 item 4): the fleet's main number and each line's choice of
what its outgoing calls present (:mod:`fleet.core.presented`).

Rules (seeds 002 §2.8, 003 §7.2):

- the **main number** is one of the fleet's own numbers — a line, a group or a fixed number
  (002: "parmi l'ensemble de vos numéros de ligne directe"; 003: the "Numéro global");
- a line may present the main number only once the fleet has one (002: "Une fois que ce
  « numéro entreprise » est défini, chaque utilisateur peut le choisir"), a group's number
  only while it is a member of it;
- the line's user chooses too, on the user portal, among the same choices, unless the
  manager has locked it (the line setting ``presented_user_choice``; seed 002: "chaque
  utilisateur peut le choisir", seed 003: the manager imposes it);
- a line **leaving a group** it presents falls back to its own number in the same
  transaction, journalled as a change of the line by whoever removed it (a stager on the hub).
  Clearing the main number leaves the lines' choices: their calls present the line, and the
  call record says so (``presented_fallback``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import model
from fleet.core.changes import ChangeEvent, FleetChange, LineChange, MemberChange
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.numbering import E164
from fleet.core.presented import LINE_NUMBER, PresentedKind, PresentedNumber
from fleet.core.values import Actor
from fleet.db.tables import FixedNumberRow, GroupRow, LineRow, MemberRow
from fleet.services import views
from fleet.services.base import Service, ServiceContext
from fleet.services.lookups import load_fleet


class PresentedService(Service):
    def __init__(self, *, context: ServiceContext) -> None:
        super().__init__(context=context)
        context.changes.stage_with(self._members_left)

    async def set_main_number(self, actor: Actor, fleet_id: int, number: str | None) -> model.Fleet:
        """Set (or clear, with None or "") the fleet's main number."""
        async with self.write() as session:
            row = await load_fleet(session, fleet_id)
            before = views.fleet(row)
            main = self.policy.group_number(number, field="main_number") if number else None
            if main is not None and not await _in_fleet(session, fleet_id, main):
                raise DomainError(
                    ErrorCode.MAIN_NUMBER_NOT_IN_FLEET, field="main_number", number=main.national()
                )
            row.main_number = main.value if main else None
            after = views.fleet(row)
            if after != before:
                row.updated_at = self.now()
                self.record(
                    session, actor, FleetChange(fleet_id=fleet_id, before=before, after=after)
                )
        return after

    async def choose(
        self, actor: Actor, line_id: int, choice: PresentedNumber, *, by_user: bool = False
    ) -> model.Line:
        """Set what ``line_id``'s outgoing calls present. ``by_user``: the line's user
        chooses (the user portal), refused while the manager has locked the choice (the
        line's ``presented_user_choice`` off)."""
        async with self.write() as session:
            row = await session.get(LineRow, line_id)
            if row is None:
                raise not_found("line", line_id)
            if by_user and not row.presented_user_choice:
                raise DomainError(
                    ErrorCode.PRESENTED_LOCKED,
                    field="presented",
                    number=E164(row.msisdn).national(),
                )
            await _check(session, row, choice)
            before = views.line(row)
            row.presented_kind, row.presented_group_id = choice.kind, choice.group_id
            after = views.line(row)
            if after != before:
                row.updated_at = self.now()
                change = LineChange(
                    fleet_id=row.fleet_id, line_id=row.id, before=before, after=after
                )
                self.record(session, actor, change)
        return after

    async def choices(self, line_id: int) -> list[tuple[PresentedNumber, E164]]:
        """What ``line_id`` may present, each choice with the number it shows: the line, the
        main number when the fleet has one, then each of its groups by name."""
        async with self.read() as session:
            row = await session.get(LineRow, line_id)
            if row is None:
                raise not_found("line", line_id)
            fleet = await load_fleet(session, row.fleet_id)
            options = [(LINE_NUMBER, E164(row.msisdn))]
            if fleet.main_number:
                options.append((PresentedNumber(PresentedKind.MAIN), E164(fleet.main_number)))
            groups = await session.execute(
                select(GroupRow.id, GroupRow.number)
                .join(MemberRow, MemberRow.group_id == GroupRow.id)
                .where(MemberRow.line_id == line_id)
                .order_by(GroupRow.name)
            )
            options += [(PresentedNumber.of(PresentedKind.GROUP, g), E164(n)) for g, n in groups]
            return options

    async def _members_left(self, session: AsyncSession, events: Sequence[ChangeEvent]) -> None:
        """A stager: a line that left a group it presents falls back to its own number, in
        the transaction that removed it, journalled and published as a change of the line."""
        for event in list(events):
            change = event.change
            if not isinstance(change, MemberChange):
                continue
            stayed = {m.line_id for m in change.after.members}
            gone = [m.line_id for m in change.before.members if m.line_id not in stayed]
            if not gone:
                continue
            rows = await session.scalars(
                select(LineRow).where(
                    LineRow.id.in_(gone),
                    LineRow.presented_kind == PresentedKind.GROUP,
                    LineRow.presented_group_id == change.group_id,
                )
            )
            for row in rows.all():
                before = views.line(row)
                row.presented_kind, row.presented_group_id = PresentedKind.LINE, None
                row.updated_at = self.now()
                after = views.line(row)
                line_change = LineChange(
                    fleet_id=row.fleet_id, line_id=row.id, before=before, after=after
                )
                self.record(session, event.actor, line_change)


async def _check(session: AsyncSession, row: LineRow, choice: PresentedNumber) -> None:
    if choice.kind is PresentedKind.MAIN:
        fleet = await load_fleet(session, row.fleet_id)
        if not fleet.main_number:
            raise DomainError(ErrorCode.PRESENTED_NO_MAIN_NUMBER, field="presented")
    elif choice.kind is PresentedKind.GROUP:
        group = await session.get(GroupRow, choice.group_id)
        if group is None or group.fleet_id != row.fleet_id:
            raise not_found("call_group", choice.group_id, field="presented")
        member = await session.get(MemberRow, (group.id, row.id))
        if member is None:
            raise DomainError(
                ErrorCode.PRESENTED_NOT_A_MEMBER,
                field="presented",
                number=E164(row.msisdn).national(),
                group=group.name,
            )


async def _in_fleet(session: AsyncSession, fleet_id: int, number: E164) -> bool:
    for column, fleet in (
        (LineRow.msisdn, LineRow.fleet_id),
        (GroupRow.number, GroupRow.fleet_id),
        (FixedNumberRow.number, FixedNumberRow.fleet_id),
    ):
        found = await session.scalar(
            select(column).where(column == number.value, fleet == fleet_id).limit(1)
        )
        if found is not None:
            return True
    return False
