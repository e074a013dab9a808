"""The login guard's counters: wrong passwords per source address and per (account, source
address), counted atomically before the password is verified (the procedure around them is
``fleet.services.logins``).

Each sign-in (and each check of the current password before a change) is *admitted* first,
in a transaction that takes the source address's row and then the (account, address) row:
an upsert followed by ``SELECT … FOR UPDATE`` on PostgreSQL, and on SQLite the upsert itself,
which takes the database's write lock. Admissions of one address therefore run one after the
other, in every process, and each reads the true count. An admitted attempt counts as a
failure at once; a right password gives that back when it is settled. So however many
attempts arrive together, no more are verified than the limits allow:

- **per login and address**: ``per_account`` (5) wrong passwords for one login from one
  address lock that address out of that login for ``lock_time`` (15 min), journalled once
  per lock when an account has that login. The same account from another address is not
  affected: an attacker cannot lock the real user out. Logins are counted whether an account
  has them or not (by their digest, ``login_key``), so a login that exists is refused exactly
  as one that does not: the answers tell an attacker nothing;
- **per address**, whatever the accounts (known or not): past ``per_source`` (10) wrong
  passwords, each further attempt from the address must wait a delay that doubles with
  every failure (1 s, 2 s, 4 s … at most ``max_delay``, 15 min); one made sooner is refused
  with the seconds left, unverified.

Failures are forgotten after ``window`` (15 min) without one. Refused attempts count for
nothing (they verify nothing). Addresses are the edge's business (``portal.security``):
an IPv6 client is counted by its /64 network."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core.errors import DomainError, ErrorCode
from fleet.db.tables import LoginLockRow, LoginSourceRow

Row = TypeVar("Row", LoginSourceRow, LoginLockRow)
ADDRESS_MAX = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginLimits:
    per_account: int = 5
    lock_time: timedelta = timedelta(minutes=15)
    per_source: int = 10
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=15)
    window: timedelta = timedelta(minutes=15)

    def delay(self, failures: int) -> timedelta | None:
        """The wait imposed on an address after its ``failures``-th failure, if any."""
        beyond = failures - self.per_source
        if beyond <= 0:
            return None
        if beyond > 40:  # 2**40 s is long past any maximum
            return self.max_delay
        return min(self.first_delay * (1 << (beyond - 1)), self.max_delay)


@dataclass(frozen=True, slots=True)
class Attempt:
    """An admitted attempt: counted as a failure until it is settled."""

    source: str
    login_key: str  # the login tried (``login_key``)
    account_id: int | None  # None: no such (active) account


def login_key(login: str) -> str:
    """What the guard counts a login by: the digest of its normalised form (any length, and
    no login kept for the logins nobody has)."""
    return hashlib.sha256(login.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()


def _seconds(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def _hhmm(at: datetime) -> str:
    return at.strftime("%H:%M UTC")


class LoginGuard:
    def __init__(self, *, limits: LoginLimits | None = None) -> None:
        self.limits = limits or LoginLimits()

    async def admit_source(self, session: AsyncSession, source: str, now: datetime) -> None:
        """Take the address's row (first, in the admission's transaction); refuse with
        ``LOGIN_THROTTLED`` while it must wait; otherwise count the attempt."""
        if not source or len(source) > ADDRESS_MAX:
            raise ValueError(f"a source address of 1 to {ADDRESS_MAX} characters: {source!r}")
        row = await _take(session, LoginSourceRow, {"address": source}, {"failures": 0})
        if row.not_before is not None and row.not_before > now:
            raise DomainError(ErrorCode.LOGIN_THROTTLED, seconds=_seconds(row.not_before, now))
        if row.last_failure_at is not None and row.last_failure_at <= now - self.limits.window:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        delay = self.limits.delay(row.failures)
        row.not_before = now + delay if delay is not None else None

    async def admit_login(
        self, session: AsyncSession, key: str, source: str, now: datetime
    ) -> None:
        """Take the (login, address) row, after the address's; refuse with
        ``ACCOUNT_LOCKED`` while it is locked, or ``LOGIN_THROTTLED`` while the attempts
        already admitted fill its quota (they are being verified); otherwise count it."""
        row = await _take(
            session,
            LoginLockRow,
            {"login_key": key, "address": source},
            {"failures": 0},
        )
        if row.locked_until is not None:
            if row.locked_until > now:
                raise DomainError(
                    ErrorCode.ACCOUNT_LOCKED, field="login", until=_hhmm(row.locked_until)
                )
            row.locked_until, row.failures = None, 0
        if row.last_failure_at is not None and row.last_failure_at <= now - self.limits.window:
            row.failures = 0
        if row.failures >= self.limits.per_account:
            raise DomainError(ErrorCode.LOGIN_THROTTLED, seconds=1)
        row.failures += 1
        row.last_failure_at = now

    async def failed(
        self, session: AsyncSession, attempt: Attempt, now: datetime
    ) -> datetime | None:
        """A wrong password: the attempt stays counted. Returns the end of the lock when
        this failure is the one that locks the address out of the login (once per lock)."""
        row = await _take(
            session,
            LoginLockRow,
            {"login_key": attempt.login_key, "address": attempt.source},
            {"failures": 0},
        )
        if row.failures < self.limits.per_account:
            return None
        if row.locked_until is not None and row.locked_until > now:
            return None  # locked already, by a failure admitted at the same time
        row.locked_until = now + self.limits.lock_time
        row.failures = 0
        return row.locked_until

    async def succeeded(self, session: AsyncSession, attempt: Attempt) -> None:
        """A right password: the address gets its attempt back (and loses the delay that
        attempt imposed when it no longer has too many), and the account's failures from
        that address are forgotten."""
        source = await _take(session, LoginSourceRow, {"address": attempt.source}, {"failures": 0})
        source.failures = max(0, source.failures - 1)
        if self.limits.delay(source.failures) is None:
            source.not_before = None
        lock = await _take(
            session,
            LoginLockRow,
            {"login_key": attempt.login_key, "address": attempt.source},
            {"failures": 0},
        )
        lock.failures, lock.locked_until = 0, None

    async def forget_old(self, session: AsyncSession, now: datetime) -> None:
        """Delete the rows with nothing left to remember (no failure within the window, no
        delay or lock running)."""
        quiet = now - self.limits.window
        await session.execute(
            delete(LoginSourceRow).where(
                or_(
                    LoginSourceRow.last_failure_at.is_(None), LoginSourceRow.last_failure_at < quiet
                ),
                or_(LoginSourceRow.not_before.is_(None), LoginSourceRow.not_before < now),
            )
        )
        await session.execute(
            delete(LoginLockRow).where(
                and_(
                    or_(
                        LoginLockRow.last_failure_at.is_(None), LoginLockRow.last_failure_at < quiet
                    ),
                    or_(LoginLockRow.locked_until.is_(None), LoginLockRow.locked_until < now),
                )
            )
        )


async def _take(
    session: AsyncSession, table: type[Row], key: dict[str, Any], fresh: dict[str, Any]
) -> Row:
    """The row of ``key``, created with ``fresh`` when missing, and locked for the rest of
    the transaction: an upsert (SQLite's write lock), then ``FOR UPDATE`` (PostgreSQL)."""
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    await session.execute(insert(table).values(**key, **fresh).on_conflict_do_nothing())
    query = (
        select(table).filter_by(**key).with_for_update().execution_options(populate_existing=True)
    )
    row = await session.scalar(query)
    if row is None:  # inserted or found just above, and held since
        raise RuntimeError(f"{table.__tablename__}: row {key} vanished")
    return row
