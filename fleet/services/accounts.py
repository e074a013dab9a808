"""Portal accounts: fleet managers (one or more fleets) and employees (one line); signing
in, and the session epoch that ends every session and token of an account at once."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fleet.core import model, rules
from fleet.core.changes import (
    AccountChange,
    ChangeEvent,
    PasswordEvent,
)
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.values import Actor, Language, Role
from fleet.db.tables import AccountFleetRow, AccountRow, FleetRow, LineRow
from fleet.services import views
from fleet.services.base import Service, ServiceContext
from fleet.services.loginguard import LoginLimits
from fleet.services.logins import PasswordGate
from fleet.services.passwords import PasswordPool
from fleet.services.sessions import (
    AccountCache,
    CachedAccount,
    SignedIn,
    changes_accounts,
    end_sessions_of_removed_fleets,
    new_epoch,
    same_epoch,
)


class AccountService(Service):
    def __init__(
        self,
        *,
        context: ServiceContext,
        passwords: PasswordPool | None = None,
        limits: LoginLimits | None = None,
    ) -> None:
        super().__init__(context=context)
        self.passwords = passwords or PasswordPool()
        self._gate = PasswordGate(context=context, passwords=self.passwords, limits=limits)
        # accounts by id, as every portal page and API call reads them (with their session
        # epoch); any committed change of an account, a fleet or a deleted line (which may
        # change an account's fleets or line) forgets them all before the change returns
        self._cache = AccountCache()
        context.changes.subscribe(self._forget)
        context.changes.stage_with(end_sessions_of_removed_fleets)

    @property
    def cache(self) -> AccountCache:
        """This process's accounts (the change listener forgets or suspends them)."""
        return self._cache

    async def _forget(self, events: Sequence[ChangeEvent]) -> None:
        if any(changes_accounts(event.change) for event in events):
            self._cache.forget()

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
        password_hash = await self.passwords.hash(rules.password(password))
        async with self.write() as session:
            for fleet_id in ids:
                if await session.get(FleetRow, fleet_id) is None:
                    raise not_found("fleet", fleet_id)
            row = await self._new(
                session,
                login=login,
                password_hash=password_hash,
                role=Role.MANAGER,
                display_name=display_name,
                language=language,
                line_id=None,
            )
            row.fleets = [AccountFleetRow(fleet_id=f) for f in ids]
            return await self._created(session, actor, row, fleet_id=ids[0])

    async def create_operator(
        self,
        actor: Actor,
        *,
        login: str,
        password: str,
        display_name: str,
        language: str | Language = Language.FR,
    ) -> model.Account:
        """An account of the carrier's staff: it manages every fleet, and is tied to none."""
        password_hash = await self.passwords.hash(rules.password(password))
        async with self.write() as session:
            row = await self._new(
                session,
                login=login,
                password_hash=password_hash,
                role=Role.OPERATOR,
                display_name=display_name,
                language=language,
                line_id=None,
            )
            row.fleets = []
            return await self._created(session, actor, row, fleet_id=None)

    async def create_employee(
        self,
        actor: Actor,
        *,
        login: str,
        password: str,
        line_id: int,
        display_name: str | None = None,
    ) -> model.Account:
        password_hash = await self.passwords.hash(rules.password(password))
        async with self.write() as session:
            line = await session.get(LineRow, line_id)
            if line is None:
                raise DomainError(ErrorCode.ACCOUNT_LINE_REQUIRED, field="line_id")
            row = await self._new(
                session,
                login=login,
                password_hash=password_hash,
                role=Role.EMPLOYEE,
                display_name=display_name or line.employee_name,
                language=line.language,
                line_id=line.id,
            )
            row.fleets = [AccountFleetRow(fleet_id=line.fleet_id)]
            return await self._created(session, actor, row, fleet_id=line.fleet_id)

    # -- signing in ------------------------------------------------------------------

    async def sign_in(self, login: str, password: str, *, source: str) -> SignedIn:
        """The account and its session epoch when the password matches, tried from the
        source address ``source``; ``PASSWORD_WRONG`` otherwise (also for an unknown or
        disabled login, after the same work, so logins cannot be probed). The attempt goes
        through the password gate (``fleet.services.logins``): ``ACCOUNT_LOCKED`` or
        ``LOGIN_THROTTLED`` refuse it unverified, ``LOGIN_BUSY`` when too many are under
        way."""
        clean = (login or "").strip().lower()

        async def find(session: AsyncSession) -> AccountRow | None:
            row = await session.scalar(select(AccountRow).where(AccountRow.login == clean))
            return row if row is not None and row.active else None

        checked = await self._gate.check(
            source=source, login=clean, find=find, password=password, field="password"
        )
        rehashed = None
        if self.passwords.needs_rehash(checked.password_hash):
            rehashed = await self.passwords.hash(password)
        async with self.write() as session:
            row = await self._load(session, checked.account_id)
            if not row.active:  # disabled while its password was being checked
                raise DomainError(ErrorCode.PASSWORD_WRONG, field="password")
            if rehashed is not None and row.password_hash == checked.password_hash:
                row.password_hash = rehashed
            return SignedIn(account=views.account(row), epoch=row.session_epoch)

    async def signed_in(self, account_id: int, epoch: str) -> model.Account | None:
        """The account of a session or token carrying ``epoch``, when it still may act: the
        account exists, is active and its sessions have not been ended since. Checked on
        every request, from this process's cache."""
        try:
            cached = await self._cached(account_id)
            if not same_epoch(cached.epoch, epoch):
                cached = await self._cached(account_id, fresh=True)  # another process's news
        except DomainError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise
        if not same_epoch(cached.epoch, epoch) or not cached.account.active:
            return None
        return cached.account

    async def sign_out(self, account_id: int) -> None:
        """End every session and API token of the account (a sign-out from any of them)."""
        async with self.write() as session:
            row = await self._load(session, account_id)
            row.session_epoch = new_epoch()
        self._cache.forget(account_id)  # also a read under way: it must not store the old

    # -- passwords and status: each ends every session of the account ---------------

    async def change_password(
        self,
        actor: Actor,
        account_id: int,
        *,
        old_password: str,
        new_password: str,
        source: str,
    ) -> str:
        """Replace the password of its owner, who gives the current one (checked as a
        sign-in from ``source`` is: a wrong one counts against that address). Every session
        and token of the account ends; returns the new session epoch (for the session that
        made the change)."""
        clean = rules.password(new_password)

        async def find(session: AsyncSession) -> AccountRow | None:
            return await self._load(session, account_id)

        await self._gate.check(
            source=source, login=None, find=find, password=old_password, field="old_password"
        )
        new_hash = await self.passwords.hash(clean)
        async with self.write() as session:
            row = await self._load(session, account_id)
            epoch = self._set_password(row, new_hash)
            self._password(session, actor, row, PasswordEvent.CHANGED)
        return epoch

    async def reset_password(self, actor: Actor, account_id: int, new_password: str) -> None:
        new_hash = await self.passwords.hash(rules.password(new_password))
        async with self.write() as session:
            row = await self._load(session, account_id)
            self._set_password(row, new_hash)
            self._password(session, actor, row, PasswordEvent.RESET)

    async def set_active(self, actor: Actor, account_id: int, active: bool) -> model.Account:
        """Enable or disable an account; disabling ends every session and token of it. An
        account already so is left as it is (nothing journalled, its sessions go on)."""
        if not active:
            rules.not_self(actor.account_id, account_id)
        async with self.write() as session:
            row = await self._load(session, account_id)
            before = views.account(row)
            if row.active == active:
                return before
            row.active = active
            row.session_epoch = new_epoch()
            row.updated_at = self.now()
            after = views.account(row)
            self._journal(session, actor, before, after)
            return after

    async def set_language(self, actor: Actor, account_id: int, language: Language) -> None:
        """The language the account's user picked: its pages and messages from now on."""
        async with self.write() as session:
            row = await self._load(session, account_id)
            if row.language is language:
                return
            before = views.account(row)
            row.language = language
            row.updated_at = self.now()
            self._journal(session, actor, before, views.account(row))

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

    async def operators(self) -> list[model.Account]:
        async with self.read() as session:
            rows = await session.scalars(
                self._query().where(AccountRow.role == Role.OPERATOR).order_by(AccountRow.login)
            )
            return [views.account(r) for r in rows.all()]

    async def get(self, account_id: int) -> model.Account:
        return (await self._cached(account_id)).account

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
        rules.not_self(actor.account_id, account_id)
        async with self.write() as session:
            row = await self._load(session, account_id)
            before = views.account(row)
            await session.delete(row)
            self._journal(session, actor, before, None)

    # -- helpers ---------------------------------------------------------------------

    async def _cached(self, account_id: int, *, fresh: bool = False) -> CachedAccount:
        now = self.now()
        cached = None if fresh else self._cache.fresh(account_id, now)
        if cached is not None:
            return cached
        generation = self._cache.generation
        async with self.read() as session:
            row = await self._load(session, account_id)
            cached = CachedAccount(
                account=views.account(row), epoch=row.session_epoch, loaded_at=now
            )
        self._cache.store(cached, account_id, generation)
        return cached

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
        password_hash: str,
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
            password_hash=password_hash,
            role=role,
            display_name=rules.employee_name(display_name),
            language=rules.language(language),
            line_id=line_id,
            active=True,
            session_epoch=new_epoch(),
            password_changed_at=now,
            created_at=now,
            updated_at=now,
        )

    async def _created(
        self, session: AsyncSession, actor: Actor, row: AccountRow, *, fleet_id: int | None
    ) -> model.Account:
        session.add(row)
        await session.flush()
        row = await self._load(session, row.id)
        view = views.account(row)
        change = AccountChange(fleet_id=fleet_id, account_id=row.id, before=None, after=view)
        self.record(session, actor, change)
        return view

    def _journal(
        self,
        session: AsyncSession,
        actor: Actor,
        before: model.Account,
        after: model.Account | None,
    ) -> None:
        """Journal and announce an account changed (``after``) or removed (None)."""
        fleet_id = before.fleet_ids[0] if before.fleet_ids else None
        change = AccountChange(fleet_id=fleet_id, account_id=before.id, before=before, after=after)
        self.record(session, actor, change)

    def _set_password(self, row: AccountRow, password_hash: str) -> str:
        row.password_hash = password_hash
        row.password_changed_at = self.now()
        row.updated_at = row.password_changed_at
        row.session_epoch = new_epoch()
        return row.session_epoch

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
