"""The handset's call-barring password (3GPP TS 22.030 §6.5.4, TS 22.088): checked before a
barring code changes anything, changed with ``**03*330*OLD*NEW*NEW#``.

A line's password is 4 digits, stored hashed (argon2, in the accounts' password pool, off the
event loop); until its user sets one it is the deployment's default
(``barring_default_password``). Wrong passwords are counted on the line, in a row: the third
locks the line's barring codes for ``LOCK`` (even the right password is then refused, nothing
evaluated); a right one resets the count. Each check is one transaction whose first statement
updates the line's row (a row lock on PostgreSQL, the write lock on SQLite), so checks from
several processes count every failure; the count is committed before the refusal is raised.

The audit journal (channel of the ``actor``: ``ussd`` from the handset) records the lock —
the check that locks writes it, in its transaction — and each change of the password, as
events of the line (``BarringLocked``, ``BarringPasswordChanged``): never the password."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core.changes import BarringLocked, BarringPasswordChanged
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.values import Actor
from fleet.db.tables import LineRow
from fleet.services.base import Service, ServiceContext
from fleet.services.passwords import PasswordPool

DIGITS = 4
MAX_WRONG = 3  # wrong passwords in a row before the lock
LOCK = timedelta(minutes=15)
DEFAULT_PASSWORD = "0000"


def well_formed(password: str | None) -> str:
    """``password`` if it is 4 digits, else ``BARRING_PASSWORD_INVALID``."""
    if not (password and password.isascii() and password.isdigit() and len(password) == DIGITS):
        raise DomainError(ErrorCode.BARRING_PASSWORD_INVALID, field="password", digits=DIGITS)
    return password


class BarringPasswords(Service):
    def __init__(
        self,
        *,
        context: ServiceContext,
        passwords: PasswordPool,
        default: str = DEFAULT_PASSWORD,
    ) -> None:
        super().__init__(context=context)
        self._pool = passwords
        self._default = well_formed(default)

    async def check(self, actor: Actor, line_id: int, password: str | None) -> None:
        """Return when ``password`` is the line's barring password; raise
        ``BARRING_PASSWORD_WRONG`` (the failure counted) or ``BARRING_LOCKED`` otherwise
        (the lock journalled, made by ``actor``)."""
        now = self.now()
        async with self.write() as session:
            fleet_id, stored, failures, until = await self._take(session, line_id)
            if until is not None and until > now:
                refusal = _locked(until)  # nothing evaluated, nothing counted
            elif await self._matches(stored, password or ""):
                await _store(session, line_id, failures=0, until=None)
                return
            else:
                failures += 1
                if failures >= MAX_WRONG:
                    until = now + LOCK
                    await _store(session, line_id, failures=0, until=until)
                    refusal = _locked(until)
                    locked = BarringLocked(
                        fleet_id=fleet_id, line_id=line_id, until=until, wrong_passwords=failures
                    )
                    self.record(session, actor, locked)  # journalled; no configuration changed
                else:
                    await _store(session, line_id, failures=failures, until=None)
                    refusal = DomainError(
                        ErrorCode.BARRING_PASSWORD_WRONG,
                        field="password",
                        left=MAX_WRONG - failures,
                    )
        raise refusal

    async def change(
        self, actor: Actor, line_id: int, old: str | None, new: str | None, again: str | None
    ) -> None:
        """Set the line's password to ``new`` (typed twice) once ``old`` is checked; the
        journal says it changed (made by ``actor``)."""
        fresh = well_formed(new)
        if again != fresh:
            raise DomainError(ErrorCode.BARRING_PASSWORD_MISMATCH, field="password")
        await self.check(actor, line_id, old)
        hashed = await self._pool.hash(fresh)
        async with self.write() as session:
            fleet_id = await session.scalar(
                update(LineRow)
                .where(LineRow.id == line_id)
                .values(barring_password_hash=hashed)
                .returning(LineRow.fleet_id)
            )
            if fleet_id is None:
                raise not_found("line", line_id)
            changed = BarringPasswordChanged(fleet_id=fleet_id, line_id=line_id)
            self.record(session, actor, changed)

    async def _take(
        self, session: AsyncSession, line_id: int
    ) -> tuple[int, str | None, int, datetime | None]:
        """The transaction's first statement: an update of the line's row that holds it."""
        found = (
            await session.execute(
                update(LineRow)
                .where(LineRow.id == line_id)
                .values(barring_password_failures=LineRow.barring_password_failures)
                .returning(
                    LineRow.fleet_id,
                    LineRow.barring_password_hash,
                    LineRow.barring_password_failures,
                    LineRow.barring_locked_until,
                )
            )
        ).one_or_none()
        if found is None:
            raise not_found("line", line_id)
        return found[0], found[1], found[2], found[3]

    async def _matches(self, stored: str | None, password: str) -> bool:
        if stored is None:
            return hmac.compare_digest(password.encode(), self._default.encode())
        return await self._pool.verify(stored, password)


async def _store(
    session: AsyncSession, line_id: int, *, failures: int, until: datetime | None
) -> None:
    await session.execute(
        update(LineRow)
        .where(LineRow.id == line_id)
        .values(barring_password_failures=failures, barring_locked_until=until)
    )


def _locked(until: datetime) -> DomainError:
    return DomainError(
        ErrorCode.BARRING_LOCKED, field="password", until=until.strftime("%H:%M UTC")
    )
