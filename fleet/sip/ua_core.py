"""A user agent: the UAC core (RFC 3261 §8.1, §9.1, §12.1.2, §13.2, §14.1, §15) on top of the
UAS core of :mod:`fleet.sip.ua_server`, as the transaction user of its own
:class:`fleet.sip.transaction_layer.TransactionLayer`: pure code on the scheduler and transport
ports, so it runs in virtual time.

UAC core: ACK for every 2xx to an INVITE (retransmissions included, the same ACK each time,
also after timer M while we remember it); CANCEL held back until a provisional arrives (§9.1);
a 2xx after our CANCEL is ACKed and BYEd (§15), a second fork's 2xx too (§13.2.2.4); a 491 to
our re-INVITE or UPDATE retried after the §14.1 delay; 408/481 to it ends the dialog. Session
timers (RFC 4028): the INVITE asks for one, a 422 is retried with the Min-SE it names, the 2xx
starts it and our refreshes (UPDATE or re-INVITE) restart it. Reliable provisionals (RFC 3262
§4, :mod:`fleet.sip.ua_reliable`): our INVITE says ``Supported`` or ``Require: 100rel`` as
``rel100`` asks; each in-order reliable provisional is PRACKed in its (early) dialog, per fork
(by the application when the call has ``on_reliable``); ``ack_later``: :mod:`fleet.sip.ua_acks`.
The application picks the INVITE's From and extra headers, keeps the 2xx (``answer``) and hears
responses, failures and ended dialogs through the UA's listener (:mod:`fleet.sip.ua_listener`);
the 2xx's ACKs are :mod:`fleet.sip.ua_acks`'s."""

from __future__ import annotations

import random as random_module
from collections.abc import Callable, Iterable

from fleet.sip.dialog import Dialog, DialogId, DialogState, glare_retry_delay
from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response
from fleet.sip.reliable import REL100, Rel100, requires_100rel
from fleet.sip.session_timer import (
    TIMER,
    SessionExpires,
    SessionTimerConfig,
    min_se_of,
    session_expires_of,
)
from fleet.sip.timers import TimerConfig
from fleet.sip.transaction_base import TransactionBase
from fleet.sip.transaction_client import (
    ClientTransaction,
    InviteClientState,
    InviteClientTransaction,
    NonInviteClientTransaction,
)
from fleet.sip.transaction_layer import TransactionLayer
from fleet.sip.transaction_messages import new_branch, new_tag
from fleet.sip.transaction_ports import Scheduler, Transport
from fleet.sip.transport_types import Peer
from fleet.sip.ua_acks import UacAcks
from fleet.sip.ua_addressing import contact_value, new_call_id, peer_for, via_value
from fleet.sip.ua_calls import IncomingCall, OfferHook, OutgoingCall, OutgoingState, ReInvite
from fleet.sip.ua_listener import UaListener
from fleet.sip.ua_messages import build_cancel, initial_invite
from fleet.sip.uri import parse_uri


