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
calls :meth:`on_request` and :meth:`on_response` for each message it received."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from fleet.sip.errors import SipParseError
from fleet.sip.message import Request, Response
from fleet.sip.timers import TimerConfig
from fleet.sip.transaction_base import Lingers, TransactionBase, Wiring
from fleet.sip.transaction_client import (
    ClientTransaction,
    InviteClientTransaction,
    NonInviteClientTransaction,
)
from fleet.sip.transaction_ports import Scheduler, TransactionUser, Transport
from fleet.sip.transaction_server import (
    InviteServerTransaction,
    NonInviteServerTransaction,
    ServerTransaction,
)
from fleet.sip.transport_types import Peer

ServerKey = tuple[Hashable, ...]
MergeKey = tuple[str | None, str | None, int, str]


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
        self._wiring = Wiring(scheduler, transport, tu, timers or TimerConfig(), Lingers(scheduler))
        self._clients: dict[tuple[str, str], ClientTransaction] = {}
        self._servers: dict[ServerKey, ServerTransaction] = {}
        self._merge: dict[MergeKey, ServerTransaction] = {}
        self._keys: dict[TransactionBase, tuple[ServerKey | None, MergeKey | None]] = {}
        self._client_keys: dict[TransactionBase, tuple[str, str]] = {}
        # one bound method shared by every transaction (not one more object each)
        self._release_one: Callable[[TransactionBase], None] = self._release

    def __len__(self) -> int:
        """Transactions alive (not terminated)."""
        return len(self._keys)

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
        if isinstance(message, Request):
            method = "INVITE" if message.method == "ACK" else message.method
            return None if via.branch is None else self._clients.get((via.branch, method))
        if via.is_rfc3261_branch:
            method = "INVITE" if cseq.method == "ACK" else cseq.method
            return self._servers.get(("rfc3261", via.branch, via.host.lower(), via.port, method))
        return next((t for t in self._servers.values() if t.last_response is message), None)

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
        found = self._servers.get(key)
        if found is not None and key[0] != "rfc3261":
            found = self._rfc2543_match(found, request, to_tag)
        tu = self._wiring.tu
        if method == "ACK":
            if isinstance(found, InviteServerTransaction):
                found.receive_ack(request)
            else:
                tu.on_ack(request, None)
            return
        if found is not None:
            found.receive_retransmission(request)
            return
        if method == "CANCEL":
            cancel = NonInviteServerTransaction(self._wiring, request, source, self._release_one)
            self._register(cancel, key, None)
            invite = self._find_server(server_key(request, "INVITE"), request, to_tag)
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
    ) -> ServerTransaction | None:
        found = self._servers.get(key)
        if found is None or key[0] == "rfc3261":
            return found
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
