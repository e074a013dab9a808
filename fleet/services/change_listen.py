"""Hearing the other processes' changes: a dedicated asyncpg connection ``LISTEN``s on the
change channel (``fleet.services.change_notify``); each notification is decoded
(``fleet.services.change_codec``) and its changes are published to the change hub's
listeners only — the routing cache, the account cache, the trunk book, the call groups —
as if committed here (never to the stagers: they are not announced again). A process skips
its own notifications (it applied them at its commit).

Missed notifications. While the connection is down nothing is heard, so the caches may be
behind. From the moment it is lost (or the first connection fails) until it is back and the
caches have been read again, the caches are *suspended* (``ProcessCaches.suspend``):
the routing table says it is not loaded (feature codes answer "service unavailable" rather
than from a stale table; calls are still routed from the last table), the account cache
holds nothing (each request reads its account from the database). Once ``LISTEN`` is back,
every cache is read again (``cache_reloaded``, reason "listener reconnected"), then
resumed; changes committed during the reload arrive on the connection and are applied on
top of it. A connection that dies silently is found by a ping every ``HEARTBEAT`` seconds.

References and requests. A change too large for a notification comes as a reference (read
that fleet, or that account, again); ``fleetpbx cache reload`` asks for everything."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no stubs; used at this edge only
import structlog
from sqlalchemy.engine import make_url

from fleet.services.accounts import AccountService
from fleet.services.change_codec import (
    RELOAD_EVERYTHING,
    Notice,
    NoticeError,
    Reload,
    ReloadScope,
    decode,
)
from fleet.services.change_notify import CHANNEL
from fleet.services.change_stats import ChangeFeedStats, ReloadReason
from fleet.services.changes import ChangeHub
from fleet.services.directory import CachedDirectory
from fleet.services.trunkbook import CachedTrunkBook

RETRY_FIRST, RETRY_MAX = 0.5, 15.0  # seconds between attempts to connect again
HEARTBEAT = 5.0  # seconds between pings of an idle connection (and the ping's timeout)
CONNECT_TIMEOUT = 10.0
APPLICATION_NAME = "fleetpbx-listen"  # as pg_stat_activity shows the connection

log = structlog.get_logger("fleet.changes")


def asyncpg_dsn(url: str) -> str:
    """The asyncpg form of a ``postgresql+asyncpg://`` URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass(slots=True, kw_only=True)
class ProcessCaches:
    """What this process holds from the database, as the composition root builds it (the
    routing cache and the trunk book are attached once they exist)."""

    accounts: AccountService
    directory: CachedDirectory | None = None
    trunks: CachedTrunkBook | None = None
    _reading: asyncio.Lock = field(default_factory=asyncio.Lock)  # one reload at a time

    def suspend(self) -> None:
        self.accounts.cache.suspended = True
        self.accounts.cache.forget()
        if self.directory is not None:
            self.directory.loaded = False

    def resume(self) -> None:
        self.accounts.cache.suspended = False

    async def reload(self, wanted: Reload) -> None:
        """Read again from the database what ``wanted`` names (one reload at a time:
        changes heard meanwhile are still applied, on top of what is being read)."""
        async with self._reading:
            await self._reload(wanted)

    async def _reload(self, wanted: Reload) -> None:
        match wanted.scope:
            case ReloadScope.ACCOUNT:
                self.accounts.cache.forget(wanted.id)
            case ReloadScope.FLEET:
                assert wanted.id is not None
                self.accounts.cache.forget()
                if self.directory is not None:
                    await self.directory.load_fleet(wanted.id)
                await self._reload_trunks()
            case ReloadScope.EVERYTHING:
                self.accounts.cache.forget()
                if self.directory is not None:
                    await self.directory.reload_all()
                await self._reload_trunks()

    async def _reload_trunks(self) -> None:
        if self.trunks is not None and self.trunks.loaded:  # else its own loader is at it
            await self.trunks.load()


