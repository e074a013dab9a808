"""Offers relayed between the legs of a call before it is answered (DESIGN §8, VoLTE
preconditions: RFC 3262, RFC 3311, RFC 3312) and the late offer (RFC 3261 §13.2.1, RFC 3264).

100rel end to end: a caller's INVITE that supports or requires 100rel makes the B-leg INVITE
say ``Supported: 100rel`` (never Require: a callee without it still answers). The callee's
reliable provisionals are not PRACKed by the user agent: each is relayed to the caller
reliably (a 183's or 180's SDP with it) and the caller's PRACK of it is deferred and sent on as
the B-leg's PRACK, its body (an offer, or nothing) unchanged; the callee's final response to
that PRACK answers the caller's (2xx with its body; a refusal as :func:`relayed_status`, no
response as 500). A PRACK of a provisional of our own (181, the media server's 183) is answered
at once (200; 488 when it carries an offer).

The first callee whose provisional carries SDP has its early dialog joined to the caller's
(:class:`fleet.sipnet.relay.OfferRelay`): an UPDATE from either side during the early phase
(``a=curr``/``a=des`` preconditions) reaches the other early dialog and its answer comes back,
as after the bridge. Simultaneous ringing: several B-legs may send a 183 with SDP, but the
caller has one early dialog, so only the first one's provisionals are relayed with their SDP
and PRACKs; the others' are PRACKed here hop by hop and reach the caller without a body. The
join ends with that B-leg (refused, CANCELled); the next B-leg with SDP takes its place.

Late offer: a caller's INVITE without SDP gives a B-leg INVITE without SDP; the callee's 200
carries the offer, which the caller gets in its 200 (:meth:`fleet.sipnet.network.SipNetwork.
bridge`); the B-leg's 2xx waits unacknowledged until the caller's ACK brings the answer, passed
on in the B-leg's ACK (a B-leg dropped before that is ACKed without a body, then BYEd)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from fleet.sip.dialog import Dialog, DialogId
from fleet.sip.message import Request, Response
from fleet.sip.reliable import REL100, RAck, allows_100rel, rack_of, rseq_of
from fleet.sip.ua_calls import DEFER, Answer, Deferred, IncomingCall, OutgoingCall, Refusal
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.early import RELAYED, UNANSWERED
from fleet.sipnet.relay import GONE, OfferRelay, Side, relayed_status

OWN_OFFER_REFUSED = 488  # an offer in the PRACK of a provisional of ours: nothing to answer it


@dataclass(eq=False)
class Relayed:
    """A callee's reliable provisional relayed to the caller as ``sent``, not PRACKed yet."""

    sent: Response
    call: OutgoingCall
    dialog: Dialog
    rack: RAck


@dataclass(eq=False)
class Joined:
    """The caller's early dialog joined to this B-leg's."""

    call: OutgoingCall
    caller: Dialog
    callee: Dialog