class UserAgent(UacAcks):
    """A UA with both cores; :attr:`layer` is what its transport delivers to."""

    def __init__(
        self,
        scheduler: Scheduler,
        transport: Transport,
        address: Peer,
        user: str,
        *,
        timers: TimerConfig | None = None,
        random: Callable[[], float] = random_module.random,
        on_incoming: Callable[[IncomingCall], None] | None = None,
        session: SessionTimerConfig | None = None,
        on_offer: OfferHook | None = None,
        rel100: Rel100 = Rel100.NONE,
        keep_history: bool = False,
        listener: UaListener | None = None,
    ) -> None:
        super().__init__(
            scheduler,
            transport,
            address,
            user,
            timers=timers,
            random=random,
            on_incoming=on_incoming,
            session=session,
            on_offer=on_offer,
            rel100=rel100,
            keep_history=keep_history,
            listener=listener,
        )
        self.layer = TransactionLayer(scheduler, transport, self, self.timer_config)

    # --- UAC core: initiating --------------------------------------------------------------

    def invite(
        self,
        uri: str,
        destination: Peer | None = None,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        local_party: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> OutgoingCall:
        """An initial INVITE to ``uri`` (sent to ``destination``, by default where the URI
        leads). From is ``local_party`` (a From value without tag, ours is added; by default
        ``<sip:user@host>``), ``headers`` are added after ours (P-Asserted-Identity, Privacy…);
        it asks for a session timer and 100rel as the UA's configuration says."""
        destination = destination or peer_for(parse_uri(uri))
        party = local_party or f"<sip:{self.user}@{self.address.host}>"
        request = initial_invite(
            uri,
            sent_by=self.address,
            destination=destination,
            local_party=f"{party};tag={new_tag()}",
            contact=self.contact,
            call_id=new_call_id(self.address.host),
            branch=new_branch(),
            body=body,
            content_type=content_type,
        )
        if self.session_config is not None:  # RFC 4028 §7.1
            request.headers.add("Session-Expires", str(self.session_config.expires))
            request.headers.add("Min-SE", str(self.session_config.min_se))
            request.headers.add("Supported", TIMER)
        if self.rel100 is not Rel100.NONE:  # RFC 3262 §4
            kind = "Require" if self.rel100 is Rel100.REQUIRED else "Supported"
            request.headers.add(kind, REL100)
        for name, value in headers:
            request.headers.add(name, value)
        transaction = self.layer.send_request(request, destination)
        call = OutgoingCall(request, transaction)
        if self.keep_history:
            self.outgoing.append(call)
        self._calls[transaction] = call
        if transaction.state is InviteClientState.TERMINATED:  # its first send failed (§17.1.4)
            self._scheduler.call_later(0, lambda: self.on_transport_error(transaction))
        return call

    def cancel(self, call: OutgoingCall) -> None:
        """§9.1: CANCEL a call not answered yet, once a provisional response has arrived."""
        if call.state not in (OutgoingState.CALLING, OutgoingState.EARLY):
            return
        call.state = OutgoingState.CANCELLING
        call.cancel_wanted = True
        if call.provisional_seen:
            self._send_cancel(call)

    def _send_cancel(self, call: OutgoingCall) -> None:
        if not call.cancel_sent:
            call.cancel_sent = True
            self.layer.send_request(build_cancel(call.invite), call.transaction.peer)

    def reinvite(
        self,
        dialog: Dialog,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        retry_glare: bool = True,
        on_final: Callable[[ReInvite, Response | None], None] | None = None,
        ack_later: bool = False,
        headers: Iterable[tuple[str, str]] = (),
    ) -> ReInvite:
        """§14.1: a re-INVITE, not while another INVITE of ours, or an offer of the peer we
        have not answered yet (:mod:`fleet.sip.ua_deferred`), is pending in the dialog
        (ValueError). ``on_final`` hears its final response (None: it timed out); with
        ``retry_glare`` False a 491 is final rather than retried; with ``ack_later`` (sent
        without an offer) the 2xx's ACK waits for the answer (:meth:`ack_answer`); ``headers``
        are added after ours, to every attempt."""
        self._check_free(dialog)
        reinvite = ReInvite(
            dialog,
            "INVITE",
            body,
            content_type,
            retry_glare=retry_glare,
            on_final=on_final,
            headers=tuple(headers),
        )
        reinvite.ack_later = ack_later
        if self.keep_history:
            self.reinvites.append(reinvite)
        self._send_reinvite(reinvite)
        return reinvite

    def update(
        self,
        dialog: Dialog,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        retry_glare: bool = True,
        on_final: Callable[[ReInvite, Response | None], None] | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> ReInvite:
        """RFC 3311: an UPDATE in an early or confirmed dialog, a target refresh like a
        re-INVITE without its three-way handshake; not while a re-INVITE or UPDATE of ours is
        pending in the dialog, and retried after the §14.1 delay when it meets glare (491);
        ``retry_glare``, ``on_final`` and ``headers`` as for :meth:`reinvite`."""
        self._check_free(dialog)
        update = ReInvite(
            dialog,
            "UPDATE",
            body,
            content_type,
            retry_glare=retry_glare,
            on_final=on_final,
            headers=tuple(headers),
        )
        if self.keep_history:
            self.reinvites.append(update)
        self._send_reinvite(update)
        return update

    def _check_free(self, dialog: Dialog) -> None:
        if dialog.id in self._pending:
            raise ValueError("a re-INVITE or UPDATE of ours is already pending in this dialog")
        if dialog.id in self._offers:
            raise ValueError("the peer's offer in this dialog waits for our answer")

    def _send_reinvite(self, reinvite: ReInvite) -> None:
        dialog = reinvite.dialog
        if dialog.state is DialogState.TERMINATED:
            return
        request, destination = dialog.create_request(
            reinvite.method,
            self.address,
            branch=new_branch,
            body=reinvite.body,
            content_type=reinvite.content_type,
        )
        self._session_headers(dialog, request.headers, reinvite.interval)
        for name, value in reinvite.headers:
            request.headers.add(name, value)
        reinvite.attempts += 1
        reinvite.transaction = self.layer.send_request(request, destination)
        self._pending[dialog.id] = reinvite
        self._calls[reinvite.transaction] = reinvite

    def _refresh_session(self, dialog: Dialog) -> None:
        """RFC 4028 §10: at half the interval; a re-INVITE or UPDATE of ours already pending
        carries the session on and its 2xx restarts the timer."""
        if dialog.id in self._pending or dialog.id in self._offers or self.session_config is None:
            return
        if self.session_config.refresh_method == "UPDATE":
            self.update(dialog)
        else:
            self.reinvite(dialog)

    def _retry_after_422(self, call: OutgoingCall, response: Response) -> bool:
        """RFC 4028 §7.1: a 422 names the least interval the UAS accepts; the INVITE goes
        again (next CSeq, new branch) asking for it, once per higher value."""
        asked = session_expires_of(call.invite.headers)
        wanted = min_se_of(response.headers)
        cseq = call.invite.cseq
        if asked is None or wanted <= asked.interval or cseq is None or call.cancel_wanted:
            return False
        headers = Headers(list(call.invite.headers))
        peer = call.transaction.peer
        headers.set("Via", via_value(self.address, peer, new_branch()))
        headers.set("CSeq", f"{cseq.number + 1} INVITE")
        headers.set("Session-Expires", str(SessionExpires(wanted)))
        headers.set("Min-SE", str(wanted))
        invite = Request("INVITE", call.invite.request_uri, headers, call.invite.body)
        call.invite, call.transaction = invite, self.layer.send_request(invite, peer)
        self._calls[call.transaction] = call
        return True

    def move(self, dialog: Dialog, address: Peer) -> None:
        """Our Contact in ``dialog`` changes; the next re-INVITE carries it (target refresh)."""
        dialog.local_contact = contact_value(self.user, address)

    # --- UAC core: responses ---------------------------------------------------------------

    def on_response(self, transaction: ClientTransaction, response: Response) -> None:
        call = self._calls.get(transaction)
        status = response.status
        if call is None:  # a 2xx after its ACK: the call was let go of (ua_acks)
            self.answered_2xx(response)
            return
        if status >= 200 and (
            status >= 300 or not isinstance(transaction, InviteClientTransaction)
        ):
            self._calls.pop(transaction, None)  # final: no more responses go up (2xx: timer M)
        if isinstance(call, OutgoingCall):
            self._initial_response(call, response)
            retried = status >= 300 and call.state is not OutgoingState.TERMINATED  # 422
            if self.listener is not None and not retried:
                self.listener.progress(call, response)
            if 200 <= status < 300 and call.state is OutgoingState.CONFIRMED:
                _pack_answered(call)
        elif isinstance(call, ReInvite):
            self._reinvite_response(call, response)

    def _initial_response(self, call: OutgoingCall, response: Response) -> None:
        status = response.status
        dialog_id = DialogId.of_response(response)
        if status < 200:
            call.provisional_seen = True
            if call.cancel_wanted:
                self._send_cancel(call)
            if status > 100 and dialog_id is not None and call.dialog is None:
                call.dialog = self._register(Dialog.as_uac(call.invite, response))
                if call.state is OutgoingState.CALLING:
                    call.state = OutgoingState.EARLY
            if status > 100 and dialog_id is not None and requires_100rel(response):
                self._prack_provisional(call, response, dialog_id)
            return
        if status == 422 and self._retry_after_422(call, response):
            return
        if status >= 300:
            call.final_status = status
            call.state = OutgoingState.TERMINATED
            if call.dialog is not None:
                self._end(call.dialog)
            return
        if dialog_id is None:
            return
        call.final_status = status
        dialog = self.dialogs.get(dialog_id)
        if self._ack_key(response) in self._acks:
            self.answered_2xx(response)  # its ACK went already (the ACK of an ack_later call)
            return
        if dialog is None:
            dialog = self._register(Dialog.as_uac(call.invite, response))
        dialog.confirm(response)
        if not self._initial_ack_waits(call, response):
            self._ack(dialog, response, call.transaction)
        if call.cancel_wanted:
            call.state = OutgoingState.TERMINATED
            self.bye(dialog)  # §15: answered after our CANCEL
        elif call.state is OutgoingState.CONFIRMED and call.dialog is not dialog:
            self.bye(dialog)  # a second fork answered too (§13.2.2.4)
        else:
            if call.dialog is not None and call.dialog is not dialog:
                self._end(call.dialog)  # the early dialog of another fork
            call.dialog = dialog
            call.answer = call.answer if call.state is OutgoingState.CONFIRMED else response
            call.state = OutgoingState.CONFIRMED
            expires = session_expires_of(response.headers)
            if expires is not None and dialog.id not in self.session_timers:
                self._session_start(dialog, expires, we_sent=True)

    def _reinvite_response(self, reinvite: ReInvite, response: Response) -> None:
        status = response.status
        dialog = reinvite.dialog
        if status < 200:
            return
        answered_before = reinvite.final_status is not None and reinvite.final_status < 300
        reinvite.final_status = status
        if status < 300:
            if self._pending.get(dialog.id) is reinvite:
                del self._pending[dialog.id]
                dialog.refresh_target(response)
                timer = self.session_timers.get(dialog.id)
                expires = session_expires_of(response.headers)
                if timer is not None and expires is None:  # a peer without timers: roles stay
                    timer.restart(timer.interval, timer.we_refresh)
                elif timer is not None and expires is not None:
                    self._session_start(dialog, expires, we_sent=True)
            if reinvite.method == "INVITE" and not self._ack_waits(reinvite, response):
                self._ack(dialog, response, reinvite.transaction)
            if reinvite.on_final is not None and not answered_before:  # not a retransmission
                reinvite.on_final(reinvite, response)
            return
        if self._pending.get(dialog.id) is reinvite:
            del self._pending[dialog.id]
        if status == 422 and self._retry_refresh_after_422(reinvite, response):
            return
        if status == 491 and reinvite.retry_glare:
            delay = glare_retry_delay(dialog.is_caller, self._random)
            reinvite.retry_at.append(self._scheduler.now() + delay)
            self._scheduler.call_later(delay, lambda: self._retry(reinvite))
            return
        if reinvite.on_final is not None:
            reinvite.on_final(reinvite, response)
        if status in (408, 481):
            self.bye(dialog)  # §14.1: the dialog is gone

    def _retry_refresh_after_422(self, reinvite: ReInvite, response: Response) -> bool:
        """RFC 4028 §7.4 with §7.1: a refresh refused 422 goes again at once asking for the
        Min-SE the 422 names, once per higher value."""
        timer = self.session_timers.get(reinvite.dialog.id)
        if timer is None:
            return False
        asked = reinvite.interval or timer.interval
        wanted = min_se_of(response.headers)
        if wanted <= asked:
            return False
        reinvite.interval = wanted
        self._send_reinvite(reinvite)
        return True

    def _retry(self, reinvite: ReInvite) -> None:
        dialog = reinvite.dialog
        if dialog.id in self._offers:  # the peer's offer first; then ours, after a new delay
            delay = glare_retry_delay(dialog.is_caller, self._random)
            self._scheduler.call_later(delay, lambda: self._retry(reinvite))
        elif dialog.id not in self._pending:
            self._send_reinvite(reinvite)

    def on_timeout(self, transaction: TransactionBase) -> None:
        if not isinstance(transaction, InviteClientTransaction | NonInviteClientTransaction):
            return
        call = self._calls.pop(transaction, None)
        if isinstance(call, OutgoingCall):
            call.state = OutgoingState.TERMINATED
            call.final_status = call.final_status or 408
            if call.dialog is not None and call.dialog.state is DialogState.EARLY:
                self._end(call.dialog)
            if self.listener is not None:
                self.listener.failed(call)
        elif isinstance(call, ReInvite) and self._pending.get(call.dialog.id) is call:
            del self._pending[call.dialog.id]
            if call.on_final is not None:
                call.on_final(call, None)
            self.bye(call.dialog)

    def on_transport_error(self, transaction: TransactionBase) -> None:
        self.on_timeout(transaction)


def _pack_answered(call: OutgoingCall) -> None:
    """An answered call's INVITE and 2xx stay with it (the application's) as long as the call,
    read again seldom if ever: their headers are packed (unpacked when read)."""
    call.invite.pack()
    if call.answer is not None:
        call.answer.pack()
