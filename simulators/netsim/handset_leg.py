"""A handset's side of a call: rung by its peer (it answers, declines, is busy or does not
answer as its behaviour says, or is not reachable as its state says), or placing a call
(it hears ringing, the answer or the refusal). What a person does with the handset —
answer, hang up, hold, retrieve — comes from the control API through :class:`HandsetLeg`'s
methods. Timers run on the SIP stack's scheduler: a ringing handset holds one timer, an idle
one none."""

from __future__ import annotations

from collections.abc import Callable

from fleet.core.numbering import E164
from fleet.sip.transaction_ports import Scheduler, TimerHandle
from simulators.netsim.diverted import Forwarded
from simulators.netsim.handset import Answering, Handset, HandsetState, shown_caller
from simulators.netsim.legs import Leg, LegKind, LegState, NetCall, OfferDone
from simulators.netsim.media_party import first_owner, heard
from simulators.netsim.sdp import Direction, direction_of, session

BUSY, DECLINED, NOT_REGISTERED, PAGING_FAILED, GONE = 486, 603, 480, 408, 487


class HandsetError(Exception):
    """A person's action the handset cannot do now (no call ringing, nothing to hold)."""


class HandsetLeg(Leg):
    kind = LegKind.HANDSET

    def __init__(
        self,
        call: NetCall,
        handset: Handset,
        *,
        role: str,
        scheduler: Scheduler,
        other: E164 | None,
        shows: str | None = None,
    ) -> None:
        super().__init__(call, role=role, party=handset.national)
        self.handset = handset
        self.other = other  # the other party's number as this handset knows it
        self.shows = shows if shows is not None else shown_caller(other)
        self._scheduler = scheduler
        self._timer: TimerHandle | None = None
        self._version = 1
        self.on_hold = False  # this handset put its peer on hold
        self.forwarded: Forwarded | None = None  # a call forwarded to it: by whom, why
        self.talks_with: str | None = None  # the o= user of what its far end sent last
        self.on_change: Callable[[HandsetLeg], None] | None = None  # rings, answered, ended
        handset.legs.append(self)

    def sdp(self, direction: Direction = Direction.SENDRECV) -> bytes:
        self._version += 1
        return self._session(direction)

    def _session(self, direction: Direction) -> bytes:
        digits = self.handset.number.value.lstrip("+")
        return session(digits, self._version, 40000 + int(digits[-4:]) * 2 % 20000, direction)

    @property
    def offer(self) -> bytes:
        return self._session(Direction.SENDRECV)

    def closed(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self in self.handset.legs:
            self.handset.legs.remove(self)
        if self.on_change is not None:
            self.on_change(self)

    # -- rung: the behaviour ------------------------------------------------------------

    def alert(self) -> None:
        """An INVITE reached the handset (as its peer's callee)."""
        handset = self.handset
        if handset.state is HandsetState.OFF:
            self._refuse(NOT_REGISTERED)
            return
        if handset.state is HandsetState.OUT_OF_COVERAGE:
            self._refuse(PAGING_FAILED)
            return
        behaviour = handset.behaviour
        if behaviour.answering is Answering.BUSY:
            self._refuse(BUSY)
            return
        self.state = LegState.RINGING
        assert self.peer is not None
        self.talks_with = first_owner(self.peer.offer)
        self.peer.peer_progress(180, b"")
        if behaviour.answering is Answering.AFTER:
            self._timer = self._scheduler.call_later(behaviour.seconds, self._answer_now)
        elif behaviour.answering is Answering.DECLINE:
            self._timer = self._scheduler.call_later(
                behaviour.seconds, lambda: self._refuse(DECLINED)
            )

    def _refuse(self, status: int) -> None:
        if self.ended:
            return
        self.end(status)
        if self.peer is not None:
            self.peer.peer_refused(status)

    # -- what the person does -------------------------------------------------------------

    def _answer_now(self) -> None:
        self._timer = None
        if self.role == "callee" and self.state is LegState.RINGING:
            self.answer()

    def answer(self) -> None:
        if self.role != "callee" or self.state is not LegState.RINGING:
            raise HandsetError("no call is ringing on this handset")
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.state = LegState.ANSWERED
        assert self.peer is not None
        self.peer.peer_answered(self.sdp())

    def hang_up(self) -> None:
        """Hang up (decline a ringing call, give up a call not answered yet)."""
        if self.ended:
            raise HandsetError("the call has ended")
        if self.role == "callee" and self.state is LegState.RINGING:
            self._refuse(DECLINED)
            return
        self.end(GONE if self.state is not LegState.ANSWERED else None)
        if self.peer is not None:
            self.peer.peer_gone()

    def hold(self, *, retrieve: bool = False) -> None:
        if self.state is not LegState.ANSWERED or self.peer is None:
            raise HandsetError("no call in progress on this handset")
        if self.on_hold is not retrieve:
            raise HandsetError("the call is not held" if retrieve else "the call is held already")
        direction = Direction.SENDRECV if retrieve else Direction.SENDONLY

        def done(answer: bytes | None, status: int) -> None:
            if answer is not None:
                self.on_hold = not retrieve

        self.peer.peer_offer(self.sdp(direction), done)

    # -- what the peer's far end did ------------------------------------------------------

    def peer_progress(self, status: int, body: bytes) -> None:
        if self.state is LegState.CALLING:
            self.state = LegState.RINGING  # the handset hears ringing
            if self.on_change is not None:
                self.on_change(self)

    def peer_answered(self, body: bytes) -> None:
        if not self.ended and self.state is not LegState.ANSWERED:
            self.state = LegState.ANSWERED
            self.talks_with = first_owner(body)
            if self.on_change is not None:
                self.on_change(self)

    def peer_refused(self, status: int) -> None:
        self.end(status)

    def peer_gone(self) -> None:
        self.end(GONE if self.state is not LegState.ANSWERED else None)

    def peer_offer(self, body: bytes, done: OfferDone, *, update: bool = False) -> None:
        if self.ended:
            done(None, 481)
            return
        if not body:  # offerless (third-party call control): our offer, the answer in the ACK
            done(self.sdp(Direction.SENDONLY if self.on_hold else Direction.SENDRECV), 200)
            return
        offered = direction_of(body)
        self.held = offered.holding
        self._heard(body)
        done(self.sdp(offered.mirrored), 200)

    def peer_ack(self, body: bytes) -> None:
        if self.ended or not body:
            return
        if not self.on_hold:
            self.held = direction_of(body).holding
        self._heard(body)

    def _heard(self, body: bytes) -> None:
        """The screen follows who the handset now talks with (:mod:`.media_party`)."""
        self.talks_with, shows = heard(self.talks_with, body)
        if shows is not None:
            self.shows = shows

    def view(self) -> dict[str, object]:
        shown = super().view()
        shown["handset"] = self.handset.national
        shown["other"] = self.shows
        shown["on_hold"] = self.on_hold
        return shown
