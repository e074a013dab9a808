"""Server transactions: INVITE (RFC 3261 §17.2.1 with the Accepted state of RFC 6026 §8.7) and
non-INVITE (§17.2.2). The TU answers through :meth:`respond`; the transaction layer feeds in
retransmitted requests and ACKs."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.transaction_base import Left, Leftover, TimerName, TransactionBase, Wiring
from fleet.sip.transaction_messages import make_trying
from fleet.sip.transport_types import Peer
from fleet.sip.values import parse_name_addr


class InviteServerState(Enum):
    PROCEEDING = "Proceeding"
    COMPLETED = "Completed"
    CONFIRMED = "Confirmed"
    ACCEPTED = "Accepted"
    TERMINATED = "Terminated"


class NonInviteServerState(Enum):
    TRYING = "Trying"
    PROCEEDING = "Proceeding"
    COMPLETED = "Completed"
    TERMINATED = "Terminated"


class InviteServerTransaction(TransactionBase):
    """Proceeding: 100 Trying unless the TU answers within 200 ms; a retransmitted INVITE gets
    the last provisional again. A 2xx moves to Accepted (INVITE retransmissions absorbed, 2xx
    retransmissions of the UAS core passed through, ACKs to the TU, until timer L); a 300-699 to
    Completed, where it is retransmitted on timer G (T1 doubling up to T2) and on each INVITE
    retransmission until the ACK (then Confirmed, absorbing ACKs until timer I) or timer H.

    Once its final response is sent and its request let go (an RFC 3261 branch), it keeps only
    what it may still need: the final response's bytes while it may be resent (Completed, parsed
    again for each resend, which only a loss causes) and its To (the tag a CANCEL's 200 and an
    RFC 2543 ACK carry); nothing in Accepted and Confirmed, which resend nothing. So the
    transactions lingering for their timers hold almost nothing the garbage collector must
    traverse."""

    __slots__ = ("_final", "_final_to", "_state", "last_response")

    def __init__(
        self,
        wiring: Wiring,
        request: Request | None,
        peer: Peer,
        release: Callable[[TransactionBase], None],
    ) -> None:
        super().__init__(wiring, request, peer, release)
        self._state = InviteServerState.PROCEEDING
        self.last_response: Response | None = None  # until let go (then _final, _final_to)
        self._final: bytes | None = None  # the final response to resend in Completed
        self._final_to: str | None = None  # the To of the final response once let go

    @classmethod
    def left(
        cls,
        wiring: Wiring,
        peer: Peer,
        release: Callable[[TransactionBase], None],
        *,
        confirmed: bool,
        final_to: str | None,
        until: float,
    ) -> InviteServerTransaction:
        """The transaction a leftover of the layer stands for (:meth:`_leftover`), made again
        for a CANCEL that matches it: Accepted (or Confirmed), its request let go, its final
        response's To kept, terminated at ``until``."""
        transaction = cls(wiring, None, peer, release)
        state = InviteServerState.CONFIRMED if confirmed else InviteServerState.ACCEPTED
        transaction._state = state
        transaction._final_to = final_to
        transaction._until = until
        return transaction

    @property
    def state(self) -> InviteServerState:
        """Its state (Terminated once it has waited out its last timer, left to the layer)."""
        return InviteServerState.TERMINATED if self._over() else self._state

    def _leftover(self) -> Leftover | None:
        if self._request is not None:
            return None  # RFC 2543 matching reads it
        if self._state is InviteServerState.ACCEPTED:
            return (Left.ACCEPTED, None, self._final_to)
        if self._state is InviteServerState.CONFIRMED:
            return (Left.CONFIRMED, None, self._final_to)
        return None

    def start(self) -> None:
        """Called once the TU has seen the INVITE: the 100 Trying timer, unless it answered."""
        if self._state is InviteServerState.PROCEEDING and self.last_response is None:
            self._start_timer(TimerName.TRYING, self._wiring.timers.trying_delay, self._send_trying)

    def _send_trying(self) -> None:
        if self._state is InviteServerState.PROCEEDING and self.last_response is None:
            self.last_response = make_trying(self.request)
            self._send(self.last_response)

    @property
    def to_tag(self) -> str | None:
        """The To tag of the last response sent (what an RFC 2543 ACK must carry)."""
        if self.last_response is None:
            if self._final_to is None:
                return None
            return parse_name_addr(self._final_to).tag
        to = self.last_response.to
        return None if to is None else to.tag

    def respond(self, response: Response) -> bool:
        """Send a response from the TU; False when the state does not allow it (dropped)."""
        status = response.status
        if self._until is not None and self._over():
            return False  # terminated, left to the layer
        if self._state is InviteServerState.ACCEPTED and 200 <= status < 300:
            return self._send(response)  # the UAS core retransmits its 2xx (RFC 6026 §8.7)
        if self._state is not InviteServerState.PROCEEDING:
            return False
        if self._handles:
            self._stop_timer(TimerName.TRYING)
        self.last_response = response
        timers = self._wiring.timers
        if status < 200:
            return self._send(response)
        if status < 300:
            self._state = InviteServerState.ACCEPTED
            sent = self._send(response)
            if self._state is InviteServerState.ACCEPTED:  # not ended by a failed send
                self._let_go_of_request()
                if self._request is None:
                    # nothing resends it or matches on it (RFC 2543 ACKs do): not kept
                    self._let_go_of_response(response, keep=False)
                self._wait_then_terminate(TimerName.L, timers.l)  # then it ends
            return sent
        self._state = InviteServerState.COMPLETED
        if not self._send(response):
            return False
        self._let_go_of_request()
        if self._request is None:
            self._let_go_of_response(response, keep=True)
        if not self.reliable:
            self._start_timer(TimerName.G, timers.g, lambda: self._retransmit(timers.g))
        self._start_timer(TimerName.H, timers.h, self._timer_h)
        return True

    def _let_go_of_response(self, response: Response, *, keep: bool) -> None:
        """Keep the final response's To, and its bytes when it may be resent (``keep``)."""
        self._final_to = response.headers.get("To")
        self._final = serialize(response) if keep else None
        self.last_response = None

    def _final_response(self) -> Response | None:
        """The final response to resend in Completed (parsed again once let go)."""
        if self._final is not None:
            again = parse_message(self._final)
            return again if isinstance(again, Response) else None
        return self.last_response

    def _retransmit(self, interval: float) -> None:
        if self._state is not InviteServerState.COMPLETED:
            return
        final = self._final_response()
        if final is not None and self._send(final):
            following = self._wiring.timers.doubled(interval)
            self._start_timer(TimerName.G, following, lambda: self._retransmit(following))

    def _timer_h(self) -> None:
        if self._state is InviteServerState.COMPLETED:
            self._time_out()  # the ACK never came

    def receive_retransmission(self, request: Request) -> None:
        if self._state is InviteServerState.PROCEEDING:
            if self.last_response is None:
                self._stop_timer(TimerName.TRYING)
                self._send_trying()
            else:
                self._send(self.last_response)
        elif self._state is InviteServerState.COMPLETED:
            final = self._final_response()
            if final is not None:
                self._send(final)
        # Accepted and Confirmed absorb it

    def receive_ack(self, ack: Request) -> None:
        if self._state is InviteServerState.COMPLETED:
            self._state = InviteServerState.CONFIRMED
            self._final = None  # nothing is resent from now on
            self._stop_timer(TimerName.G)
            self._stop_timer(TimerName.H)
            self._wait_then_terminate(TimerName.I, self._wiring.timers.i(self.reliable))
        elif self._state is InviteServerState.ACCEPTED:
            self._wiring.tu.on_ack(ack, self)
        # Confirmed absorbs ACK retransmissions; Proceeding has nothing to acknowledge

    def _terminate(self) -> None:
        if self._state is not InviteServerState.TERMINATED:
            self._state = InviteServerState.TERMINATED
            self._finish()


