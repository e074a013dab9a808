"""Password hashing and verification (argon2id) on worker threads, never on the event loop.

An argon2 verification costs about 0.2–0.4 s of CPU and 64 MiB; on the event loop it would
stall every call, USSD dialogue and health check meanwhile. argon2-cffi releases the GIL
while it hashes, so a few threads keep the loop free. The pool is bounded twice: ``workers``
threads hash at once, and at most ``queue`` more sign-ins wait for one of them; past that a
sign-in is refused at once (``LOGIN_BUSY``, with the seconds to wait before trying again),
rather than queueing without end while an attacker hammers the login."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import Callable, Iterator
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from fleet.core.errors import DomainError, ErrorCode

RETRY_AFTER = 1  # seconds a refused sign-in is told to wait
T = TypeVar("T")


class PasswordPool:
    def __init__(
        self, *, workers: int = 1, queue: int = 8, hasher: PasswordHasher | None = None
    ) -> None:
        if workers < 1 or queue < 0:
            raise ValueError("a password pool needs a worker and a queue of 0 or more")
        self._hasher = hasher or PasswordHasher()
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="argon2"
        )
        self.capacity = workers + queue  # sign-ins admitted at once
        self.admitted = 0
        self.refused = 0

    @contextlib.contextmanager
    def admit(self) -> Iterator[None]:
        """A place for one sign-in (its verification and its bookkeeping), or
        ``LOGIN_BUSY`` at once when ``capacity`` sign-ins are already under way."""
        if self.admitted >= self.capacity:
            self.refused += 1
            raise DomainError(ErrorCode.LOGIN_BUSY, seconds=RETRY_AFTER)
        self.admitted += 1
        try:
            yield
        finally:
            self.admitted -= 1

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches ``password_hash``. ``None`` (no such account) is
        never a match, after the same work (a hash of the password), so that an unknown
        login answers as slowly as a known one."""
        return await self._run(self._check, password_hash, password or "")

    async def hash(self, password: str) -> str:
        return await self._run(self._hasher.hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _check(self, password_hash: str | None, password: str) -> bool:
        if password_hash is None:
            self._hasher.hash(password)
            return False
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def _run(self, work: Callable[..., T], *args: str | None) -> T:
        """``work`` on a worker thread. A caller that gives up (cancelled) takes its work
        off the queue if no thread has started it; a started hash runs to its end, so no
        more than ``workers`` ever run at once."""
        return await asyncio.wrap_future(self._executor.submit(work, *args))
