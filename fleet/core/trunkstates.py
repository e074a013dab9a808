"""The trunks the routing cache holds (pure, synchronous): each fleet's SIP trunks by the
name its fixed numbers carry, with the state the keepalive last found, so a call to a fixed
number whose trunk is out of service is "not reachable" without ringing. The routing table
(``fleet.core.directory.RoutingTable``) keeps one, filled with each fleet and kept current
by ``TrunkChange``."""

from __future__ import annotations

from collections.abc import Iterable

from fleet.core.changes import TrunkChange
from fleet.core.trunks import Trunk, TrunkState


class TrunkStates:
    def __init__(self) -> None:
        self._fleets: dict[int, dict[str, Trunk]] = {}  # fleet id -> trunk name -> trunk

    def put_fleet(self, fleet_id: int, trunks: Iterable[Trunk]) -> None:
        """Hold exactly these trunks of the fleet."""
        self._fleets[fleet_id] = {t.name: t for t in trunks}

    def drop_fleet(self, fleet_id: int) -> None:
        self._fleets.pop(fleet_id, None)

    def apply(self, change: TrunkChange) -> None:
        held = self._fleets.setdefault(change.fleet_id, {})
        for name in [n for n, t in held.items() if t.id == change.trunk_id]:
            del held[name]  # removed, or renamed
        if change.after is not None:
            held[change.after.trunk.name] = change.after.trunk

    def trunk(self, fleet_id: int, name: str) -> Trunk | None:
        return self._fleets.get(fleet_id, {}).get(name)

    def state(self, fleet_id: int, name: str) -> TrunkState:
        """The trunk's state; a name no trunk of the fleet has (fixed numbers created
        before trunks were configured) is tried like a trunk not probed yet."""
        found = self.trunk(fleet_id, name)
        return found.state if found is not None else TrunkState.UNKNOWN

    def in_fleet(self, fleet_id: int) -> list[Trunk]:
        return sorted(self._fleets.get(fleet_id, {}).values(), key=lambda t: t.name)
