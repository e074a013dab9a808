"""What every transaction shares: its wiring to the ports, its named timers and how it ends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, IntEnum

from fleet.sip.linger import Linger
from fleet.sip.message import Request, Response
from fleet.sip.timers import TimerConfig
from fleet.sip.transaction_ports import Scheduler, TimerHandle, TransactionUser, Transport
from fleet.sip.transport_types import Peer


class TimerName(Enum):
    A = "A"
    B = "B"
    D = "D"
    E = "E"
    F = "F"
    G = "G"
    H = "H"
    I = "I"  # noqa: E741 - the RFC's name
    J = "J"
    K = "K"
    L = "L"
    M = "M"
    TRYING = "100 Trying"


def _end(transaction: TransactionBase) -> None:
    transaction._terminate()


class Lingers:
    """The transactions waiting out timers D, I, J, K, L and M as objects, which only end them
    (those that leave a plain value instead wait in the layer's
    :class:`fleet.sip.transaction_remains.Remnants`): one :class:`fleet.sip.linger.Linger`
    per delay (each timer's value is fixed per transport) rather than a timer, a handle and a
    callback object per transaction."""

    __slots__ = ("_by_delay", "_scheduler")

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._by_delay: dict[float, Linger[TransactionBase]] = {}

    def add(self, transaction: TransactionBase, delay: float) -> None:
        linger = self._by_delay.get(delay)
        if linger is None:
            linger = self._by_delay[delay] = Linger(self._scheduler, delay, _end)
        linger.add(transaction)

    def __len__(self) -> int:
        """Transactions waiting (those ended early included, until their time)."""
        return sum(len(linger) for linger in self._by_delay.values())


class Left(IntEnum):
    """What the plain value a transaction leaves for its last timer answers (its kind, the first
    item of :data:`Leftover`)."""

    ACCEPTED = 0  # INVITE server, 2xx sent: INVITE retransmissions absorbed, ACKs to the TU
    CONFIRMED = 1  # INVITE server, its non-2xx ACKed: INVITE and ACK retransmissions absorbed
    COMPLETED = 2  # non-INVITE server: its final response (bytes) resent to each retransmission
    RESPONDED = 3  # non-INVITE client: retransmissions of its final response absorbed
    ACKED = 4  # INVITE client, non-2xx: its ACK (bytes) resent to each retransmission of it


Leftover = tuple[Left, bytes | None, str | None]
"""What a transaction leaves once it only waits out its last timer: its kind, the bytes it resends
(a final response, an ACK), the To of its final response (what a late CANCEL's 200 carries)."""


@dataclass(frozen=True, slots=True)
class Wiring:
    """The ports and timer values a transaction layer gives each of its transactions, and where
    they wait out their last timer."""

    scheduler: Scheduler
    transport: Transport
    tu: TransactionUser
    timers: TimerConfig
    lingers: Lingers
    # the layer: the transaction, what it leaves and its delay (``leave`` of the layer)
    leave: Callable[[TransactionBase, Leftover, float], None]


class _Fire:
    """A transaction timer's callback: forgets its handle, then runs ``callback``, or ends the
    transaction when that is None (timers D, I, J, K, L, M). One small object where a closure
    would take a function and three cells, or a bound method one more: many are alive, for up
    to 64*T1."""

    __slots__ = ("_callback", "_name", "_owner")

    def __init__(
        self, owner: TransactionBase, name: TimerName, callback: Callable[[], None] | None
    ) -> None:
        self._owner = owner
        self._name = name
        self._callback = callback

    def __call__(self) -> None:
        owner = self._owner
        handles = owner._handles
        if handles is not None:
            handles.pop(self._name, None)
            if not handles:
                owner._handles = None
        callback = self._callback
        if callback is None:
            owner._terminate()
        else:
            callback()


class TransactionBase:
    """A transaction sends to one peer over one transport (RFC 3261 §17.1.1.3, §18.2.2: the
    responses of a server transaction go where its request came from).

    Slotted (thousands live for 64*T1 at a time: no ``__dict__`` each for the collector to
    scan). A server transaction with an RFC 3261 branch lets go of its request once it has
    sent its final response (:meth:`_let_go_of_request`): it is matched by its key from then
    on and only resends its response (kept as bytes), so the request's headers and parsed values
    are not kept alive until its last timer; a client transaction lets go of its request once a
    final response came. :attr:`request` is not to be read after that."""

    __slots__ = (
        "__weakref__",
        "_handles",
        "_release",
        "_request",
        "_until",
        "_wiring",
        "peer",
        "reliable",
    )

    def __init__(
        self,
        wiring: Wiring,
        request: Request | None,
        peer: Peer,
        release: Callable[[TransactionBase], None],
    ) -> None:
        self._request: Request | None = request
        self.peer = peer
        self.reliable = peer.reliable
        self._wiring = wiring
        self._release = release
        # made by the first timer, dropped once none runs (a dict that held one entry keeps
        # 224 bytes: two transactions a call wait 32 s without a timer of their own)
        self._handles: dict[TimerName, TimerHandle] | None = None
        self._until: float | None = None  # once left to the layer: when its last timer ends

    @property
    def request(self) -> Request:
        """The request that started the transaction (a server transaction's, until it has sent
        its final response: :meth:`_let_go_of_request`)."""
        request = self._request
        if request is None:
            raise RuntimeError("this transaction no longer keeps its request")
        return request

    def _let_go_of_request(self) -> None:
        """Drop the request when nothing needs it any more: a top Via with an RFC 3261 branch
        (the transaction is matched by its key; RFC 2543 matching reads the request's To)."""
        request = self._request
        if request is not None:
            via = request.top_via
            if via is not None and via.is_rfc3261_branch:
                self._request = None

    @property
    def running_timers(self) -> frozenset[TimerName]:
        return frozenset(self._handles or ())

    def _start_timer(
        self, name: TimerName, delay: float, callback: Callable[[], None] | None
    ) -> None:
        """Start timer ``name``: ``callback`` when it fires, or the transaction ends (None)."""
        if self._handles is not None:
            self._stop_timer(name)  # may drop the dict when it held only that one
        handles = self._handles
        if handles is None:
            handles = self._handles = {}
        handles[name] = self._wiring.scheduler.call_later(delay, _Fire(self, name, callback))

    def _stop_timer(self, name: TimerName) -> None:
        handles = self._handles
        if handles is None:
            return
        handle = handles.pop(name, None)
        if handle is not None:
            handle.cancel()
        if not handles:
            self._handles = None

    def _wait_then_terminate(self, name: TimerName, delay: float) -> None:
        """Timers D, I, J, K, L, M (``name``), which only end the transaction; zero (reliable
        transport) terminates at once. Otherwise, when it can (:meth:`_leftover`), the
        transaction leaves the layer a plain value that answers what may still come until then
        (which the garbage collector does not track) and the layer forgets the object; it still
        answers the TU and reads as terminated once its time is up (:meth:`_over`). If not, it
        waits in the layer's :class:`Lingers` (no timer of its own)."""
        if delay <= 0:
            self._terminate()
            return
        # over TCP and TLS a send may fail later, which only the object can tell the TU
        leftover = None if self.reliable else self._leftover()
        if leftover is None:
            self._wiring.lingers.add(self, delay)
        else:
            self._until = self._wiring.scheduler.now() + delay
            self._wiring.leave(self, leftover, delay)

    def _leftover(self) -> Leftover | None:
        """What the transaction leaves for its last timer, or None when it must stay an object
        (it keeps its request: RFC 2543 matching; or it still passes something to the TU)."""
        return None

    def _over(self) -> bool:
        """Whether the transaction, left to the layer, has waited out its last timer."""
        until = self._until
        return until is not None and self._wiring.scheduler.now() >= until - 1e-9

    def _send(self, message: Request | Response) -> bool:
        """Send; on a transport error terminate and tell the TU (RFC 3261 §17.1.4, §17.2.4)."""
        try:
            self._wiring.transport.send(message, self.peer)
        except OSError:
            self.transport_failed()
            return False
        return True

    def transport_failed(self) -> None:
        """A message of this transaction could not be sent, at once or later (a connection to
        open, a name to resolve): it terminates and tells the TU (RFC 3261 §17.1.4, §17.2.4)."""
        self._terminate()
        self._wiring.tu.on_transport_error(self)

    def _time_out(self) -> None:
        self._terminate()
        self._wiring.tu.on_timeout(self)

    def _finish(self) -> None:
        handles, self._handles = self._handles, None
        for handle in (handles or {}).values():
            handle.cancel()
        self._release(self)

    def _terminate(self) -> None:
        raise NotImplementedError
