"""netsim's user agent: the stack's :class:`fleet.sip.ua_core.UserAgent`, which also tells
netsim of each ACK it receives (``on_acked``): the ACK of our 2xx to an offerless re-INVITE
carries the answer to the offer that 2xx made (RFC 3261 §13.2.2.4, RFC 3725), which netsim
relays to the leg the offer came from (:mod:`simulators.netsim.sipbook`)."""

from __future__ import annotations

from collections.abc import Callable

from fleet.sip.message import Request
from fleet.sip.transaction_server import InviteServerTransaction
from fleet.sip.ua_core import UserAgent


class NetsimAgent(UserAgent):
    on_acked: Callable[[Request], None] | None = None

    def on_ack(self, request: Request, invite: InviteServerTransaction | None) -> None:
        super().on_ack(request, invite)
        if self.on_acked is not None:
            self.on_acked(request)
