"""The trunk cache the SIP adapter reads (it implements ``fleet.sipnet.trunkbook.TrunkBook``):
every fleet's trunks in memory, loaded at start and kept current by the services' change
hub, their Digest secrets decrypted in memory only. A state the keepalive finds is written
through the trunk service (persisted, journalled, announced to the routing cache)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence

import structlog

from fleet.core.changes import ChangeEvent, TrunkChange
from fleet.core.trunks import Trunk, TrunkMode, TrunkState, TrunkTransport
from fleet.services.container import Services
from fleet.services.trunks import TrunkService
from fleet.services.trunksecrets import SecretKeyError

DEFAULT_PORTS = {TrunkTransport.UDP: 5060, TrunkTransport.TCP: 5060, TrunkTransport.TLS: 5061}
RETRY_FIRST, RETRY_MAX = 1.0, 30.0

log = structlog.get_logger("fleet.trunks")


def peer_port(trunk: Trunk) -> int:
    """The port the trunk's PBX sends from and listens on (the transport's default when
    none is set)."""
    return trunk.port if trunk.port is not None else DEFAULT_PORTS[trunk.transport]


class CachedTrunkBook:
    def __init__(self, *, trunks: TrunkService) -> None:
        self._service = trunks
        self._trunks: dict[int, Trunk] = {}
        self._secrets: dict[int, str] = {}  # trunk id -> the secret in clear
        self._seen: list[ChangeEvent] | None = None  # the changes committed while loading
        self.loaded = False

    # -- filling ---------------------------------------------------------------------------

    async def load(self) -> None:
        """Read every trunk and its secret (a stored secret the key cannot open raises
        ``SecretKeyError``: the service must not run with the wrong key)."""
        seen: list[ChangeEvent] = []
        self._seen = seen
        try:
            views = await self._service.all()
            sealed = await self._service.sealed_secrets()
            secrets = {s.trunk_id: self._service.secrets.open(s.token) for s in sealed}
        finally:
            self._seen = None
        self._trunks = {view.trunk.id: view.trunk for view in views}
        self._secrets = secrets
        await self.changed(seen)  # what was read may be older than these
        self.loaded = True

    async def changed(self, events: Sequence[ChangeEvent]) -> None:
        """Apply the committed trunk changes (subscribed to the services' change hub)."""
        if self._seen is not None:
            self._seen.extend(events)
        for event in events:
            change = event.change
            if not isinstance(change, TrunkChange):
                continue
            if change.after is None:
                self._trunks.pop(change.trunk_id, None)
                self._secrets.pop(change.trunk_id, None)
                continue
            self._trunks[change.trunk_id] = change.after.trunk
            if change.secret_changed:
                sealed = await self._service.sealed_secrets(change.trunk_id)
                if sealed:
                    self._secrets[change.trunk_id] = self._service.secrets.open(sealed[0].token)
                else:
                    self._secrets.pop(change.trunk_id, None)

    # -- the SIP adapter's port ------------------------------------------------------------

    def trunks(self) -> Iterable[Trunk]:
        return list(self._trunks.values())

    def by_name(self, fleet_id: int, name: str) -> Trunk | None:
        for trunk in self._trunks.values():
            if trunk.fleet_id == fleet_id and trunk.name == name:
                return trunk
        return None

    def by_peer(self, host: str, port: int) -> Trunk | None:
        """The static trunk whose PBX is at ``host`` (as configured: an address or a name)
        and ``port``."""
        wanted = host.strip("[]").lower()
        for trunk in self._trunks.values():
            if trunk.mode is TrunkMode.STATIC and trunk.host == wanted and peer_port(trunk) == port:
                return trunk
        return None

    def by_username(self, username: str) -> Trunk | None:
        for trunk in self._trunks.values():
            if trunk.username == username:
                return trunk
        return None

    def secret(self, trunk_id: int) -> str | None:
        return self._secrets.get(trunk_id)

    async def set_state(self, trunk_id: int, state: TrunkState) -> None:
        held = self._trunks.get(trunk_id)
        if held is not None and held.state is state:
            return
        await self._service.set_state(trunk_id, state)


@contextlib.asynccontextmanager
async def open_trunk_book(*, services: Services) -> AsyncIterator[CachedTrunkBook]:
    """A trunk book kept current by the change hub, loaded in the background (again while
    the database does not answer; never when the key cannot read the stored secrets)."""
    book = CachedTrunkBook(trunks=services.trunks)
    hub = services.changes
    hub.subscribe(book.changed)
    stop = asyncio.Event()

    async def load() -> None:
        delay = RETRY_FIRST
        while not stop.is_set():
            try:
                await book.load()
            except SecretKeyError as exc:  # a wrong key: no use trying again
                log.error("trunk_secrets_unreadable", error=str(exc))
                return
            except Exception as exc:  # the database is away or not migrated yet
                log.warning("trunks_not_loaded", error=repr(exc), retry_in=delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            log.info("trunks_ready", trunks=len(list(book.trunks())))
            return

    loader = asyncio.get_running_loop().create_task(load())
    try:
        yield book
    finally:
        stop.set()
        await loader
        hub.unsubscribe(book.changed)
