"""The UAC core's ACKs of 2xx responses to its INVITEs (RFC 3261 §13.2.2.4): one ACK built per
INVITE and sent for each 2xx (retransmissions and forks included), remembered for timer M, and
sent again for a 2xx that arrives after its transaction ended. A re-INVITE sent without an offer
(``ack_later``, third-party call control, RFC 3725) gets its 2xx's offer answered in the ACK: the
2xx waits, unacknowledged (its retransmissions ignored), until :meth:`UacAcks.ack_answer`; an
initial INVITE sent without an offer and marked ``ack_later`` alike, until
:meth:`UacAcks.ack_offer` (a B2BUA passing its caller's answer on, late offer)."""

from __future__ import annotations

import contextlib

from fleet.sip.dialog import Dialog, DialogId
from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.transaction_client import ClientTransaction
from fleet.sip.transaction_messages import new_branch
from fleet.sip.transport_types import Peer
from fleet.sip.ua_base import AckKey
from fleet.sip.ua_calls import OutgoingCall, ReInvite
from fleet.sip.ua_server import UasCore


class _Forget:
    """Timer M of a 2xx's ACK: the ACK and the INVITE's call forgotten. One small object where
    a closure would take a function and three cells: one is alive per answered call for 32 s."""

    __slots__ = ("_acks", "_key", "_transaction")

    def __init__(self, acks: UacAcks, key: AckKey, transaction: ClientTransaction | None) -> None:
        self._acks = acks
        self._key = key
        self._transaction = transaction

    def __call__(self) -> None:
        acks = self._acks
        acks._acks.pop(self._key, None)
        if self._transaction is not None:
            acks._calls.pop(self._transaction, None)


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
        """§13.2.2.4: the ACK of a 2xx, built once per INVITE and sent for each 2xx (kept as
        bytes, parsed again for each resend: only a lost ACK or a fork causes one); after timer M
        both the ACK and the INVITE's call are forgotten."""
        key = self._ack_key(response)
        if key not in self._acks:
            ack, destination = dialog.create_request(
                "ACK",
                self.address,
                cseq=key[1],
                branch=new_branch,
                body=body,
                content_type=content_type,
            )
            self._send_ack_request(ack, destination)
            self._acks[key] = (serialize(ack), destination)
            self._scheduler.call_later(self.timers.m, _Forget(self, key, transaction))
            return
        self._send_ack(key)

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

    def _ack_key(self, response: Response) -> AckKey:
        dialog_id = DialogId.of_response(response)
        cseq = response.cseq
        assert dialog_id is not None and cseq is not None
        return (dialog_id, cseq.number)

    def _send_ack(self, key: AckKey) -> None:
        data, destination = self._acks[key]
        ack = parse_message(data)
        if isinstance(ack, Request):
            self._send_ack_request(ack, destination)

    def _send_ack_request(self, ack: Request, destination: Peer) -> None:
        with contextlib.suppress(OSError):  # the 2xx will come again, and another try
            self._transport.send(ack, destination)

    def on_stray_response(self, response: Response) -> None:
        """A 2xx to an INVITE after timer M: ACK it again if we still know it."""
        cseq = response.cseq
        if cseq is None or cseq.method != "INVITE" or not 200 <= response.status < 300:
            return
        if DialogId.of_response(response) is not None:
            key = self._ack_key(response)
            if key in self._acks:
                self._send_ack(key)
