"""Offers answered later (RFC 3261 §14.2, RFC 3311 §5.2): the application's offer hook may
return :data:`fleet.sip.ua_calls.DEFER` for a received re-INVITE, UPDATE or PRACK, e.g. a B2BUA
that relays the offer to its other leg (a PRACK's reliable provisional is acknowledged when it is
answered). The server transaction stays open (an INVITE has had its 100
Trying from the transaction layer, which also absorbs retransmissions); the application later
calls :meth:`UaOffers.answer_offer` with an :class:`Answer` (200 with its body, a re-INVITE's
retransmitted until the ACK) or a :class:`Refusal` (its status).

While such an offer is pending in a dialog: another re-INVITE or UPDATE from the peer gets 500
with Retry-After (§14.2; RFC 3311 §5.2); a re-INVITE or UPDATE of ours raises ValueError (the
application sends it once it has answered; a 491 retry or session refresh of ours waits); a
CANCEL of the re-INVITE, or the dialog ending (BYE either way), answers it 487 and a later
``answer_offer`` is ignored."""

from __future__ import annotations

from abc import abstractmethod

from fleet.sip.dialog import Dialog, DialogId
from fleet.sip.message import Request, Response
from fleet.sip.transaction_server import InviteServerTransaction, ServerTransaction
from fleet.sip.ua_calls import Answer, OfferState, PendingOffer, Refusal
from fleet.sip.ua_messages import uas_response
from fleet.sip.ua_reliable import UaReliable

RETRY_AFTER_SPAN = 10  # §14.2: Retry-After "randomly chosen value of between 0 and 10 seconds"


class UaOffers(UaReliable):
    @abstractmethod
    def _send_2xx(
        self, dialog: Dialog, transaction: InviteServerTransaction, response: Response
    ) -> None:
        """The 2xx to a re-INVITE, retransmitted until its ACK (the UAS core)."""

    @abstractmethod
    def _session_answer(self, dialog: Dialog, request: Request, response: Response) -> None:
        """Session-Expires of our 2xx and the session timer restarted (the UAS core)."""

    def pending_offer(self, dialog: Dialog) -> PendingOffer | None:
        """The peer's offer in ``dialog`` waiting for the application's answer, if any."""
        return self._offers.get(dialog.id)

    def offer_in_progress(self, dialog: Dialog) -> bool:
        """A re-INVITE or UPDATE of ours, or an offer of the peer we have not answered, is
        pending in ``dialog``: a new one of ours would raise."""
        return dialog.id in self._pending or dialog.id in self._offers

    def answer_offer(self, pending: PendingOffer, outcome: Answer | Refusal) -> bool:
        """Answer a deferred offer; False (nothing sent) when it was answered already or ended
        (CANCEL, BYE)."""
        if pending.state is not OfferState.WAITING:
            return False
        pending.state = OfferState.ANSWERED
        if self._offers.get(pending.dialog.id) is pending:
            del self._offers[pending.dialog.id]
        self._complete_offer(pending.dialog, pending.transaction, pending.request, outcome)
        if pending.request.method == "PRACK":
            self._prack_answered(pending.dialog)
        return True

    def _defer(self, dialog: Dialog, transaction: ServerTransaction, request: Request) -> None:
        self._offers[dialog.id] = PendingOffer(dialog, request, transaction)

    def _refuse_while_deferred(
        self, dialog: Dialog, transaction: ServerTransaction, request: Request
    ) -> bool:
        """§14.2 / RFC 3311 §5.2: an offer of the peer while its previous one waits: 500."""
        if dialog.id not in self._offers:
            return False
        response = uas_response(request, 500, local_tag=None)
        response.headers.add("Retry-After", str(int(self._random() * RETRY_AFTER_SPAN)))
        transaction.respond(response)
        return True

    def _cancel_offer(self, cancel: Request, invite: InviteServerTransaction) -> bool:
        """A CANCEL of a deferred re-INVITE: 487 to it (the dialog stays, §9.2)."""
        dialog_id = DialogId.of_received(cancel)
        pending = None if dialog_id is None else self._offers.get(dialog_id)
        if pending is None or pending.transaction is not invite:
            return False
        del self._offers[pending.dialog.id]
        pending.state = OfferState.ENDED
        invite.respond(uas_response(pending.request, 487, local_tag=None))
        return True

    def _complete_offer(
        self,
        dialog: Dialog,
        transaction: ServerTransaction,
        request: Request,
        outcome: Answer | Refusal | None,
    ) -> None:
        if isinstance(outcome, Refusal):
            transaction.respond(uas_response(request, outcome.status, local_tag=None))
            return
        dialog.refresh_target(request)
        response = self._ok(request, outcome, dialog.local_contact)
        if dialog.id in self.session_timers:
            self._session_answer(dialog, request, response)
        if isinstance(transaction, InviteServerTransaction):
            self._send_2xx(dialog, transaction, response)  # retransmitted until the ACK
        else:
            transaction.respond(response)
