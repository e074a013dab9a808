"""The process's caches in the composition root (``fleet.app`` adds these contexts): the
routing cache every call and feature code reads, loaded in the background until the database
answers; on PostgreSQL the change listener that applies the other processes' changes to the
caches; on the SIP network the trunk book; and, for ``fleetpbx serve``, the heap frozen once
the routing cache is loaded."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog
from aiohttp import web

from fleet import app_metrics, heap
from fleet.app_keys import (
    CACHE_LOADED,
    CHANGE_FEED,
    CHANGE_LISTENER,
    DIRECTORY,
    HEAP,
    PROCESS_ID,
    SERVICES,
    SETTINGS,
    TRUNK_BOOK,
)
from fleet.metrics import CacheMetrics, ReloadReason
from fleet.services.change_listen import ChangeListener, ProcessCaches
from fleet.services.directory import CachedDirectory
from fleet.services.trunkbook import open_trunk_book
from portal import setup as portal_setup

CACHE_RETRY_FIRST, CACHE_RETRY_MAX = 1.0, 30.0

log = structlog.get_logger("fleet.app")


async def change_listener(app: web.Application) -> AsyncIterator[None]:
    """PostgreSQL: the other processes' changes, heard on a dedicated connection and
    applied to this process's caches (``fleet.services.change_listen``)."""
    services = app[SERVICES]
    listener = ChangeListener(
        url=app[SETTINGS].database_url,
        process=app[PROCESS_ID],
        hub=services.changes,
        caches=ProcessCaches(accounts=services.accounts),
        stats=app[CHANGE_FEED],
    )
    app[CHANGE_LISTENER] = listener
    if not app[SETTINGS].session_key:  # PostgreSQL: other processes may serve this database
        log.warning(
            "session_key_unset",
            hint="set session_key, the same on every process serving this database: portal "
            "sessions and API tokens are signed with it (a random key per process now)",
        )
    await listener.start()
    yield
    await listener.stop()


async def routing_cache(app: web.Application) -> AsyncIterator[None]:
    """Every fleet's lines, numbers and groups in memory, as calls and feature codes read
    them; every committed change updates it before the change returns. The service starts
    even when the database does not answer: the cache is then loaded as soon as it does
    (until then feature codes answer that the service is unavailable)."""
    services = app[SERVICES]
    directory = CachedDirectory(services=services, heap=app.get(HEAP))
    services.changes.subscribe(directory.changed)
    app[DIRECTORY] = directory
    if CHANGE_LISTENER in app:
        app[CHANGE_LISTENER].caches.directory = directory
    app[CACHE_LOADED] = loaded = asyncio.Event()
    portal_setup.attach_directory(app, directory)
    stop = asyncio.Event()
    cache = app[app_metrics.METRICS].cache
    loader = asyncio.get_running_loop().create_task(
        _load_routing_cache(directory, stop, loaded, cache)
    )
    if app[SETTINGS].simulator:
        await loader  # the simulated network registers a handset for every line
    yield
    stop.set()
    await loader  # an attempt under way ends first: a query is never cut off mid-way
    directory.close()


async def _load_routing_cache(
    directory: CachedDirectory, stop: asyncio.Event, loaded: asyncio.Event, cache: CacheMetrics
) -> None:
    delay = CACHE_RETRY_FIRST
    while not stop.is_set():
        try:
            await directory.load_all()
        except Exception as exc:  # the database is away or not migrated yet: try again
            log.warning("routing_cache_not_loaded", error=repr(exc), retry_in=delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, CACHE_RETRY_MAX)
            continue
        log.info("routing_cache_ready", lines=len(directory.all_lines()))
        cache.reloaded(ReloadReason.STARTUP)
        loaded.set()
        return


async def trunk_book(app: web.Application) -> AsyncIterator[None]:
    """The SIP trunks in memory for the SIP adapter (secrets decrypted in memory only)."""
    async with open_trunk_book(services=app[SERVICES]) as book:
        app[TRUNK_BOOK] = book
        if CHANGE_LISTENER in app:
            app[CHANGE_LISTENER].caches.trunks = book
        yield


async def heap_settler(app: web.Application) -> AsyncIterator[None]:
    """Freeze the start-up heap once the routing cache — most of the long-lived objects —
    is loaded (at once in the demo; in the background when the database came late)."""

    async def settle() -> None:
        await app[CACHE_LOADED].wait()
        threshold = app[SETTINGS].gc_threshold
        log.info("heap_settled", frozen_objects=heap.settle(threshold), gc_threshold=threshold)

    task = asyncio.get_running_loop().create_task(settle())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
