"""The transaction layer (RFC 3261 §17): creates client transactions for the TU, matches each
received message to its transaction and hands the rest to the TU.

Matching: a response goes to the client transaction of its top-Via branch and CSeq method
(§17.1.3). A request goes to the server transaction of its top-Via branch, sent-by and method,
ACK counting as INVITE (§17.2.3); a request whose branch lacks the magic cookie ``z9hG4bK`` comes
from an RFC 2543 element and is matched on Request-URI, To tag, From tag, Call-ID, CSeq number
and top Via instead, an ACK on the To tag of the response the INVITE transaction sent. A CANCEL
is a transaction of its own, given to the TU with the INVITE transaction it cancels (§9.2). A
request without To tag whose From tag, Call-ID and CSeq are those of a live transaction but which
does not match it was merged on its way (§8.2.2.2): the TU answers it 482.

The layer is the transport's :class:`fleet.sip.transport_types.TransportUser`: the transport
calls :meth:`on_request` and :meth:`on_response` for each message it received.

A transaction that only waits out its last timer over UDP leaves the layer a plain value in its
place (:mod:`fleet.sip.transaction_remains`), which answers retransmissions as it would have
and which the garbage collector does not track."""

from __future__ import annotations

from collections.abc import Callable

from fleet.sip.errors import SipParseError
from fleet.sip.message import Request, Response, parse_message
from fleet.sip.timers import TimerConfig
from fleet.sip.transaction_base import Left, Leftover, Lingers, TransactionBase, Wiring
from fleet.sip.transaction_client import (
    ClientTransaction,
    InviteClientTransaction,
    NonInviteClientTransaction,
)
from fleet.sip.transaction_ports import Scheduler, TransactionUser, Transport
from fleet.sip.transaction_remains import (
    DATA,
    KIND,
    TO,
    UNTIL,
    ClientKey,
    MergeKey,
    Remains,
    Remnants,
    ServerKey,
    peer_of,
    remains_of,
)
from fleet.sip.transaction_server import (
    InviteServerTransaction,
    NonInviteServerTransaction,
    ServerTransaction,
)
from fleet.sip.transport_types import Peer

__all__ = ["MergeKey", "ServerKey", "TransactionLayer", "server_key"]


def server_key(request: Request, method: str) -> ServerKey:
    """The key a request matches a server transaction by (``method``: INVITE for an ACK).

    Raises :class:`SipParseError` when Via, From or CSeq is missing or malformed."""
    via = request.top_via
    if via is None:
        raise SipParseError("No Via")
    if via.is_rfc3261_branch:
        return ("rfc3261", via.branch, via.host.lower(), via.port, method)
    sender = request.from_
    cseq = request.cseq
    if sender is None or cseq is None:
        raise SipParseError("No From or CSeq")
    return ("rfc2543", request.request_uri, sender.tag, request.call_id, cseq.number, method, via)


