"""Client transactions: INVITE (RFC 3261 §17.1.1 with the Accepted state of RFC 6026 §8.4) and
non-INVITE (§17.1.2)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.transaction_base import Left, Leftover, TimerName, TransactionBase, Wiring
from fleet.sip.transaction_messages import build_ack
from fleet.sip.transport_types import Peer


class InviteClientState(Enum):
    CALLING = "Calling"
    PROCEEDING = "Proceeding"
    COMPLETED = "Completed"
    ACCEPTED = "Accepted"
    TERMINATED = "Terminated"


class NonInviteClientState(Enum):
    TRYING = "Trying"
    PROCEEDING = "Proceeding"
    COMPLETED = "Completed"
    TERMINATED = "Terminated"


class InviteClientTransaction(TransactionBase):
    """Calling: the INVITE is retransmitted on timer A (T1, doubling) until a response or
    timer B (64*T1). A 1xx moves to Proceeding; a 300-699 to Completed, where the transaction
    ACKs it (and each retransmission of it) until timer D; a 2xx to Accepted, where each 2xx
    retransmission goes up to the TU, whose core sends the ACK, until timer M.

    Once a final response has come it lets go of its request (nothing resends it): in Completed
    it keeps only its ACK's bytes (parsed again for each resend, which only a loss causes), in
    Accepted nothing, so the transactions lingering for timer D or M hold almost nothing the
    garbage collector must traverse; :attr:`request` is not to be read then."""

    __slots__ = ("_ack", "_state")

    def __init__(
        self,
        wiring: Wiring,
        request: Request,
        peer: Peer,
        release: Callable[[TransactionBase], None],
    ) -> None:
        super().__init__(wiring, request, peer, release)
        self._state = InviteClientState.CALLING
        self._ack: bytes | None = None  # the ACK of a non-2xx final, to resend in Completed

    @property
    def state(self) -> InviteClientState:
        """Its state (Terminated once it has waited out its last timer, left to the layer)."""
        return InviteClientState.TERMINATED if self._over() else self._state

    def _leftover(self) -> Leftover | None:
        if self._state is InviteClientState.COMPLETED and self._ack is not None:
            return (Left.ACKED, self._ack, None)
        return None  # Accepted passes 2xx retransmissions to the TU

    def start(self) -> None:
        if not self._send(self.request):
            return
        timers = self._wiring.timers
        if not self.reliable:
            self._start_timer(TimerName.A, timers.a, lambda: self._retransmit(timers.a))
        self._start_timer(TimerName.B, timers.b, self._timer_b)

    def _retransmit(self, interval: float) -> None:
        if self._state is not InviteClientState.CALLING:
            return
        if self._send(self.request):
            doubled = 2 * interval
            self._start_timer(TimerName.A, doubled, lambda: self._retransmit(doubled))

    def _timer_b(self) -> None:
        if self._state is InviteClientState.CALLING:
            self._time_out()

    def receive_response(self, response: Response) -> None:
        status = response.status
        tu = self._wiring.tu
        if self._state in (InviteClientState.CALLING, InviteClientState.PROCEEDING):
            self._stop_timer(TimerName.A)
            self._stop_timer(TimerName.B)
            if status < 200:
                self._state = InviteClientState.PROCEEDING
                tu.on_response(self, response)
            elif status < 300:
                self._state = InviteClientState.ACCEPTED
                tu.on_response(self, response)
                self._request = None
                if self._state is InviteClientState.ACCEPTED:  # not ended by the TU: timer M
                    self._wait_then_terminate(TimerName.M, self._wiring.timers.m)
            else:
                self._state = InviteClientState.COMPLETED
                ack = build_ack(self.request, response)
                tu.on_response(self, response)
                self._request = None
                if self._send(ack):
                    self._ack = serialize(ack)
                    self._wait_then_terminate(TimerName.D, self._wiring.timers.d(self.reliable))
        elif self._state is InviteClientState.COMPLETED:
            if status >= 300 and self._ack is not None:
                again = parse_message(self._ack)  # the ACK was lost: again, TU not told
                if isinstance(again, Request):
                    self._send(again)
        elif self._state is InviteClientState.ACCEPTED and 200 <= status < 300:
            tu.on_response(self, response)

    def hand_over(self) -> None:
        """Accepted: the TU's core has sent the ACK and keeps what answering a retransmitted
        2xx takes until timer M itself (:mod:`fleet.sip.ua_acks`: a 2xx matching no
        transaction reaches it as a stray response and is ACKed again, or, from another fork,
        ACKed and BYEd). The transaction then ends at once instead of lingering 64*T1 to pass
        those retransmissions up (RFC 6026 §8.4 leaves that to the core either way); in any
        other state nothing happens."""
        if self._state is InviteClientState.ACCEPTED:
            self._terminate()

    def _terminate(self) -> None:
        if self._state is not InviteClientState.TERMINATED:
            self._state = InviteClientState.TERMINATED
            self._finish()


class NonInviteClientTransaction(TransactionBase):
    """Trying: the request is retransmitted on timer E (T1, doubling up to T2), every T2 once
    in Proceeding, until a final response or timer F (64*T1). Completed absorbs response
    retransmissions until timer K, having let go of its request."""

    __slots__ = ("_state",)

    def __init__(
        self,
        wiring: Wiring,
        request: Request,
        peer: Peer,
        release: Callable[[TransactionBase], None],
    ) -> None:
        super().__init__(wiring, request, peer, release)
        self._state = NonInviteClientState.TRYING

    @property
    def state(self) -> NonInviteClientState:
        """Its state (Terminated once it has waited out its last timer, left to the layer)."""
        return NonInviteClientState.TERMINATED if self._over() else self._state

    def _leftover(self) -> Leftover | None:
        if self._state is NonInviteClientState.COMPLETED:
            return (Left.RESPONDED, None, None)
        return None

    def start(self) -> None:
        if not self._send(self.request):
            return
        timers = self._wiring.timers
        if not self.reliable:
            self._start_timer(TimerName.E, timers.e, lambda: self._retransmit(timers.e))
        self._start_timer(TimerName.F, timers.f, self._timer_f)

    def _retransmit(self, interval: float) -> None:
        if self._state is NonInviteClientState.TRYING:
            following = self._wiring.timers.doubled(interval)
        elif self._state is NonInviteClientState.PROCEEDING:
            following = self._wiring.timers.t2
        else:
            return
        if self._send(self.request):
            self._start_timer(TimerName.E, following, lambda: self._retransmit(following))

    def _timer_f(self) -> None:
        if self._state in (NonInviteClientState.TRYING, NonInviteClientState.PROCEEDING):
            self._time_out()

    def receive_response(self, response: Response) -> None:
        if self._state not in (NonInviteClientState.TRYING, NonInviteClientState.PROCEEDING):
            return  # Completed absorbs retransmitted final responses
        if response.status < 200:
            self._state = NonInviteClientState.PROCEEDING
            self._wiring.tu.on_response(self, response)
            return
        self._state = NonInviteClientState.COMPLETED
        self._stop_timer(TimerName.E)
        self._stop_timer(TimerName.F)
        self._wiring.tu.on_response(self, response)
        if self._state is NonInviteClientState.COMPLETED:
            self._request = None  # nothing resends it
            self._wait_then_terminate(TimerName.K, self._wiring.timers.k(self.reliable))

    def _terminate(self) -> None:
        if self._state is not NonInviteClientState.TERMINATED:
            self._state = NonInviteClientState.TERMINATED
            self._finish()


ClientTransaction = InviteClientTransaction | NonInviteClientTransaction
