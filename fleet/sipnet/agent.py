"""The user agent of the SIP network adapter: :class:`fleet.sip.ua_core.UserAgent` with what
the adapter must hear of and send, which the UA cores do not offer yet (issue 12 asks
``fleet.sip`` for them): every response to an INVITE we sent and its failure (timeout or
transport), an incoming INVITE ended by the caller's CANCEL (or by the core itself), a dialog
ended by either side (BYE received, or sent by the core: session timer, 2xx never ACKed), an
initial INVITE with headers of our choice (From, P-Asserted-Identity, Privacy, correlation)
and a final response with its proper reason phrase."""

from __future__ import annotations

from typing import Protocol

from fleet.sip.dialog import Dialog, DialogId, DialogState
from fleet.sip.message import Request, Response
from fleet.sip.transaction_base import TransactionBase
from fleet.sip.transaction_client import ClientTransaction
from fleet.sip.transaction_messages import new_branch, new_tag
from fleet.sip.transaction_server import (
    InviteServerTransaction,
    NonInviteServerTransaction,
    ServerTransaction,
)
from fleet.sip.transport_types import Peer
from fleet.sip.ua_addressing import new_call_id
from fleet.sip.ua_calls import IncomingCall, IncomingState, OutgoingCall, OutgoingState
from fleet.sip.ua_core import UserAgent
from fleet.sip.ua_messages import initial_invite, uas_response
from fleet.sipnet.causes import REASON_PHRASES


class AgentListener(Protocol):
    """What the adapter hears from its UA; every call happens on the UA's scheduler."""

    def incoming(self, call: IncomingCall) -> None: ...

    def incoming_ended(self, call: IncomingCall) -> None:
        """The caller cancelled, or the core refused the INVITE on its own (RFC 3262)."""
        ...

    def progress(self, call: OutgoingCall, response: Response) -> None:
        """A response (provisional, 2xx — retransmissions too — or final) to our INVITE; a
        final error only once the core gave up retrying it (422)."""
        ...

    def failed(self, call: OutgoingCall) -> None:
        """Our INVITE timed out or could not be sent."""
        ...

    def dialog_ended(self, dialog: Dialog) -> None: ...


class FleetAgent(UserAgent):
    """A :class:`UserAgent` reporting to ``listener`` (set once the adapter exists)."""

    listener: AgentListener | None = None

    def attach(self, listener: AgentListener) -> None:
        self.listener = listener
        self.on_incoming = listener.incoming

    # --- sending ---------------------------------------------------------------------------

    def invite_with(
        self,
        uri: str,
        destination: Peer,
        *,
        local_party: str,
        headers: list[tuple[str, str]],
        body: bytes = b"",
        content_type: str | None = None,
    ) -> OutgoingCall:
        """An initial INVITE from ``local_party`` (a From value without tag; ours is added)
        with extra ``headers``. No session timer or 100rel is asked for."""
        request = initial_invite(
            uri,
            sent_by=self.address,
            destination=destination,
            local_party=f"{local_party};tag={new_tag()}",
            contact=self.contact,
            call_id=new_call_id(self.address.host),
            branch=new_branch(),
            body=body,
            content_type=content_type,
        )
        for name, value in headers:
            request.headers.add(name, value)
        transaction = self.layer.send_request(request, destination)
        call = OutgoingCall(request, transaction)
        if self.keep_history:
            self.outgoing.append(call)
        self._calls[transaction] = call
        return call

    def reject(self, call: IncomingCall, status: int = 486) -> None:
        """As the UAS core's, with the reason phrase of ``status``."""
        if call.state not in (IncomingState.PROCEEDING, IncomingState.EARLY):
            return
        call.state = IncomingState.REJECTED
        call.final_status = status
        self._unanswered.pop(call.transaction, None)
        self._final_sent(call)
        if call.dialog is not None:
            self._end(call.dialog)
        reason = REASON_PHRASES.get(status)
        call.transaction.respond(
            uas_response(call.invite, status, local_tag=call.local_tag, reason=reason)
        )
        if self.listener is not None:
            self.listener.incoming_ended(call)

    def bye(self, dialog: Dialog) -> None:
        live = dialog.state is not DialogState.TERMINATED
        super().bye(dialog)
        if live and self.listener is not None:
            self.listener.dialog_ended(dialog)

    # --- hearing ---------------------------------------------------------------------------

    def on_response(self, transaction: ClientTransaction, response: Response) -> None:
        call = self._calls.get(transaction)
        super().on_response(transaction, response)
        if not isinstance(call, OutgoingCall) or self.listener is None:
            return
        if response.status >= 300 and call.state is not OutgoingState.TERMINATED:
            return  # retried (422)
        self.listener.progress(call, response)

    def on_timeout(self, transaction: TransactionBase) -> None:
        call = self._calls.get(transaction) if isinstance(transaction, ClientTransaction) else None
        super().on_timeout(transaction)
        if isinstance(call, OutgoingCall) and self.listener is not None:
            self.listener.failed(call)

    def on_cancel(
        self,
        transaction: NonInviteServerTransaction,
        request: Request,
        invite: InviteServerTransaction | None,
    ) -> None:
        call = None if invite is None else self._unanswered.get(invite)
        super().on_cancel(transaction, request, invite)
        if call is not None and call.state is IncomingState.CANCELLED and self.listener:
            self.listener.incoming_ended(call)

    def _in_dialog(self, transaction: ServerTransaction, request: Request) -> None:
        dialog = None
        if request.method == "BYE":
            dialog_id = DialogId.of_received(request)
            dialog = None if dialog_id is None else self.dialogs.get(dialog_id)
        super()._in_dialog(transaction, request)
        if dialog is not None and dialog.state is DialogState.TERMINATED and self.listener:
            self.listener.dialog_ended(dialog)
