"""Conferences on the media server (``sip_media_server``; FleetPBX mixes no media): the engine's
``conference(conference_id, leg_ids)`` names every leg of the conference each time it changes;
each new leg is moved onto the conference URI ``sip:conf-<conference_id>@<media server>`` by
third-party call control (:mod:`.threepcc`: the leg re-INVITEd without SDP, its offer in an
INVITE to that URI, the media server's answer in the leg's ACK), and from then on the leg's
dialog and its media-server dialog are bridged for later offers (:mod:`.relay`). A leg no
longer named, or released, or whose dialog ended, has its media-server dialog BYEd (CANCELled
while unanswered); the media server BYEing a participant's dialog ends that leg.

The initiator's handset has one leg per call it joined: each is moved (the handset keeps both
dialogs, each in the mix). Without a media server, or when a move fails, the engine hears
:class:`fleet.core.calls.events.BridgeFailed` (``NO_MEDIA_SERVER``, ``REFUSED``…): it tells the
initiator the service is not possible and releases the conference's calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from fleet.core.calls.events import BridgeFailed, BridgeFailure
from fleet.core.calls.ports import EventLog
from fleet.sip.dialog import Dialog, DialogId
from fleet.sip.message import Response
from fleet.sip.transport_types import Peer
from fleet.sip.ua_calls import OutgoingCall, OutgoingState
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.relay import OfferRelay, Side
from fleet.sipnet.threepcc import Described, Moved, OfferlessMove, Reply, failure_of

Report = Callable[[BridgeFailed], None]


def conference_uri(conference_id: str, media_server: Peer) -> str:
    host = f"[{media_server.host}]" if ":" in media_server.host else media_server.host
    return f"sip:conf-{conference_id}@{host}:{media_server.port}"


@dataclass(eq=False)
class Member:
    conference_id: str
    leg_id: str
    leg: Dialog
    move: OfferlessMove | None = None
    bridge: OutgoingCall | None = None  # our INVITE of the conference URI
    reply: Reply | None = None  # the move waiting for the media server's answer


class Rooms:
    """Each conference's members on the media server, by conference id and leg id."""

    def __init__(
        self,
        agent: FleetAgent,
        relay: OfferRelay,
        media_server: Peer | None,
        *,
        report: Report,
        log: EventLog,
    ) -> None:
        self.agent = agent
        self.relay = relay
        self.media_server = media_server
        self.report = report
        self.log = log
        self._rooms: dict[str, dict[str, Member]] = {}
        self._calls: dict[OutgoingCall, Member] = {}
        self._dialogs: dict[DialogId, Member] = {}

    def __len__(self) -> int:
        return sum(len(room) for room in self._rooms.values())

    def conference(self, conference_id: str, legs: list[tuple[str, Dialog]]) -> None:
        if self.media_server is None:
            self.log("sip_conference_refused", conference_id=conference_id, reason="no_ms")
            if legs:
                failed = BridgeFailed(legs[0][0], BridgeFailure.NO_MEDIA_SERVER)
                self.agent.later(0, lambda: self.report(failed))
            return
        room = self._rooms.setdefault(conference_id, {})
        wanted = {leg_id for leg_id, _ in legs}
        for leg_id in [leg_id for leg_id in room if leg_id not in wanted]:
            self._drop(room, leg_id)
        for leg_id, dialog in legs:
            if leg_id not in room:
                room[leg_id] = member = Member(conference_id, leg_id, dialog)
                self._start(member)
        if not room:
            del self._rooms[conference_id]

    def leave(self, leg_id: str) -> None:
        """``leg_id`` was released or its dialog ended: its media-server dialog goes."""
        for conference_id, room in list(self._rooms.items()):
            if leg_id in room:
                self._drop(room, leg_id)
                if not room:
                    del self._rooms[conference_id]

    def progress(self, call: OutgoingCall, response: Response) -> bool:
        """A response to our INVITE of a conference URI (True), or not ours (False)."""
        member = self._calls.get(call)
        if member is None:
            return False
        if response.status < 200:
            return True
        reply, member.reply = member.reply, None
        if response.status >= 300:
            self._calls.pop(call, None)
            member.bridge = None
        elif call.dialog is not None:
            self._dialogs[call.dialog.id] = member
        if reply is not None:
            answer = Described(response.body, response.headers.get("Content-Type"))
            reply(answer if response.status < 300 else failure_of(response))
        return True

    def failed(self, call: OutgoingCall) -> bool:
        member = self._calls.pop(call, None)
        if member is None:
            return False
        member.bridge = None
        reply, member.reply = member.reply, None
        if reply is not None:
            reply(BridgeFailure.NO_ANSWER)
        return True

    def ended(self, dialog: Dialog) -> Dialog | None:
        """The media server ended a participant's dialog: the participant's leg dialog, which
        the adapter then ends; None when ``dialog`` is not a media-server dialog."""
        member = self._dialogs.pop(dialog.id, None)
        if member is None:
            return None
        if member.bridge is not None:
            self._calls.pop(member.bridge, None)
            member.bridge = None
        self.leave(member.leg_id)
        return member.leg

    # -- one member --------------------------------------------------------------------------

    def _start(self, member: Member) -> None:
        side = self.relay.side(member.leg)
        before = Described(b"", None) if side is None else Described(side.sent, side.sent_type)
        self.relay.part(member.leg)
        member.move = OfferlessMove(
            self.agent,
            member.leg,
            before=before,
            deliver=partial(self._invite_bridge, member),
            done=partial(self._moved, member),
        )
        member.move.start()

    def _invite_bridge(self, member: Member, offer: Described, reply: Reply) -> None:
        assert self.media_server is not None
        member.reply = reply
        member.bridge = self.agent.invite_with(
            conference_uri(member.conference_id, self.media_server),
            self.media_server,
            local_party=f"<sip:{self.agent.user}@{self.agent.address.host}>",
            headers=[],
            body=offer.body,
            content_type=offer.content_type,
        )
        self._calls[member.bridge] = member

    def _moved(self, member: Member, outcome: Moved | BridgeFailure) -> None:
        bridge = member.bridge
        if isinstance(outcome, Moved) and bridge is not None and bridge.dialog is not None:
            self.relay.join(
                Side(member.leg, outcome.answer.body, outcome.answer.content_type),
                Side(bridge.dialog, outcome.offer.body, outcome.offer.content_type),
            )
            self.log("sip_conference_joined", conference_id=member.conference_id, leg=member.leg_id)
            return
        reason = outcome if isinstance(outcome, BridgeFailure) else BridgeFailure.NO_ANSWER
        self.log(
            "sip_conference_move_failed",
            conference_id=member.conference_id,
            leg=member.leg_id,
            reason=reason.value,
        )
        self.report(BridgeFailed(member.leg_id, reason))

    def _drop(self, room: dict[str, Member], leg_id: str) -> None:
        member = room.pop(leg_id)
        if member.move is not None:
            member.move.abandon()
        member.reply = None
        call, member.bridge = member.bridge, None
        if call is None:
            return
        self._calls.pop(call, None)
        if call.state is OutgoingState.CONFIRMED and call.dialog is not None:
            self._dialogs.pop(call.dialog.id, None)
            self.relay.part(call.dialog)
            self.agent.bye(call.dialog)
        else:
            self.agent.cancel(call)
