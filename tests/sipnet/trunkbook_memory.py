"""The trunks' book in memory (:class:`fleet.sipnet.trunkbook.TrunkBook`) for the SIP tests: the
trunks and their secrets as the test sets them, every state written kept in order."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field, replace

from fleet.core.trunks import Trunk, TrunkMode, TrunkState


@dataclass
class MemoryTrunkBook:
    items: dict[int, Trunk] = field(default_factory=dict)
    secrets: dict[int, str] = field(default_factory=dict)
    written: list[tuple[int, TrunkState]] = field(default_factory=list)

    def add(self, trunk: Trunk, secret: str | None = None) -> Trunk:
        self.items[trunk.id] = trunk
        if secret is not None:
            self.secrets[trunk.id] = secret
        return trunk

    def remove(self, trunk_id: int) -> None:
        self.items.pop(trunk_id)
        self.secrets.pop(trunk_id, None)

    def state(self, trunk_id: int) -> TrunkState:
        return self.items[trunk_id].state

    def trunks(self) -> Iterable[Trunk]:
        return list(self.items.values())

    def by_name(self, fleet_id: int, name: str) -> Trunk | None:
        for trunk in self.items.values():
            if (trunk.fleet_id, trunk.name) == (fleet_id, name):
                return trunk
        return None

    def by_peer(self, host: str, port: int) -> Trunk | None:
        for trunk in self.items.values():
            if trunk.mode is TrunkMode.STATIC and (trunk.host, trunk.port) == (host, port):
                return trunk
        return None

    def by_username(self, username: str) -> Trunk | None:
        for trunk in self.items.values():
            if trunk.username == username:
                return trunk
        return None

    def secret(self, trunk_id: int) -> str | None:
        return self.secrets.get(trunk_id)

    async def set_state(self, trunk_id: int, state: TrunkState) -> None:
        trunk = self.items.get(trunk_id)
        if trunk is None or trunk.state is state:
            return
        self.items[trunk_id] = replace(trunk, state=state)
        self.written.append((trunk_id, state))


def run_now(work: Awaitable[None]) -> None:
    """The tests' ``Spawn``: the write runs to its end at once (the memory book never waits)."""
    steps = work.__await__()
    try:
        next(steps)
    except StopIteration:
        return
    raise AssertionError("the memory book's write waited")
