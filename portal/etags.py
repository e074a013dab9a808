"""Versions of the API's changeable resources and of the portal's forms (``ETag`` /
``If-Match``, a hidden ``version`` field), so that two managers changing the same line or
group never overwrite each other's change silently.

A version is a hash of the resource's representation: any change of what the resource shows
gives it another version, whoever made it (the API, the portal, a handset's code). A write
that names a version (``If-Match``, the form's field) is checked against the resource as it
is, under a lock per resource held until the write is done, so that two such writes of one
resource in this process cannot both pass the check."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

VERSION_FIELD = "version"  # the hidden field of the portal's forms


def version(representation: Any) -> str:
    """The version of a representation: the same JSON, the same version."""
    text = json.dumps(representation, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def etag(representation: Any) -> str:
    """The strong entity tag of a representation (RFC 9110 §8.8.3)."""
    return f'"{version(representation)}"'


def if_match(request: web.Request) -> list[str] | None:
    """The entity tags of an ``If-Match`` header; None without one (or with ``*``: any
    current representation matches)."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def matches(wanted: list[str] | None, current: str) -> bool:
    """Whether the current entity tag is one of the wanted ones (strong comparison: a weak
    tag never matches)."""
    return wanted is None or current in wanted


def stale(sent: str | None, representation: Any) -> bool:
    """A form's version that is not the resource's any more (a form without one — a client
    that does not send it — is not checked, like a write without ``If-Match``)."""
    return sent is not None and sent != version(representation)


class Locks:
    """One lock per resource key, dropped once nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def held(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


LOCKS = web.AppKey("resource_locks", Locks)


def locks(request: web.Request) -> Locks:
    return request.app[LOCKS]


def setup(app: web.Application) -> None:
    app[LOCKS] = Locks()
