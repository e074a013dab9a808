"""Session epochs: every portal session and API token carries its account's epoch
(``accounts.session_epoch``); giving the account a new one (sign-out, a password changed or
reset, the account disabled, its fleet removed) ends them all at once. Each request is
checked against this process's cache of accounts (``AccountCache``), which the change hub
empties with every change of an account or a fleet, and which reads an account again after
``RECHECK``, so that a change made by another process is seen within that time."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import model
from fleet.core.changes import AccountChange, Change, ChangeEvent, FleetChange, LineChange
from fleet.db.tables import AccountFleetRow, AccountRow

CACHE_MAX = 10_000
RECHECK = timedelta(seconds=5)


def new_epoch() -> str:
    return secrets.token_urlsafe(12)


def same_epoch(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A signed-in account and the session epoch its session or token must carry."""

    account: model.Account
    epoch: str


@dataclass(frozen=True, slots=True)
class CachedAccount:
    account: model.Account
    epoch: str
    loaded_at: datetime


class AccountCache:
    """Accounts by id, with their epochs. A read started before a change was committed
    must not store what it read (``generation``). While ``suspended`` (this process may be
    missing other processes' changes: ``fleet.services.change_listen``) it holds nothing and
    every request reads its account from the database."""

    def __init__(self) -> None:
        self._accounts: dict[int, CachedAccount] = {}
        self.generation = 0
        self.suspended = False

    def fresh(self, account_id: int, now: datetime) -> CachedAccount | None:
        cached = self._accounts.get(account_id)
        if cached is None or self.suspended or now - cached.loaded_at >= RECHECK:
            return None
        return cached

    def store(self, cached: CachedAccount, account_id: int, generation: int) -> None:
        if generation != self.generation or self.suspended:  # a change committed meanwhile
            return
        if len(self._accounts) >= CACHE_MAX:
            self._accounts.clear()
        self._accounts[account_id] = cached

    def forget(self, account_id: int | None = None) -> None:
        """Forget one account, or all of them."""
        if account_id is None:
            self._accounts.clear()
        else:
            self._accounts.pop(account_id, None)
        self.generation += 1


async def end_sessions_of_removed_fleets(
    session: AsyncSession, events: Sequence[ChangeEvent]
) -> None:
    """A stager of the change hub: a fleet removed ends the sessions of the accounts it had,
    in the same transaction (the employees' accounts go with their lines; a manager's
    stays, with its other fleets if any)."""
    removed = [
        e.change.fleet_id
        for e in events
        if isinstance(e.change, FleetChange) and e.change.after is None
    ]
    if not removed:
        return
    with session.no_autoflush:  # read the fleet's accounts before its deletion is sent
        owners = select(AccountFleetRow.account_id).where(AccountFleetRow.fleet_id.in_(removed))
        await session.execute(
            update(AccountRow)
            .where(AccountRow.id.in_(owners))
            .values(session_epoch=new_epoch())
            .execution_options(synchronize_session=False)
        )


def changes_accounts(change: Change) -> bool:
    """An account changed, or a fleet (its managers' fleets), or a line deleted (with the
    employee's account that was attached to it)."""
    match change:
        case AccountChange() | FleetChange():
            return True
        case LineChange(after=None):
            return True
        case _:
            return False
