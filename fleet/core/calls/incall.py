"""In-call services (DESIGN §4): hold and retrieve ("double appel"), transfer by
dialling #1, and the conference key, up to 6 participants including the initiator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from fleet.core.calls.call import Call
from fleet.core.calls.events import (
    Announcement,
    CallState,
    LegEvent,
    LegReleased,
    LegState,
    ReleaseCause,
)
from fleet.core.calls.legs import Leg
from fleet.core.calls.ports import EventLog, Network
from fleet.core.calls.presence import Presence
from fleet.core.numbering import E164, NumberClass, NumberPolicy
from fleet.core.values import CallEventKind, CallOutcome

MAX_PARTICIPANTS = 6  # including the initiator (seed 004 §2: 3 to 6 participants)


class Location(Enum):
    """Where the handset asking for an in-call service is."""

    HOME = "home"
    ABROAD = "abroad"
    WHITE_ZONE = "white_zone"


class Refusal(Enum):
    ABROAD = "abroad"
    WHITE_ZONE = "white_zone"
    SPECIAL_NUMBER = "special_number"
    NO_HELD_CALL = "no_held_call"
    NO_ACTIVE_CALL = "no_active_call"
    CONFERENCE_FULL = "conference_full"


_ANNOUNCE = {
    Refusal.ABROAD: Announcement.TRANSFER_REFUSED_ABROAD,
    Refusal.WHITE_ZONE: Announcement.TRANSFER_REFUSED_WHITE_ZONE,
    Refusal.SPECIAL_NUMBER: Announcement.TRANSFER_REFUSED_SPECIAL_NUMBER,
    Refusal.NO_HELD_CALL: Announcement.SERVICE_NOT_POSSIBLE,
    Refusal.NO_ACTIVE_CALL: Announcement.SERVICE_NOT_POSSIBLE,
    Refusal.CONFERENCE_FULL: Announcement.CONFERENCE_FULL,
}


@dataclass(frozen=True, slots=True)
class _Refused:
    why: Refusal
    leg: Leg | None


@dataclass(eq=False)
class Conference:
    id: str
    initiator: E164
    calls: list[Call] = field(default_factory=list)

    @property
    def participants(self) -> int:
        return 1 + len(self.calls)


class CallIndex(Protocol):
    """The live calls of the engine, as in-call services look them up."""

    def live_calls(self) -> list[Call]: ...

    def call_of_leg(self, leg_id: str) -> Call | None: ...

    def leg_added(self, leg: Leg, call: Call) -> None: ...


class InCallServices:
    def __init__(
        self,
        *,
        calls: CallIndex,
        network: Network,
        presence: Presence,
        policy: NumberPolicy,
        new_id: Callable[[], str],
        log: EventLog,
    ) -> None:
        self._calls = calls
        self._network = network
        self._presence = presence
        self._policy = policy
        self._log = log
        self._new_id = new_id  # the engine's: conference ids never repeat across processes
        self.conferences: dict[str, Conference] = {}

    # -- finding the handset's calls ------------------------------------------------------

    def _calls_of(self, number: E164) -> list[tuple[Call, Leg]]:
        found = []
        for call in self._calls.live_calls():
            for leg in (call.a_leg, call.b_leg):
                if leg is not None and leg.live and leg.number == number:
                    found.append((call, leg))
        return found

    @staticmethod
    def _heard_on(mine: list[tuple[Call, Leg]]) -> Leg | None:
        """The leg a refusal is announced on: the handset's active call (the one it is talking
        on, not one it holds), else any of its calls."""
        active = [leg for _, leg in mine if leg.state is LegState.ANSWERED]
        return active[-1] if active else (mine[0][1] if mine else None)

    def _refuse(self, number: E164, leg: Leg | None, why: Refusal) -> Refusal:
        self._log("in_call_refused", line=number.value, reason=why.value)
        if leg is not None:
            self._network.play(leg.id, _ANNOUNCE[why])
        return why

    # -- hold / retrieve ------------------------------------------------------------------

    def hold(self, leg_id: str) -> None:
        leg = self._leg(leg_id)
        if leg is not None and leg.state is LegState.ANSWERED:
            leg.move(LegState.HELD)

    def retrieve(self, leg_id: str) -> None:
        leg = self._leg(leg_id)
        if leg is not None and leg.state is LegState.HELD:
            leg.move(LegState.ANSWERED)

    def _leg(self, leg_id: str) -> Leg | None:
        call = self._calls.call_of_leg(leg_id)
        return call.legs.get(leg_id) if call else None

    # -- transfer (#1) ----------------------------------------------------------------------

    def transfer(self, number: E164, location: Location = Location.HOME) -> Refusal | None:
        """Connect the held party with the active or alerting one; the user leaves."""
        found = self._transfer_legs(number, location)
        if isinstance(found, _Refused):
            return self._refuse(number, found.leg, found.why)
        first, second, my_first, my_second, party = found
        second.run(lambda: self._join(first, second, my_first, my_second, party))
        return None

    def transfer_refusal(self, number: E164, location: Location = Location.HOME) -> Refusal | None:
        """Why :meth:`transfer` would refuse now (nothing played, nothing changed), or None."""
        found = self._transfer_legs(number, location)
        return found.why if isinstance(found, _Refused) else None

    def _transfer_legs(
        self, number: E164, location: Location
    ) -> _Refused | tuple[Call, Call, Leg, Leg, Leg]:
        mine = self._calls_of(number)
        any_leg = self._heard_on(mine)
        if location is Location.ABROAD:
            return _Refused(Refusal.ABROAD, any_leg)
        if location is Location.WHITE_ZONE:
            return _Refused(Refusal.WHITE_ZONE, any_leg)
        held = [(c, leg) for c, leg in mine if leg.state is LegState.HELD]
        active = [
            (c, leg)
            for c, leg in mine
            if leg.state is LegState.ANSWERED
            and (
                c.state is CallState.CONNECTED or (c.a_leg is leg and c.state is CallState.RINGING)
            )
        ]
        if not held:
            return _Refused(Refusal.NO_HELD_CALL, any_leg)
        if not active:
            return _Refused(Refusal.NO_ACTIVE_CALL, any_leg)
        (first, my_first), (second, my_second) = held[0], active[-1]
        if self._policy.classify(second.called.value if second.called else "")[0] is (
            NumberClass.SPECIAL
        ):
            return _Refused(Refusal.SPECIAL_NUMBER, my_second)
        party = first.b_leg if first.a_leg is my_first else first.a_leg
        assert party is not None
        return first, second, my_first, my_second, party

    def _join(self, first: Call, second: Call, my_first: Leg, my_second: Leg, party: Leg) -> None:
        # the held party moves to the second call, in place of the user
        first.legs.pop(party.id)
        second.legs[party.id] = party
        self._calls.leg_added(party, second)
        if second.a_leg is my_second:
            second.a_leg = party
        else:
            second.b_leg = party
        self._network.release(my_second.id, ReleaseCause.NORMAL)
        my_second.release()
        self._presence.down(my_second)
        detail: dict[str, object] = {"by": my_second.number.value if my_second.number else None}
        for call in (first, second):
            call.note(
                CallEventKind.TRANSFERRED,
                from_number=party.number.value if party.number else None,
                to_number=second.called.value if second.called else None,
                detail=detail,
            )
        other = second.b_leg if second.a_leg is party else second.a_leg
        if second.state is CallState.CONNECTED and other is not None:
            self._network.bridge(party.id, other.id)
        first.finish(CallOutcome.ANSWERED, ReleaseCause.NORMAL)

    # -- conference --------------------------------------------------------------------------

    def conference(self, number: E164) -> Refusal | None:
        """The conference key: join the held call(s) and the active call."""
        mine = self._calls_of(number)
        any_leg = self._heard_on(mine)
        conference = next((c for c in self.conferences.values() if c.initiator == number), None)
        joining = [
            (c, leg)
            for c, leg in mine
            if c.state is CallState.CONNECTED and not isinstance(c.phase, InConference)
        ]
        if conference is None:
            if not any(leg.state is LegState.HELD for _, leg in joining):
                return self._refuse(number, any_leg, Refusal.NO_HELD_CALL)
            if len(joining) < 2:
                return self._refuse(number, any_leg, Refusal.NO_ACTIVE_CALL)
        elif not joining:
            return self._refuse(number, any_leg, Refusal.NO_ACTIVE_CALL)
        size = (conference.participants if conference else 1) + len(joining)
        if size > MAX_PARTICIPANTS:
            return self._refuse(number, any_leg, Refusal.CONFERENCE_FULL)
        if conference is None:
            conference = Conference(id=f"conf-{self._new_id()}", initiator=number)
            self.conferences[conference.id] = conference
        for call, leg in joining:
            if leg.state is LegState.HELD:
                leg.move(LegState.ANSWERED)
            conference.calls.append(call)
            call.note(CallEventKind.CONFERENCE_JOINED, detail={"conference": conference.id})
            call.enter(InConference(conference=conference, initiator_leg=leg, services=self))
        for call, leg in mine:
            if isinstance(call.phase, InConference) and leg.state is LegState.HELD:
                leg.move(LegState.ANSWERED)
        self._mix(conference)
        return None

    def _mix(self, conference: Conference) -> None:
        legs = []
        for call in conference.calls:
            legs += [leg.id for leg in (call.a_leg, call.b_leg) if leg is not None and leg.live]
        self._network.conference(conference.id, legs)

    def conference_failed(self, conference: Conference) -> None:
        """The network could not mix the conference: the initiator hears it was not possible
        and every call in it is released."""
        self.conferences.pop(conference.id, None)
        calls, conference.calls = list(conference.calls), []
        for call in calls:
            phase = call.phase
            if isinstance(phase, InConference) and phase.initiator_leg.live:
                leg = phase.initiator_leg  # told, then released (not cut off by the release)
                self._network.release(
                    leg.id, ReleaseCause.NORMAL, announcement=Announcement.SERVICE_NOT_POSSIBLE
                )
                leg.release()
                break
        for call in calls:
            call.note(CallEventKind.CONFERENCE_LEFT, detail={"conference": conference.id})
            call.finish(CallOutcome.ANSWERED, ReleaseCause.NORMAL)

    def left(self, conference: Conference, call: Call) -> None:
        if call in conference.calls:
            conference.calls.remove(call)
        if conference.calls:
            self._mix(conference)
        else:
            self.conferences.pop(conference.id, None)


@dataclass
class InConference:
    """A call whose parties are in the initiator's conference."""

    conference: Conference
    initiator_leg: Leg
    services: InCallServices
    state: CallState = CallState.CONNECTED

    def enter(self, call: Call) -> None:
        pass

    def on_leg_event(self, call: Call, leg: Leg, event: LegEvent) -> None:
        if isinstance(event, LegReleased):
            self._gone(call, leg)

    def on_caller_gone(self, call: Call) -> None:
        self._gone(call, call.a_leg)

    def _gone(self, call: Call, leg: Leg) -> None:
        services = self.services
        if leg is self.initiator_leg:  # the initiator hangs up: everyone is released
            for other in list(self.conference.calls):
                other.note(CallEventKind.CONFERENCE_LEFT, detail={"initiator_left": True})
                services.left(self.conference, other)
                other.finish(CallOutcome.ANSWERED, ReleaseCause.NORMAL)
            return
        call.note(CallEventKind.CONFERENCE_LEFT, detail={"conference": self.conference.id})
        services.left(self.conference, call)
        call.finish(CallOutcome.ANSWERED, ReleaseCause.NORMAL)
