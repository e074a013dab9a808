"""A leg: one connection between the network and a number, as an explicit state machine."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.core.calls.events import LegState, ReleaseCause
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


@dataclass(eq=False)
class Leg:
    id: str
    number: E164 | None  # None: an anonymous caller
    state: LegState = LegState.CREATED
    cause: ReleaseCause | None = None
    waiting: bool = False  # alerted as a waiting call
    history: list[LegState] = field(default_factory=list)

    def move(self, new: LegState) -> None:
        if new not in _ALLOWED[self.state]:
            raise IllegalTransition(f"leg {self.id}: {self.state.value} -> {new.value}")
        self.history.append(self.state)
        self.state = new

    def release(self, cause: ReleaseCause) -> None:
        if self.state is not LegState.RELEASED:
            self.move(LegState.RELEASED)
            self.cause = cause

    @property
    def live(self) -> bool:
        return self.state is not LegState.RELEASED

    @property
    def ringing(self) -> bool:
        return self.state in (LegState.OFFERED, LegState.ALERTING)
