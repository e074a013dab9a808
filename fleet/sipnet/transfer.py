"""The engine's ``bridge`` of two legs already answered (a transfer: the held party joined to the
transferring user's other party) over SIP, by third-party call control (:mod:`.threepcc`): the
first leg is re-INVITEd without SDP, its offer goes to the second leg in a re-INVITE, the second
leg's answer returns in the first leg's ACK. Then the two dialogs are bridged for later offers
(:mod:`.relay`: hold, retrieve).

On failure (488 or another refusal, 491 twice, no answer) both dialogs are left as they were —
the first leg's 2xx is ACKed with the session description it had before — and the engine hears
:class:`fleet.core.calls.events.BridgeFailed` for the first leg; it releases the call, so both
legs are then BYEd."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from fleet.core.calls.events import BridgeFailed, BridgeFailure
from fleet.core.calls.ports import EventLog
from fleet.sip.dialog import Dialog
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.relay import OfferRelay, Side
from fleet.sipnet.threepcc import Described, Moved, OfferlessMove, Reoffer

Report = Callable[[BridgeFailed], None]


class Transfers:
    """The bridges of answered legs in progress, by leg id (either leg)."""

    def __init__(
        self, agent: FleetAgent, relay: OfferRelay, *, report: Report, log: EventLog
    ) -> None:
        self.agent = agent
        self.relay = relay
        self.report = report
        self.log = log
        self._moves: dict[str, OfferlessMove] = {}

    def __len__(self) -> int:
        return len(self._moves)

    def bridge(self, first_leg: str, first: Dialog, second_leg: str, second: Dialog) -> None:
        side = self.relay.side(first)
        before = Described(b"", None) if side is None else Described(side.sent, side.sent_type)
        self.relay.part(first)
        self.relay.part(second)
        move = OfferlessMove(
            self.agent,
            first,
            before=before,
            deliver=Reoffer(self.agent, second),
            done=partial(self._done, first_leg, first, second_leg, second),
        )
        self._moves[first_leg] = self._moves[second_leg] = move
        self.log("sip_bridge_started", first=first_leg, second=second_leg)
        move.start()

    def leave(self, leg_id: str) -> None:
        """The engine released ``leg_id`` (or its dialog ended): its bridge, if any, is over."""
        move = self._moves.get(leg_id)
        if move is None:
            return
        move.abandon()
        for key in [k for k, v in self._moves.items() if v is move]:
            del self._moves[key]

    def _done(
        self,
        first_leg: str,
        first: Dialog,
        second_leg: str,
        second: Dialog,
        outcome: Moved | BridgeFailure,
    ) -> None:
        self._moves.pop(first_leg, None)
        self._moves.pop(second_leg, None)
        if isinstance(outcome, Moved):
            self.relay.join(
                Side(first, outcome.answer.body, outcome.answer.content_type),
                Side(second, outcome.offer.body, outcome.offer.content_type),
            )
            self.log("sip_bridged", first=first_leg, second=second_leg)
            return
        self.log("sip_bridge_failed", first=first_leg, second=second_leg, reason=outcome.value)
        self.report(BridgeFailed(first_leg, outcome))
