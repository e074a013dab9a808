"""What the UA cores keep per INVITE: the outgoing call (UAC), the incoming call (UAS), the
re-INVITE or UPDATE (RFC 3311) in progress, the UAS core's retransmission of a 2xx until
its ACK (RFC 3261 §13.3.1.4), and what the application's offer hook returns for a received
re-INVITE, UPDATE or PRACK (:class:`Answer`, :class:`Refusal`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from fleet.sip.dialog import Dialog, DialogId
from fleet.sip.message import Request, Response
from fleet.sip.reliable import RAck
from fleet.sip.timers import TimerConfig
from fleet.sip.transaction_client import ClientTransaction
from fleet.sip.transaction_ports import Scheduler, TimerHandle
from fleet.sip.transaction_server import InviteServerTransaction, NonInviteServerTransaction


class OutgoingState(Enum):
    CALLING = "calling"
    EARLY = "early"  # a provisional with a To tag arrived
    CANCELLING = "cancelling"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


class IncomingState(Enum):
    PROCEEDING = "proceeding"
    EARLY = "early"  # we sent a provisional with our To tag
    ANSWERED = "answered"  # 2xx sent, waiting for the ACK
    CONFIRMED = "confirmed"  # ACK received
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    TERMINATED = "terminated"


@dataclass(eq=False, slots=True, weakref_slot=True)
class OutgoingCall:
    """An INVITE we sent outside a dialog. ``cancel_wanted`` holds a CANCEL back until a
    provisional arrives (§9.1); ``answer`` is the 2xx that confirmed :attr:`dialog` (its
    session description). ``on_reliable`` set: the application PRACKs each in-order reliable
    provisional itself (a B2BUA relaying its caller's PRACK); ``ack_later`` (sent without an
    offer): the 2xx's offer is answered in the ACK, ``offered`` that 2xx until then."""

    invite: Request
    transaction: ClientTransaction
    state: OutgoingState = OutgoingState.CALLING
    dialog: Dialog | None = None
    final_status: int | None = None
    answer: Response | None = None
    cancel_wanted: bool = False
    cancel_sent: bool = False
    provisional_seen: bool = False
    rseq: dict[DialogId, int] | None = None  # last in-order RSeq per dialog (made by the first)
    on_reliable: Callable[[Dialog, RAck], None] | None = None
    ack_later: bool = False
    offered: Response | None = None


@dataclass(eq=False, slots=True)
class IncomingCall:
    """An INVITE we received outside a dialog; ``local_tag`` is the To tag of every response."""

    invite: Request
    transaction: InviteServerTransaction
    local_tag: str
    state: IncomingState = IncomingState.PROCEEDING
    dialog: Dialog | None = None
    final_status: int | None = None


@dataclass(eq=False)
class ReInvite:
    """A re-INVITE (§14.1) or an UPDATE (RFC 3311) of ours, by ``method``; attempts counts the
    491 and 422 retries; ``interval`` is the Session-Expires a 422 made us ask for (RFC 4028
    §7.4), None for the session's own."""

    dialog: Dialog
    method: str = "INVITE"
    body: bytes = b""
    content_type: str | None = None
    attempts: int = 0
    transaction: ClientTransaction | None = None
    retry_at: list[float] = field(default_factory=list)
    final_status: int | None = None
    interval: int | None = None
    retry_glare: bool = True  # False: a 491 is final (a B2BUA relays it to its offerer)
    on_final: Callable[[ReInvite, Response | None], None] | None = None  # None: timed out
    ack_later: bool = False  # no offer sent: the 2xx's offer is answered in the ACK (ack_answer)
    offered: Response | None = None  # that 2xx, until the application gives its answer
    headers: tuple[tuple[str, str], ...] = ()  # added after ours (P-Access-Network-Info…)


@dataclass(frozen=True, slots=True)
class Answer:
    """The body of our 200 to a re-INVITE, UPDATE or PRACK (an SDP answer, or an offer when the
    re-INVITE carried none)."""

    body: bytes = b""
    content_type: str | None = "application/sdp"


