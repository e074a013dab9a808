"""What the SIP adapter needs to know of the trunks (DESIGN §8, trunk profile): a port the
service's trunk cache implements (loaded from the database, kept current by the change hub,
secrets decrypted in memory only) and the tests fake in memory.

Reads are synchronous (the adapter answers INVITEs, challenges and OPTIONS from them on the
event loop); a state change is written through ``set_state`` (persisted and announced to the
routing cache, so the engine treats a trunk out of service as not reachable)."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import Protocol

from fleet.core.trunks import Trunk, TrunkState


class TrunkBook(Protocol):
    def trunks(self) -> Iterable[Trunk]:
        """Every trunk of every fleet, as now."""
        ...

    def by_name(self, fleet_id: int, name: str) -> Trunk | None:
        """A fleet's trunk by the name its fixed numbers carry."""
        ...

    def by_peer(self, host: str, port: int) -> Trunk | None:
        """The static trunk whose PBX is at this address (a request's source)."""
        ...

    def by_username(self, username: str) -> Trunk | None:
        """The trunk authenticating with this Digest user (registration mode, or a static
        trunk's PBX answering a challenge)."""
        ...

    def secret(self, trunk_id: int) -> str | None:
        """The trunk's Digest password, in clear; None when it has none."""
        ...

    def set_state(self, trunk_id: int, state: TrunkState) -> Awaitable[None]:
        """Record what the keepalive found (no-op when unchanged)."""
        ...


class NoTrunks:
    """The book of an exchange without trunks (today's callers of ``build_sip_exchange``)."""

    def trunks(self) -> Iterable[Trunk]:
        return ()

    def by_name(self, fleet_id: int, name: str) -> Trunk | None:
        return None

    def by_peer(self, host: str, port: int) -> Trunk | None:
        return None

    def by_username(self, username: str) -> Trunk | None:
        return None

    def secret(self, trunk_id: int) -> str | None:
        return None

    async def set_state(self, trunk_id: int, state: TrunkState) -> None:
        return None