class ChangeListener:
    """The listening connection and what it hears (``start``, then ``stop``)."""

    def __init__(
        self,
        *,
        url: str,
        process: str,
        hub: ChangeHub,
        caches: ProcessCaches,
        stats: ChangeFeedStats | None = None,
        channel: str = CHANNEL,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._dsn = asyncpg_dsn(url)
        self.process = process
        self._hub = hub
        self.caches = caches
        self.stats = stats or ChangeFeedStats()
        self._channel = channel
        self._wall = wall
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._stop = asyncio.Event()
        self._lost = asyncio.Event()
        self._missed = False  # notifications may have been missed: read everything again
        self._connection: asyncpg.Connection | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Try to listen once (so that what is loaded next is not missed), then keep
        listening in the background."""
        connection = await self._connect()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._run(connection)),
            loop.create_task(self._apply_queue()),
        ]

    async def stop(self) -> None:
        self._stop.set()
        self._lost.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- the connection ------------------------------------------------------------------

    async def _connect(self) -> asyncpg.Connection | None:
        try:
            connection: asyncpg.Connection = await asyncpg.connect(
                self._dsn,
                timeout=CONNECT_TIMEOUT,
                server_settings={"application_name": f"{APPLICATION_NAME} {self.process}"[:63]},
            )
        except Exception as exc:  # away, refusing, misconfigured: try again later
            self._went_deaf(repr(exc))
            return None
        try:
            self._connection = connection
            self._lost.clear()
            connection.add_termination_listener(self._terminated)
            await connection.add_listener(self._channel, self._heard)
        except Exception as exc:  # lost at once
            connection.terminate()
            self._went_deaf(repr(exc))
            return None
        self.stats.connects += 1
        self.stats.listening = True
        log.info("changes_listening", channel=self._channel, process=self.process)
        return connection

    def _went_deaf(self, error: str) -> None:
        if self.stats.listening or not self._missed:
            log.warning("changes_not_heard", error=error)
        if self.stats.listening:
            self.stats.disconnects += 1
        self.stats.listening = False
        self._missed = True
        self.caches.suspend()

    async def _run(self, connection: asyncpg.Connection | None) -> None:
        delay = RETRY_FIRST
        while not self._stop.is_set():
            if connection is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                delay = min(delay * 2, RETRY_MAX)
                if self._stop.is_set():
                    return
                connection = await self._connect()
                continue
            try:
                if self._missed:
                    await self._reload(RELOAD_EVERYTHING, ReloadReason.RECONNECTED)
                    self._missed = False
                self.caches.resume()
                delay = RETRY_FIRST  # back to a short wait only once read again
                await self._keep(connection)
            except Exception as exc:  # the connection or the database went away
                self._went_deaf(repr(exc))
            finally:
                if not connection.is_closed():
                    connection.terminate()
            connection = None
            if not self._stop.is_set():
                self._went_deaf("the listening connection was lost")

    async def _keep(self, connection: asyncpg.Connection) -> None:
        """Until the connection is lost (or stopped): ping it when idle."""
        while not self._lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), HEARTBEAT)
            if self._lost.is_set():
                return
            await asyncio.wait_for(connection.execute("SELECT 1"), HEARTBEAT)

    def _terminated(self, connection: Any) -> None:
        if connection is self._connection:
            self._lost.set()

    def _heard(self, _connection: Any, _pid: int, _channel: str, payload: object) -> None:
        self._queue.put_nowait(str(payload))

    # -- what is heard -------------------------------------------------------------------

    async def _apply_queue(self) -> None:
        while True:
            payload = await self._queue.get()
            try:
                await self.apply(payload)
            except Exception as exc:  # the database away while reading: read all again
                log.warning("notification_not_applied", error=repr(exc))
                self.stats.reloaded(ReloadReason.NOT_APPLIED)
                self._missed = True
                self._lost.set()  # connect again, then read everything

    async def apply(self, payload: str) -> None:
        """Apply one notification's changes to this process's caches."""
        try:
            notice = decode(payload)
        except NoticeError as exc:
            self.stats.undecodable += 1
            log.warning("notification_undecodable", error=str(exc))
            await self._reload(RELOAD_EVERYTHING, ReloadReason.UNDECODABLE)
            return
        if notice.sender == self.process:
            self.stats.own += 1
            return
        self.stats.received += 1
        await self._apply(notice)
        self.stats.lagged(self._wall() - notice.sent_at)

    async def _apply(self, notice: Notice) -> None:
        if notice.events:
            await self._hub.publish(notice.events)
            self.stats.changes_applied += len(notice.events)
        for wanted in notice.reloads:
            reason = (
                ReloadReason.REQUESTED
                if wanted.scope is ReloadScope.EVERYTHING
                else ReloadReason.TOO_LARGE
            )
            await self._reload(wanted, reason)

    async def _reload(self, wanted: Reload, reason: ReloadReason) -> None:
        started = time.perf_counter()
        await self.caches.reload(wanted)
        self.stats.reloaded(reason)
        log.info(
            "cache_reloaded",
            reason=reason.value,
            scope=wanted.scope.value,
            id=wanted.id,
            seconds=round(time.perf_counter() - started, 3),
        )