class TransactionLayer:
    def __init__(
        self,
        scheduler: Scheduler,
        transport: Transport,
        tu: TransactionUser,
        timers: TimerConfig | None = None,
    ) -> None:
        self._wiring = Wiring(
            scheduler, transport, tu, timers or TimerConfig(), Lingers(scheduler), self._leave
        )
        self._clients: dict[ClientKey, ClientTransaction | Remains] = {}
        self._servers: dict[ServerKey, ServerTransaction | Remains] = {}
        self._merge: dict[MergeKey, ServerTransaction | Remains] = {}
        self._keys: dict[TransactionBase, tuple[ServerKey | None, MergeKey | None]] = {}
        self._client_keys: dict[TransactionBase, ClientKey] = {}
        self._remnants = Remnants(scheduler, self._servers, self._merge, self._clients)
        # one bound method shared by every transaction (not one more object each)
        self._release_one: Callable[[TransactionBase], None] = self._release

    def __len__(self) -> int:
        """Transactions alive (not terminated), those waiting as remains included."""
        return len(self._keys) + len(self._remnants)

    @property
    def server_transactions(self) -> int:
        """Server transactions alive (what overload control counts in flight)."""
        return len(self._servers)

    def has_server_transaction(self, request: Request) -> bool:
        """Whether ``request`` (not an ACK) matches a live server transaction: read only, what
        overload control asks before refusing a new INVITE statelessly. Raises
        :class:`SipParseError` as :func:`server_key` does."""
        key = server_key(request, request.method)
        if key[0] == "rfc3261":
            return key in self._servers
        to = request.to
        return self._find_server(key, request, None if to is None else to.tag) is not None

    def has_server_key(self, key: ServerKey) -> bool:
        """Whether a live server transaction has ``key`` (:func:`server_key`'s RFC 3261 form):
        what overload control asks of a new INVITE it has not parsed."""
        return key in self._servers

    @property
    def timers(self) -> TimerConfig:
        return self._wiring.timers

    # --- client side ---------------------------------------------------------------------

    def send_request(self, request: Request, destination: Peer) -> ClientTransaction:
        """Start a client transaction for ``request`` (not ACK: an ACK for a 2xx is sent by the
        UAC core outside any transaction). Its top Via carries a fresh RFC 3261 branch
        (:func:`fleet.sip.transaction_messages.new_branch`)."""
        if request.method == "ACK":
            raise ValueError("an ACK is not sent through a client transaction")
        via = request.top_via
        if via is None or not via.is_rfc3261_branch or via.branch is None:
            raise ValueError("the top Via needs an RFC 3261 branch (z9hG4bK…)")
        key = (via.branch, request.method)
        if key in self._clients:
            raise ValueError(f"branch {via.branch} already used by a live {request.method}")
        transaction: ClientTransaction
        if request.method == "INVITE":
            transaction = InviteClientTransaction(
                self._wiring, request, destination, self._release_one
            )
        else:
            transaction = NonInviteClientTransaction(
                self._wiring, request, destination, self._release_one
            )
        self._clients[key] = transaction
        self._keys[transaction] = (None, None)
        self._client_keys[transaction] = key
        transaction.start()
        return transaction

    def on_response(self, response: Response, source: Peer | None = None) -> None:
        """A response from the transport (``source`` is not used for matching)."""
        try:
            via = response.top_via
            cseq = response.cseq
        except SipParseError:
            return  # a malformed response is dropped (RFC 4475 §3)
        branch = via.branch if via is not None else None
        found = None if branch is None or cseq is None else self._clients.get((branch, cseq.method))
        if found is None:
            self._wiring.tu.on_stray_response(response)
        elif isinstance(found, tuple):  # Completed: an ACK resent, or the response absorbed
            if found[KIND] == Left.ACKED and response.status >= 300:
                self._resend(found)
        else:
            found.receive_response(response)

    def transport_failed(self, message: Request | Response) -> bool:
        """A send that had to wait failed: the live transaction that sent ``message`` (a request
        or the ACK of a client transaction, a response of a server transaction) ends as if the
        send had failed at once. False when none did (ended already, or an ACK for a 2xx)."""
        transaction = self._sender_of(message)
        if transaction is None or transaction not in self._keys:
            return False
        transaction.transport_failed()
        return True

    def _sender_of(self, message: Request | Response) -> TransactionBase | None:
        try:
            via = message.top_via
            cseq = message.cseq
        except SipParseError:
            return None
        if via is None or cseq is None:
            return None
        found: TransactionBase | Remains | None
        if isinstance(message, Request):
            method = "INVITE" if message.method == "ACK" else message.method
            found = None if via.branch is None else self._clients.get((via.branch, method))
        elif via.is_rfc3261_branch:
            method = "INVITE" if cseq.method == "ACK" else cseq.method
            found = self._servers.get(("rfc3261", via.branch, via.host.lower(), via.port, method))
        else:
            found = next(
                (
                    t
                    for t in self._servers.values()
                    if not isinstance(t, tuple) and t.last_response is message
                ),
                None,
            )
        return None if isinstance(found, tuple) else found  # remains tell no one

    # --- server side ---------------------------------------------------------------------

    def on_request(self, request: Request, source: Peer) -> None:
        """A request from the transport, already validated (malformed ones are dropped here)."""
        method = request.method
        try:
            key = server_key(request, "INVITE" if method == "ACK" else method)
            to = request.to
            sender = request.from_
            cseq = request.cseq
        except SipParseError:
            return
        if to is None or sender is None or cseq is None:
            return
        to_tag = to.tag
        found = self._find_server(key, request, to_tag)
        tu = self._wiring.tu
        if method == "ACK":
            if isinstance(found, InviteServerTransaction):
                found.receive_ack(request)
            elif not isinstance(found, tuple) or found[KIND] == Left.ACCEPTED:
                tu.on_ack(request, None)
            return  # remains in Confirmed absorb it
        if isinstance(found, tuple):
            self._resend(found)  # Completed resends its final response; the others absorb
            return
        if found is not None:
            found.receive_retransmission(request)
            return
        if method == "CANCEL":
            cancel = NonInviteServerTransaction(self._wiring, request, source, self._release_one)
            self._register(cancel, key, None)
            invite = self._find_server(server_key(request, "INVITE"), request, to_tag)
            if isinstance(invite, tuple):
                invite = self._stand_in(invite)
            cancelled = invite if isinstance(invite, InviteServerTransaction) else None
            tu.on_cancel(cancel, request, cancelled)
            cancel.start()
            return
        transaction: ServerTransaction
        if method == "INVITE":
            transaction = InviteServerTransaction(self._wiring, request, source, self._release_one)
        else:
            transaction = NonInviteServerTransaction(
                self._wiring, request, source, self._release_one
            )
        merge_key: MergeKey | None = None
        if to_tag is None:
            merge_key = (sender.tag, request.call_id, cseq.number, cseq.method)
            if merge_key in self._merge:
                self._register(transaction, key, None)
                try:
                    tu.on_merged_request(transaction, request)
                finally:
                    transaction.start()
                return
        self._register(transaction, key, merge_key)
        try:
            tu.on_request(transaction, request)
        finally:
            transaction.start()  # after the TU: no 100 Trying timer when it answered at once

    def _register(
        self, transaction: ServerTransaction, key: ServerKey, merge_key: MergeKey | None
    ) -> None:
        self._servers[key] = transaction
        if merge_key is not None:
            self._merge[merge_key] = transaction
        self._keys[transaction] = (key, merge_key)

    def _find_server(
        self, key: ServerKey, request: Request, to_tag: str | None
    ) -> ServerTransaction | Remains | None:
        found = self._servers.get(key)
        if found is None or key[0] == "rfc3261" or isinstance(found, tuple):
            return found  # remains only ever have an RFC 3261 key
        return self._rfc2543_match(found, request, to_tag)

    @staticmethod
    def _rfc2543_match(
        found: ServerTransaction, request: Request, to_tag: str | None
    ) -> ServerTransaction | None:
        """RFC 2543: the To tag must match too, for an ACK the one of the response sent."""
        if request.method == "ACK":
            expected = found.to_tag if isinstance(found, InviteServerTransaction) else None
        else:
            to = found.request.to
            expected = None if to is None else to.tag
        return found if expected == to_tag else None

    # --- what lingering transactions leave ---------------------------------------------------

    def _leave(self, transaction: TransactionBase, leftover: Leftover, delay: float) -> None:
        """``transaction`` waits out its last timer (``delay``) as remains: the layer keeps
        ``leftover`` in its place (:mod:`fleet.sip.transaction_remains`) and forgets it."""
        keys = self._keys.pop(transaction, None)
        if keys is None:
            return  # not (or no longer) this layer's
        key, merge_key = keys
        until = self._wiring.scheduler.now() + delay
        if key is None:
            client_key = self._client_keys.pop(transaction)
            remains = remains_of(leftover, client_key, None, transaction.peer, until)
            if self._clients.get(client_key) is transaction:
                self._clients[client_key] = remains
        else:
            remains = remains_of(leftover, key, merge_key, transaction.peer, until)
            if self._servers.get(key) is transaction:
                self._servers[key] = remains
            if merge_key is not None and self._merge.get(merge_key) is transaction:
                self._merge[merge_key] = remains
        self._remnants.add(remains, delay)

    def _resend(self, remains: Remains) -> None:
        """A retransmission matching ``remains``: its bytes (a final response, an ACK) sent
        again, parsed afresh (only a loss causes this); none, absorbed. Remains that cannot
        send end there (no transaction is left to tell the TU of)."""
        data = remains[DATA]
        if data is None:
            return
        try:
            self._wiring.transport.send(parse_message(data), peer_of(remains))
        except (OSError, SipParseError):
            self._remnants.drop(remains)

    def _stand_in(self, remains: Remains) -> InviteServerTransaction:
        """The INVITE server transaction ``remains`` stand for, made again for a CANCEL that
        matches them (the TU answers it 200 with the To tag of the INVITE's final response)."""
        return InviteServerTransaction.left(
            self._wiring,
            peer_of(remains),
            self._release_one,
            confirmed=remains[KIND] == Left.CONFIRMED,
            final_to=remains[TO],
            until=remains[UNTIL],
        )

    def _release(self, transaction: TransactionBase) -> None:
        keys = self._keys.pop(transaction, None)
        if keys is None:
            return
        key, merge_key = keys
        if key is None:
            client_key = self._client_keys.pop(transaction)
            if self._clients.get(client_key) is transaction:
                del self._clients[client_key]
        elif self._servers.get(key) is transaction:
            del self._servers[key]
        if merge_key is not None and self._merge.get(merge_key) is transaction:
            del self._merge[merge_key]
