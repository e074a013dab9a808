"""A transaction user in front of another: what the layer hands up goes on to ``inner``
unchanged, but for the events a subclass handles itself (the overload guard's
:class:`fleet.sip.overload_user.GuardedUser`, the fleet owners'
:class:`fleet.sipnet.owner_gate.OwnerGate`)."""

from __future__ import annotations

from fleet.sip.message import Request, Response
from fleet.sip.transaction_base import TransactionBase
from fleet.sip.transaction_client import ClientTransaction
from fleet.sip.transaction_ports import TransactionUser
from fleet.sip.transaction_server import (
    InviteServerTransaction,
    NonInviteServerTransaction,
    ServerTransaction,
)


class UserRelay:
    """Every :class:`~fleet.sip.transaction_ports.TransactionUser` event passed to ``inner``
    (set by the subclass)."""

    inner: TransactionUser

    def on_request(self, transaction: ServerTransaction, request: Request) -> None:
        self.inner.on_request(transaction, request)

    def on_cancel(
        self,
        transaction: NonInviteServerTransaction,
        request: Request,
        invite: InviteServerTransaction | None,
    ) -> None:
        self.inner.on_cancel(transaction, request, invite)

    def on_merged_request(self, transaction: ServerTransaction, request: Request) -> None:
        self.inner.on_merged_request(transaction, request)

    def on_ack(self, request: Request, invite: InviteServerTransaction | None) -> None:
        self.inner.on_ack(request, invite)

    def on_response(self, transaction: ClientTransaction, response: Response) -> None:
        self.inner.on_response(transaction, response)

    def on_stray_response(self, response: Response) -> None:
        self.inner.on_stray_response(response)

    def on_timeout(self, transaction: TransactionBase) -> None:
        self.inner.on_timeout(transaction)

    def on_transport_error(self, transaction: TransactionBase) -> None:
        self.inner.on_transport_error(transaction)
