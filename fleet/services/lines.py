"""Mobile lines of a fleet, and loading a line with all its services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import model, rules
from fleet.core.changes import ChangeEvent, FleetChange, LineChange
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.linesettings import PABX_OPTION, LineSetting, checked, defaults
from fleet.core.numbering import E164, NumberClass
from fleet.core.numbering import optional_short_number as _short
from fleet.core.values import UNSET, Actor, Language, Unset
from fleet.db.tables import (
    FixedNumberRow,
    GroupRow,
    LineRow,
    MemberRow,
)
from fleet.services import linebrowse, linequery, views
from fleet.services.base import Service, ServiceContext
from fleet.services.lookups import (
    Owner,
    OwnerKind,
    abbreviated_taken,
    changed_short_number,
    ensure_number_free,
    ensure_short_number_free,
    load_fleet,
)
from fleet.services.statistics import refresh_statistics

PAGE_MAX = 500
COUNT_TTL = timedelta(seconds=10)  # a fleet's line count is shown without counting again
SEARCH_COUNTS_MAX = 1024  # searches whose count is kept


@dataclass(frozen=True, slots=True)
class NewLine:
    """One line to create (bulk creation)."""

    msisdn: str
    employee_name: str
    short_number: str | None = None
    email: str | None = None
    language: str | Language | None = None
    # the line's settings (``LINE_SETTINGS``); those not given take their default
    settings: Mapping[LineSetting[Any], Any] = field(default_factory=dict)


class LineService(Service):
    def __init__(self, *, context: ServiceContext) -> None:
        super().__init__(context=context)
        # a fleet's line count as the lines page shows it (one index scan of 100,000 lines
        # costs ~10 ms): kept COUNT_TTL seconds, forgotten when this process creates or
        # removes a line (another process's changes show within COUNT_TTL)
        self._counts: dict[int, tuple[int, datetime]] = {}
        # a search's capped count likewise (paging through a search's results counts once),
        # forgotten when this process changes any line of the fleet
        self._search_counts: dict[tuple[int, str], tuple[int, bool, datetime]] = {}
        context.changes.subscribe(self._forget_counts)

    async def _forget_counts(self, events: Sequence[ChangeEvent]) -> None:
        for event in events:
            change = event.change
            if isinstance(change, LineChange):
                if change.before is None or change.after is None:
                    self._counts.pop(change.fleet_id, None)
                for key in [k for k in self._search_counts if k[0] == change.fleet_id]:
                    del self._search_counts[key]
            elif isinstance(change, FleetChange):
                self._counts.clear()
                self._search_counts.clear()

    def _search_count(self, fleet_id: int, term: str) -> tuple[int, bool] | None:
        known = self._search_counts.get((fleet_id, term))
        if known is not None and timedelta(0) <= self.now() - known[2] < COUNT_TTL:
            return known[0], known[1]
        return None

    def _remember_search(self, fleet_id: int, term: str, total: int, more: bool) -> None:
        if len(self._search_counts) >= SEARCH_COUNTS_MAX:  # the oldest goes first
            del self._search_counts[next(iter(self._search_counts))]
        self._search_counts[(fleet_id, term)] = (total, more, self.now())

    async def _fleet_count(self, session: AsyncSession, fleet_id: int) -> int:
        now = self.now()
        known = self._counts.get(fleet_id)
        if known is not None and timedelta(0) <= now - known[1] < COUNT_TTL:
            return known[0]
        count, _ = await linebrowse.count(session, linebrowse.matching(fleet_id, ""), capped=False)
        self._counts[fleet_id] = (count, now)
        return count

    async def create(
        self,
        actor: Actor,
        fleet_id: int,
        *,
        msisdn: str,
        employee_name: str,
        short_number: str | None = None,
        email: str | None = None,
        language: str | Language | None = None,
        settings: Mapping[LineSetting[Any], Any] | None = None,
    ) -> model.Line:
        new = NewLine(
            msisdn=msisdn,
            employee_name=employee_name,
            short_number=short_number,
            email=email,
            language=language,
            settings=settings or {},
        )
        return (await self.create_many(actor, fleet_id, [new]))[0]

    async def create_many(
        self, actor: Actor, fleet_id: int, lines: Sequence[NewLine]
    ) -> list[model.Line]:
        """Create lines in one transaction: all of them, or none (the first error is raised)."""
        async with self.write() as session:
            fleet = await load_fleet(session, fleet_id)
            seen_numbers: set[str] = set()
            seen_shorts: set[str] = set()
            rows: list[LineRow] = []
            now = self.now()
            for new in lines:
                e164 = self.policy.mobile(new.msisdn)
                short = _short(new.short_number, fleet.short_number_length)
                if e164.value in seen_numbers:
                    raise DomainError(
                        ErrorCode.NUMBER_IN_USE, field="msisdn", number=e164.national()
                    )
                if short and short in seen_shorts:
                    raise DomainError(
                        ErrorCode.SHORT_NUMBER_IN_USE, field="short_number", short_number=short
                    )
                seen_numbers.add(e164.value)
                if short:
                    seen_shorts.add(short)
                settings = defaults() | checked(new.settings)
                rows.append(
                    LineRow(
                        fleet_id=fleet_id,
                        msisdn=e164.value,
                        short_number=short,
                        employee_name=rules.employee_name(new.employee_name),
                        email=rules.email(new.email),
                        language=rules.language(new.language) if new.language else fleet.language,
                        **{setting.name: value for setting, value in settings.items()},
                        created_at=now,
                        updated_at=now,
                    )
                )
            if len(rows) == 1:
                await ensure_number_free(session, E164(rows[0].msisdn), field="msisdn")
                if rows[0].short_number:
                    await ensure_short_number_free(session, fleet_id, rows[0].short_number)
            else:
                await self._ensure_all_free(session, fleet_id, seen_numbers, seen_shorts)
            session.add_all(rows)
            await session.flush()
            created = [views.line(r) for r in rows]
            for view in created:
                change = LineChange(fleet_id=fleet_id, line_id=view.id, before=None, after=view)
                self.record(session, actor, change)
        return created

    async def _ensure_all_free(
        self, session: AsyncSession, fleet_id: int, numbers: set[str], shorts: set[str]
    ) -> None:
        for column in (LineRow.msisdn, FixedNumberRow.number, GroupRow.number):
            for chunk in _chunks(sorted(numbers)):
                taken = (await session.scalars(select(column).where(column.in_(chunk)))).first()
                if taken:
                    raise DomainError(
                        ErrorCode.NUMBER_IN_USE, field="msisdn", number=E164(taken).national()
                    )
        for table in (LineRow, FixedNumberRow, GroupRow):
            for chunk in _chunks(sorted(shorts)):
                short = (
                    await session.scalars(
                        select(table.short_number).where(
                            table.fleet_id == fleet_id, table.short_number.in_(chunk)
                        )
                    )
                ).first()
                if short:
                    raise DomainError(
                        ErrorCode.SHORT_NUMBER_IN_USE, field="short_number", short_number=short
                    )
        for chunk in _chunks(sorted(shorts)):
            short = await abbreviated_taken(session, fleet_id, chunk)
            if short:
                raise DomainError(
                    ErrorCode.SHORT_NUMBER_IN_USE, field="short_number", short_number=short
                )

    async def get(self, line_id: int) -> model.Line:
        async with self.read() as session:
            return views.line(await _load(session, line_id))

    async def get_by_msisdn(self, msisdn: str | E164) -> model.Line:
        number = self._lookup_number(msisdn)
        async with self.read() as session:
            row = await session.scalar(select(LineRow).where(LineRow.msisdn == number.value))
            if row is None:
                raise not_found("line", number.value)
            return views.line(row)

    async def find_in_fleet(self, fleet_id: int, dialled: str) -> model.Line | None:
        """The fleet's line reached by a dialled string: its short number or its MSISDN."""
        digits = self.policy.clean(dialled)
        async with self.read() as session:
            query = select(LineRow).where(LineRow.fleet_id == fleet_id)
            kind, number = self.policy.classify(digits)
            if kind is NumberClass.SHORT:
                row = await session.scalar(query.where(LineRow.short_number == digits))
            elif number is not None:
                row = await session.scalar(query.where(LineRow.msisdn == number.value))
            else:
                return None
            return views.line(row) if row else None

    async def services(self, msisdn: str | E164) -> model.LineServices:
        """A line with its forwardings, incoming list and groups, by MSISDN."""
        number = self._lookup_number(msisdn)
        async with self.read() as session:
            found = await linequery.load(session, LineRow.msisdn == number.value)
            if not found:
                raise not_found("line", number.value)
            return found[0]

    async def services_in_fleet(self, fleet_id: int) -> list[model.LineServices]:
        """Every line of a fleet with its services (to fill the routing cache)."""
        async with self.read() as session:
            return await linequery.load(session, LineRow.fleet_id == fleet_id)

    async def services_by_id(self, line_id: int) -> model.LineServices:
        async with self.read() as session:
            found = await linequery.load(session, LineRow.id == line_id)
            if not found:
                raise not_found("line", line_id)
            return found[0]

    async def search(
        self, fleet_id: int, *, search: str | None = None, offset: int = 0, limit: int = 50
    ) -> model.Page[model.Line]:
        """Lines by name, ``offset`` of them skipped (the API's offset paging; the lines page
        uses :meth:`browse`, whose cost does not grow with the page's position)."""
        offset = max(0, offset)
        limit = max(1, min(limit, PAGE_MAX))
        term = (search or "").strip()
        query = linebrowse.matching(fleet_id, term)
        page = query.order_by(LineRow.employee_name, LineRow.id).offset(offset).limit(limit)
        async with self.read() as session:
            rows = list((await session.scalars(page)).all())
            total, _ = await linebrowse.count(session, query, capped=False)
            if not total:  # an unknown fleet is "not found"; else no match
                await load_fleet(session, fleet_id)
            return model.Page(
                items=tuple(views.line(r) for r in rows),
                total=total,
                offset=offset,
                limit=limit,
            )

    async def analyze(self) -> None:
        """Refresh the planner's statistics after a bulk load (``fleet.services.statistics``)."""
        await refresh_statistics(self)

    async def browse(
        self,
        fleet_id: int,
        *,
        search: str | None = None,
        after: linebrowse.Cursor | None = None,
        before: linebrowse.Cursor | None = None,
        limit: int = 50,
    ) -> linebrowse.LineSlice:
        """A page of lines by name after (or before) a cursor: keyset paging."""
        async with self.read() as session:
            term = (search or "").strip()
            counted = self._search_count(fleet_id, term) if term else None
            found = await linebrowse.browse(
                session,
                fleet_id,
                search=term,
                total=None if term else await self._fleet_count(session, fleet_id),
                counted=counted,
                after=after,
                before=before,
                limit=max(1, min(limit, PAGE_MAX)),
            )
        if term and counted is None:
            self._remember_search(fleet_id, term, found.total, found.more)
        return found

    async def update(
        self,
        actor: Actor,
        line_id: int,
        *,
        employee_name: str | Unset = UNSET,
        short_number: str | Unset | None = UNSET,
        email: str | Unset | None = UNSET,
        language: str | Language | Unset = UNSET,
        settings: Mapping[LineSetting[Any], Any] | None = None,
    ) -> model.Line:
        """Change a line's details and any of its settings (``LINE_SETTINGS``)."""
        values = checked(settings or {})
        async with self.write() as session:
            row = await _load(session, line_id)
            before = views.line(row)
            if not isinstance(employee_name, Unset):
                row.employee_name = rules.employee_name(employee_name)
            if not isinstance(short_number, Unset):
                row.short_number = await changed_short_number(
                    session,
                    Owner(OwnerKind.LINE, row.id, row.fleet_id),
                    current=row.short_number,
                    wanted=short_number,
                )
            if not isinstance(email, Unset):
                row.email = rules.email(email)
            if not isinstance(language, Unset):
                row.language = rules.language(language)
            for setting, value in values.items():
                await self._setting_rule(session, row, setting, value)
                setattr(row, setting.name, value)
            after = views.line(row)
            if after != before:
                row.updated_at = self.now()
                change = LineChange(
                    fleet_id=row.fleet_id, line_id=row.id, before=before, after=after
                )
                self.record(session, actor, change)
        return after

    async def delete(self, actor: Actor, line_id: int) -> None:
        """Delete a line with its services; it leaves its groups (not one it numbers)."""
        async with self.write() as session:
            row = await _load(session, line_id)
            group = await session.scalar(select(GroupRow).where(GroupRow.number == row.msisdn))
            if group is not None:
                raise DomainError(
                    ErrorCode.LINE_IS_GROUP_NUMBER,
                    number=E164(row.msisdn).national(),
                    group=group.name,
                )
            before = views.line(row)
            left = await self._group_names(session, row)
            await session.delete(row)
            change = LineChange(
                fleet_id=row.fleet_id,
                line_id=line_id,
                before=before,
                after=None,
                left_groups=tuple(left),
            )
            self.record(session, actor, change)

    async def _group_names(self, session: AsyncSession, row: LineRow) -> list[str]:
        names = await session.scalars(
            select(GroupRow.name)
            .join(MemberRow, MemberRow.group_id == GroupRow.id)
            .where(MemberRow.line_id == row.id)
            .order_by(GroupRow.name)
        )
        return list(names.all())

    async def _setting_rule(
        self, session: AsyncSession, row: LineRow, setting: LineSetting[Any], value: object
    ) -> None:
        """The business rule of a setting, for those that have one: the PABX option is not
        removed from a line while it is a member of a group."""
        if setting is PABX_OPTION and not value and row.pabx_option:
            await self._ensure_not_in_groups(session, row)

    async def _ensure_not_in_groups(self, session: AsyncSession, row: LineRow) -> None:
        names = await self._group_names(session, row)
        if names:
            raise DomainError(
                ErrorCode.LINE_IN_GROUPS,
                field=PABX_OPTION.name,
                number=E164(row.msisdn).national(),
                groups=", ".join(names),
            )

    def _lookup_number(self, msisdn: str | E164) -> E164:
        if isinstance(msisdn, E164):
            return msisdn
        _kind, number = self.policy.classify(msisdn)
        if number is None:
            raise not_found("line", msisdn)
        return number


async def _load(session: AsyncSession, line_id: int) -> LineRow:
    row = await session.get(LineRow, line_id)
    if row is None:
        raise not_found("line", line_id)
    return row


def _chunks(items: list[str], size: int = 500) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
