"""The engine's :class:`fleet.core.calls.ports.Network` over SIP: a B2BUA in front of the
mobile core (DESIGN §8, ISC profile, terminating case).

- An INVITE from the core is a caller's leg (A), unanswered while callees ring.
- ``originate`` is an INVITE carrying the A-leg's offer; its responses become leg events
  (:mod:`fleet.sipnet.causes`); ``bridge`` answers the A-leg 200 with the B-leg's answer.
- ``cancel`` CANCELs a ringing B-leg (held by the UA core until a provisional); ``release``
  BYEs an answered leg, CANCELs an unanswered B-leg and answers an unanswered A-leg with the
  cause's final response (:func:`fleet.sipnet.causes.final_status`).
- A BYE from either side, the caller's CANCEL, and a dialog the UA core ends by itself are
  ``LegReleased`` to the engine.

The rest is in the modules this one drives: :mod:`.relay` (offers relayed after ``bridge``:
hold, retrieve), :mod:`.placing` (where a B-leg goes and what it carries), :mod:`.early` (what an
unanswered caller hears: 180/183, a 181 per hop), :mod:`.media` (announcements and the queue's
music before the answer), :mod:`.announce_answered` (announcements after it), :mod:`.served`
(the session case), :mod:`.incall` (keys, REFER), :mod:`.transfer`, :mod:`.conference`,
:mod:`.trunks`, :mod:`.unplaced`, :mod:`.early_offers` (100rel end to end, PRACK and UPDATE
relayed, late offer), :mod:`.arrival` (which INVITEs are admitted).
All on the stack's event loop; a leg's entry is removed before the agent is asked to end it, so
what the agent reports back about it is ignored."""

from __future__ import annotations

from fleet.core.calls.engine import Engine
from fleet.core.calls.events import (
    Announcement,
    BridgeFailed,
    LegAlerting,
    LegAnswered,
    LegReleased,
    LegUnreachable,
    ReleaseCause,
)
from fleet.core.calls.ports import EventLog, LegRequest, no_log
from fleet.core.numbering import E164
from fleet.core.roaming import LineLocation
from fleet.sip.dialog import Dialog, DialogId
from fleet.sip.message import Request, Response
from fleet.sip.transport_types import Peer
from fleet.sip.ua_calls import (
    DEFER,
    Answer,
    Deferred,
    IncomingCall,
    OutgoingCall,
    OutgoingState,
    Refusal,
)
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.announce_answered import AnsweredAnnouncements
from fleet.sipnet.arrival import Gate, hand_to_engine
from fleet.sipnet.causes import failure_event, final_status
from fleet.sipnet.conference import Rooms
from fleet.sipnet.early import UNANSWERED, EarlyNews
from fleet.sipnet.early_offers import EarlyOffers
from fleet.sipnet.hops import mixed
from fleet.sipnet.incall import InCallKeys
from fleet.sipnet.keepalive import INTERVAL
from fleet.sipnet.media import MediaPlayer
from fleet.sipnet.placing import BLeg, placement
from fleet.sipnet.relay import OfferRelay, Side
from fleet.sipnet.served import Visit
from fleet.sipnet.transfer import Transfers
from fleet.sipnet.trunk_state import Background, Spawn
from fleet.sipnet.trunkbook import NoTrunks, TrunkBook
from fleet.sipnet.trunks import SipTrunks
from fleet.sipnet.trusted import TRUST_EVERYONE, TrustedPeers
from fleet.sipnet.unplaced import Unplaced
from fleet.sipnet.whereabouts import Whereabouts