class EarlyOffers:
    """Per A-leg, the callee's early dialog joined to the caller's and the reliable
    provisionals relayed; per caller's dialog, a late offer's B-leg waiting for its ACK."""

    def __init__(self, agent: FleetAgent, relay: OfferRelay) -> None:
        self.agent = agent
        self.bridges = relay
        self._unpracked: dict[OutgoingCall, tuple[Dialog, RAck]] = {}  # handed over, not seen
        self._joined: dict[str, Joined] = {}  # A-leg -> the joined B-leg
        self._relayed: dict[DialogId, list[Relayed]] = {}  # caller's dialog -> its PRACKs due
        self._callers: dict[str, DialogId] = {}  # A-leg -> its caller's dialog (with PRACKs due)
        self._late: dict[DialogId, OutgoingCall] = {}  # caller's dialog -> B-leg ACK waiting
        agent.ack_listeners.append(self._acked)

    def __len__(self) -> int:
        return (
            len(self._unpracked)
            + len(self._joined)
            + len(self._relayed)
            + len(self._callers)
            + len(self._late)
        )

    # -- the B-leg's INVITE ------------------------------------------------------------------

    @staticmethod
    def headers(caller: IncomingCall | None) -> list[tuple[str, str]]:
        """``Supported: 100rel`` when the caller's INVITE supports or requires it."""
        return [("Supported", REL100)] if caller and allows_100rel(caller.invite) else []

    def placed(self, outgoing: OutgoingCall, caller: IncomingCall | None) -> None:
        """The B-leg went for an unanswered caller: its reliable provisionals are ours to PRACK
        when the caller can get them reliably; its 2xx waits for the caller's ACK when the
        caller sent no offer (a leg placed for an answered caller, a transfer's, is left as
        it was)."""
        if caller is None or caller.state not in UNANSWERED:
            return
        if allows_100rel(caller.invite):
            outgoing.on_reliable = partial(self._reliable, outgoing)
        outgoing.ack_later = not caller.invite.body

    def _reliable(self, call: OutgoingCall, dialog: Dialog, rack: RAck) -> None:
        self._unpracked[call] = (dialog, rack)  # the listener's progress follows at once

    # -- the callee's provisionals -----------------------------------------------------------

    def relay(
        self, a_leg: str | None, caller: IncomingCall | None, call: OutgoingCall, response: Response
    ) -> bool:
        """Called for each provisional of a B-leg placed for ``a_leg``; True when it was
        relayed here (else :class:`fleet.sipnet.early.EarlyNews` relays it as before)."""
        pending = self._unpracked.pop(call, None)
        joined = self._joined.get(a_leg) if a_leg is not None else None
        relays = caller is not None and caller.state in UNANSWERED
        if a_leg is None or caller is None or not relays or response.status not in RELAYED:
            self._prack_here(call, pending)
            return pending is not None
        if joined is not None and joined.call is not call:  # another B-leg ringing too
            self._prack_here(call, pending)
            if response.body:
                self.agent.ring(caller, response.status)
            return bool(response.body)
        if pending is None and not response.body:
            return False
        content_type = response.headers.get("Content-Type") if response.body else None
        self.agent.ring(
            caller,
            response.status,
            reliable=pending is not None,
            body=response.body,
            content_type=content_type,
        )
        sent = self._last_reliable(caller) if pending is not None else None
        if caller.dialog is None or (pending is not None and sent is None):
            self._prack_here(call, pending)
            return True
        if pending is not None and sent is not None:
            self._relayed.setdefault(caller.dialog.id, []).append(Relayed(sent, call, *pending))
            self._callers[a_leg] = caller.dialog.id
        if joined is None and response.body and call.dialog is not None:
            self._joined[a_leg] = Joined(call, caller.dialog, call.dialog)
            offer = caller.invite
            self.bridges.join(
                Side(caller.dialog, response.body, content_type),
                Side(call.dialog, offer.body, offer.headers.get("Content-Type")),
            )
        return True

    def _last_reliable(self, caller: IncomingCall) -> Response | None:
        """The reliable provisional just sent (its RSeq given) or queued (given once sent)."""
        found = self.agent.reliable.get(caller.dialog.id) if caller.dialog else None
        if found is None:
            return None
        if found.queue:
            return found.queue[-1]
        return found.unacked.response if found.unacked is not None else None

    def _prack_here(self, call: OutgoingCall, pending: tuple[Dialog, RAck] | None) -> None:
        if pending is not None:
            self.agent.prack(call, *pending, on_final=lambda _: None)

    # -- the caller's PRACK ------------------------------------------------------------------

    def prack(self, dialog: Dialog, request: Request) -> Answer | Refusal | Deferred | None:
        """The caller's PRACK (already matched by the user agent): sent on to the callee when
        it acknowledges a provisional relayed from it, else answered here."""
        rack = rack_of(request)
        entries = self._relayed.get(dialog.id, [])
        entry = next((e for e in entries if rack and rseq_of(e.sent) == rack.rseq), None)
        if entry is None:
            return Refusal(OWN_OFFER_REFUSED) if request.body else None
        entries.remove(entry)
        if not entries:
            del self._relayed[dialog.id]
        self.agent.prack(
            entry.call,
            entry.dialog,
            entry.rack,
            body=request.body,
            content_type=request.headers.get("Content-Type") if request.body else None,
            on_final=partial(self._pracked, dialog, request, entry),
        )
        return DEFER

    def _pracked(
        self, dialog: Dialog, request: Request, entry: Relayed, response: Response | None
    ) -> None:
        pending = self.agent.pending_offer(dialog)
        if pending is None or pending.request is not request:
            return  # the caller's dialog ended meanwhile
        if response is None:
            outcome: Answer | Refusal = Refusal(GONE)
        elif response.status < 300:
            content_type = response.headers.get("Content-Type") if response.body else None
            outcome = Answer(response.body, content_type)
            if request.body and (side := self.bridges.side(dialog)) is not None:
                side.sent, side.sent_type = response.body, content_type
                if (other := self.bridges.side(entry.dialog)) is not None:
                    other.sent = request.body
                    other.sent_type = request.headers.get("Content-Type")
        else:
            outcome = Refusal(relayed_status(response.status))
        self.agent.answer_offer(pending, outcome)

    # -- the answer and the late offer -------------------------------------------------------

    def bridging(self, a_leg: str, caller: IncomingCall, call: OutgoingCall) -> bool:
        """The caller got its 200 with ``call``'s answer: True when the caller's dialog is
        joined to its already (the latest SDP of each side kept); a join with another B-leg
        ends here; a late offer's B-leg ACK waits for the caller's."""
        if call.offered is not None and caller.dialog is not None:
            self._late[caller.dialog.id] = call
        found = self._joined.get(a_leg)
        if found is not None and found.call is not call:
            del self._joined[a_leg]
            self.bridges.part(found.callee)
        return found is not None and found.call is call

    def _acked(self, ack: Request) -> None:
        dialog_id = DialogId.of_received(ack)
        callee = self._late.pop(dialog_id, None) if dialog_id is not None else None
        if callee is None:
            return
        content_type = ack.headers.get("Content-Type") if ack.body else None
        self.agent.ack_offer(callee, ack.body, content_type)
        side = self.bridges.side(callee.dialog) if callee.dialog is not None else None
        if side is not None:
            side.sent, side.sent_type = ack.body, content_type

    # -- legs ending -------------------------------------------------------------------------

    def forget_a(self, a_leg: str, caller: IncomingCall | None) -> None:
        joined = self._joined.pop(a_leg, None)
        if joined is not None:
            self.bridges.part(joined.caller)
        dialog_id = self._callers.pop(a_leg, None)
        if dialog_id is not None:
            self._relayed.pop(dialog_id, None)
        if caller is not None and caller.dialog is not None:
            self._late.pop(caller.dialog.id, None)

    def forget_b(self, call: OutgoingCall) -> None:
        self._unpracked.pop(call, None)
        for a_leg, joined in list(self._joined.items()):
            if joined.call is call:
                del self._joined[a_leg]
                self.bridges.part(joined.callee)
        for dialog_id, entries in list(self._relayed.items()):
            entries[:] = [e for e in entries if e.call is not call]
            if not entries:
                del self._relayed[dialog_id]
        for dialog_id, waiting in list(self._late.items()):
            if waiting is call:
                del self._late[dialog_id]
        if call.offered is not None:
            self.agent.ack_offer(call, b"", None)  # ACKed before its BYE
