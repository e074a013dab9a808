"""Signing in under attack (issue 10, defect 3), on the services: wrong passwords counted
atomically before any is verified, per (account, address) and per address; argon2 on worker
threads, in a bounded pool."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.clock import ManualClock
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.numbering import NumberPolicy
from fleet.core.values import Actor
from fleet.db.engine import session_factory
from fleet.services.audit import AuditFilter
from fleet.services.base import ServiceContext
from fleet.services.container import Services
from fleet.services.passwords import PasswordPool
from tests.polling import WITHIN, eventually
from tests.world import PASSWORD, World, build_world

ATTACKER, USER = "198.51.100.7", "203.0.113.20"


class WatchedHasher(PasswordHasher):
    """argon2 as the service uses it, telling which threads did the work and how much; a
    verification can be held (``hold``) until the test releases it."""

    def __init__(self) -> None:
        super().__init__()
        self.verified = 0  # verifications (a known account's password checked)
        self.hashed = 0  # hashes (new passwords; the same work for an unknown login)
        self.threads: set[int] = set()
        self.hold = False
        self.entered = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with self._lock:
            self.verified += 1
            self.threads.add(threading.get_ident())
        if self.hold:
            self.entered.set()
            self.release.wait(WITHIN)
        return super().verify(hash, password)

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        with self._lock:
            self.hashed += 1
            self.threads.add(threading.get_ident())
        return super().hash(password, salt=salt)


def build(engine: AsyncEngine, clock: ManualClock, pool: PasswordPool) -> Services:
    context = ServiceContext(sessions=session_factory(engine), clock=clock, policy=NumberPolicy())
    return Services.build(context=context, passwords=pool)


@pytest.fixture
def hasher() -> WatchedHasher:
    return WatchedHasher()


@pytest.fixture
def guarded(engine: AsyncEngine, clock: ManualClock, hasher: WatchedHasher) -> Services:
    """Services whose password pool never refuses a sign-in: the login guard alone limits."""
    return build(engine, clock, PasswordPool(workers=2, queue=100, hasher=hasher))


async def manager(services: Services, actor: Actor) -> World:
    world = await build_world(services, actor)
    await services.accounts.create_manager(
        actor, login="chef", password=PASSWORD, display_name="Chef", fleet_ids=[world.fleet.id]
    )
    return world


async def refused(services: Services, login: str, password: str, source: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await services.accounts.sign_in(login, password, source=source)
    return caught.value


async def test_forty_wrong_passwords_at_once_get_five_verified_then_the_right_one_is_refused(
    guarded: Services, hasher: WatchedHasher, actor: Actor
) -> None:
    await manager(guarded, actor)
    hasher.verified = 0
    results = await asyncio.gather(
        *(guarded.accounts.sign_in("chef", f"faux-{i}", source=ATTACKER) for i in range(40)),
        return_exceptions=True,
    )
    codes = Counter(r.code for r in results if isinstance(r, DomainError))
    assert sum(codes.values()) == 40, results
    assert hasher.verified == 5 and codes[ErrorCode.PASSWORD_WRONG] == 5, codes
    assert set(codes) <= {
        ErrorCode.PASSWORD_WRONG,
        ErrorCode.ACCOUNT_LOCKED,
        ErrorCode.LOGIN_THROTTLED,
    }
    locked = await refused(guarded, "chef", PASSWORD, ATTACKER)
    assert locked.code is ErrorCode.ACCOUNT_LOCKED and hasher.verified == 5
    journal = await guarded.audit.search(AuditFilter(entity="account"))
    locks = [e for e in journal.items if e.after and "locked_until" in e.after]
    assert len(locks) == 1


async def test_five_wrong_passwords_from_one_address_leave_the_account_open_elsewhere(
    guarded: Services, actor: Actor, clock: ManualClock
) -> None:
    await manager(guarded, actor)
    for _ in range(5):
        wrong = await refused(guarded, "chef", "mauvais", ATTACKER)
        assert wrong.code is ErrorCode.PASSWORD_WRONG
    assert (await refused(guarded, "chef", PASSWORD, ATTACKER)).code is ErrorCode.ACCOUNT_LOCKED
    signed = await guarded.accounts.sign_in("chef", PASSWORD, source=USER)
    assert signed.account.login == "chef"
    clock.advance(15 * 60 + 1)
    assert (await guarded.accounts.sign_in("chef", PASSWORD, source=ATTACKER)).epoch


@pytest.mark.parametrize("burst", [False, True], ids=["one-by-one", "at-once"])
async def test_a_login_that_exists_is_refused_exactly_as_one_that_does_not(
    guarded: Services, actor: Actor, burst: bool
) -> None:
    await manager(guarded, actor)

    async def answers(login: str, source: str) -> list[str]:
        tries = [guarded.accounts.sign_in(login, f"faux-{i}", source=source) for i in range(7)]
        if burst:
            results = await asyncio.gather(*tries, return_exceptions=True)
        else:
            results = []
            for attempt in tries:
                try:
                    results.append(await attempt)
                except DomainError as exc:
                    results.append(exc)
        assert all(isinstance(r, DomainError) for r in results), results
        codes = [r.code for r in results if isinstance(r, DomainError)]
        if burst:  # which of the unverified ones end locked or throttled is a matter of timing
            unverified = (ErrorCode.ACCOUNT_LOCKED, ErrorCode.LOGIN_THROTTLED)
            codes = [ErrorCode.LOGIN_THROTTLED if c in unverified else c for c in codes]
        return sorted(c.value for c in codes)

    known = await answers("chef", ATTACKER)
    unknown = await answers("personne", USER)  # another address: the same starting point
    assert known == unknown
    assert known.count(ErrorCode.PASSWORD_WRONG.value) == 5


async def test_an_address_with_many_wrong_passwords_waits_longer_after_each(
    guarded: Services, hasher: WatchedHasher, actor: Actor, clock: ManualClock
) -> None:
    await manager(guarded, actor)
    work = hasher.verified + hasher.hashed
    for i in range(11):  # ten free failures, on logins that do not exist; the 11th is let
        wrong = await refused(guarded, f"inconnu{i}", "mauvais", ATTACKER)  # in, and delays
        assert wrong.code is ErrorCode.PASSWORD_WRONG
    assert hasher.verified + hasher.hashed == work + 11  # an unknown login costs a hash
    for delay in (1, 2, 4, 8):
        early = await refused(guarded, "chef", PASSWORD, ATTACKER)  # even the right one
        assert early.code is ErrorCode.LOGIN_THROTTLED and early.params["seconds"] == delay
        clock.advance(delay)
        wrong = await refused(guarded, "inconnu", "mauvais", ATTACKER)
        assert wrong.code is ErrorCode.PASSWORD_WRONG
    assert hasher.verified + hasher.hashed == work + 15  # the early ones verified nothing
    assert (await guarded.accounts.sign_in("chef", PASSWORD, source=USER)).epoch
    clock.advance(16 + 15 * 60)  # the last delay, then a quarter of an hour without failure
    assert (await guarded.accounts.sign_in("chef", PASSWORD, source=ATTACKER)).epoch


async def test_a_right_password_gives_its_attempt_back_to_the_address(
    guarded: Services, actor: Actor
) -> None:
    await manager(guarded, actor)
    for i in range(10):
        await refused(guarded, f"inconnu{i}", "mauvais", USER)
    for _ in range(5):  # an office behind one address: its own sign-ins cost it nothing
        assert (await guarded.accounts.sign_in("chef", PASSWORD, source=USER)).epoch
    assert (await refused(guarded, "inconnu", "x", USER)).code is ErrorCode.PASSWORD_WRONG


async def test_a_wrong_current_password_counts_as_a_wrong_sign_in(
    guarded: Services, actor: Actor
) -> None:
    await manager(guarded, actor)
    account = await guarded.accounts.get_by_login("chef")
    for _ in range(5):
        with pytest.raises(DomainError) as caught:
            await guarded.accounts.change_password(
                actor, account.id, old_password="x", new_password="nouveau-secret", source=USER
            )
        assert caught.value.code is ErrorCode.PASSWORD_WRONG
    assert (await refused(guarded, "chef", PASSWORD, USER)).code is ErrorCode.ACCOUNT_LOCKED


async def test_passwords_are_verified_on_worker_threads_while_the_loop_goes_on(
    guarded: Services, hasher: WatchedHasher, actor: Actor
) -> None:
    world = await manager(guarded, actor)
    hasher.hold = True
    sign_in = asyncio.create_task(guarded.accounts.sign_in("chef", PASSWORD, source=USER))
    await eventually(hasher.entered.is_set, what="a verification under way")
    # the loop serves other work (a database read) while the password is being verified
    assert (await guarded.fleets.get(world.fleet.id)).id == world.fleet.id
    assert not sign_in.done()
    hasher.release.set()
    assert (await sign_in).account.login == "chef"
    assert threading.get_ident() not in hasher.threads and hasher.threads


async def test_past_the_pool_bound_a_sign_in_is_refused_at_once(
    engine: AsyncEngine, clock: ManualClock, hasher: WatchedHasher, actor: Actor
) -> None:
    services = build(engine, clock, PasswordPool(workers=1, queue=1, hasher=hasher))
    await manager(services, actor)
    hasher.hold = True
    held = [
        asyncio.create_task(services.accounts.sign_in("chef", PASSWORD, source=USER))
        for _ in range(2)
    ]
    await eventually(hasher.entered.is_set, what="a verification under way")
    await eventually(lambda: services.accounts.passwords.admitted == 2, what="two admitted")
    verified = hasher.verified
    busy = await refused(services, "chef", PASSWORD, USER)
    assert busy.code is ErrorCode.LOGIN_BUSY and busy.params["seconds"] >= 1
    assert hasher.verified == verified  # refused before anything was counted or verified
    hasher.release.set()
    for task in held:
        assert (await task).account.login == "chef"
    assert (await services.accounts.sign_in("chef", PASSWORD, source=USER)).epoch
