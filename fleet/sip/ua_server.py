"""The UAS core (RFC 3261 §8.2, §12.1.1, §12.2.2, §13.3, §9.2, §14.2): new INVITEs become
:class:`IncomingCall` values the application rings, answers or rejects; the 2xx is
retransmitted until its ACK and the dialog BYEd after 64*T1 without one (§13.3.1.4); CANCEL is
answered 200 and an unanswered INVITE 487; in-dialog requests are checked against their dialog
(481, CSeq lower: 500), a re-INVITE while ours is pending gets 491; an UPDATE (RFC 3311) in an
early or confirmed dialog refreshes the remote target and is answered 200, or 491 when a
re-INVITE or UPDATE of ours is pending (§5.2). Session timers (RFC 4028 §9): an INVITE asking
for less than our Min-SE gets 422, the 2xx names interval and refresher and starts the timer,
a re-INVITE or UPDATE in the session restarts it, one asking for less than our Min-SE gets 422
too. Reliable provisionals and PRACK (RFC 3262), the offer hook for re-INVITE, UPDATE and PRACK
(488 when it refuses): :mod:`fleet.sip.ua_reliable`; offers answered later (a B2BUA relaying
them): :mod:`fleet.sip.ua_deferred`."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from functools import partial

from fleet.sip.dialog import Dialog, DialogId
from fleet.sip.message import Request, Response
from fleet.sip.session_timer import (
    TIMER,
    SessionExpires,
    session_expires_of,
    supports_timer,
)
from fleet.sip.transaction_messages import new_tag
from fleet.sip.transaction_server import (
    InviteServerState,
    InviteServerTransaction,
    NonInviteServerTransaction,
    ServerTransaction,
)
from fleet.sip.ua_calls import AnswerRetransmitter, Deferred, IncomingCall, IncomingState
from fleet.sip.ua_deferred import UaOffers
from fleet.sip.ua_messages import uas_response

ALLOW = "INVITE, ACK, CANCEL, BYE, PRACK, OPTIONS, INFO, UPDATE"


class UasCore(UaOffers):
    def on_request(self, transaction: ServerTransaction, request: Request) -> None:
        to = request.to
        if to is not None and to.tag is not None:
            self._in_dialog(transaction, request)
        elif isinstance(transaction, InviteServerTransaction):
            if self._refuse_session_interval(transaction, request):
                return
            call = IncomingCall(request, transaction, new_tag())
            self._unanswered[transaction] = call
            if self.keep_history:
                self.incoming.append(call)
            if self.on_incoming is not None:
                self.on_incoming(call)
            if self.listener is not None:
                self.listener.incoming(call)
        else:
            status = 481 if request.method == "BYE" else 405
            response = uas_response(request, status, local_tag=new_tag())
            if status == 405:
                response.headers.add("Allow", ALLOW)
            transaction.respond(response)

    def _session_answer(self, dialog: Dialog, request: Request, response: Response) -> None:
        """The Session-Expires of our 2xx to an INVITE or UPDATE, and the timer (re)started."""
        timer = self.session_timers.get(dialog.id)
        if timer is None:
            if self.session_config is None:
                return
            expires = self.session_config.answer(request.headers)
        else:
            asked = session_expires_of(request.headers)
            if asked is None:  # a refresh that does not say: the roles stay
                asked = SessionExpires(timer.interval, "uas" if timer.we_refresh else "uac")
            expires = SessionExpires(asked.interval, asked.refresher or "uac")
        response.headers.add("Session-Expires", str(expires))
        if supports_timer(request.headers):
            response.headers.add("Require", TIMER)
        self._session_start(dialog, expires, we_sent=False)

    def ring(
        self,
        call: IncomingCall,
        status: int = 180,
        *,
        reliable: bool = False,
        body: bytes = b"",
        content_type: str | None = None,
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        """A provisional with our To tag and Contact (and ``headers``, e.g. History-Info on a
        181): the early dialog (§12.1.1). It goes reliably (RFC 3262) when the INVITE requires
        100rel, or when ``reliable`` and the INVITE supports it."""
        if call.state not in (IncomingState.PROCEEDING, IncomingState.EARLY):
            return
        response = uas_response(
            call.invite,
            status,
            local_tag=call.local_tag,
            contact=self.contact,
            body=body,
            content_type=content_type,
        )
        for name, value in headers:
            response.headers.add(name, value)
        if call.dialog is None:
            call.dialog = self._register(Dialog.as_uas(call.invite, response, call.local_tag))
        call.state = IncomingState.EARLY
        if self._goes_reliably(call, status, reliable):
            self._send_reliably(call, call.dialog, response)
        else:
            call.transaction.respond(response)

    def answer(
        self,
        call: IncomingCall,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        """The 2xx (with ``headers``, e.g. a terminating UE's P-Access-Network-Info), or, while
        a reliable provisional with a session description waits for its PRACK, the 2xx once it
        arrives (RFC 3262 §3)."""
        if call.state not in (IncomingState.PROCEEDING, IncomingState.EARLY):
            return
        if self._holds_2xx(
            call, lambda: self.answer(call, body=body, content_type=content_type, headers=headers)
        ):
            return
        response = uas_response(
            call.invite,
            200,
            local_tag=call.local_tag,
            contact=self.contact,
            body=body,
            content_type=content_type,
        )
        for name, value in headers:
            response.headers.add(name, value)
        if call.dialog is None:
            call.dialog = self._register(Dialog.as_uas(call.invite, response, call.local_tag))
        call.dialog.confirm(response)
        self._session_answer(call.dialog, call.invite, response)
        call.state = IncomingState.ANSWERED
        call.final_status = 200
        self._unanswered.pop(call.transaction, None)
        self._final_sent(call)
        self._send_2xx(call.dialog, call.transaction, response, call)

    def reject(self, call: IncomingCall, status: int = 486, *, reason: str | None = None) -> None:
        """A final non-2xx with ``reason``, by default the status's standard phrase."""
        if call.state not in (IncomingState.PROCEEDING, IncomingState.EARLY):
            return
        call.state = IncomingState.REJECTED
        call.final_status = status
        self._unanswered.pop(call.transaction, None)
        self._final_sent(call)
        if call.dialog is not None:
            self._end(call.dialog)
        response = uas_response(call.invite, status, local_tag=call.local_tag, reason=reason)
        call.transaction.respond(response)

    def _refuse(self, call: IncomingCall, status: int) -> None:
        """The UA rejects ``call`` on its own; the listener hears it ended."""
        if call.state not in (IncomingState.PROCEEDING, IncomingState.EARLY):
            return
        self.reject(call, status)
        if self.listener is not None:
            self.listener.incoming_ended(call)

    def _send_2xx(
        self,
        dialog: Dialog,
        transaction: InviteServerTransaction,
        response: Response,
        call: IncomingCall | None = None,
    ) -> None:
        cseq = transaction.request.cseq
        assert cseq is not None
        number = cseq.number
        dialog_id = dialog.id
        transaction.respond(response)
        retransmitter = AnswerRetransmitter(
            self._scheduler,
            self.timers,
            response,
            partial(self._resend_2xx, transaction),
            partial(self._give_up_2xx, dialog, number),
            call,
        )
        waiting = self._waiting_ack.get(dialog_id)
        if waiting is None:
            self._waiting_ack[dialog_id] = {number: retransmitter}
        else:
            previous = waiting.get(number)
            if previous is not None:
                previous.stop()
            waiting[number] = retransmitter

    def _resend_2xx(self, transaction: InviteServerTransaction, again: Response) -> None:
        if transaction.state is InviteServerState.ACCEPTED:
            transaction.respond(again)
            return
        with contextlib.suppress(OSError):
            self._transport.send(again, transaction.peer)

    def _give_up_2xx(self, dialog: Dialog, number: int) -> None:
        self._forget_waiting(dialog.id, number)
        self.bye(dialog)  # §13.3.1.4: confirmed, but the session ends

    def _forget_waiting(self, dialog_id: DialogId, number: int) -> AnswerRetransmitter | None:
        waiting = self._waiting_ack.get(dialog_id)
        if waiting is None:
            return None
        retransmitter = waiting.pop(number, None)
        if not waiting:
            del self._waiting_ack[dialog_id]
        return retransmitter

    def on_ack(self, request: Request, invite: InviteServerTransaction | None) -> None:
        dialog_id = DialogId.of_received(request)
        cseq = request.cseq
        if dialog_id is None or cseq is None:
            return
        retransmitter = self._forget_waiting(dialog_id, cseq.number)
        if retransmitter is None:
            return
        retransmitter.acknowledge()
        call = retransmitter.call
        if call is not None and call.state is IncomingState.ANSWERED:
            call.state = IncomingState.CONFIRMED
            call.invite.pack()  # kept as long as the call, seldom read again: unpacked if read

    def on_cancel(
        self,
        transaction: NonInviteServerTransaction,
        request: Request,
        invite: InviteServerTransaction | None,
    ) -> None:
        """§9.2: 481 when the INVITE is unknown; else 200, and 487 to an unanswered INVITE."""
        if invite is None:
            transaction.respond(uas_response(request, 481, local_tag=new_tag()))
            return
        call = self._unanswered.get(invite)
        if call is None:  # answered or rejected already (or in a dialog): only the 200
            if self._cancel_offer(request, invite):
                transaction.respond(uas_response(request, 200, local_tag=None))
                return
            tag = invite.to_tag or new_tag()
            transaction.respond(uas_response(request, 200, local_tag=tag))
            return
        transaction.respond(uas_response(request, 200, local_tag=call.local_tag))
        if invite.state is InviteServerState.PROCEEDING:
            del self._unanswered[invite]
            call.state = IncomingState.CANCELLED
            call.final_status = 487
            self._final_sent(call)
            if call.dialog is not None:
                self._end(call.dialog)
            invite.respond(uas_response(call.invite, 487, local_tag=call.local_tag))
            if self.listener is not None:
                self.listener.incoming_ended(call)

    def on_merged_request(self, transaction: ServerTransaction, request: Request) -> None:
        transaction.respond(uas_response(request, 482, local_tag=new_tag()))

    def _in_dialog(self, transaction: ServerTransaction, request: Request) -> None:
        """§12.2.2: unknown dialog 481, lower CSeq 500; then by method."""
        dialog_id = DialogId.of_received(request)
        dialog = None if dialog_id is None else self.dialogs.get(dialog_id)
        local_tag = None  # the request's To tag is ours already
        if dialog is None:
            transaction.respond(uas_response(request, 481, local_tag=local_tag))
            return
        if not dialog.accept_remote_cseq(request):
            transaction.respond(uas_response(request, 500, local_tag=local_tag))
            return
        reinvite = isinstance(transaction, InviteServerTransaction)
        if reinvite or request.method == "UPDATE":  # target refreshes
            if dialog.id in self._pending:  # §14.2 glare (RFC 3311 §5.2: UPDATE alike)
                transaction.respond(uas_response(request, 491, local_tag=local_tag))
                return
            if self._refuse_while_deferred(dialog, transaction, request):
                return
            if self._refuse_session_interval(transaction, request):
                return
            outcome = self._offer_outcome(dialog, request)
            if isinstance(outcome, Deferred):
                self._defer(dialog, transaction, request)
            else:
                self._complete_offer(dialog, transaction, request, outcome)
        elif request.method == "PRACK":
            self._prack(dialog, transaction, request)
        elif request.method == "BYE":
            self._end(dialog)
            transaction.respond(uas_response(request, 200, local_tag=local_tag))
            if self.listener is not None:
                self.listener.dialog_ended(dialog)
        elif request.method in ("INFO", "REFER", "NOTIFY") and self.on_in_dialog is not None:
            status = self.on_in_dialog(dialog, request)
            transaction.respond(uas_response(request, status, local_tag=local_tag))
        elif request.method in ("INFO", "OPTIONS"):
            response = uas_response(request, 200, local_tag=local_tag)
            if request.method == "OPTIONS":
                response.headers.add("Allow", ALLOW)
                response.headers.add("Supported", self.supported_tags)
            transaction.respond(response)
        else:
            response = uas_response(request, 501, local_tag=local_tag)
            response.headers.add("Allow", ALLOW)
            transaction.respond(response)
