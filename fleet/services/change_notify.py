"""Announcing committed changes to the other FleetPBX processes on the same PostgreSQL
database: a stager of the change hub (``fleet.services.changes``) that issues
``pg_notify`` inside each change's transaction, so the notification is delivered when, and
only if, the change commits (PostgreSQL delivers a transaction's notifications at its
commit, in order). The payload is the change itself (``fleet.services.change_codec``) with
the sender's process id; ``fleet.services.change_listen`` receives it elsewhere.

On SQLite (one process) nothing is announced: the composition root does not stage it."""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Callable, Sequence

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from fleet.core.changes import ChangeEvent
from fleet.services.change_codec import RELOAD_EVERYTHING, encode, reloads
from fleet.services.changes import ChangeHub

CHANNEL = "fleetpbx_changes"
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")


def new_process_id() -> str:
    """An id for this process, unique among the processes on one database: the host's
    name (shortened) and a random part."""
    return f"{socket.gethostname()[:24]}-{secrets.token_hex(4)}"


def notifies(url: str) -> bool:
    """Whether changes are announced on this database (PostgreSQL only)."""
    return make_url(url).get_backend_name() == "postgresql"


class ChangeAnnouncer:
    """The hub's stager: one ``pg_notify`` per payload, in the change's transaction."""

    def __init__(
        self,
        *,
        process: str,
        channel: str = CHANNEL,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.process = process
        self.channel = channel
        self._wall = wall
        self.sent = 0

    async def __call__(self, session: AsyncSession, events: Sequence[ChangeEvent]) -> None:
        for payload in encode(events, sender=self.process, sent_at=self._wall()):
            await session.execute(_NOTIFY, {"channel": self.channel, "payload": payload})
            self.sent += 1

    def attach_to(self, hub: ChangeHub) -> None:
        hub.stage_with(self)

    def detach_from(self, hub: ChangeHub) -> None:
        hub.unstage(self)


async def request_reload(
    engine: AsyncEngine,
    *,
    sender: str,
    channel: str = CHANNEL,
    wall: Callable[[], float] = time.time,
) -> None:
    """Tell every listening process to read all its caches again from the database
    (``fleetpbx cache reload``: after changes made outside the service)."""
    payload = reloads([RELOAD_EVERYTHING], sender=sender, sent_at=wall())
    async with engine.begin() as conn:
        await conn.execute(_NOTIFY, {"channel": channel, "payload": payload})
