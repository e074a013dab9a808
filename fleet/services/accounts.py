"""Portal accounts: fleet managers (one or more fleets) and employees (one line)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fleet.core import model, rules
from fleet.core.changes import (
    AccountChange,
    Change,
    ChangeEvent,
    FleetChange,
    LineChange,
    LoginLocked,
    PasswordEvent,
)
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.values import Actor, Language, Role
from fleet.db.tables import AccountFleetRow, AccountRow, FleetRow, LineRow
from fleet.services import views
from fleet.services.base import Service, ServiceContext

MAX_LOGIN_FAILURES = 5
LOCK_TIME = timedelta(minutes=15)


CACHE_MAX = 10_000


class AccountService(Service):
    def __init__(self, *, context: ServiceContext, hasher: PasswordHasher | None = None) -> None:
        super().__init__(context=context)
        self._hasher = hasher or PasswordHasher()
        # accounts by id, as every portal page and API call reads them; any committed change
        # of an account, a fleet or a deleted line (which may change an account's fleets or
        # line) forgets them all before the change returns
        self._cache: dict[int, model.Account] = {}
        self._generation = 0
        context.changes.subscribe(self._forget)

    async def _forget(self, events: Sequence[ChangeEvent]) -> None:
        if any(_changes_accounts(event.change) for event in events):
            self._cache.clear()
            self._generation += 1

    async def create_manager(
        self,
        actor: Actor,
        *,
        login: str,
        password: str,
        display_name: str,
        fleet_ids: Sequence[int],
        language: str | Language = Language.FR,
    ) -> model.Account:
        ids = sorted(set(fleet_ids))
        if not ids:
            raise DomainError(ErrorCode.ACCOUNT_FLEETS_REQUIRED, field="fleet_ids")
        async with self.write() as session:
            for fleet_id in ids:
                if await session.get(FleetRow, fleet_id) is None:
                    raise not_found("fleet", fleet_id)
            row = await self._new(
                session,
                login=login,
                password=password,
                role=Role.MANAGER,
                display_name=display_name,
                language=language,
                line_id=None,
            )
            row.fleets = [AccountFleetRow(fleet_id=f) for f in ids]
            return await self._created(session, actor, row, fleet_id=ids[0])

    async def create_employee(
        self,
        actor: Actor,
        *,
        login: str,
        password: str,
        line_id: int,
        display_name: str | None = None,
    ) -> model.Account:
        async with self.write() as session:
            line = await session.get(LineRow, line_id)
            if line is None:
                raise DomainError(ErrorCode.ACCOUNT_LINE_REQUIRED, field="line_id")
            row = await self._new(
                session,
                login=login,
                password=password,
                role=Role.EMPLOYEE,
                display_name=display_name or line.employee_name,
                language=line.language,
                line_id=line.id,
            )
            row.fleets = [AccountFleetRow(fleet_id=line.fleet_id)]
            return await self._created(session, actor, row, fleet_id=line.fleet_id)

    async def authenticate(self, login: str, password: str) -> model.Account:
        """The account when the password matches; ``PASSWORD_WRONG`` otherwise (also for an
        unknown or disabled login, so logins cannot be probed). After 5 failures in a row
        the account is locked for 15 minutes (``ACCOUNT_LOCKED``), written to the journal."""
        now = self.now()
        async with self.read() as session:
            row = await session.scalar(
                self._query().where(AccountRow.login == (login or "").strip().lower())
            )
            if row is None or not row.active:
                self._burn(password)
                raise DomainError(ErrorCode.PASSWORD_WRONG, field="password")
            if row.locked_until is not None and row.locked_until > now:
                self._burn(password)
                raise DomainError(
                    ErrorCode.ACCOUNT_LOCKED,
                    field="login",
                    until=row.locked_until.strftime("%H:%M UTC"),
                )
            account_id = row.id
            matches = self._verify(row.password_hash, password)
        async with self.write() as session:
            row = await self._load(session, account_id)
            if matches:
                row.failed_logins = 0
                row.locked_until = None
                if self._hasher.check_needs_rehash(row.password_hash):
                    row.password_hash = self._hasher.hash(password)
            else:
                row.failed_logins += 1
                if row.failed_logins >= MAX_LOGIN_FAILURES:
                    row.failed_logins = 0
                    row.locked_until = now + LOCK_TIME
                    locked = LoginLocked(
                        fleet_id=row.fleets[0].fleet_id if row.fleets else None,
                        account_id=row.id,
                        until=row.locked_until,
                    )
                    self.record(session, Actor.system("login-guard"), locked)
            view = views.account(row)
        if not matches:
            raise DomainError(ErrorCode.PASSWORD_WRONG, field="password")
        return view

    async def change_password(
        self, actor: Actor, account_id: int, *, old_password: str, new_password: str
    ) -> None:
        async with self.write() as session:
            row = await self._load(session, account_id)
            if not self._verify(row.password_hash, old_password):
                raise DomainError(ErrorCode.PASSWORD_WRONG, field="old_password")
            self._set_password(row, new_password)
            self._password(session, actor, row, PasswordEvent.CHANGED)

    async def reset_password(self, actor: Actor, account_id: int, new_password: str) -> None:
        async with self.write() as session:
            row = await self._load(session, account_id)
            self._set_password(row, new_password)
            self._password(session, actor, row, PasswordEvent.RESET)

    async def set_fleets(
        self, actor: Actor, account_id: int, fleet_ids: Sequence[int]
    ) -> model.Account:
        ids = sorted(set(fleet_ids))
        async with self.write() as session:
            row = await self._load(session, account_id)
            if row.role is not Role.MANAGER:
                raise DomainError(ErrorCode.ACCOUNT_LINE_REQUIRED, field="fleet_ids")
            if not ids:
                raise DomainError(ErrorCode.ACCOUNT_FLEETS_REQUIRED, field="fleet_ids")
            for fleet_id in ids:
                if await session.get(FleetRow, fleet_id) is None:
                    raise not_found("fleet", fleet_id)
            before = views.account(row)
            row.fleets = [AccountFleetRow(fleet_id=f) for f in ids]
            await session.flush()
            after = views.account(row)
            change = AccountChange(fleet_id=ids[0], account_id=row.id, before=before, after=after)
            self.record(session, actor, change)
            return after

    async def get(self, account_id: int) -> model.Account:
        cached = self._cache.get(account_id)
        if cached is not None:
            return cached
        generation = self._generation
        async with self.read() as session:
            account = views.account(await self._load(session, account_id))
        if generation == self._generation:  # no change committed meanwhile
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
            self._cache[account_id] = account
        return account

    async def get_by_login(self, login: str) -> model.Account:
        async with self.read() as session:
            row = await session.scalar(
                self._query().where(AccountRow.login == (login or "").strip().lower())
            )
            if row is None:
                raise not_found("account", login)
            return views.account(row)

    async def in_fleet(self, fleet_id: int) -> list[model.Account]:
        async with self.read() as session:
            rows = await session.scalars(
                self._query()
                .join(AccountFleetRow, AccountFleetRow.account_id == AccountRow.id)
                .where(AccountFleetRow.fleet_id == fleet_id)
                .order_by(AccountRow.login)
            )
            return [views.account(r) for r in rows.unique().all()]

    async def delete(self, actor: Actor, account_id: int) -> None:
        async with self.write() as session:
            row = await self._load(session, account_id)
            before = views.account(row)
            await session.delete(row)
            change = AccountChange(
                fleet_id=before.fleet_ids[0] if before.fleet_ids else None,
                account_id=account_id,
                before=before,
                after=None,
            )
            self.record(session, actor, change)

    # -- helpers ---------------------------------------------------------------------

    def _query(self) -> Select[AccountRow]:
        return select(AccountRow).options(selectinload(AccountRow.fleets))

    async def _load(self, session: AsyncSession, account_id: int) -> AccountRow:
        row = await session.scalar(self._query().where(AccountRow.id == account_id))
        if row is None:
            raise not_found("account", account_id)
        return row

    async def _new(
        self,
        session: AsyncSession,
        *,
        login: str,
        password: str,
        role: Role,
        display_name: str,
        language: str | Language,
        line_id: int | None,
    ) -> AccountRow:
        clean_login = rules.login(login)
        if await session.scalar(select(AccountRow.id).where(AccountRow.login == clean_login)):
            raise DomainError(ErrorCode.LOGIN_IN_USE, field="login", login=clean_login)
        now = self.now()
        return AccountRow(
            login=clean_login,
            password_hash=self._hasher.hash(rules.password(password)),
            role=role,
            display_name=rules.employee_name(display_name),
            language=rules.language(language),
            line_id=line_id,
            active=True,
            failed_logins=0,
            password_changed_at=now,
            created_at=now,
            updated_at=now,
        )

    async def _created(
        self, session: AsyncSession, actor: Actor, row: AccountRow, *, fleet_id: int
    ) -> model.Account:
        session.add(row)
        await session.flush()
        row = await self._load(session, row.id)
        view = views.account(row)
        change = AccountChange(fleet_id=fleet_id, account_id=row.id, before=None, after=view)
        self.record(session, actor, change)
        return view

    def _set_password(self, row: AccountRow, password: str) -> None:
        row.password_hash = self._hasher.hash(rules.password(password))
        row.password_changed_at = self.now()
        row.updated_at = row.password_changed_at

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _burn(self, password: str) -> None:
        """Spend the time of a real verification so unknown logins answer as slowly."""
        self._hasher.hash(password or "x")

    def _password(
        self, session: AsyncSession, actor: Actor, row: AccountRow, event: PasswordEvent
    ) -> None:
        view = views.account(row)
        change = AccountChange(
            fleet_id=row.fleets[0].fleet_id if row.fleets else None,
            account_id=row.id,
            before=view,
            after=view,
            password=event,
        )
        self.record(session, actor, change)


def _changes_accounts(change: Change) -> bool:
    """An account changed, or a fleet (its managers' fleets), or a line deleted (with the
    employee's account that was attached to it)."""
    match change:
        case AccountChange() | FleetChange():
            return True
        case LineChange(after=None):
            return True
        case _:
            return False
