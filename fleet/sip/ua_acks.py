"""The UAC core's ACKs of 2xx responses to its INVITEs (RFC 3261 §13.2.2.4): one ACK built per
INVITE and sent for each 2xx (retransmissions and forks included), remembered for timer M, and
sent again for a 2xx that arrives after its transaction ended."""

from __future__ import annotations

import contextlib

from fleet.sip.dialog import Dialog, DialogId
from fleet.sip.message import Response
from fleet.sip.transaction_client import ClientTransaction
from fleet.sip.transaction_messages import new_branch
from fleet.sip.ua_base import AckKey
from fleet.sip.ua_server import UasCore


class UacAcks(UasCore):
    def _ack(
        self, dialog: Dialog, response: Response, transaction: ClientTransaction | None
    ) -> None:
        """§13.2.2.4: the ACK of a 2xx, built once per INVITE and sent for each 2xx; after
        timer M both the ACK and the INVITE's call are forgotten."""
        key = self._ack_key(response)
        if key not in self._acks:
            self._acks[key] = dialog.create_request(
                "ACK", self.address, cseq=key[1], branch=new_branch
            )

            def forget() -> None:
                self._acks.pop(key, None)
                if transaction is not None:
                    self._calls.pop(transaction, None)

            self._scheduler.call_later(self.timers.m, forget)
        self._send_ack(key)

    def _ack_key(self, response: Response) -> AckKey:
        dialog_id = DialogId.of_response(response)
        cseq = response.cseq
        assert dialog_id is not None and cseq is not None
        return (dialog_id, cseq.number)

    def _send_ack(self, key: AckKey) -> None:
        ack, destination = self._acks[key]
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
