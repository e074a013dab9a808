"""The simulated mobile network: handsets and fixed-line peers, in process and in
virtual time. It implements the engine's ``Network`` port and feeds leg events back.

Every reaction of the network is scheduled (never delivered while the engine is still
handling the request that caused it), as a real network would answer later."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable

from fleet.core.calls.engine import Engine
from fleet.core.calls.events import (
    Announcement,
    LegAlerting,
    LegAnswered,
    LegBusy,
    LegEvent,
    LegRejected,
    LegReleased,
    LegUnreachable,
    LineCameHome,
    ReleaseCause,
)
from fleet.core.calls.incall import Location, Refusal
from fleet.core.calls.ports import LegRequest, TimerHandle, TimeSource
from fleet.core.countries import Country
from fleet.core.numbering import E164
from fleet.core.roaming import ABROAD_SOMEWHERE, AT_HOME, UNSEEN, LineLocation
from simulators.handsets import (
    Behaviour,
    Handset,
    HandsetState,
    Misbehaviour,
    RingingText,
)

ALERT_DELAY = 1.0  # seconds from origination to alerting
BUSY_DELAY = 0.5
UNREACHABLE_DELAY = 2.0


class Line:
    """A timeline entry: virtual seconds since start, and what happened. The text may be
    given as a function, written when first read (formatting numbers is costly and most
    entries of a long run are never read)."""

    __slots__ = ("_text", "at")

    def __init__(self, at: float, text: str | Callable[[], str]) -> None:
        self.at = at
        self._text = text

    @property
    def text(self) -> str:
        if not isinstance(self._text, str):
            self._text = self._text()
        return self._text


class SimulatedNetwork:
    def __init__(self, *, time: TimeSource, history: int = 50_000) -> None:
        self.time = time
        self._epoch = time.now()
        self.handsets: dict[str, Handset] = {}
        self.engine: Engine | None = None
        self.timeline: deque[Line] = deque(maxlen=history)  # the latest entries
        self.bridges: dict[str, str] = {}
        self.played: deque[tuple[str, Announcement]] = deque(maxlen=history)
        # the legs released by the engine: with the cause and the announcement heard first
        self.releases: deque[tuple[str, ReleaseCause, Announcement | None]] = deque(maxlen=history)
        self.conferences: dict[str, list[str]] = {}
        self.refusals: list[tuple[str, Refusal]] = []
        self._leg_owner: dict[str, Handset] = {}
        self._scheduled: dict[str, list[TimerHandle]] = {}
        self._ids = itertools.count(1)

    def attach(self, engine: Engine) -> None:
        self.engine = engine

    # -- set-up -------------------------------------------------------------------------

    def add(
        self,
        number: E164,
        name: str = "",
        *,
        fixed: bool = False,
        behaviour: Behaviour | None = None,
        state: HandsetState = HandsetState.ON,
    ) -> Handset:
        handset = Handset(
            number=number,
            name=name or number.national(),
            fixed=fixed,
            state=state,
            behaviour=behaviour or Behaviour(),
        )
        self.handsets[number.value] = handset
        return handset

    def handset(self, number: E164) -> Handset:
        return self.handsets[number.value]

    @property
    def elapsed(self) -> float:
        return (self.time.now() - self._epoch).total_seconds()

    def say(self, text: str | Callable[[], str]) -> None:
        self.timeline.append(Line(self.elapsed, text))

    def _name(self, number: E164) -> str:
        handset = self.handsets.get(number.value)
        return handset.name if handset else number.national()

    # -- the Network port -------------------------------------------------------------------

    def location(self, number: E164) -> LineLocation:
        """A handset abroad roams (its state, the one that refuses its in-call services), in
        its ``country`` when it has one; a number without a handset here is not seen."""
        handset = self.handsets.get(number.value)
        if handset is None:
            return UNSEEN
        if handset.state is not HandsetState.ABROAD:
            return AT_HOME
        return LineLocation.abroad(handset.country) if handset.country else ABROAD_SOMEWHERE

    def originate(self, request: LegRequest) -> None:
        handset = self.handsets.get(request.number.value)
        via = f" via trunk {request.trunk}" if request.trunk else ""
        self.say(f"network rings {self._name(request.number)}{via}")
        if handset is None or handset.state in (HandsetState.OFF, HandsetState.OUT_OF_COVERAGE):
            self._later(
                request.leg_id,
                UNREACHABLE_DELAY,
                LegUnreachable(request.leg_id),
                f"{self._name(request.number)} is not reachable",
            )
            return
        self._leg_owner[request.leg_id] = handset
        behaviour = handset.behaviour
        if behaviour.misbehaviour is Misbehaviour.SILENT_LEG:
            self.say(f"{handset.name}: the network never reports this leg")
            return
        in_call = bool(handset.legs) or behaviour.already_busy
        if in_call and not (
            request.call_waiting and len(handset.legs) == 1 and not behaviour.already_busy
        ):
            self._later(
                request.leg_id, BUSY_DELAY, LegBusy(request.leg_id), f"{handset.name} is busy"
            )
            return
        handset.ringing.add(request.leg_id)
        handset.shows[request.leg_id] = request
        ringing = f"{handset.name} is ringing" + (" (call waiting)" if in_call else "")
        self._later(
            request.leg_id,
            ALERT_DELAY,
            LegAlerting(request.leg_id, waiting=in_call),
            RingingText(ringing, request),
        )
        if behaviour.reject_after is not None:
            self._later(
                request.leg_id,
                ALERT_DELAY + behaviour.reject_after,
                LegRejected(request.leg_id),
                f"{handset.name} declines the call",
            )
        elif behaviour.answer_after is not None:
            self._later(
                request.leg_id,
                ALERT_DELAY + behaviour.answer_after,
                LegAnswered(request.leg_id),
                f"{handset.name} answers",
                on_fire=lambda: self._answered(handset, request.leg_id),
            )

    def cancel(self, leg_id: str) -> None:
        handset = self._leg_owner.get(leg_id)
        if (
            handset is not None
            and handset.behaviour.misbehaviour is Misbehaviour.ANSWER_AFTER_CANCEL
        ):
            self.say(f"{handset.name} stops ringing (but will answer anyway)")
            handset.ringing.discard(leg_id)
            return
        if handset is not None:
            if leg_id in handset.ringing:
                self.say(f"{handset.name} stops ringing")
            handset.ringing.discard(leg_id)
        self._forget(leg_id)

    def bridge(self, a_leg: str, b_leg: str) -> None:
        self.bridges[a_leg] = b_leg
        self.bridges[b_leg] = a_leg
        a = self._leg_owner.get(a_leg)
        b = self._leg_owner.get(b_leg)
        self.say(f"{a.name if a else 'caller'} and {b.name if b else 'callee'} are connected")

    def release(
        self, leg_id: str, cause: ReleaseCause, *, announcement: Announcement | None = None
    ) -> None:
        """With ``announcement``: the leg hears it, then is released (the simulated
        announcement takes no time)."""
        self.releases.append((leg_id, cause, announcement))
        if announcement is not None:
            self.play(leg_id, announcement)
        handset = self._leg_owner.get(leg_id)
        if handset is not None:
            handset.legs.discard(leg_id)
            handset.held.discard(leg_id)
            handset.ringing.discard(leg_id)
            self.say(f"{handset.name} is released ({cause.value})")
        self.bridges.pop(self.bridges.pop(leg_id, ""), None)
        self._forget(leg_id)

    def play(self, leg_id: str, announcement: Announcement) -> None:
        self.played.append((leg_id, announcement))
        handset = self._leg_owner.get(leg_id)
        self.say(f"{handset.name if handset else 'caller'} hears '{announcement.value}'")

    def conference(self, conference_id: str, leg_ids: list[str]) -> None:
        self.conferences[conference_id] = list(leg_ids)
        names = sorted({self._leg_owner[leg].name for leg in leg_ids if leg in self._leg_owner})
        self.say(f"conference {conference_id}: {', '.join(names)}")

    # -- handset actions ----------------------------------------------------------------

    def dial(self, caller: E164 | None, dialled: str, *, restricted: bool = False) -> str:
        """A handset (or an outside caller when not registered) dials; returns the call id.
        ``restricted``: the caller's network withholds its identity."""
        assert self.engine is not None, "attach the engine first"
        leg_id = f"a{next(self._ids)}"
        handset = self.handsets.get(caller.value) if caller else None
        if handset is not None:
            handset.legs.add(leg_id)
            self._leg_owner[leg_id] = handset
        who = handset.name if handset else (caller.national() if caller else "anonymous")
        self.say(f"{who} dials {dialled}")
        call = self.engine.incoming_call(
            leg_id=leg_id, caller=caller, dialled=dialled, restricted=restricted
        )
        return call.id

    def hang_up(self, number: E164) -> None:
        handset = self.handset(number)
        self.say(f"{handset.name} hangs up")
        for leg_id in sorted(handset.legs):
            handset.legs.discard(leg_id)
            handset.held.discard(leg_id)
            self.bridges.pop(self.bridges.pop(leg_id, ""), None)
            self._emit(LegReleased(leg_id, ReleaseCause.NORMAL))
            self._forget(leg_id)

    def answer(self, number: E164) -> None:
        """The user answers the ringing handset now."""
        handset = self.handset(number)
        for leg_id in sorted(handset.ringing):
            for timer in self._scheduled.pop(leg_id, []):
                timer.cancel()
            self.say(f"{handset.name} answers")
            self._answered(handset, leg_id)
            self._emit(LegAnswered(leg_id))
            return

    def hold(self, number: E164) -> None:
        """ "Double appel": put the handset's current call on hold."""
        assert self.engine is not None
        handset = self.handset(number)
        for leg_id in sorted(handset.legs):
            if leg_id not in handset.held:
                handset.held.add(leg_id)
                self.say(f"{handset.name} puts a call on hold")
                self.engine.incall.hold(leg_id)
                return

    def retrieve(self, number: E164) -> None:
        assert self.engine is not None
        handset = self.handset(number)
        for leg_id in sorted(handset.held):
            handset.held.discard(leg_id)
            self.say(f"{handset.name} takes back the held call")
            self.engine.incall.retrieve(leg_id)
            return

    def _location(self, handset: Handset) -> Location:
        return {
            HandsetState.ABROAD: Location.ABROAD,
            HandsetState.WHITE_ZONE: Location.WHITE_ZONE,
        }.get(handset.state, Location.HOME)

    def press_transfer(self, number: E164) -> Refusal | None:
        """The user dials #1."""
        assert self.engine is not None
        handset = self.handset(number)
        self.say(f"{handset.name} dials #1")
        refusal = self.engine.incall.transfer(number, self._location(handset))
        if refusal is not None:
            self.refusals.append((handset.name, refusal))
        return refusal

    def press_conference(self, number: E164) -> Refusal | None:
        """The user presses the conference key."""
        assert self.engine is not None
        handset = self.handset(number)
        self.say(f"{handset.name} presses the conference key")
        handset.held.clear()
        refusal = self.engine.incall.conference(number)
        if refusal is not None:
            self.refusals.append((handset.name, refusal))
        return refusal

    def act(self, action: str, number: E164) -> Refusal | None:
        """A handset action by name: answer, hang_up, hold, retrieve, transfer, conference."""
        if action == "transfer":
            return self.press_transfer(number)
        if action == "conference":
            return self.press_conference(number)
        simple = {
            "answer": self.answer,
            "hang_up": self.hang_up,
            "hold": self.hold,
            "retrieve": self.retrieve,
        }
        simple[action](number)
        return None

    def set_state(
        self, number: E164, state: HandsetState, *, country: Country | None = None
    ) -> None:
        """``country``: where a handset ``abroad`` is (None: some foreign country). A handset
        leaving ``abroad`` is no longer roaming: the engine hears it (a queued caller may wait
        for that member)."""
        if country is not None and state is not HandsetState.ABROAD:
            raise ValueError("a handset has a country only abroad")
        handset = self.handset(number)
        abroad = HandsetState.ABROAD
        came_home = handset.state is abroad and state is not abroad
        handset.state, handset.country = state, country
        self.say(f"{handset.name} is now {state.value}{f' ({country})' if country else ''}")
        if came_home and self.engine is not None:
            self.engine.came_home(LineCameHome(number))

    def is_ringing(self, number: E164) -> bool:
        return bool(self.handset(number).ringing)

    def in_call(self, number: E164) -> bool:
        return bool(self.handset(number).legs)

    # -- internals ----------------------------------------------------------------------

    def _later(
        self,
        leg_id: str,
        delay: float,
        event: LegEvent,
        text: str | Callable[[], str],
        on_fire: Callable[[], None] | None = None,
    ) -> None:
        def fire() -> None:
            timers = self._scheduled.get(leg_id, [])
            if timer in timers:
                timers.remove(timer)
            if not timers:
                self._scheduled.pop(leg_id, None)
            self.say(text)
            if on_fire is not None:
                on_fire()
            if isinstance(event, LegBusy | LegUnreachable | LegRejected):
                owner = self._leg_owner.get(leg_id)
                if owner is not None:
                    owner.ringing.discard(leg_id)
            owner = self._leg_owner.get(leg_id)
            self._emit(event)
            if owner is not None and owner.behaviour.misbehaviour is Misbehaviour.DUPLICATE_EVENTS:
                self._emit(event)
            if isinstance(event, LegBusy | LegUnreachable | LegRejected | LegReleased):
                self._forget(leg_id)  # this leg is over for the network

        timer = self.time.start(delay, fire)
        self._scheduled.setdefault(leg_id, []).append(timer)

    def _answered(self, handset: Handset, leg_id: str) -> None:
        handset.ringing.discard(leg_id)
        handset.shows.pop(leg_id, None)
        handset.legs.add(leg_id)
        if handset.behaviour.misbehaviour is Misbehaviour.ANSWER_AND_DROP:
            self._later(
                leg_id,
                0.0,
                LegReleased(leg_id),
                f"{handset.name} drops the call at once",
                on_fire=lambda: handset.legs.discard(leg_id),
            )

    def _forget(self, leg_id: str) -> None:
        for timer in self._scheduled.pop(leg_id, []):
            timer.cancel()
        owner = self._leg_owner.pop(leg_id, None)
        if owner is not None:
            owner.shows.pop(leg_id, None)

    def _emit(self, event: LegEvent) -> None:
        assert self.engine is not None
        self.engine.handle(event)