class SipNetwork:
    """The adapter; ``core`` is where B-legs go (the S-CSCF or the core's entry point), but
    those to a fixed number, which go over its trunk (:mod:`fleet.sipnet.trunks`: ``trunks``
    the book of the trunks, ``spawn`` how their state writes run)."""

    def __init__(
        self,
        agent: FleetAgent,
        core: Peer,
        *,
        media_server: Peer | None = None,
        log: EventLog = no_log,
        trunks: TrunkBook | None = None,
        spawn: Spawn | None = None,
        whereabouts: Whereabouts | None = None,
        trusted: TrustedPeers = TRUST_EVERYONE,
        trunk_options_interval: float = INTERVAL,
    ) -> None:
        self.agent = agent
        self.trusted = trusted
        self.core = core
        self.log = log
        self.media = MediaPlayer(agent, media_server, scheduler=agent.scheduler, log=log)
        self.trunks = SipTrunks(
            agent=agent,
            book=trunks or NoTrunks(),
            scheduler=agent.scheduler,
            spawn=spawn or Background(log=log),
            log=log,
            options_interval=trunk_options_interval,
        )
        self.gate = Gate(agent, trunks=self.trunks, trusted=trusted, log=log)
        self._unplaced = Unplaced(agent, engine=lambda: self.engine, log=log)
        self._engine: Engine | None = None
        self._a: dict[str, IncomingCall] = {}
        self._a_ids: dict[IncomingCall, str] = {}
        self._b: dict[str, BLeg] = {}
        self._b_ids: dict[OutgoingCall, str] = {}
        self._dialogs: dict[DialogId, str] = {}
        self.early = EarlyNews(agent)
        self._visits: dict[str, Visit] = {}  # A-leg -> its session case, served user, ICID
        self.relay = OfferRelay(agent)
        self.early_offers = EarlyOffers(agent, self.relay)
        agent.on_offer = self._offer
        self.transfers = Transfers(agent, self.relay, report=self._bridge_failed, log=log)
        self.rooms = Rooms(agent, self.relay, media_server, report=self._bridge_failed, log=log)
        self.spoken = AnsweredAnnouncements(
            agent, self.relay, media_server, report=self._bridge_failed, log=log
        )
        self.keys = InCallKeys(
            agent, engine=lambda: self.engine, leg_of=self._dialogs.get, whereabouts=whereabouts
        )
        agent.on_in_dialog = self.keys

    def attach(self, engine: Engine) -> None:
        self._engine = engine
        self.agent.attach(self)

    @property
    def engine(self) -> Engine:
        assert self._engine is not None, "attach the engine first"
        return self._engine

    @property
    def legs(self) -> int:
        """Legs this adapter still tracks (zero once every call has ended)."""
        return (
            len(self._a)
            + len(self._b)
            + len(self._dialogs)
            + len(self.relay)
            + len(self.media)
            + len(self._unplaced)
            + len(self.transfers)
            + len(self.rooms)
            + len(self.early_offers)
            + len(self.spoken)
        )

    # -- the Network port ------------------------------------------------------------------

    def originate(self, request: LegRequest) -> None:
        call = self.engine.call(request.call_id)
        a_leg = call.a_leg.id if call is not None else None
        offer = self._a.get(a_leg) if a_leg is not None else None
        place = placement(
            request,
            visit=self._visits.get(a_leg) if a_leg is not None else None,
            fleet_id=call.fleet_id if call is not None else None,
            core=self.core,
            trunks=self.trunks.router,
        )
        if place is None:
            self._unplaced.add(request)
            return
        if a_leg is not None and offer is not None:
            self.early.forwarded(a_leg, offer, request.diversions)
        outgoing = self.agent.invite_with(
            place.uri,
            place.destination,
            local_party=place.local_party,
            headers=place.headers + self.early_offers.headers(offer),
            body=offer.invite.body if offer is not None else b"",
            content_type=offer.invite.headers.get("Content-Type") if offer is not None else None,
        )
        self.early_offers.placed(outgoing, offer)
        if place.trunk is not None:
            self.trunks.router.placed(outgoing, place.trunk)
        self._b[request.leg_id] = BLeg(
            request.leg_id, outgoing, a_leg, to_core=place.trunk is None, number=request.number
        )
        self._b_ids[outgoing] = request.leg_id
        if outgoing.invite.call_id:
            self.engine.leg_reference(request.leg_id, outgoing.invite.call_id)
        self.log(
            "sip_leg_originated",
            leg=request.leg_id,
            call_id=request.call_id,
            sip_call_id=outgoing.invite.call_id,
            number=request.number.value,
            trunk=request.trunk,
        )

    def cancel(self, leg_id: str) -> None:
        self._unplaced.discard(leg_id)
        leg = self._forget_b(leg_id)
        if leg is not None:
            self._drop_b(leg)

    def bridge(self, a_leg: str, b_leg: str) -> None:
        caller = self._a.get(a_leg)
        callee = self._b.get(b_leg)
        if caller is None or callee is None or caller.state not in UNANSWERED:
            first, second = self._dialog_of(a_leg), self._dialog_of(b_leg)
            if first is not None and second is not None:  # both answered: a transfer
                self.spoken.leave(a_leg, b_leg)
                self.transfers.bridge(a_leg, first, b_leg, second)
            else:
                self.log("sip_bridge_impossible", a_leg=a_leg, b_leg=b_leg)
            return
        self.media.stop(caller)  # the queue's music, BYEd before the 200
        self.agent.answer(caller, body=callee.answer, content_type=callee.answer_type)
        if caller.dialog is not None:
            self._dialogs[caller.dialog.id] = a_leg
            joined = self.early_offers.bridging(a_leg, caller, callee.call)
            if callee.call.dialog is not None and not joined:
                offer = caller.invite
                self.relay.join(
                    Side(caller.dialog, callee.answer, callee.answer_type),
                    Side(callee.call.dialog, offer.body, offer.headers.get("Content-Type")),
                )

    def release(
        self, leg_id: str, cause: ReleaseCause, *, announcement: Announcement | None = None
    ) -> None:
        self._unplaced.discard(leg_id)
        self.transfers.leave(leg_id)
        self.rooms.leave(leg_id)
        answered = self._dialog_of(leg_id)
        if answered is not None and announcement is not None:
            self._dialogs.pop(answered.id, None)
            self._forget_a(leg_id)
            self._forget_b(leg_id)
            self.spoken.play(leg_id, answered, announcement, cause=cause)
            return
        self.spoken.leave(leg_id)
        caller = self._forget_a(leg_id)
        if caller is not None:
            self.media.stop(caller)
            if caller.state in UNANSWERED and announcement is not None:
                self.media.announce(leg_id, caller, announcement, final_status(cause))
            elif caller.state in UNANSWERED:
                self.agent.reject(caller, final_status(cause))
            elif caller.dialog is not None:
                self._dialogs.pop(caller.dialog.id, None)
                self.relay.part(caller.dialog)
                self.agent.bye(caller.dialog)
            return
        callee = self._forget_b(leg_id)
        if callee is not None:
            self._drop_b(callee)

    def play(self, leg_id: str, announcement: Announcement) -> None:
        caller, answered = self._a.get(leg_id), self._dialog_of(leg_id)
        if answered is not None:
            self.spoken.play(leg_id, answered, announcement)
        elif caller is None or caller.state not in UNANSWERED:
            self.log("sip_announcement_not_played", leg=leg_id, announcement=announcement.value)
        else:
            self.media.play(leg_id, caller, announcement)

    def location(self, number: E164) -> LineLocation:
        return self.keys.sightings.location(number)  # where the handset was last seen

    def conference(self, conference_id: str, leg_ids: list[str]) -> None:
        """Each named leg onto the media server, but the two ends of a hop between two visits
        of one call (:mod:`.hops`): the handsets' legs either side of it are moved instead."""
        hops, legs = mixed(leg_ids, self._b, self._visits, self._dialog_of)
        if hops:
            self.log("sip_conference_hop_kept", conference_id=conference_id, legs=sorted(hops))
        self.spoken.leave(*leg_ids)
        self.rooms.conference(conference_id, legs)

    # -- what the user agent reports -------------------------------------------------------

    def incoming(self, call: IncomingCall) -> None:
        admitted = self.gate(call, self.engine)
        if admitted is None:
            return
        visit, dialled = admitted
        leg_id = self.engine.new_id()
        self._a[leg_id] = call
        self._a_ids[call] = leg_id
        self._visits[leg_id] = visit
        self.keys.sighted(visit.served if visit.originating else None, call.invite)
        hand_to_engine(self.engine, leg_id, call, visit, dialled, self.log)

    def incoming_ended(self, call: IncomingCall) -> None:
        self.media.stop(call)
        leg_id = self._a_ids.get(call)
        if leg_id is not None:
            self._forget_a(leg_id)
            self.engine.handle(LegReleased(leg_id, ReleaseCause.CALLER_HUNG_UP))

    def progress(self, call: OutgoingCall, response: Response) -> None:
        if any(part.progress(call, response) for part in (self.media, self.rooms, self.spoken)):
            return
        leg_id = self._b_ids.get(call)
        if leg_id is None:
            return
        leg = self._b[leg_id]
        status = response.status
        if leg.to_core and status > 100:  # the callee's UE: its cell (TS 24.229 §5.1.4)
            self.keys.sighted(leg.number, response)
        if status < 200:
            caller = self._a.get(leg.a_leg) if leg.a_leg is not None else None
            if not self.early_offers.relay(leg.a_leg, caller, call, response) and caller:
                self.early.relay(caller, response)
            if status > 100 and not leg.alerted:
                leg.alerted = True
                self.engine.handle(LegAlerting(leg_id))
        elif status < 300:
            if leg.answered:
                return  # a retransmission
            leg.answered = True
            leg.answer = response.body
            leg.answer_type = response.headers.get("Content-Type")
            if call.dialog is not None:
                self._dialogs[call.dialog.id] = leg_id
            self.engine.handle(LegAnswered(leg_id))
        else:
            self._forget_b(leg_id)
            event = failure_event(status, response.headers.get_all("Reason"))
            self.engine.handle(event(leg_id))

    def failed(self, call: OutgoingCall) -> None:
        if self.media.failed(call) or self.rooms.failed(call) or self.spoken.failed(call):
            return
        leg_id = self._b_ids.get(call)
        if leg_id is not None:
            self._forget_b(leg_id)
            self.engine.handle(LegUnreachable(leg_id))

    def dialog_ended(self, dialog: Dialog) -> None:
        if self.media.dialog_ended(dialog) or self.spoken.dialog_ended(dialog):
            return
        self.relay.part(dialog)
        self.keys.forget(dialog)
        participant = self.rooms.ended(dialog)
        if participant is not None:  # the media server ended a participant's dialog
            self.agent.bye(participant)
        leg_id = self._dialogs.pop(dialog.id, None)
        if leg_id is None:
            return
        self.transfers.leave(leg_id)
        self.rooms.leave(leg_id)
        self._forget_a(leg_id)
        self._forget_b(leg_id)
        self.engine.handle(LegReleased(leg_id))

    # -- in-call services -----------------------------------------------------------------

    def _offer(self, dialog: Dialog, request: Request) -> Answer | Refusal | Deferred | None:
        if request.method == "PRACK":
            return self.early_offers.prack(dialog, request)
        outcome = self.relay(dialog, request)
        self.keys.offered(dialog, request, relayed=outcome is DEFER)
        return outcome

    def _bridge_failed(self, event: BridgeFailed) -> None:
        self.engine.bridge_failed(event)

    def _dialog_of(self, leg_id: str) -> Dialog | None:
        caller = self._a.get(leg_id)
        if caller is not None:
            return caller.dialog if caller.state not in UNANSWERED else None
        callee = self._b.get(leg_id)
        if callee is not None and callee.answered:
            return callee.call.dialog
        return None

    # -- the legs ----------------------------------------------------------------------------

    def _drop_b(self, leg: BLeg) -> None:
        call = leg.call
        if call.state is OutgoingState.CONFIRMED and call.dialog is not None:
            self._dialogs.pop(call.dialog.id, None)
            self.relay.part(call.dialog)
            self.agent.bye(call.dialog)
        else:
            self.agent.cancel(call)

    def _forget_a(self, leg_id: str) -> IncomingCall | None:
        call = self._a.pop(leg_id, None)
        self.early.forget(leg_id)
        self.early_offers.forget_a(leg_id, call)
        self._visits.pop(leg_id, None)
        if call is not None:
            self._a_ids.pop(call, None)
        return call

    def _forget_b(self, leg_id: str) -> BLeg | None:
        leg = self._b.pop(leg_id, None)
        if leg is not None:
            self._b_ids.pop(leg.call, None)
            self.early_offers.forget_b(leg.call)
        return leg
