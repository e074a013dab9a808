"""The ports of the transaction layer: a scheduler (so timers run in virtual time in tests and on
the event loop in production), a transport to send through, and the transaction user (TU) that
receives requests, responses, timeouts and transport errors (RFC 3261 §17)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from fleet.sip.message import Request, Response
from fleet.sip.transport_types import Peer

if TYPE_CHECKING:
    from fleet.sip.transaction_base import TransactionBase
    from fleet.sip.transaction_client import ClientTransaction
    from fleet.sip.transaction_server import (
        InviteServerTransaction,
        NonInviteServerTransaction,
        ServerTransaction,
    )


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    """``asyncio.AbstractEventLoop`` fits: ``call_later`` and ``time``-like ``now``."""

    def call_later(self, delay: float, callback: Callable[[], object]) -> TimerHandle: ...

    def now(self) -> float: ...


class Transport(Protocol):
    def send(self, message: Request | Response, destination: Peer) -> None:
        """Send now (or queue), or raise an :class:`OSError` (e.g.
        :class:`fleet.sip.transport_types.SendError`) when it cannot be sent: the transaction
        then terminates and tells the TU (RFC 3261 §17.1.4, §17.2.4). Whether the transport is
        reliable is ``destination.reliable``."""


class TransactionUser(Protocol):
    """What the transaction layer hands up (RFC 3261 §17: the TU is the UAC/UAS core)."""

    def on_request(self, transaction: ServerTransaction, request: Request) -> None:
        """A new request (not a retransmission): answer it with ``transaction.respond``."""

    def on_cancel(
        self,
        transaction: NonInviteServerTransaction,
        request: Request,
        invite: InviteServerTransaction | None,
    ) -> None:
        """A CANCEL, with the INVITE server transaction it cancels; with none the TU answers 481
        (RFC 3261 §9.2), otherwise 200 to the CANCEL and 487 to the INVITE if still pending."""

    def on_merged_request(self, transaction: ServerTransaction, request: Request) -> None:
        """A request merged on its way here (RFC 3261 §8.2.2.2): the TU answers 482."""

    def on_ack(self, request: Request, invite: InviteServerTransaction | None) -> None:
        """An ACK for a 2xx (it matches no transaction, or one in Accepted): the dialog's."""

    def on_response(self, transaction: ClientTransaction, response: Response) -> None:
        """A response of a client transaction (not a retransmission, except 2xx to an INVITE,
        which the UAC core acknowledges each time: RFC 6026 §8.4)."""

    def on_stray_response(self, response: Response) -> None:
        """A response matching no client transaction (e.g. a 2xx retransmitted after timer M)."""

    def on_timeout(self, transaction: TransactionBase) -> None:
        """Timer B, F or H fired: the transaction is terminated."""

    def on_transport_error(self, transaction: TransactionBase) -> None:
        """The transport could not send: the transaction is terminated."""
