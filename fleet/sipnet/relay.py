"""Offers relayed between the two legs of a bridged call (hold, retrieve, any media change;
RFC 3261 §14, RFC 3311, RFC 6337 §5.3): FleetPBX is signalling only and passes SDP through.

A re-INVITE or UPDATE with an offer from one side is deferred by the user agent
(:mod:`fleet.sip.ua_deferred`) and sent to the other leg with the same method and the same
body (``a=sendonly``/``inactive`` unchanged). The other leg's final response answers it: 2xx
with its SDP; 491 as 491 (our relayed request is not retried: the offerer retries after its
own §14.1 delay, so glare between the two sides resolves end to end); 408/481 or no response
at all as 500 (the other leg's dialog is gone: the UA core BYEs it, the engine releases the
call and the offerer's leg is BYEd too); 3xx/401/407 (meaningless across the B2BUA) as 500;
any other error (488, 403, 5xx, 6xx) as itself. ACKs of each side are the UA core's.

Refused at once, without relaying: an offer while the other leg has one in progress (491,
§14.2 / RFC 3311 §5.2: the same as glare), and an offer in a call not bridged nor joined
early (:mod:`fleet.sipnet.early_offers` joins the first early dialog with SDP) yet (491: the
call's initial INVITE transaction is still in progress, and §14.1 forbids a new offer until
it completes; 491 makes the offerer retry after its glare delay; strictly §14.2 asks a 500
with Retry-After of the side whose own INVITE we have not answered yet). A re-INVITE without
an offer goes on to the other leg without an offer, the other leg's offer answering it and the
answer in its ACK going on in the other leg's ACK (:mod:`fleet.sipnet.relay_offerless`); an
offer of either side while that ACK is awaited gets 491."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from fleet.sip.dialog import Dialog, DialogId
from fleet.sip.message import Request, Response
from fleet.sip.ua_calls import DEFER, Answer, Deferred, Refusal, ReInvite
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.relay_offerless import OfferlessRelays

GLARE = 491  # RFC 3261 §14.2, RFC 3311 §5.2
GONE = 500  # the other leg is gone or did not answer: its dialog ends
NOT_RELAYED = frozenset({401, 407, 408, 481})


@dataclass(eq=False, slots=True)
class Side:
    """One leg's dialog and the session description we last gave it."""

    dialog: Dialog
    sent: bytes
    sent_type: str | None


def relayed_status(status: int) -> int:
    """The status the offerer gets for the other leg's final non-2xx ``status``."""
    if status in NOT_RELAYED or status < 400:
        return GONE
    return status


class OfferRelay:
    """The agent's offer hook (:data:`fleet.sip.ua_calls.OfferHook`) for bridged calls."""

    def __init__(self, agent: FleetAgent) -> None:
        self.agent = agent
        self._sides: dict[DialogId, tuple[Side, Side]] = {}  # dialog -> (its side, the other)
        self.offerless = OfferlessRelays(agent, status_of=relayed_status)

    def __len__(self) -> int:
        return len(self._sides) + len(self.offerless)

    def join(self, caller: Side, callee: Side) -> None:
        """The two legs are bridged: offers of either now reach the other."""
        self._sides[caller.dialog.id] = (caller, callee)
        self._sides[callee.dialog.id] = (callee, caller)

    def side(self, dialog: Dialog) -> Side | None:
        """``dialog``'s side while it is bridged (what we last gave it)."""
        sides = self._sides.get(dialog.id)
        return None if sides is None else sides[0]

    def pair(self, dialog: Dialog) -> tuple[Side, Side] | None:
        """``dialog``'s side and the other while it is bridged."""
        return self._sides.get(dialog.id)

    def part(self, dialog: Dialog) -> None:
        """Either leg ended: the bridge is gone (an offer pending ends with its dialog)."""
        sides = self._sides.pop(dialog.id, None)
        if sides is not None:
            self._sides.pop(sides[1].dialog.id, None)
            self.offerless.forget(*sides)

    def __call__(self, dialog: Dialog, request: Request) -> Answer | Refusal | Deferred | None:
        sides = self._sides.get(dialog.id)
        if sides is None:
            return Refusal(GLARE)
        this, other = sides
        if self.agent.offer_in_progress(other.dialog) or self.offerless.busy(this, other):
            return Refusal(GLARE)
        if not request.body:
            if request.method != "INVITE":  # an UPDATE or PRACK without an offer: no change
                return Answer(this.sent, this.sent_type)
            return self.offerless.relay(this, other, request)
        send = self.agent.reinvite if request.method == "INVITE" else self.agent.update
        send(
            other.dialog,
            body=request.body,
            content_type=request.headers.get("Content-Type"),
            retry_glare=False,
            on_final=partial(self._answered, this, other, request),
        )
        return DEFER

    def _answered(
        self,
        this: Side,
        other: Side,
        request: Request,
        relayed: ReInvite,
        response: Response | None,
    ) -> None:
        pending = self.agent.pending_offer(this.dialog)
        if pending is None or pending.request is not request:
            return  # the offerer CANCELled it or its dialog ended
        if response is None:
            outcome: Answer | Refusal = Refusal(GONE)
        elif response.status < 300:
            content_type = response.headers.get("Content-Type")
            other.sent, other.sent_type = relayed.body, relayed.content_type
            this.sent, this.sent_type = response.body, content_type
            outcome = Answer(response.body, content_type)
        else:
            outcome = Refusal(relayed_status(response.status))
        self.agent.answer_offer(pending, outcome)
