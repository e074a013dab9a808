"""Offerless re-INVITEs relayed between the two legs of a bridged call (RFC 3261 §14.1 and
§13.2.2.4, RFC 3264 §8, RFC 3725 §4.2, RFC 6337 §5.1): a leg's re-INVITE **without SDP** — a
peer moving this leg elsewhere by third-party call control, e.g. FleetPBX's own transfer or
conference seen from the other visit of a call between two fleet lines — asks the far end for
an offer, so it goes on to the other leg without SDP too (``ack_later``). The other leg's 2xx
carries its offer, which answers the re-INVITE (our 200); the answer that comes back in that
200's ACK goes on in the other leg's ACK. Both legs then have the new session end to end.

What does not go through leaves both legs as they were:

- the other leg refuses (491 stays 491: the offerer retries after its own §14.1 delay; 408,
  481, no response → 500; others as themselves, :func:`fleet.sipnet.relay.relayed_status`);
- its 2xx carries no offer (§13.3.1.1 says it must): our 200 carries the session description
  we last gave the offerer and the other leg's 2xx is ACKed with the one we last gave it;
- the offerer CANCELs, its dialog ends, or its ACK brings no answer or never comes: the other
  leg's 2xx is ACKed with the session description it had before (and, without an ACK, the UA
  core BYEs the offerer's dialog after 64*T1, which ends the call).

While such a relay waits for its ACK an offer from either leg gets 491 (§14.2 glare)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from fleet.sip.dialog import DialogId
from fleet.sip.message import Request, Response
from fleet.sip.ua_calls import DEFER, Answer, Deferred, Refusal, ReInvite
from fleet.sipnet.agent import FleetAgent

if TYPE_CHECKING:
    from fleet.sipnet.relay import Side

GONE = 500


@dataclass(eq=False)
class AwaitingAck:
    """Our 200 to ``this`` leg's offerless re-INVITE (CSeq ``cseq``) carries the other leg's
    ``offer``; ``relayed``'s 2xx waits for the answer the ACK will bring."""

    this: Side
    other: Side
    cseq: int
    relayed: ReInvite
    offer: bytes
    offer_type: str | None


class OfferlessRelays:
    """The offerless re-INVITEs being relayed, by the offerer's dialog."""

    def __init__(self, agent: FleetAgent, *, status_of: Callable[[int], int]) -> None:
        self.agent = agent
        self.status_of = status_of
        self._awaiting: dict[DialogId, AwaitingAck] = {}  # offerer's dialog -> its ACK due
        agent.ack_listeners.append(self._acked)

    def __len__(self) -> int:
        return len(self._awaiting)

    def busy(self, this: Side, other: Side) -> bool:
        """An offerless relay between these legs waits for its ACK."""
        return this.dialog.id in self._awaiting or other.dialog.id in self._awaiting

    def relay(self, this: Side, other: Side, request: Request) -> Deferred:
        """``this`` leg's offerless re-INVITE ``request``: the other leg's is sent."""
        cseq = request.cseq.number if request.cseq is not None else 0
        self.agent.reinvite(
            other.dialog,
            ack_later=True,
            retry_glare=False,
            on_final=partial(self._offered, this, other, request, cseq),
        )
        return DEFER

    def forget(self, this: Side, other: Side) -> None:
        """The bridge is gone: a 2xx waiting for the offerer's ACK is ACKed as before."""
        for side in (this, other):
            awaiting = self._awaiting.pop(side.dialog.id, None)
            if awaiting is not None:
                self._restore(awaiting.relayed, awaiting.other)

    def _offered(
        self,
        this: Side,
        other: Side,
        request: Request,
        cseq: int,
        relayed: ReInvite,
        response: Response | None,
    ) -> None:
        pending = self.agent.pending_offer(this.dialog)
        ours = pending is not None and pending.request is request
        if response is None or response.status >= 300:
            if pending is not None and ours:
                status = GONE if response is None else self.status_of(response.status)
                self.agent.answer_offer(pending, Refusal(status))
            return
        if pending is None or not ours or not response.body:
            self._restore(relayed, other)
            if pending is not None and ours:  # no offer in the 2xx: nothing changes
                self.agent.answer_offer(pending, Answer(this.sent, this.sent_type))
            return
        offer_type = response.headers.get("Content-Type")
        self._awaiting[this.dialog.id] = AwaitingAck(
            this, other, cseq, relayed, response.body, offer_type
        )
        self.agent.answer_offer(pending, Answer(response.body, offer_type))

    def _acked(self, ack: Request) -> None:
        dialog_id = DialogId.of_received(ack)
        awaiting = self._awaiting.get(dialog_id) if dialog_id is not None else None
        if awaiting is None or ack.cseq is None or ack.cseq.number != awaiting.cseq:
            return
        del self._awaiting[awaiting.this.dialog.id]
        if not ack.body:  # no answer to the offer we gave: the other leg stays as it was
            self._restore(awaiting.relayed, awaiting.other)
            return
        answer_type = ack.headers.get("Content-Type")
        self.agent.ack_answer(awaiting.relayed, ack.body, answer_type)
        this, other = awaiting.this, awaiting.other
        this.sent, this.sent_type = awaiting.offer, awaiting.offer_type
        other.sent, other.sent_type = ack.body, answer_type

    def _restore(self, relayed: ReInvite, other: Side) -> None:
        self.agent.ack_answer(relayed, other.sent, other.sent_type)
