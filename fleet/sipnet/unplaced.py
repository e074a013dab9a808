"""B-legs the adapter could not send — over a trunk out of service, unknown or unregistered —
told to the engine as not reachable right after ``originate`` returns (the engine is not
re-entered from inside its own request), unless it cancels or releases them first."""

from __future__ import annotations

from collections.abc import Callable

from fleet.core.calls.engine import Engine
from fleet.core.calls.events import LegUnreachable
from fleet.core.calls.ports import EventLog, LegRequest
from fleet.sipnet.agent import FleetAgent


class Unplaced:
    def __init__(self, agent: FleetAgent, *, engine: Callable[[], Engine], log: EventLog) -> None:
        self._agent, self._engine, self._log = agent, engine, log
        self._legs: set[str] = set()

    def __len__(self) -> int:
        return len(self._legs)

    def add(self, request: LegRequest) -> None:
        leg_id = request.leg_id
        self._legs.add(leg_id)
        self._log("sip_trunk_unreachable", leg=leg_id, trunk=request.trunk)

        def tell() -> None:
            if leg_id in self._legs:
                self._legs.discard(leg_id)
                self._engine().handle(LegUnreachable(leg_id))

        self._agent.later(0, tell)

    def discard(self, leg_id: str) -> None:
        """The engine cancelled or released the leg: nothing to tell."""
        self._legs.discard(leg_id)
