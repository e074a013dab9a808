"""Overload control of the SIP stack: past a bound on server transactions in flight or on the
event loop's lag, a new INVITE is refused **503 Service Unavailable** with ``Retry-After``
(RFC 3261 §21.5.4) while the work already accepted completes.

- :class:`OverloadGuard` decides, from the count of live server transactions (the transaction
  layer's ``server_transactions``, the new INVITE's own included) and the latest lag measured
  (:class:`fleet.sip.loadwatch.LagMonitor`). It starts shedding when either goes *above* its
  limit and admits again only once both are back *at or below* ``resume_ratio`` of their limits,
  so it does not flap around one mark.
- Only a new call is judged: an INVITE without To tag. A retransmission never reaches the TU (its
  transaction absorbs it), and ACK, CANCEL, BYE, OPTIONS, any other method and every in-dialog
  request (To tag present, re-INVITE included) are admitted: they finish or probe work already
  accepted, and OPTIONS keep telling a peer this node is alive.
- :class:`GuardedUser` applies it where new requests reach the TU. The 503 is sent **through the
  INVITE server transaction the layer already created**, not statelessly: over UDP the
  transaction retransmits it until the ACK (timer G), answers each retransmission of the INVITE
  with it again (one 503 per retransmission) without calling the TU, and absorbs the ACK; the
  shed transaction lives T4 after that ACK over UDP and ends on it over TCP. A stateless 503
  would run each retransmission through the guard again, and one arriving after the load fell
  would reach the TU as a new call the peer already gave up on.

Shed transactions do **not** count in flight: a shed INVITE's transaction lives on (timer G/H
until the ACK, then timer I, T4 over UDP) but holds no call, and counting it would make shedding
feed itself: under a flood the 503s alone would keep the count above the low mark long after
the accepted calls ended. :class:`GuardedUser` keeps the shed transactions still alive and the
guard subtracts them (:meth:`OverloadGuard.discount`).

The lag read is the :class:`fleet.sip.loadwatch.LagMonitor`'s smoothed one: one slow tick does
not start shedding, a loop late wake-up after wake-up does."""

from __future__ import annotations

