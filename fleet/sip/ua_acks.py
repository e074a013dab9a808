"""The UAC core's ACKs of 2xx responses to its INVITEs (RFC 3261 §13.2.2.4): one ACK built per
dialog and sent for each 2xx (retransmissions included), remembered for timer M, and sent again
for a 2xx that arrives after its transaction ended.

What is kept for timer M (32 s, every answered call) is compact, so that calls over do not
weigh on the garbage collector: once the ACK of an INVITE's 2xx is sent the core lets go of
its :class:`fleet.sip.ua_calls.OutgoingCall` (or :class:`fleet.sip.ua_calls.ReInvite`) and
keeps the ACK's bytes and destination by Call-ID, tags and CSeq number, and for an initial
INVITE its From, Contact and Request-URI by Call-ID, From tag and CSeq number. A later 2xx
(:meth:`UacAcks.answered_2xx`) is then either a retransmission, ACKed again with the same
bytes, or the 2xx of another fork, whose dialog is built from what was kept, ACKed and ended
with a BYE (§13.2.2.4); the application hears only of the BYE's dialog ending. After timer M
such a 2xx is a stray one and ignored. A re-INVITE sent without an offer
(``ack_later``, third-party call control, RFC 3725) gets its 2xx's offer answered in the ACK: the
2xx waits, unacknowledged (its retransmissions ignored), until :meth:`UacAcks.ack_answer`; an
initial INVITE sent without an offer and marked ``ack_later`` alike, until
:meth:`UacAcks.ack_offer` (a B2BUA passing its caller's answer on, late offer)."""

from __future__ import annotations

import contextlib

from fleet.sip.dialog import Dialog
from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.transaction_client import ClientTransaction, InviteClientTransaction
from fleet.sip.transaction_messages import new_branch
from fleet.sip.transport_types import Peer, Transport
from fleet.sip.ua_base import AckKey, InviteKey
from fleet.sip.ua_calls import OutgoingCall, ReInvite
from fleet.sip.ua_server import UasCore


class UacAcks(UasCore):
    def _ack(
        self,
        dialog: Dialog,
        response: Response,
        transaction: ClientTransaction | None,
        *,
        body: bytes = b"",
        content_type: str | None = None,
    ) -> None:
        """§13.2.2.4: the ACK of a 2xx, built once per dialog and INVITE and sent for each 2xx
        (kept as bytes for timer M, parsed again for each resend: only a lost ACK causes
        one). The INVITE's call (``transaction``'s) is let go of: what a later 2xx needs is
        kept compact (the module's doc)."""
        key = self._ack_key(response)
        if key in self._acks:
            self._send_ack(key)
            return
        ack, destination = dialog.create_request(
            "ACK",
            self.address,
            cseq=key[3],
            branch=new_branch,
            body=body,
            content_type=content_type,
        )
        self._send_ack_request(ack, destination)
        self._acks[key] = (
            serialize(ack),
            destination.transport.value,
            destination.host,
            destination.port,
        )
        self._acks_kept.add(key)
        if transaction is not None:
            call = self._calls.pop(transaction, None)
            if isinstance(call, OutgoingCall):
                self._keep_answered(call.invite)
            if isinstance(transaction, InviteClientTransaction):
                transaction.hand_over()  # its 2xx retransmissions are ours from now on

    def _keep_answered(self, invite: Request) -> None:
        """What building the dialog of another fork's 2xx needs of our INVITE, for timer M."""
        sender, cseq, call_id = invite.from_, invite.cseq, invite.call_id
        if sender is None or sender.tag is None or cseq is None or call_id is None:
            return
        key = (call_id, sender.tag, cseq.number)
        if key not in self._answered:
            headers = invite.headers
            parts = (headers.get("From") or "", headers.get("Contact") or "", invite.request_uri)
            self._answered[key] = parts
            self._answers_kept.add(key)

    def _ack_waits(self, reinvite: ReInvite, response: Response) -> bool:
        """The 2xx of an offerless re-INVITE waits for the application's answer (a 2xx
        retransmitted once the ACK went is ACKed again as usual)."""
        if not reinvite.ack_later or self._ack_key(response) in self._acks:
            return False
        reinvite.offered = response
        return True

    def ack_answer(
        self, reinvite: ReInvite, body: bytes, content_type: str | None = "application/sdp"
    ) -> bool:
        """The ACK of ``reinvite``'s 2xx carrying ``body``, the answer to the 2xx's offer
        (RFC 3261 §13.2.2.4, RFC 3725); False when no 2xx waits for it."""
        response = reinvite.offered
        if response is None or reinvite.transaction is None:
            return False
        reinvite.offered = None
        self._ack(
            reinvite.dialog, response, reinvite.transaction, body=body, content_type=content_type
        )
        return True

    def _initial_ack_waits(self, call: OutgoingCall, response: Response) -> bool:
        """The 2xx of an ``ack_later`` INVITE waits for :meth:`ack_offer`, its retransmissions
        ignored until then (not after our CANCEL: that one is ACKed and BYEd at once)."""
        if not call.ack_later or call.cancel_wanted or self._ack_key(response) in self._acks:
            return False
        if call.offered is None:
            call.offered = response
        return True

    def ack_offer(
        self, call: OutgoingCall, body: bytes, content_type: str | None = "application/sdp"
    ) -> bool:
        """The ACK of ``call``'s waiting 2xx with ``body``, the answer to its offer; False when
        no 2xx waits."""
        response, dialog = call.offered, call.dialog
        if response is None or dialog is None:
            return False
        call.offered = None
        self._ack(dialog, response, call.transaction, body=body, content_type=content_type)
        return True

    @staticmethod
    def _ack_key(response: Response) -> AckKey:
        to, sender, call_id, cseq = response.to, response.from_, response.call_id, response.cseq
        assert to is not None and sender is not None and call_id is not None and cseq is not None
        return (call_id, sender.tag or "", to.tag or "", cseq.number)

    def _send_ack(self, key: AckKey) -> None:
        data, transport, host, port = self._acks[key]
        ack = parse_message(data)
        if isinstance(ack, Request):
            self._send_ack_request(ack, Peer(Transport(transport), host, port))

    def _send_ack_request(self, ack: Request, destination: Peer) -> None:
        with contextlib.suppress(OSError):  # the 2xx will come again, and another try
            self._transport.send(ack, destination)

    def answered_2xx(self, response: Response) -> None:
        """A 2xx to an INVITE whose call the core has let go of (its ACK sent), or whose
        transaction has ended: a retransmission is ACKed again; the 2xx of another fork of an
        initial INVITE answered less than timer M ago is ACKed and its dialog BYEd
        (§13.2.2.4); anything else (after timer M) is ignored."""
        cseq, to, sender = response.cseq, response.to, response.from_
        if cseq is None or cseq.method != "INVITE" or not 200 <= response.status < 300:
            return
        if to is None or to.tag is None or sender is None or sender.tag is None:
            return
        key = self._ack_key(response)
        if key in self._acks:
            self._send_ack(key)
            return
        call_id = response.call_id
        invite: InviteKey | None = None if call_id is None else (call_id, sender.tag, cseq.number)
        parts = None if invite is None else self._answered.get(invite)
        if parts is None:
            return
        local_party, local_contact, request_uri = parts
        dialog = Dialog.of_invite_parts(
            local_party, local_contact, request_uri, cseq.number, response
        )
        self._ack(dialog, response, None)
        self.bye(dialog)  # another fork answered too

    def on_stray_response(self, response: Response) -> None:
        """A 2xx to an INVITE after its transaction ended: :meth:`answered_2xx`."""
        self.answered_2xx(response)
