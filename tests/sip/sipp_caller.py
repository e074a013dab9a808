"""The small application that calls SIPp in ``tests/test_sipp_uas.py``: a :class:`SipStack` on
loopback (UDP and TCP on one port) whose transaction user is the UA core (:class:`UserAgent`)
as UAC, driven by a :class:`CallerScript`.

It places calls with :meth:`UserAgent.invite`; the script may CANCEL a call some time after
its first ringing response (on the stack's scheduler, not a sleep of the test), send a
re-INVITE as soon as a call is confirmed (the ACK of its 200 goes out first) and hang up (BYE)
once that re-INVITE is answered 200. Everything else is the UA core's: ACK of a 2xx, the
client transaction's ACK of a non-2xx, CANCEL, BYE of a 200 after our CANCEL, 491 to a peer's
re-INVITE while ours is pending, the §14.1 retry after a 491 to ours (``random`` is the draw
of its delay)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fleet.sip.dialog import DialogState
from fleet.sip.message import Request, Response
from fleet.sip.stack import SipStack
from fleet.sip.transaction_client import ClientTransaction
from fleet.sip.transaction_server import ServerTransaction
from fleet.sip.transport_types import UDP, Peer, Transport, TransportConfig
from fleet.sip.ua_calls import OutgoingCall, OutgoingState, ReInvite
from fleet.sip.ua_core import UserAgent
from fleet.sip.validate import UasPolicy
from tests.sip.sipp_app import LOOPBACK, sdp


@dataclass
class CallerScript:
    """``cancel_after_ringing``: seconds between the first 18x of a call and our CANCEL
    (``None``: never cancel). ``reinvite_when_confirmed``: a re-INVITE right after the ACK of
    the 200, and BYE once it is answered 200."""

    cancel_after_ringing: float | None = None
    reinvite_when_confirmed: bool = False


@dataclass
class CallerTally:
    """What the caller saw, for the tests' assertions."""

    ringing: int = 0
    cancels_scheduled: int = 0
    reinvites_received: int = 0  # in-dialog INVITEs from the peer
    glare_at: dict[ReInvite, float] = field(default_factory=dict)  # when its 491 arrived
    answered_at: dict[ReInvite, float] = field(default_factory=dict)  # when its 2xx arrived
    byes_answered: int = 0


class SippCaller(UserAgent):
    """The UA core as UAC with the script's choices."""

    def __init__(self, stack: SipStack, script: CallerScript, random: Callable[[], float]) -> None:
        port = stack.listening[0]
        super().__init__(
            stack.scheduler,
            stack.port,
            Peer(UDP, LOOPBACK, port),
            "fleetpbx",
            random=random,
            keep_history=True,
        )
        self.script = script
        self.tally = CallerTally()
        self._ringing: set[OutgoingCall] = set()
        self._reinvited: set[OutgoingCall] = set()

    def call(self, port: int, transport: Transport = UDP, service: str = "sipp") -> OutgoingCall:
        """An INVITE with an SDP offer to ``service`` at SIPp on 127.0.0.1:``port``."""
        return self.invite(
            f"sip:{service}@{LOOPBACK}:{port}",
            Peer(transport, LOOPBACK, port),
            body=sdp(self.address.port + 2),
            content_type="application/sdp",
        )

    def on_request(self, transaction: ServerTransaction, request: Request) -> None:
        to = request.to
        if to is not None and to.tag is not None and request.method == "INVITE":
            self.tally.reinvites_received += 1
        super().on_request(transaction, request)

    def on_response(self, transaction: ClientTransaction, response: Response) -> None:
        call = self._calls.get(transaction)
        cseq = response.cseq
        super().on_response(transaction, response)  # ACKs, CANCELs, BYEs as the core does
        if isinstance(call, OutgoingCall):
            self._call_progressed(call, response)
        elif isinstance(call, ReInvite):
            self._reinvite_answered(call, response)
        elif cseq is not None and cseq.method == "BYE" and response.status == 200:
            self.tally.byes_answered += 1

    def _call_progressed(self, call: OutgoingCall, response: Response) -> None:
        script = self.script
        if 180 <= response.status < 190 and call not in self._ringing:
            self._ringing.add(call)
            self.tally.ringing += 1
            delay = script.cancel_after_ringing
            if delay is not None:
                self.tally.cancels_scheduled += 1
                self._scheduler.call_later(delay, lambda: self.cancel(call))
        confirmed = call.state is OutgoingState.CONFIRMED and call.dialog is not None
        if confirmed and script.reinvite_when_confirmed and call not in self._reinvited:
            assert call.dialog is not None
            self._reinvited.add(call)
            self.reinvite(call.dialog, body=self._offer(), content_type="application/sdp")

    def _reinvite_answered(self, reinvite: ReInvite, response: Response) -> None:
        now = self._scheduler.now()
        if response.status == 491:
            self.tally.glare_at[reinvite] = now
        elif 200 <= response.status < 300 and reinvite.dialog.state is not DialogState.TERMINATED:
            self.tally.answered_at[reinvite] = now
            self.bye(reinvite.dialog)

    def _offer(self) -> bytes:
        return sdp(self.address.port + 2)


@asynccontextmanager
async def sipp_caller(
    script: CallerScript, random: Callable[[], float] = lambda: 0.0
) -> AsyncIterator[SippCaller]:
    """The stack on a free UDP/TCP port of 127.0.0.1 with a :class:`SippCaller` as its TU.
    ``random`` draws the §14.1 glare delay; 0 puts it at the low end (2.1 s for the caller)."""
    stack = SipStack(TransportConfig(host=LOOPBACK, port=0, policy=UasPolicy()))
    await stack.start()
    try:
        caller = SippCaller(stack, script, random)
        stack.attach(caller)
        yield caller
    finally:
        await stack.stop()
