"""Where overload control meets the transaction layer: :class:`GuardedUser`, the TU the layer
calls when overload control is on, in front of the real one.

It judges new requests as they reach the TU (:meth:`fleet.sip.overload.OverloadGuard.admit`):
the INVITE that **starts** the shedding (and every one when no stack screens ahead of the
layer) is refused through the INVITE server transaction the layer already created: it
retransmits the 503 until the ACK (timer G), answers each retransmission of the INVITE with it
and absorbs the ACK. While the guard sheds, the stack refuses most new INVITEs statelessly
before the layer (:mod:`fleet.sip.overload_stateless`).

Shed transactions do **not** count as live: a shed INVITE's transaction lives on (timer G/H
until the ACK, then timer I) but holds no call, and counting it would make shedding feed
itself. :class:`GuardedUser` keeps those still alive and gives the guard their count
(:meth:`fleet.sip.overload.OverloadGuard.discount`), and the server transactions in progress
(:class:`InProgress`, what ``max_transactions`` bounds), and the new calls it admitted that are
still in setup (:class:`fleet.sip.overload_setup.InSetup`, what a setup window bounds)."""

from __future__ import annotations

import weakref
from collections import deque

from fleet.sip.message import Request, Response
from fleet.sip.overload import OverloadGuard, Shed, is_new_call
from fleet.sip.overload_setup import InSetup
from fleet.sip.transaction_base import TransactionBase
from fleet.sip.transaction_messages import make_response, new_tag
from fleet.sip.transaction_ports import TransactionUser
from fleet.sip.transaction_server import (
    InviteServerState,
    InviteServerTransaction,
    NonInviteServerState,
    ServerTransaction,
)
from fleet.sip.user_relay import UserRelay


def overload_response(request: Request, retry_after: int) -> Response:
    response = make_response(request, 503, "Service Unavailable", to_tag=new_tag())
    response.headers.add("Retry-After", str(retry_after))
    return response


_SWEEP_MIN = 64
_ENDED = (InviteServerState.TERMINATED, NonInviteServerState.TERMINATED)
_IN_PROGRESS = frozenset(
    {InviteServerState.PROCEEDING, NonInviteServerState.TRYING, NonInviteServerState.PROCEEDING}
)
_EXACT_BELOW = 32
_SWEEP_SHARE = 8


def _ended(transaction: ServerTransaction) -> bool:
    return transaction.state in _ENDED


def _answered(transaction: ServerTransaction) -> bool:
    return transaction.state not in _IN_PROGRESS


class InProgress:
    """The server transactions handed to the TU and not yet answered with a final response.
    Most are answered in the order they came, so the answered ones are dropped from the front
    at each read; behind one still waiting (a call ringing) the rest are dropped by a sweep of
    the queue, made at each read while it holds fewer than 32, else once reads since the last
    sweep reach an eighth of its length (amortised constant time per read). So the count read
    is exact or at most an eighth above the real one, never below."""

    def __init__(self) -> None:
        self._queue: deque[ServerTransaction] = deque()
        self._reads = 0

    def add(self, transaction: ServerTransaction) -> None:
        self._queue.append(transaction)

    def __len__(self) -> int:
        queue = self._queue
        while queue and _answered(queue[0]):
            queue.popleft()
        self._reads += 1
        if len(queue) < _EXACT_BELOW or self._reads * _SWEEP_SHARE >= len(queue):
            queue = self._queue = deque(t for t in queue if not _answered(t))
            self._reads = 0
        return len(queue)


class GuardedUser(UserRelay):
    """The TU the layer calls when overload control is on: a new INVITE the guard sheds is
    answered 503 through its server transaction; everything else goes to ``inner``, except the
    timeout or transport error of a shed transaction, which ``inner`` never saw."""

    def __init__(
        self, inner: TransactionUser, guard: OverloadGuard, in_setup: InSetup | None = None
    ) -> None:
        self.inner = inner
        self.guard = guard
        self._shed: weakref.WeakSet[TransactionBase] = weakref.WeakSet()
        self._alive: deque[ServerTransaction] = deque()  # shed, oldest first
        self._sweep_at = _SWEEP_MIN
        self._reads = 0
        self.in_progress = InProgress()
        self.in_setup = in_setup  # kept when a setup window reads it
        guard.discount(self.shed_alive)
        guard.count_pending(self.in_progress.__len__)

    def shed_alive(self) -> int:
        """Shed transactions not known to have ended. They mostly end in the order they were
        shed (ACK then timer I), so the ended ones are dropped from the front at each read; one
        that ends before an older one (timer I before another's timer H) is dropped by a sweep
        of the whole queue, made once it has doubled or been read as many times as it holds:
        amortised constant time per read. Until then it still counts as shed, so the load read
        is never more than the real one."""
        alive = self._alive
        while alive and _ended(alive[0]):
            alive.popleft()
        self._reads += 1
        if len(alive) > self._sweep_at or self._reads >= len(alive):
            alive = self._alive = deque(t for t in alive if not _ended(t))
            self._sweep_at = max(_SWEEP_MIN, 2 * len(alive))
            self._reads = 0
        return len(alive)

    def on_request(self, transaction: ServerTransaction, request: Request) -> None:
        self.in_progress.add(transaction)  # counted in progress while judged; a 503 answers it
        decision = self.guard.admit(request)
        if isinstance(decision, Shed):
            self._shed.add(transaction)
            self._alive.append(transaction)
            transaction.respond(overload_response(request, decision.retry_after))
            return
        in_setup = self.in_setup
        if (
            in_setup is not None
            and isinstance(transaction, InviteServerTransaction)
            and is_new_call(request)
        ):
            in_setup.add(transaction)
        self.inner.on_request(transaction, request)

    def on_timeout(self, transaction: TransactionBase) -> None:
        if transaction not in self._shed:
            self.inner.on_timeout(transaction)

    def on_transport_error(self, transaction: TransactionBase) -> None:
        if transaction not in self._shed:
            self.inner.on_transport_error(transaction)
