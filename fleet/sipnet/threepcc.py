"""Third-party call control between answered legs (RFC 3725 §4.2 flow, as a B2BUA does it for a
transfer or a move onto a conference bridge): FleetPBX re-INVITEs one leg **without SDP**; the
offer in its 2xx goes to the other party (a re-INVITE of another answered leg, or an INVITE of
the media server's conference URI); that party's answer comes back to the first leg in the
**ACK** of its 2xx (:meth:`fleet.sip.ua_acks.UacAcks.ack_answer`).

491 (RFC 3261 §14.1) from either party: the request goes once more after the §14.1 delay
(:meth:`fleet.sipnet.agent.FleetAgent.glare_delay`); a second 491 is a failure. Any other
error, no answer, or a 2xx without an offer fails the move. When the first leg's 2xx is already
in hand the ACK still goes (every 2xx is ACKed), carrying the session description that leg had
before (:class:`Described`): the first leg stays as it was, and the failure is the caller's to
report (the adapter tells the engine, which releases the call)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fleet.core.calls.events import BridgeFailure
from fleet.sip.dialog import Dialog, DialogState
from fleet.sip.message import Response
from fleet.sip.ua_calls import ReInvite
from fleet.sipnet.agent import FleetAgent

GLARE = 491
GONE = frozenset({408, 481})


@dataclass(frozen=True, slots=True)
class Described:
    """A session description and its Content-Type."""

    body: bytes
    content_type: str | None


Reply = Callable[[Described | BridgeFailure], None]
Deliver = Callable[[Described, Reply], None]
"""Takes the first leg's offer to the other party; calls the reply once, with the answer or why
there is none."""


@dataclass(frozen=True, slots=True)
class Moved:
    """The move succeeded: ``offer`` is what the first leg offered (now the other party's),
    ``answer`` what it got back in the ACK."""

    offer: Described
    answer: Described


Done = Callable[[Moved | BridgeFailure], None]


def failure_of(response: Response | None) -> BridgeFailure:
    if response is None or response.status in GONE:
        return BridgeFailure.NO_ANSWER
    return BridgeFailure.GLARE if response.status == GLARE else BridgeFailure.REFUSED


class OfferlessMove:
    """One leg moved to another party by the RFC 3725 flow; ``done`` hears the outcome once."""

    def __init__(
        self,
        agent: FleetAgent,
        dialog: Dialog,
        *,
        before: Described,
        deliver: Deliver,
        done: Done,
    ) -> None:
        self.agent = agent
        self.dialog = dialog
        self.before = before
        self._deliver = deliver
        self._done: Done | None = done
        self._retried = False
        self._reinvite: ReInvite | None = None
        self._offer: Described | None = None

    @property
    def finished(self) -> bool:
        return self._done is None

    def start(self) -> None:
        if self.dialog.state is DialogState.TERMINATED:
            self._finish(BridgeFailure.NO_ANSWER)
            return
        if self.agent.offer_in_progress(self.dialog):  # the leg is changing its session now
            self._glare(None)
            return
        self.agent.reinvite(self.dialog, ack_later=True, retry_glare=False, on_final=self._offered)

    def abandon(self) -> None:
        """The legs are gone (released by the engine): nothing more is reported (a 2xx in hand
        is ACKed with the leg's former session description)."""
        self._done = None
        self._restore()

    def _glare(self, response: Response | None) -> None:
        if self._retried:
            self._finish(BridgeFailure.GLARE)
            return
        self._retried = True
        self.agent.later(self.agent.glare_delay(self.dialog), self._again)

    def _again(self) -> None:
        if not self.finished:
            self.start()

    def _offered(self, reinvite: ReInvite, response: Response | None) -> None:
        if self.finished:
            if response is not None and response.status < 300:
                self.agent.ack_answer(reinvite, self.before.body, self.before.content_type)
            return
        if response is not None and response.status == GLARE:
            self._glare(response)
            return
        if response is None or response.status >= 300:
            self._finish(failure_of(response))
            return
        self._reinvite = reinvite
        if not response.body:  # RFC 3261 §13.3.1.1: the 2xx must carry an offer
            self._restore()
            self._finish(BridgeFailure.REFUSED)
            return
        offer = Described(response.body, response.headers.get("Content-Type"))
        self._offer = offer
        self._deliver(offer, self._answered)

    def _answered(self, answer: Described | BridgeFailure) -> None:
        reinvite, offer = self._reinvite, self._offer
        assert reinvite is not None and offer is not None
        if isinstance(answer, BridgeFailure):
            self._restore()
            self._finish(answer)
            return
        self.agent.ack_answer(reinvite, answer.body, answer.content_type)
        self._finish(Moved(offer, answer))

    def _restore(self) -> None:
        if self._reinvite is not None:
            self.agent.ack_answer(self._reinvite, self.before.body, self.before.content_type)

    def _finish(self, outcome: Moved | BridgeFailure) -> None:
        done, self._done = self._done, None
        if done is not None:
            done(outcome)


class Reoffer:
    """Deliver an offer to an answered leg by a re-INVITE (a transfer's second party): its 2xx
    is the answer; 491 once more after the §14.1 delay."""

    def __init__(self, agent: FleetAgent, dialog: Dialog) -> None:
        self.agent = agent
        self.dialog = dialog
        self._retried = False
        self.before: Described | None = None

    def __call__(self, offer: Described, reply: Reply) -> None:
        if self.dialog.state is DialogState.TERMINATED:
            reply(BridgeFailure.NO_ANSWER)
            return
        if self.agent.offer_in_progress(self.dialog):
            self._again(offer, reply, None)
            return

        def final(relayed: ReInvite, response: Response | None) -> None:
            if response is not None and response.status < 300:
                reply(Described(response.body, response.headers.get("Content-Type")))
            elif response is not None and response.status == GLARE:
                self._again(offer, reply, response)
            else:
                reply(failure_of(response))

        self.agent.reinvite(
            self.dialog,
            body=offer.body,
            content_type=offer.content_type,
            retry_glare=False,
            on_final=final,
        )

    def _again(self, offer: Described, reply: Reply, response: Response | None) -> None:
        if self._retried:
            reply(BridgeFailure.GLARE)
            return
        self._retried = True
        self.agent.later(self.agent.glare_delay(self.dialog), lambda: self(offer, reply))