class NonInviteServerTransaction(TransactionBase):
    """Trying absorbs retransmitted requests; Proceeding answers them with the last provisional,
    Completed with the final response until timer J (64*T1, zero when reliable): kept as bytes
    once the request is let go (parsed again for each resend, which only a loss causes)."""

    __slots__ = ("_final", "_state", "last_response")

    def __init__(
        self,
        wiring: Wiring,
        request: Request,
        peer: Peer,
        release: Callable[[TransactionBase], None],
    ) -> None:
        super().__init__(wiring, request, peer, release)
        self._state = NonInviteServerState.TRYING
        self.last_response: Response | None = None
        self._final: bytes | None = None  # the final response, once let go

    @property
    def state(self) -> NonInviteServerState:
        """Its state (Terminated once it has waited out its last timer, left to the layer)."""
        return NonInviteServerState.TERMINATED if self._over() else self._state

    def _leftover(self) -> Leftover | None:
        if self._request is not None or self._final is None:
            return None
        return (Left.COMPLETED, self._final, None)

    def start(self) -> None:
        """Nothing to do before the TU answers (the layer's start protocol)."""

    def respond(self, response: Response) -> bool:
        if self._state not in (NonInviteServerState.TRYING, NonInviteServerState.PROCEEDING):
            return False  # a second final response is discarded
        self.last_response = response
        if response.status < 200:
            self._state = NonInviteServerState.PROCEEDING
            return self._send(response)
        self._state = NonInviteServerState.COMPLETED
        if not self._send(response):
            return False
        self._let_go_of_request()
        if self._request is None and not self.reliable:  # kept for timer J only to be resent
            self._final = serialize(response)
            self.last_response = None
        self._wait_then_terminate(TimerName.J, self._wiring.timers.j(self.reliable))
        return True

    def receive_retransmission(self, request: Request) -> None:
        if self._state in (NonInviteServerState.TRYING, NonInviteServerState.TERMINATED):
            return
        last = self.last_response
        if self._final is not None:
            again = parse_message(self._final)
            last = again if isinstance(again, Response) else None
        if last is not None:
            self._send(last)

    def _terminate(self) -> None:
        if self._state is not NonInviteServerState.TERMINATED:
            self._state = NonInviteServerState.TERMINATED
            self._finish()


ServerTransaction = InviteServerTransaction | NonInviteServerTransaction
