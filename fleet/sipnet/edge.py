"""The transaction user the SIP stack runs when the call engine is on SIP: out-of-dialog
OPTIONS go to :class:`fleet.sip.options.OptionsResponder` (200 with what we serve), everything
else to the adapter's user agent once it is attached (until then the responder's refusals:
480 to an INVITE). Also where the core's address is read: ``host:port[;transport=tcp]``."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.sip.message import Request, Response
from fleet.sip.options import OptionsResponder
from fleet.sip.transaction_base import TransactionBase
from fleet.sip.transaction_client import ClientTransaction
from fleet.sip.transaction_ports import TransactionUser
from fleet.sip.transaction_server import (
    InviteServerTransaction,
    NonInviteServerTransaction,
    ServerTransaction,
)
from fleet.sip.transport_types import DEFAULT_PORTS, UDP, Peer, Transport
from fleet.sip.validate import UasPolicy

SIPNET_POLICY = UasPolicy(
    methods=UasPolicy().methods | {"REFER", "NOTIFY", "REGISTER"},
    content_types=UasPolicy().content_types | {"application/dtmf-relay", "application/dtmf"},
)
"""What the SIP network adapter serves: the default, with REFER and NOTIFY (transfer and
conference, :mod:`fleet.sipnet.incall`), REGISTER (registration-mode trunks' PBXs:
:mod:`fleet.sipnet.trunk_gate`) and the DTMF bodies of INFO."""


def core_peer(text: str) -> Peer:
    """``host[:port][;transport=udp|tcp|tls]`` (the ``sip_core`` setting) as a peer; the port
    defaults to 5060 (5061 over TLS). Raises ValueError."""
    address, _, params = text.strip().partition(";")
    transport = UDP
    for param in params.split(";") if params else []:
        name, _, value = param.partition("=")
        named = value.strip().upper()
        if name.strip().lower() != "transport" or named not in Transport.__members__:
            raise ValueError(f"expected ;transport=udp|tcp|tls, got {param!r}")
        transport = Transport(named)
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        port_text = rest.removeprefix(":")
    else:
        host, _, port_text = address.rpartition(":") if ":" in address else (address, "", "")
    if not host:
        raise ValueError(f"expected host:port, got {text!r}")
    port = int(port_text) if port_text else DEFAULT_PORTS[transport]
    if not 0 < port < 65536:
        raise ValueError(f"port out of range in {text!r}")
    return Peer(transport, host, port)


@dataclass
class SipEdge:
    options: OptionsResponder = field(default_factory=OptionsResponder)
    user: TransactionUser | None = None

    def _for(self, request: Request) -> TransactionUser:
        if self.user is None:
            return self.options
        to = request.to
        if request.method == "OPTIONS" and (to is None or to.tag is None):
            return self.options
        return self.user

    def on_request(self, transaction: ServerTransaction, request: Request) -> None:
        self._for(request).on_request(transaction, request)

    def on_cancel(
        self,
        transaction: NonInviteServerTransaction,
        request: Request,
        invite: InviteServerTransaction | None,
    ) -> None:
        (self.user or self.options).on_cancel(transaction, request, invite)

    def on_merged_request(self, transaction: ServerTransaction, request: Request) -> None:
        (self.user or self.options).on_merged_request(transaction, request)

    def on_ack(self, request: Request, invite: InviteServerTransaction | None) -> None:
        (self.user or self.options).on_ack(request, invite)

    def on_response(self, transaction: ClientTransaction, response: Response) -> None:
        (self.user or self.options).on_response(transaction, response)

    def on_stray_response(self, response: Response) -> None:
        (self.user or self.options).on_stray_response(response)

    def on_timeout(self, transaction: TransactionBase) -> None:
        (self.user or self.options).on_timeout(transaction)

    def on_transport_error(self, transaction: TransactionBase) -> None:
        (self.user or self.options).on_transport_error(transaction)
