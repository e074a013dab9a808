"""The port through which the engine reaches call groups (DESIGN §5). The call groups
themselves — hunting members, the queue, the inter-call delay, the no-answer rule — live
in ``callgroups``; the engine only hands calls over and tells what happened."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from fleet.core.calls.call import Call
from fleet.core.model import CallGroup
from fleet.core.numbering import E164


class GroupHunting(Protocol):
    def hunt(self, call: Call, group: CallGroup) -> None:
        """The call reaches ``group``: ring its members, queue it, or apply its no-answer
        rule."""
        ...

    def call_ended(self, call: Call) -> None:
        """``call`` is over (its member, if one took it, starts its inter-call delay)."""
        ...

    def settle(self, freed: Sequence[E164]) -> None:
        """The engine finished handling an event; ``freed`` numbers are in no call any more
        (or, one at a time, a line's handset came home: ``Engine.came_home``). Offer waiting
        callers to members who may now take them."""
        ...
