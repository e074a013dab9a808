"""A leg: one connection between the network and a number, as an explicit state machine."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.core.calls.events import LegState
from fleet.core.numbering import E164

_ALLOWED: dict[LegState, frozenset[LegState]] = {
    LegState.CREATED: frozenset({LegState.OFFERED, LegState.ANSWERED, LegState.RELEASED}),
    LegState.OFFERED: frozenset({LegState.ALERTING, LegState.ANSWERED, LegState.RELEASED}),
    LegState.ALERTING: frozenset({LegState.ANSWERED, LegState.RELEASED}),
    LegState.ANSWERED: frozenset({LegState.HELD, LegState.RELEASED}),
    LegState.HELD: frozenset({LegState.ANSWERED, LegState.RELEASED}),
    LegState.RELEASED: frozenset(),
}


class IllegalTransition(Exception):
    """A leg was asked to move to a state it cannot reach from where it is."""


@dataclass(eq=False, slots=True)
class Leg:
    id: str
    number: E164 | None  # None: an anonymous caller
    state: LegState = LegState.CREATED
    waiting: bool = False  # alerted as a waiting call (call waiting)
    network_id: str | None = None  # the network's id of this leg (SIP: its Call-ID)

    def move(self, new: LegState) -> None:
        if new not in _ALLOWED[self.state]:
            raise IllegalTransition(f"leg {self.id}: {self.state.value} -> {new.value}")
        self.state = new

    def release(self) -> None:
        if self.state is not LegState.RELEASED:
            self.move(LegState.RELEASED)

    @property
    def live(self) -> bool:
        return self.state is not LegState.RELEASED

    @property
    def ringing(self) -> bool:
        return self.state in (LegState.OFFERED, LegState.ALERTING)

    @property
    def up(self) -> bool:
        """Answered (talking or held): the number is in this call."""
        return self.state in (LegState.ANSWERED, LegState.HELD)