import logging
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from fleet.sip.message import Request, Response
from fleet.sip.transaction_base import TransactionBase
from fleet.sip.transaction_client import ClientTransaction
from fleet.sip.transaction_messages import make_response, new_tag
from fleet.sip.transaction_ports import TransactionUser
from fleet.sip.transaction_server import (
    InviteServerState,
    InviteServerTransaction,
    NonInviteServerState,
    NonInviteServerTransaction,
    ServerTransaction,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Limits:
    """``max_transactions`` live server transactions (the new INVITE's included) and
    ``max_lag`` seconds of event-loop lag before new INVITEs are shed; ``retry_after`` whole
    seconds in the 503; ``resume_ratio`` of both limits to fall to before admitting again."""

    max_transactions: int = 2000
    max_lag: float = 0.5
    retry_after: int = 5
    resume_ratio: float = 0.8

    def __post_init__(self) -> None:
        if self.max_transactions < 1:
            raise ValueError("max_transactions must be at least 1")
        if not self.max_lag > 0:
            raise ValueError("max_lag must be more than 0 seconds")
        if self.retry_after < 0:
            raise ValueError("retry_after must not be negative")
        if not 0 <= self.resume_ratio < 1:
            raise ValueError("resume_ratio must be at least 0 and less than 1")

    @property
    def resume_transactions(self) -> int:
        return int(self.max_transactions * self.resume_ratio)

    @property
    def resume_lag(self) -> float:
        return self.max_lag * self.resume_ratio


class Cause(Enum):
    TRANSACTIONS = "transactions in flight"
    LAG = "event-loop lag"


@dataclass(frozen=True, slots=True)
class Admit:
    """Hand the request to the TU."""


@dataclass(frozen=True, slots=True)
class Shed:
    """Refuse it 503 with ``Retry-After: retry_after``; ``cause`` says which limit started it."""

    retry_after: int
    cause: Cause


ADMIT = Admit()
Decision = Admit | Shed


def is_new_call(request: Request) -> bool:
    """An INVITE outside any dialog: the only request overload control may refuse."""
    to = request.to
    return request.method == "INVITE" and (to is None or to.tag is None)


def _no_discount() -> int:
    return 0


class OverloadGuard:
    """Judges new calls against :class:`Limits`; ``transactions`` and ``lag`` read the current
    load each time a new INVITE is judged, less what :meth:`discount` names (the shed
    transactions still alive). ``shed`` counts the INVITEs refused."""

    def __init__(
        self, limits: Limits, transactions: Callable[[], int], lag: Callable[[], float]
    ) -> None:
        self.limits = limits
        self._transactions = transactions
        self._lag = lag
        self._discount: Callable[[], int] = _no_discount
        self._cause: Cause | None = None
        self.shed = 0

    def discount(self, transactions: Callable[[], int]) -> None:
        """Live transactions that are not load (the 503s' own): subtracted from the count."""
        self._discount = transactions

    @property
    def in_flight(self) -> int:
        """The server transactions the guard counts now."""
        return max(0, self._transactions() - self._discount())

    @property
    def shedding(self) -> bool:
        return self._cause is not None

    def admit(self, request: Request) -> Decision:
        if not is_new_call(request):
            return ADMIT
        self._update()
        if self._cause is None:
            return ADMIT
        self.shed += 1
        return Shed(self.limits.retry_after, self._cause)

    def _update(self) -> None:
        limits = self.limits
        transactions = self.in_flight
        lag = self._lag()
        if self._cause is None:
            if transactions > limits.max_transactions:
                self._cause = Cause.TRANSACTIONS
            elif lag > limits.max_lag:
                self._cause = Cause.LAG
            if self._cause is not None:
                log.warning(
                    "SIP overload: shedding new INVITEs (%s; %d transactions, lag %.3f s)",
                    self._cause.value,
                    transactions,
                    lag,
                )
        elif transactions <= limits.resume_transactions and lag <= limits.resume_lag:
            log.warning(
                "SIP overload over: admitting new INVITEs (%d transactions, lag %.3f s, %d shed)",
                transactions,
                lag,
                self.shed,
            )
            self._cause = None


def overload_response(request: Request, retry_after: int) -> Response:
    response = make_response(request, 503, "Service Unavailable", to_tag=new_tag())
    response.headers.add("Retry-After", str(retry_after))
    return response


_SWEEP_MIN = 64
_ENDED = (InviteServerState.TERMINATED, NonInviteServerState.TERMINATED)


def _ended(transaction: ServerTransaction) -> bool:
    return transaction.state in _ENDED


class GuardedUser:
    """The TU the layer calls when overload control is on: a new INVITE the guard sheds is
    answered 503 through its server transaction; everything else goes to ``inner``, except the
    timeout or transport error of a shed transaction, which ``inner`` never saw."""

    def __init__(self, inner: TransactionUser, guard: OverloadGuard) -> None:
        self.inner = inner
        self.guard = guard
        self._shed: weakref.WeakSet[TransactionBase] = weakref.WeakSet()
        self._alive: deque[ServerTransaction] = deque()  # shed, oldest first
        self._sweep_at = _SWEEP_MIN
        self._reads = 0
        guard.discount(self.shed_alive)

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
        decision = self.guard.admit(request)
        if isinstance(decision, Shed):
            self._shed.add(transaction)
            self._alive.append(transaction)
            transaction.respond(overload_response(request, decision.retry_after))
            return
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
        if transaction not in self._shed:
            self.inner.on_timeout(transaction)

    def on_transport_error(self, transaction: TransactionBase) -> None:
        if transaction not in self._shed:
            self.inner.on_transport_error(transaction)
