"""Checking a password, as a sign-in or before a password change: admitted by the login
guard (``fleet.services.loginguard``), verified in the password pool
(``fleet.services.passwords``) off the event loop, then settled.

1. ``PasswordPool.admit``: a place among the sign-ins under way, or ``LOGIN_BUSY`` at once;
2. one transaction: the source address's row, the account (``find``), the (account, address)
   row — ``LOGIN_THROTTLED`` or ``ACCOUNT_LOCKED`` refuse the attempt unverified, otherwise
   it is counted as a failure;
3. argon2 verification on a worker thread (for an unknown or disabled login, the same work);
4. one transaction: a wrong password stays counted (the failure that locks the address out of
   the account is journalled, once per lock), a right one is given back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core.changes import LoginLocked
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.values import Actor
from fleet.db.tables import AccountFleetRow, AccountRow
from fleet.services.base import Service, ServiceContext
from fleet.services.loginguard import Attempt, LoginGuard, LoginLimits, login_key
from fleet.services.passwords import PasswordPool

FORGET_EVERY = timedelta(minutes=10)  # old rows of the login guard deleted this often
GUARD = Actor.system("login-guard")

# the account whose password is checked, in the admission's transaction: None when there is
# no such account, or it may not sign in (disabled)
Finder = Callable[[AsyncSession], Awaitable[AccountRow | None]]


@dataclass(frozen=True, slots=True)
class Checked:
    """A password that matched: the account and the hash it matched."""

    account_id: int
    password_hash: str


class PasswordGate(Service):
    def __init__(
        self,
        *,
        context: ServiceContext,
        passwords: PasswordPool,
        limits: LoginLimits | None = None,
    ) -> None:
        super().__init__(context=context)
        self.passwords = passwords
        self.guard = LoginGuard(limits=limits)
        self._forgotten_at: datetime | None = None

    async def check(
        self, *, source: str, login: str | None, find: Finder, password: str, field: str
    ) -> Checked:
        """The account ``find`` names when ``password`` is its password, tried from the
        source address ``source`` for ``login`` (None: the login of the account found);
        ``PASSWORD_WRONG`` (on ``field``) otherwise, also when there is no such account —
        an unknown login is counted and refused exactly as a known one."""
        try:
            with self.passwords.admit():
                return await self._check(
                    source=source, login=login, find=find, password=password, field=field
                )
        finally:
            await self._forget_old()

    async def _check(
        self, *, source: str, login: str | None, find: Finder, password: str, field: str
    ) -> Checked:
        now = self.now()
        async with self.write() as session:
            await self.guard.admit_source(session, source, now)
            row = await find(session)
            key = login_key(login if login is not None else row.login if row else "")
            await self.guard.admit_login(session, key, source, now)
            attempt = Attempt(source=source, login_key=key, account_id=row.id if row else None)
            password_hash = row.password_hash if row else None
        matches = await self.passwords.verify(password_hash, password)
        if not matches or password_hash is None or attempt.account_id is None:
            await self._failed(attempt)
            raise DomainError(ErrorCode.PASSWORD_WRONG, field=field)
        async with self.write() as session:
            await self.guard.succeeded(session, attempt)
        return Checked(account_id=attempt.account_id, password_hash=password_hash)

    async def _failed(self, attempt: Attempt) -> None:
        """Settle a wrong password; the lock it may set is journalled for its account (a
        login nobody has has no journal)."""
        now = self.now()
        async with self.write() as session:
            until = await self.guard.failed(session, attempt, now)
            if until is None or attempt.account_id is None:
                return
            fleet_id = await session.scalar(
                select(func.min(AccountFleetRow.fleet_id)).where(
                    AccountFleetRow.account_id == attempt.account_id
                )
            )
            locked = LoginLocked(fleet_id=fleet_id, account_id=attempt.account_id, until=until)
            self.record(session, GUARD, locked)

    async def _forget_old(self) -> None:
        now = self.now()
        if self._forgotten_at is not None and now - self._forgotten_at < FORGET_EVERY:
            return
        self._forgotten_at = now
        async with self.write() as session:
            await self.guard.forget_old(session, now)
