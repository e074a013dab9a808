"""Fleet ownership in PostgreSQL (issue 15): one dedicated asyncpg connection per process,
held for the process's life, on which it holds a session-level advisory lock
``pg_try_advisory_lock(NAMESPACE, fleet_id)`` for every fleet it owns. The connection's
``application_name`` is ``fleetpbx-owner:<process>``: the processes alive are the connections
of the database so named (``pg_stat_activity``), and the holder of a fleet's lock is read
from ``pg_locks`` joined with it. When a process dies its connection closes and PostgreSQL
releases its locks at once; another process takes them at its next round.

The owner also writes ``fleet_owners`` (its process id and SIP address); a row is only
believed while the process it names holds the lock."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg  # type: ignore[import-untyped]  # no stubs
from sqlalchemy.engine import make_url

from fleet.core.ownership import Owner

NAMESPACE = 15_0015  # the first key of every fleet-owner advisory lock (issue 15)
APPLICATION_PREFIX = "fleetpbx-owner:"
# the server notices a vanished client host (no FIN: a crash, a cut network) within ~20 s
# and releases its locks; a killed process's connection closes at once anyway
KEEPALIVES = {
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "3",
    "tcp_keepalives_count": "3",
}

_HOLDERS = """
SELECT l.objid::bigint AS fleet_id, l.pid = pg_backend_pid() AS mine,
       o.process AS process, o.sip_uri AS sip_uri
FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
LEFT JOIN fleet_owners o
       ON o.fleet_id = l.objid::bigint AND a.application_name = $2 || o.process
WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 AND l.objsubid = 2
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
_PROCESSES = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND application_name LIKE $1 || '%'
"""
_RECORD = """
INSERT INTO fleet_owners (fleet_id, process, sip_uri, since) VALUES ($1, $2, $3, now())
ON CONFLICT (fleet_id) DO UPDATE
SET process = EXCLUDED.process, sip_uri = EXCLUDED.sip_uri, since = EXCLUDED.since
"""


@dataclass(frozen=True, slots=True)
class Look:
    """One reading: every fleet, those this process holds, those others hold (with their
    owner when its ``fleet_owners`` row is written), and the processes alive."""

    fleets: frozenset[int]
    mine: frozenset[int]
    elsewhere: frozenset[int]
    owners: dict[int, Owner]
    processes: int


def asyncpg_dsn(url: str) -> str:
    """The ``postgresql://`` DSN asyncpg takes for a ``postgresql+asyncpg://`` URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class OwnerLocks:
    """The dedicated connection and what is done on it. Every method may raise the
    connection's errors (``OSError``, ``asyncpg.PostgresError``, ``asyncpg.InterfaceError``);
    the caller then :meth:`close`s and connects again later (its locks are gone)."""

    def __init__(self, *, url: str, process: str, sip_uri: str, timeout: float = 10.0) -> None:
        self._dsn = asyncpg_dsn(url)
        self.process = process
        self.sip_uri = sip_uri
        self._timeout = timeout
        self._conn: asyncpg.Connection | None = None

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def connect(self) -> None:
        await self.close()
        self._conn = await asyncpg.connect(
            self._dsn,
            timeout=self._timeout,
            server_settings={
                "application_name": APPLICATION_PREFIX + self.process,
                **KEEPALIVES,
            },
        )

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.terminate()  # the locks go with the session

    def _c(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            raise asyncpg.InterfaceError("the owner connection is closed")
        return self._conn

    async def look(self) -> Look:
        conn = self._c()
        fleets = frozenset(r[0] for r in await conn.fetch("SELECT id FROM fleets"))
        mine: set[int] = set()
        elsewhere: set[int] = set()
        owners: dict[int, Owner] = {}
        for row in await conn.fetch(_HOLDERS, NAMESPACE, APPLICATION_PREFIX):
            fleet_id = int(row["fleet_id"])
            if row["mine"]:
                mine.add(fleet_id)
                continue
            elsewhere.add(fleet_id)
            if row["process"] is not None:
                owners[fleet_id] = Owner(process=row["process"], sip_uri=row["sip_uri"])
        processes = int(await conn.fetchval(_PROCESSES, APPLICATION_PREFIX))
        return Look(
            fleets=fleets,
            mine=frozenset(mine),
            elsewhere=frozenset(elsewhere),
            owners=owners,
            processes=max(processes, 1),
        )

    async def take(self, fleet_id: int) -> bool:
        """Lock the fleet if nobody holds it, and write this process as its owner."""
        conn = self._c()
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", NAMESPACE, fleet_id):
            return False
        try:
            await conn.execute(_RECORD, fleet_id, self.process, self.sip_uri)
        except asyncpg.ForeignKeyViolationError:  # the fleet was removed meanwhile
            await self.release(fleet_id)
            return False
        return True

    async def release(self, fleet_id: int) -> None:
        conn = self._c()
        await conn.execute(
            "DELETE FROM fleet_owners WHERE fleet_id = $1 AND process = $2", fleet_id, self.process
        )
        await conn.fetchval("SELECT pg_advisory_unlock($1, $2)", NAMESPACE, fleet_id)
