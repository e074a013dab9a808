"""netsim's user agent: the stack's :class:`fleet.sip.ua_core.UserAgent`, which also tells
netsim of each ACK it receives (``on_acked``): the ACK of our 2xx to an offerless re-INVITE
carries the answer to the offer that 2xx made (RFC 3261 §13.2.2.4, RFC 3725), which netsim
relays to the leg the offer came from (:mod:`simulators.netsim.sipbook`); and sends requests in
a dialog whose final response it reports (:meth:`NetsimAgent.request_followed`: a handset's
REFER)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fleet.sip.dialog import Dialog
from fleet.sip.message import Request, Response
from fleet.sip.transaction_base import TransactionBase
from fleet.sip.transaction_client import ClientTransaction, NonInviteClientState
from fleet.sip.transaction_server import InviteServerTransaction
from fleet.sip.ua_core import UserAgent
from fleet.sip.validate import UasPolicy
from fleet.sipnet.edge import SIPNET_POLICY

NETSIM_POLICY = UasPolicy(
    methods=SIPNET_POLICY.methods,
    content_types=SIPNET_POLICY.content_types | {"message/sipfrag"},
)
"""What netsim's SIP port serves: FleetPBX's adapter's (INFO's DTMF, REFER, NOTIFY), and the
``message/sipfrag`` of the NOTIFYs that tell a handset's REFER's outcome."""

Final = Callable[[Response | None], None]
"""A request's final response, or None (timer F, a transport error)."""


class NetsimAgent(UserAgent):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_acked: Callable[[Request], None] | None = None
        self._followed: dict[TransactionBase, Final] = {}

    def on_ack(self, request: Request, invite: InviteServerTransaction | None) -> None:
        super().on_ack(request, invite)
        if self.on_acked is not None:
            self.on_acked(request)

    def request_followed(
        self,
        dialog: Dialog,
        method: str,
        on_final: Final,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> bool:
        """A non-INVITE request in ``dialog`` whose final response ``on_final`` hears; False
        (nothing sent) once the dialog has ended."""
        transaction = self.request_in(
            dialog, method, body=body, content_type=content_type, headers=headers
        )
        if transaction is None:
            return False
        self._followed[transaction] = on_final
        if transaction.state is NonInviteClientState.TERMINATED:  # its first send failed
            self._scheduler.call_later(0, lambda: self.on_timeout(transaction))
        return True

    def on_response(self, transaction: ClientTransaction, response: Response) -> None:
        if transaction in self._followed:
            if response.status >= 200:
                self._followed.pop(transaction)(response)
            return
        super().on_response(transaction, response)

    def on_timeout(self, transaction: TransactionBase) -> None:
        final = self._followed.pop(transaction, None)
        if final is not None:
            final(None)
            return
        super().on_timeout(transaction)
