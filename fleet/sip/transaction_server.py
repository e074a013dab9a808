"""Server transactions: INVITE (RFC 3261 §17.2.1 with the Accepted state of RFC 6026 §8.7) and
non-INVITE (§17.2.2). The TU answers through :meth:`respond`; the transaction layer feeds in
retransmitted requests and ACKs."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from fleet.sip.message import Request, Response
from fleet.sip.transaction_base import TimerName, TransactionBase, Wiring
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
    retransmission until the ACK (then Confirmed, absorbing ACKs until timer I) or timer H."""

    __slots__ = ("_accepted_to", "last_response", "state")

    def __init__(
        self,
        wiring: Wiring,
        request: Request,
        peer: Peer,
        release: Callable[[TransactionBase], None],
    ) -> None:
        super().__init__(wiring, request, peer, release)
        self.state = InviteServerState.PROCEEDING
        self.last_response: Response | None = None
        self._accepted_to: str | None = None  # the To of our 2xx, once it is no longer kept

    def start(self) -> None:
        """Called once the TU has seen the INVITE: the 100 Trying timer, unless it answered."""
        if self.state is InviteServerState.PROCEEDING and self.last_response is None:
            self._start_timer(TimerName.TRYING, self._wiring.timers.trying_delay, self._send_trying)

    def _send_trying(self) -> None:
        if self.state is InviteServerState.PROCEEDING and self.last_response is None:
            self.last_response = make_trying(self.request)
            self._send(self.last_response)

    @property
    def to_tag(self) -> str | None:
        """The To tag of the last response sent (what an RFC 2543 ACK must carry)."""
        if self.last_response is None:
            if self._accepted_to is None:
                return None
            return parse_name_addr(self._accepted_to).tag
        to = self.last_response.to
        return None if to is None else to.tag

    def respond(self, response: Response) -> bool:
        """Send a response from the TU; False when the state does not allow it (dropped)."""
        status = response.status
        if self.state is InviteServerState.ACCEPTED and 200 <= status < 300:
            return self._send(response)  # the UAS core retransmits its 2xx (RFC 6026 §8.7)
        if self.state is not InviteServerState.PROCEEDING:
            return False
        if self._handles:
            self._stop_timer(TimerName.TRYING)
        self.last_response = response
        timers = self._wiring.timers
        if status < 200:
            return self._send(response)
        if status < 300:
            self.state = InviteServerState.ACCEPTED
            self._start_timer(TimerName.L, timers.l, None)  # then it ends
            sent = self._send(response)
            self._let_go_of_request()
            if self._request is None:
                # nothing resends it or matches on it (RFC 2543 ACKs do): not kept for timer L
                self._accepted_to = response.headers.get("To")
                self.last_response = None
            return sent
        self.state = InviteServerState.COMPLETED
        if not self._send(response):
            return False
        self._let_go_of_request()
        if not self.reliable:
            self._start_timer(TimerName.G, timers.g, lambda: self._retransmit(timers.g))
        self._start_timer(TimerName.H, timers.h, self._timer_h)
        return True

    def _retransmit(self, interval: float) -> None:
        if self.state is not InviteServerState.COMPLETED or self.last_response is None:
            return
        if self._send(self.last_response):
            following = self._wiring.timers.doubled(interval)
            self._start_timer(TimerName.G, following, lambda: self._retransmit(following))

    def _timer_h(self) -> None:
        if self.state is InviteServerState.COMPLETED:
            self._time_out()  # the ACK never came

    def receive_retransmission(self, request: Request) -> None:
        if self.state is InviteServerState.PROCEEDING:
            if self.last_response is None:
                self._stop_timer(TimerName.TRYING)
                self._send_trying()
            else:
                self._send(self.last_response)
        elif self.state is InviteServerState.COMPLETED and self.last_response is not None:
            self._send(self.last_response)
        # Accepted and Confirmed absorb it

    def receive_ack(self, ack: Request) -> None:
        if self.state is InviteServerState.COMPLETED:
            self.state = InviteServerState.CONFIRMED
            self._stop_timer(TimerName.G)
            self._stop_timer(TimerName.H)
            self._wait_then_terminate(TimerName.I, self._wiring.timers.i(self.reliable))
        elif self.state is InviteServerState.ACCEPTED:
            self._wiring.tu.on_ack(ack, self)
        # Confirmed absorbs ACK retransmissions; Proceeding has nothing to acknowledge

    def _terminate(self) -> None:
        if self.state is not InviteServerState.TERMINATED:
            self.state = InviteServerState.TERMINATED
            self._finish()


class NonInviteServerTransaction(TransactionBase):
    """Trying absorbs retransmitted requests; Proceeding answers them with the last provisional,
    Completed with the final response until timer J (64*T1, zero when reliable)."""

    __slots__ = ("last_response", "state")

    def __init__(
        self,
        wiring: Wiring,
        request: Request,
        peer: Peer,
        release: Callable[[TransactionBase], None],
    ) -> None:
        super().__init__(wiring, request, peer, release)
        self.state = NonInviteServerState.TRYING
        self.last_response: Response | None = None

    def start(self) -> None:
        """Nothing to do before the TU answers (the layer's start protocol)."""

    def respond(self, response: Response) -> bool:
        if self.state not in (NonInviteServerState.TRYING, NonInviteServerState.PROCEEDING):
            return False  # a second final response is discarded
        self.last_response = response
        if response.status < 200:
            self.state = NonInviteServerState.PROCEEDING
            return self._send(response)
        self.state = NonInviteServerState.COMPLETED
        if not self._send(response):
            return False
        self._let_go_of_request()
        if self._request is None:  # kept for timer J only to be resent, seldom: unparsed
            response.headers.forget_typed()
        self._wait_then_terminate(TimerName.J, self._wiring.timers.j(self.reliable))
        return True

    def receive_retransmission(self, request: Request) -> None:
        if self.state is NonInviteServerState.TRYING or self.last_response is None:
            return
        if self.state is not NonInviteServerState.TERMINATED:
            self._send(self.last_response)

    def _terminate(self) -> None:
        if self.state is not NonInviteServerState.TERMINATED:
            self.state = NonInviteServerState.TERMINATED
            self._finish()


ServerTransaction = InviteServerTransaction | NonInviteServerTransaction
