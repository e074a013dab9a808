"""What netsim's control API drives: the handsets (state, behaviour, what a person does with
them), the calls in progress, the media server's report, and the fleets read again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fleet.core.countries import Country
from fleet.core.numbering import E164, NumberClass, NumberPolicy
from simulators.netsim.diverted import forwarded_screen
from simulators.netsim.handset import Behaviour, Handset, HandsetState
from simulators.netsim.handset_leg import HandsetError, HandsetLeg
from simulators.netsim.handsets import FleetView, Handsets
from simulators.netsim.hub import Change, Hub, Topic
from simulators.netsim.legs import Calls, LegState, NetCall
from simulators.netsim.media import MediaServer
from simulators.netsim.scscf import Scscf
from simulators.netsim.voicemail import VoicemailPlatform


class UnknownHandset(LookupError):
    pass


class BadNumber(ValueError):
    pass


@dataclass
class Netsim:
    handsets: Handsets
    calls: Calls
    scscf: Scscf
    media: MediaServer
    policy: NumberPolicy
    load_fleets: Callable[[], Awaitable[FleetView]]
    view: FleetView
    # more of what a handset's view shows (e.g. its USSD screen and SMS), each a dict merged in
    views: list[Callable[[Handset], dict[str, object]]] = field(default_factory=list)
    # the desks of the company PBXs netsim plays dial through them (simulators.netsim.pbxs);
    # None: this handset's call goes the S-CSCF's way
    desk_dial: Callable[[Handset, str], NetCall | None] | None = None
    hub: Hub | None = None  # told what changes (the web console watches it)
    voicemail: VoicemailPlatform | None = None  # at the deployment's voicemail_number

    def changed(self, handset: Handset) -> None:
        """Tell the hub ``handset`` changed (its state, behaviour, screen, inbox…)."""
        if self.hub is not None:
            self.hub.handset(handset.number.value)

    async def reload(self) -> tuple[int, int]:
        """Read the fleets again; returns the handsets (added, left)."""
        view = await self.load_fleets()
        self.view = view
        added, left = self.handsets.sync(view)
        if self.hub is not None and (added or left):
            self.hub.publish(Change(Topic.FLEETS))
        return added, left

    def number(self, text: str) -> E164:
        kind, number = self.policy.classify(text)
        if kind is NumberClass.INVALID or number is None:
            raise BadNumber(f"{text!r} is no phone number")
        return number

    def handset(self, text: str, *, create: bool = False) -> Handset:
        number = self.number(text)
        found = self.handsets.of(number) if create else self.handsets.get(number)
        if found is None:
            raise UnknownHandset(number.national())
        return found

    def set_state(
        self, handset: Handset, state: HandsetState, *, country: Country | None = None
    ) -> None:
        """``country``: where a handset ``abroad`` is (None: some foreign country)."""
        if country is not None and state is not HandsetState.ABROAD:
            raise ValueError("a handset has a country only abroad")
        handset.state, handset.country = state, country
        self.changed(handset)

    def set_behaviour(self, handset: Handset, behaviour: Behaviour) -> None:
        handset.behaviour = behaviour
        self.changed(handset)

    def dial(self, handset: Handset, dialled: str) -> NetCall:
        through_pbx = self.desk_dial(handset, dialled) if self.desk_dial is not None else None
        return through_pbx or self.scscf.dial(handset, dialled)

    def _legs(self, handset: Handset) -> list[HandsetLeg]:
        return [leg for leg in handset.legs if not leg.ended]

    def answer(self, handset: Handset) -> None:
        ringing = [
            leg
            for leg in self._legs(handset)
            if leg.role == "callee" and leg.state is LegState.RINGING
        ]
        if not ringing:
            raise HandsetError("no call is ringing on this handset")
        ringing[0].answer()

    def hang_up(self, handset: Handset) -> None:
        legs = self._legs(handset)
        if not legs:
            raise HandsetError("no call on this handset")
        answered = [leg for leg in legs if leg.state is LegState.ANSWERED and not leg.on_hold]
        (answered or legs)[0].hang_up()

    def hold(self, handset: Handset, *, retrieve: bool = False) -> None:
        legs = [
            leg
            for leg in self._legs(handset)
            if leg.state is LegState.ANSWERED and leg.on_hold is retrieve
        ]
        if not legs:
            raise HandsetError("no held call" if retrieve else "no call in progress to hold")
        legs[0].hold(retrieve=retrieve)

    # -- views ----------------------------------------------------------------------------

    def handset_view(self, handset: Handset) -> dict[str, object]:
        info = handset.info
        legs = self._legs(handset)
        ringing = [leg for leg in legs if leg.role == "callee" and leg.state is LegState.RINGING]
        talking = [leg for leg in legs if leg.state is LegState.ANSWERED]
        screen: dict[str, object] = {"ringing_from": ringing[0].shows if ringing else None}
        screen["in_call_with"] = [leg.shows for leg in talking]
        screen["calling"] = [
            leg.shows for leg in legs if leg.role == "caller" and leg.state is not LegState.ANSWERED
        ]
        screen["held"] = [leg.shows for leg in talking if leg.on_hold or leg.held]
        screen.update(forwarded_screen(ringing + talking))
        shown: dict[str, object] = {
            "number": handset.national,
            "e164": handset.number.value,
            "kind": info.kind.value,
            "name": info.name,
            "fleet_id": info.fleet_id,
            "short_number": info.short_number,
            "state": handset.state.value,
            "country": handset.country.code if handset.country else None,
            "behaviour": {
                "answer": handset.behaviour.answering.value,
                "seconds": handset.behaviour.seconds,
            },
            "screen": screen,
            "legs": [leg.id for leg in legs],
        }
        for extra in self.views:
            shown.update(extra(handset))
        return shown
