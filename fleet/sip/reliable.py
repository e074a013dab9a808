"""Reliable provisional responses (RFC 3262): the RSeq and RAck values, the option tag, and the
UAS side of one INVITE (:class:`ReliableProvisionals`).

A reliable provisional carries ``Require: 100rel`` and an ``RSeq`` (the first drawn in
1..2**31-1, then one more each, §3). The UAS sends it again after T1, doubling each time with
no T2 cap (§3 says only "doubles"), until the PRACK whose RAck names its RSeq, the INVITE's
CSeq number and INVITE; after 64*T1 without one the INVITE is rejected (the core answers 504).
One is outstanding at a time, later ones wait in order (§3). A 2xx to the INVITE is held back
while an unacknowledged reliable provisional carried a session description, and only then (§3:
the UAS MAY send any other final response before the PRACKs).

Pure code on the scheduler port, so it runs in virtual time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from fleet.sip.message import Message, Request, Response
from fleet.sip.timers import TimerConfig
from fleet.sip.transaction_ports import Scheduler, TimerHandle
from fleet.sip.transaction_server import InviteServerTransaction

REL100 = "100rel"
RSEQ_LIMIT = 2**32 - 1  # §7.1: response-num is 1*DIGIT up to 2**32 - 1
FIRST_RSEQ_LIMIT = 2**31 - 1  # §3: the first RSeq is chosen in 1..2**31 - 1


class Rel100(Enum):
    """What the INVITEs a UA sends say about reliable provisionals (RFC 3262 §4)."""

    NONE = "not mentioned"
    SUPPORTED = "Supported: 100rel"
    REQUIRED = "Require: 100rel"


@dataclass(frozen=True, slots=True)
class RAck:
    """``RAck: response-num CSeq-num Method`` (§7.2): which reliable provisional a PRACK
    acknowledges."""

    rseq: int
    cseq: int
    method: str

    def __str__(self) -> str:
        return f"{self.rseq} {self.cseq} {self.method}"


def _number(text: str, name: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= RSEQ_LIMIT:
        raise ValueError(f"{name} needs a number in 1..2**32-1, got {text!r}")
    return int(text)


def parse_rseq(value: str) -> int:
    return _number(value.strip(), "RSeq")


def parse_rack(value: str) -> RAck:
    parts = value.split()
    if len(parts) != 3:
        raise ValueError(f"RAck needs response-num, CSeq-num and method, got {value!r}")
    return RAck(_number(parts[0], "RAck"), _number(parts[1], "RAck"), parts[2])


def rseq_of(message: Message) -> int | None:
    """The RSeq, None when absent or malformed (the provisional is then not reliable)."""
    value = message.headers.get("RSeq")
    try:
        return None if value is None else parse_rseq(value)
    except ValueError:
        return None


def rack_of(request: Request) -> RAck | None:
    value = request.headers.get("RAck")
    try:
        return None if value is None else parse_rack(value)
    except ValueError:
        return None


def requires_100rel(message: Message) -> bool:
    return REL100 in (tag.lower() for tag in message.require)


def allows_100rel(request: Request) -> bool:
    """The INVITE lets us send reliable provisionals: 100rel in Supported or Require."""
    return requires_100rel(request) or REL100 in (tag.lower() for tag in request.supported)


def first_rseq(random: Callable[[], float]) -> int:
    """§3: a first RSeq in 1..2**31-1 from ``random`` ([0, 1))."""
    return 1 + min(int(random() * FIRST_RSEQ_LIMIT), FIRST_RSEQ_LIMIT - 1)


@dataclass(eq=False)
class Outstanding:
    """A reliable provisional sent and not PRACKed yet; ``sent_at`` every transmission."""

    response: Response
    rseq: int
    sent_at: list[float] = field(default_factory=list)


class ReliableProvisionals:
    """The reliable provisionals of one INVITE server transaction (the UAS side). ``give_up``
    runs when one went 64*T1 without its PRACK (the core rejects the INVITE)."""

    def __init__(
        self,
        scheduler: Scheduler,
        timers: TimerConfig,
        transaction: InviteServerTransaction,
        rseq: int,
        give_up: Callable[[], None],
    ) -> None:
        self.next_rseq = rseq
        self.unacked: Outstanding | None = None
        self.acknowledged: list[Outstanding] = []
        self.queue: list[Response] = []
        self._scheduler = scheduler
        self._timers = timers
        self._transaction = transaction
        self._cseq = transaction.request.cseq  # kept: the transaction lets go of its request
        self._give_up = give_up
        self._held_answer: Callable[[], None] | None = None
        self._handles: list[TimerHandle] = []
        self._finished = False

    def send(self, response: Response) -> None:
        """Send ``response`` reliably now, or after the PRACKs of those before it."""
        if self._finished:
            return
        if self.unacked is None:
            self._transmit(response)
        else:
            self.queue.append(response)

    def _transmit(self, response: Response) -> None:
        response.headers.add("Require", REL100)
        response.headers.add("RSeq", str(self.next_rseq))
        outstanding = Outstanding(response, self.next_rseq, [self._scheduler.now()])
        self.next_rseq += 1
        self.unacked = outstanding
        self._transaction.respond(response)
        t1 = self._timers.t1
        self._handles = [
            self._scheduler.call_later(t1, lambda: self._fire(outstanding, t1)),
            self._scheduler.call_later(64 * t1, lambda: self._abandon(outstanding)),
        ]

    def _fire(self, outstanding: Outstanding, interval: float) -> None:
        if self.unacked is not outstanding or self._finished:
            return
        outstanding.sent_at.append(self._scheduler.now())
        self._transaction.respond(outstanding.response)
        following = 2 * interval  # §3: doubles, no T2 cap
        self._handles[0] = self._scheduler.call_later(
            following, lambda: self._fire(outstanding, following)
        )

    def _abandon(self, outstanding: Outstanding) -> None:
        if self.unacked is outstanding and not self._finished:
            self.finish()
            self._give_up()

    def matches(self, rack: RAck) -> bool:
        """§3: the PRACK acknowledges the outstanding provisional of this INVITE."""
        cseq = self._cseq
        unacked = self.unacked
        return (
            unacked is not None
            and cseq is not None
            and rack == RAck(unacked.rseq, cseq.number, cseq.method)
        )

    def acknowledge(self) -> None:
        """The matching PRACK was answered: retransmissions stop, the next queued provisional
        goes, or the 2xx held back when nothing holds it any more."""
        if self.unacked is None:
            return
        self.acknowledged.append(self.unacked)
        self.unacked = None
        self._cancel_timers()
        if self.queue and not self._finished:
            self._transmit(self.queue.pop(0))
        elif self._held_answer is not None and not self.holds_2xx():
            answer, self._held_answer = self._held_answer, None
            answer()

    def holds_2xx(self) -> bool:
        """§3: no 2xx while an unacknowledged reliable provisional carried a session
        description."""
        return self.unacked is not None and bool(self.unacked.response.body)

    def hold_answer(self, answer: Callable[[], None]) -> None:
        """``answer`` sends the 2xx once the PRACK arrives; the provisionals still queued are
        dropped (the final response supersedes them)."""
        self.queue.clear()
        self._held_answer = answer

    def finish(self) -> None:
        """A final response went (or the INVITE is given up): no more provisionals, nothing
        retransmitted; a late PRACK of the outstanding one still matches."""
        self._finished = True
        self.queue.clear()
        self._held_answer = None
        self._cancel_timers()

    def _cancel_timers(self) -> None:
        for handle in self._handles:
            handle.cancel()
        self._handles = []