@dataclass(frozen=True, slots=True)
class Refusal:
    """The offer is refused with ``status`` (488 Not Acceptable Here by default)."""

    status: int = 488


@dataclass(frozen=True, slots=True)
class Deferred:
    """The application answers later (:meth:`fleet.sip.ua_server.UasCore.answer_offer`): a
    re-INVITE, UPDATE or PRACK (its reliable provisional is acknowledged once answered)."""


DEFER = Deferred()

OfferHook = Callable[[Dialog, Request], Answer | Refusal | Deferred | None]
"""Called with the dialog and the received re-INVITE (always), UPDATE or PRACK (when they carry
a body; every matching PRACK when the UA's ``hooks_every_prack``); None keeps the default: a
200 without a body."""


InDialogHook = Callable[[Dialog, Request], int]
"""Called with the dialog and a received INFO, REFER or NOTIFY; returns the status to answer
(the application sends what follows, e.g. a REFER's NOTIFYs). Unset: INFO 200, the others 501."""


class OfferState(Enum):
    WAITING = "waiting for the application"
    ANSWERED = "answered"
    ENDED = "ended"  # CANCELled (487) or the dialog ended (487): a later answer is ignored


@dataclass(eq=False)
class PendingOffer:
    """A received re-INVITE or UPDATE whose answer the application deferred; its server
    transaction stays open (an INVITE's retransmissions get the 100 Trying again)."""

    dialog: Dialog
    request: Request
    transaction: InviteServerTransaction | NonInviteServerTransaction
    state: OfferState = OfferState.WAITING


class RetransmitState(Enum):
    WAITING = "waiting for ACK"
    ACKNOWLEDGED = "acknowledged"
    ABANDONED = "abandoned"


class AnswerRetransmitter:
    """§13.3.1.4: the UAS core sends its 2xx again after T1, doubling up to T2, until the ACK
    (:meth:`acknowledge`) or 64*T1, when it gives up and ``give_up`` runs (the core BYEs).
    One timer at a time: the next retransmission, or the deadline when that comes first.
    ``call`` is the incoming call the 2xx answers (None for a re-INVITE's 2xx): its ACK
    confirms it."""

    __slots__ = (
        "_deadline",
        "_give_up",
        "_handle",
        "_interval",
        "_scheduler",
        "_send",
        "_timers",
        "call",
        "response",
        "sent_at",
        "state",
    )

    def __init__(
        self,
        scheduler: Scheduler,
        timers: TimerConfig,
        response: Response,
        send: Callable[[Response], None],
        give_up: Callable[[], None],
        call: IncomingCall | None = None,
    ) -> None:
        self.state = RetransmitState.WAITING
        self.response = response
        now = scheduler.now()
        self.sent_at: list[float] = [now]
        self.call = call
        self._scheduler = scheduler
        self._timers = timers
        self._send = send
        self._give_up = give_up
        self._deadline = now + 64 * timers.t1
        self._interval = timers.t1
        # the pending timer only: it holds ``_fire``, a cycle through this object (and the
        # call, its dialog and messages) until let go once fired or stopped — then a call that
        # ends is freed by reference counting, not left for the collector's oldest generation
        self._handle: TimerHandle | None = scheduler.call_later(
            min(timers.t1, 64 * timers.t1), self._fire
        )

    def _fire(self) -> None:
        self._handle = None
        if self.state is not RetransmitState.WAITING:
            return
        now = self._scheduler.now()
        if now >= self._deadline - 1e-9:
            self.state = RetransmitState.ABANDONED
            self._give_up()
            return
        self.sent_at.append(now)
        self._send(self.response)
        self._interval = self._timers.doubled(self._interval)
        delay = min(self._interval, self._deadline - now)
        self._handle = self._scheduler.call_later(delay, self._fire)

    def acknowledge(self) -> None:
        self.stop(RetransmitState.ACKNOWLEDGED)

    def stop(self, state: RetransmitState = RetransmitState.ABANDONED) -> None:
        if self.state is RetransmitState.WAITING:
            self.state = state
            if self._handle is not None:
                self._handle.cancel()
                self._handle = None
