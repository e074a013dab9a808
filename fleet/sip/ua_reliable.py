"""The UA core's part in reliable provisional responses (RFC 3262) and offers inside a dialog.

UAS (§3): a provisional goes reliably when the INVITE requires 100rel, or when the application
asks and the INVITE supports it (:class:`fleet.sip.reliable.ReliableProvisionals` does the
sending); a PRACK matching the outstanding one gets 200, any other 481; 64*T1 without a PRACK
rejects the INVITE with 504. UAC (§4): a reliable provisional is PRACKed (``RAck: RSeq
CSeq-number INVITE``) in its early dialog when it is the first of that dialog or the next in
order; a retransmission or one out of order is not (the PRACK's own client transaction
retransmits it when it is lost). Each fork's dialog keeps its own sequence. A call with
``on_reliable`` hands each such provisional to the application, which PRACKs it itself
(:meth:`_send_prack`, a B2BUA relaying its caller's PRACK).

Offers: the application's offer hook gives the body of our 200 to a re-INVITE, UPDATE or PRACK,
refuses the offer (488), or defers it (a PRACK's provisional is acknowledged once answered);
a re-INVITE or UPDATE asking for a Session-Expires below our Min-SE is refused 422 with it
(RFC 4028 §9 applies to refreshes too)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable

from fleet.sip.dialog import Dialog, DialogId, DialogState
from fleet.sip.message import Request, Response
from fleet.sip.reliable import (
    REL100,
    RAck,
    ReliableProvisionals,
    allows_100rel,
    first_rseq,
    rack_of,
    requires_100rel,
    rseq_of,
)
from fleet.sip.session_timer import TIMER, session_expires_of
from fleet.sip.transaction_client import ClientTransaction
from fleet.sip.transaction_messages import new_branch, new_tag
from fleet.sip.transaction_server import ServerTransaction
from fleet.sip.ua_base import UaBase
from fleet.sip.ua_calls import Answer, Deferred, IncomingCall, OutgoingCall, Refusal
from fleet.sip.ua_messages import uas_response

RELIABLE_TIMEOUT_STATUS = 504  # §3: "SHOULD reject the original request with a 5xx"


class UaReliable(UaBase):
    hooks_every_prack = False  # True: the offer hook hears PRACKs without a body too

    @abstractmethod
    def _defer(self, dialog: Dialog, transaction: ServerTransaction, request: Request) -> None:
        """The application answers ``request`` later (:mod:`fleet.sip.ua_deferred`)."""

    @abstractmethod
    def _refuse(self, call: IncomingCall, status: int) -> None:
        """The UA's own final non-2xx to an incoming INVITE (the UAS core)."""

    @property
    def supported_tags(self) -> str:
        return REL100 if self.session_config is None else f"{REL100}, {TIMER}"

    # --- UAS ------------------------------------------------------------------------------

    def _goes_reliably(self, call: IncomingCall, status: int, reliable: bool) -> bool:
        if status <= 100:
            return False
        return requires_100rel(call.invite) or (reliable and allows_100rel(call.invite))

    def _send_reliably(self, call: IncomingCall, dialog: Dialog, response: Response) -> None:
        provisionals = self.reliable.get(dialog.id)
        if provisionals is None:
            provisionals = ReliableProvisionals(
                self._scheduler,
                self.timers,
                call.transaction,
                first_rseq(self._random),
                lambda: self._refuse(call, RELIABLE_TIMEOUT_STATUS),
            )
            self.reliable[dialog.id] = provisionals
        provisionals.send(response)

    def _final_sent(self, call: IncomingCall) -> None:
        """A final response to the INVITE: its reliable provisionals stop."""
        if call.dialog is not None and (found := self.reliable.get(call.dialog.id)) is not None:
            found.finish()

    def _holds_2xx(self, call: IncomingCall, answer: Callable[[], None]) -> bool:
        """§3: True when the 2xx must wait for a PRACK; ``answer`` sends it then."""
        dialog = call.dialog
        provisionals = None if dialog is None else self.reliable.get(dialog.id)
        if provisionals is None or not provisionals.holds_2xx():
            return False
        provisionals.hold_answer(answer)
        return True

    def _prack(self, dialog: Dialog, transaction: ServerTransaction, request: Request) -> None:
        provisionals = self.reliable.get(dialog.id)
        rack = rack_of(request)
        if provisionals is None or rack is None or not provisionals.matches(rack):
            transaction.respond(uas_response(request, 481, local_tag=None))
            return
        asks = self.on_offer is not None and (bool(request.body) or self.hooks_every_prack)
        outcome = self.on_offer(dialog, request) if asks and self.on_offer is not None else None
        if isinstance(outcome, Deferred):  # acknowledged once answered (_prack_answered)
            self._defer(dialog, transaction, request)
            return
        if isinstance(outcome, Refusal):
            transaction.respond(uas_response(request, outcome.status, local_tag=None))
        else:
            transaction.respond(self._ok(request, outcome))
        provisionals.acknowledge()

    def _prack_answered(self, dialog: Dialog) -> None:
        """A deferred PRACK was answered: its reliable provisional is acknowledged."""
        provisionals = self.reliable.get(dialog.id)
        if provisionals is not None:
            provisionals.acknowledge()

    # --- offers and refreshes -------------------------------------------------------------

    def _offer_outcome(
        self, dialog: Dialog, request: Request
    ) -> Answer | Refusal | Deferred | None:
        """The application's answer: every re-INVITE (one without an offer asks for ours), an
        UPDATE or PRACK with a body."""
        if self.on_offer is None:
            return None
        if request.method != "INVITE" and not request.body:
            return None
        return self.on_offer(dialog, request)

    def _ok(self, request: Request, outcome: Answer | None, contact: str | None = None) -> Response:
        return uas_response(
            request,
            200,
            local_tag=None,
            contact=contact,
            body=b"" if outcome is None else outcome.body,
            content_type=None if outcome is None else outcome.content_type,
        )

    def _refuse_session_interval(self, transaction: ServerTransaction, request: Request) -> bool:
        """RFC 4028 §9, for an INVITE or a refresh in its dialog: 400 for a Session-Expires
        that does not parse, 422 with our Min-SE for one below it."""
        config = self.session_config
        if config is None:
            return False
        try:
            asked = session_expires_of(request.headers)
        except ValueError:
            transaction.respond(uas_response(request, 400, local_tag=new_tag()))
            return True
        if not config.too_small(asked):
            return False
        response = uas_response(request, 422, local_tag=new_tag())
        response.headers.add("Min-SE", str(config.min_se))
        transaction.respond(response)
        return True

    # --- UAC ------------------------------------------------------------------------------

    def _prack_provisional(
        self, call: OutgoingCall, response: Response, dialog_id: DialogId
    ) -> None:
        """§4: PRACK a reliable provisional when it is the first of its dialog or the next in
        order; otherwise it is discarded (a retransmission, or one out of order)."""
        rseq, cseq = rseq_of(response), call.invite.cseq
        if rseq is None or cseq is None or call.final_status is not None:
            return
        seen = call.rseq
        last = None if seen is None else seen.get(dialog_id)
        if last is not None and rseq != last + 1:
            return
        dialog = self.dialogs.get(dialog_id)
        if dialog is None:  # another fork's early dialog
            dialog = self._register(Dialog.as_uac(call.invite, response))
        if dialog.state is DialogState.TERMINATED:
            return
        if seen is None:
            seen = call.rseq = {}
        seen[dialog_id] = rseq
        rack = RAck(rseq, cseq.number, cseq.method)
        if call.on_reliable is not None:
            call.on_reliable(dialog, rack)
        else:
            self._send_prack(call, dialog, rack)

    def _send_prack(
        self,
        call: OutgoingCall,
        dialog: Dialog,
        rack: RAck,
        *,
        body: bytes = b"",
        content_type: str | None = None,
    ) -> ClientTransaction:
        request, destination = dialog.create_request(
            "PRACK", self.address, branch=new_branch, body=body, content_type=content_type
        )
        request.headers.add("RAck", str(rack))
        return self.layer.send_request(request, destination)
