"""Announcements to a leg that is already answered (an in-call refusal: #1 or the conference key
refused, a transfer that fails; a release with an announcement after the answer), on the media
server (``sip_media_server``) by third-party call control (RFC 3725, :mod:`.threepcc`):

- **to the media server**: the leg is re-INVITEd without SDP, its offer goes in an INVITE of the
  RFC 4240 URI (:func:`fleet.sipnet.media.annc_uri`), the media server's answer returns in the
  leg's ACK. The move starts once the message that asked for it is answered (the REFER's 403
  goes first). Meanwhile the leg's dialog and the media server's are bridged for offers
  (:mod:`.relay`); the peer is not touched — it keeps the session it had (on hold, if it was) —
  and an offer of its gets 491 (no bridge: it retries after its §14.1 delay).
- **played** (the media server BYEs, or after ``cap`` seconds we BYE it): ``play`` moves the
  leg back to where it was by the same flow — re-INVITEd without SDP; its offer unchanged, it
  gets back in the ACK the session description it had (the peer not re-INVITEd); a new offer
  goes to the peer in a re-INVITE, whose answer comes back in the ACK — and the two legs are
  bridged again. ``release`` with an announcement BYEs the leg with the release cause
  (``Reason: Q.850;cause=…``).
- **failures**: no media server, the leg refusing the re-INVITE, 491 twice, the media server
  refusing or not answering within ``answer_wait`` seconds (the leg's 2xx waits for its ACK):
  the leg stays as it was (its 2xx ACKed with the session it had, the bridge with its peer
  back), logged ``sip_announcement_not_played``; a release is then done at once. A failed
  move back is reported to the engine as a failed bridge (it releases the call). The leg
  hanging up (or released by the engine) ends the media server's dialog (BYE, or CANCEL while
  unanswered).

A second announcement while one plays to the same leg is not played (logged); a release with an
announcement while one plays releases the leg when that one is over."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import partial

from fleet.core.calls.events import Announcement, BridgeFailed, BridgeFailure, ReleaseCause
from fleet.core.calls.ports import EventLog
from fleet.sip.dialog import Dialog, DialogId, DialogState
from fleet.sip.message import Response
from fleet.sip.transaction_ports import TimerHandle
from fleet.sip.transport_types import Peer
from fleet.sip.ua_calls import OutgoingCall, OutgoingState
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.causes import reason_of
from fleet.sipnet.media import ANNOUNCEMENT_CAP, PROMPTS, annc_uri
from fleet.sipnet.relay import OfferRelay, Side
from fleet.sipnet.threepcc import Described, Moved, OfferlessMove, Reoffer, Reply, failure_of

ANSWER_WAIT = 8.0  # seconds the media server has to answer: the leg's 2xx waits for our ACK

Report = Callable[[BridgeFailed], None]


class Stage(Enum):
    WAITING = "waiting"  # the move starts once the current message is answered
    MOVING = "moving"  # the leg is being moved onto the media server
    PLAYING = "playing"  # the leg is bridged with the media server
    RETURNING = "returning"  # the leg is being moved back to its peer


@dataclass(eq=False)
class Spoken:
    """One announcement to an answered leg."""

    leg_id: str
    leg: Dialog
    announcement: Announcement
    pair: tuple[Side, Side] | None  # the leg's side and its peer's before the announcement
    cause: ReleaseCause | None = None  # release with it once played (None: move back)
    stage: Stage = Stage.WAITING
    move: OfferlessMove | None = None
    server: OutgoingCall | None = None  # our INVITE of the annc URI
    reply: Reply | None = None  # the move waiting for the media server's answer
    played: Described | None = None  # what the leg got from the media server
    timer: TimerHandle | None = None
    wait: TimerHandle | None = None  # the media server's answer, waited for


class AnsweredAnnouncements:
    """The announcements to answered legs in progress, by leg id."""

    def __init__(
        self,
        agent: FleetAgent,
        relay: OfferRelay,
        server: Peer | None,
        *,
        report: Report,
        log: EventLog,
        prompts: str = PROMPTS,
        cap: float = ANNOUNCEMENT_CAP,
        answer_wait: float = ANSWER_WAIT,
    ) -> None:
        self.agent = agent
        self.relay = relay
        self.server = server
        self.report = report
        self.log = log
        self.prompts = prompts
        self.cap = cap
        self.answer_wait = answer_wait
        self._spoken: dict[str, Spoken] = {}
        self._legs: dict[DialogId, Spoken] = {}
        self._calls: dict[OutgoingCall, Spoken] = {}
        self._dialogs: dict[DialogId, Spoken] = {}  # the media server's dialogs

    def __len__(self) -> int:
        return len(self._spoken)

    # -- what the adapter asks ------------------------------------------------------------------

    def play(
        self,
        leg_id: str,
        leg: Dialog,
        announcement: Announcement,
        *,
        cause: ReleaseCause | None = None,
    ) -> None:
        """Play ``announcement`` to the answered ``leg``, then move it back (``cause`` None) or
        BYE it with ``cause``."""
        current = self._spoken.get(leg_id)
        if current is not None:
            if cause is not None:
                current.cause = cause
            self._not_played(leg_id, announcement, "already_playing")
            return
        if self.server is None:
            self._not_played(leg_id, announcement, "no_media_server")
            if cause is not None:
                self._release(leg, cause)
            return
        spoken = Spoken(leg_id, leg, announcement, self.relay.pair(leg), cause)
        self._spoken[leg_id] = spoken
        self._legs[leg.id] = spoken
        self.relay.part(leg)
        self.agent.later(0, partial(self._start, spoken))

    def leave(self, *leg_ids: str) -> None:
        """The engine released these legs or takes them elsewhere (a transfer, a conference):
        their announcements end, the media server's dialogs with them."""
        for leg_id in leg_ids:
            spoken = self._spoken.get(leg_id)
            if spoken is not None:
                self._end(spoken)

    # -- what the user agent reports (True: it was ours) -----------------------------------------

    def progress(self, call: OutgoingCall, response: Response) -> bool:
        spoken = self._calls.get(call)
        if spoken is None:
            return False
        if response.status < 200:
            return True
        reply, spoken.reply = spoken.reply, None
        if response.status >= 300:
            del self._calls[call]
            spoken.server = None
        elif call.dialog is not None:
            self._dialogs[call.dialog.id] = spoken
        if reply is not None:
            answer = Described(response.body, response.headers.get("Content-Type"))
            reply(answer if response.status < 300 else failure_of(response))
        return True

    def failed(self, call: OutgoingCall) -> bool:
        spoken = self._calls.pop(call, None)
        if spoken is None:
            return False
        spoken.server = None
        reply, spoken.reply = spoken.reply, None
        if reply is not None:
            reply(BridgeFailure.NO_ANSWER)
        return True

    def dialog_ended(self, dialog: Dialog) -> bool:
        """True when ``dialog`` was the media server's (the announcement is over); the leg's own
        dialog ending ends its announcement, and the adapter goes on with it (False)."""
        spoken = self._dialogs.pop(dialog.id, None)
        if spoken is not None:
            if spoken.server is not None:
                self._calls.pop(spoken.server, None)
                spoken.server = None
            self.relay.part(dialog)
            self.log("sip_announcement_played", leg=spoken.leg_id, cause=spoken.cause)
            self._after(spoken)
            return True
        spoken = self._legs.get(dialog.id)
        if spoken is not None:
            self._end(spoken)
        return False

    # -- onto the media server -------------------------------------------------------------------

    def _start(self, spoken: Spoken) -> None:
        if self._spoken.get(spoken.leg_id) is not spoken:
            return
        before = spoken.pair[0] if spoken.pair is not None else None
        spoken.stage = Stage.MOVING
        spoken.move = OfferlessMove(
            self.agent,
            spoken.leg,
            before=Described(b"", None)
            if before is None
            else Described(before.sent, before.sent_type),
            deliver=partial(self._invite_server, spoken),
            done=partial(self._moved, spoken),
        )
        spoken.timer = self.agent.later(self.cap, partial(self._capped, spoken))
        spoken.move.start()

    def _invite_server(self, spoken: Spoken, offer: Described, reply: Reply) -> None:
        assert self.server is not None
        uri = annc_uri(self.server, spoken.announcement, prompts=self.prompts, repeat=False)
        spoken.reply = reply
        spoken.server = self.agent.invite_with(
            uri,
            self.server,
            local_party=self.agent.contact,
            headers=(),
            body=offer.body,
            content_type=offer.content_type,
        )
        self._calls[spoken.server] = spoken
        spoken.wait = self.agent.later(self.answer_wait, partial(self._unanswered, spoken))
        self.log("sip_media_invited", leg=spoken.leg_id, uri=uri)

    def _unanswered(self, spoken: Spoken) -> None:
        """The leg's 2xx cannot wait for our ACK much longer (its retransmissions stop after
        64*T1 and it ends the dialog): the media server is given up (CANCELled)."""
        spoken.wait = None
        server, reply = spoken.server, spoken.reply
        if server is None or reply is None or self._calls.get(server) is not spoken:
            return
        del self._calls[server]
        spoken.server = spoken.reply = None
        self.agent.cancel(server)
        reply(BridgeFailure.NO_ANSWER)

    def _moved(self, spoken: Spoken, outcome: Moved | BridgeFailure) -> None:
        spoken.move = None
        if spoken.wait is not None:
            spoken.wait.cancel()
            spoken.wait = None
        server = spoken.server
        dialog = server.dialog if server is not None else None
        if isinstance(outcome, Moved) and dialog is not None:
            spoken.stage = Stage.PLAYING
            spoken.played = outcome.answer
            self.relay.join(
                Side(spoken.leg, outcome.answer.body, outcome.answer.content_type),
                Side(dialog, outcome.offer.body, outcome.offer.content_type),
            )
            self.log("sip_media_playing", leg=spoken.leg_id, announcement=spoken.announcement.value)
            return
        reason = outcome.value if isinstance(outcome, BridgeFailure) else "no_answer"
        self._not_played(spoken.leg_id, spoken.announcement, reason)
        self._forget(spoken)
        self._hang_up(server)
        self._rejoin(spoken)
        if spoken.cause is not None:
            self._release(spoken.leg, spoken.cause)

    def _capped(self, spoken: Spoken) -> None:
        spoken.timer = None
        if self._spoken.get(spoken.leg_id) is not spoken:
            return
        server = spoken.server
        if spoken.stage is Stage.PLAYING and server is not None and server.dialog is not None:
            self.log("sip_announcement_capped", leg=spoken.leg_id, seconds=self.cap)
            self.agent.bye(server.dialog)  # the announcement is over: dialog_ended goes on
        elif spoken.stage is Stage.MOVING:
            self._end(spoken)
            self._not_played(spoken.leg_id, spoken.announcement, "capped")
            self._rejoin(spoken)
            if spoken.cause is not None:
                self._release(spoken.leg, spoken.cause)

    # -- back, or released -----------------------------------------------------------------------

    def _after(self, spoken: Spoken) -> None:
        if spoken.timer is not None:
            spoken.timer.cancel()
            spoken.timer = None
        if spoken.cause is not None:
            self._forget(spoken)
            self._release(spoken.leg, spoken.cause)
            return
        peer = spoken.pair[1] if spoken.pair is not None else None
        if peer is None or peer.dialog.state is DialogState.TERMINATED:
            self.log("sip_announcement_nothing_to_return_to", leg=spoken.leg_id)
            self._forget(spoken)
            return
        played = spoken.played or Described(b"", None)
        spoken.stage = Stage.RETURNING
        spoken.move = OfferlessMove(
            self.agent,
            spoken.leg,
            before=played,
            deliver=partial(self._offer_peer, spoken),
            done=partial(self._returned, spoken),
        )
        spoken.move.start()

    def _offer_peer(self, spoken: Spoken, offer: Described, reply: Reply) -> None:
        """The leg's offer unchanged: the peer's session goes on as it was (the peer is not
        re-INVITEd); a new one goes to the peer."""
        assert spoken.pair is not None
        own, peer = spoken.pair
        if offer.body == peer.sent:
            reply(Described(own.sent, own.sent_type))
            return
        Reoffer(self.agent, peer.dialog)(offer, reply)

    def _returned(self, spoken: Spoken, outcome: Moved | BridgeFailure) -> None:
        spoken.move = None
        self._forget(spoken)
        assert spoken.pair is not None
        peer = spoken.pair[1]
        if spoken.cause is not None:  # released by the engine meanwhile
            self._release(spoken.leg, spoken.cause)
        elif isinstance(outcome, Moved):
            self.relay.join(
                Side(spoken.leg, outcome.answer.body, outcome.answer.content_type),
                Side(peer.dialog, outcome.offer.body, outcome.offer.content_type),
            )
            self.log("sip_announcement_returned", leg=spoken.leg_id)
        else:
            self.log("sip_announcement_return_failed", leg=spoken.leg_id, reason=outcome.value)
            self.report(BridgeFailed(spoken.leg_id, outcome))

    # -- the end -----------------------------------------------------------------------------

    def _end(self, spoken: Spoken) -> None:
        """Ended from outside: nothing more is reported; the media server's dialog goes."""
        self._forget(spoken)
        if spoken.move is not None:
            spoken.move.abandon()
            spoken.move = None
        spoken.reply = None
        self._hang_up(spoken.server)

    def _hang_up(self, server: OutgoingCall | None) -> None:
        if server is None:
            return
        if server.state is OutgoingState.CONFIRMED and server.dialog is not None:
            self.relay.part(server.dialog)
            self.agent.bye(server.dialog)
        else:
            self.agent.cancel(server)

    def _rejoin(self, spoken: Spoken) -> None:
        """The leg stayed as it was: bridged with its peer again."""
        if spoken.pair is not None and spoken.leg.state is not DialogState.TERMINATED:
            own, peer = spoken.pair
            if peer.dialog.state is not DialogState.TERMINATED:
                self.relay.join(own, peer)

    def _release(self, leg: Dialog, cause: ReleaseCause) -> None:
        self.relay.part(leg)
        self.agent.bye(leg, headers=[("Reason", reason_of(cause))])

    def _forget(self, spoken: Spoken) -> None:
        """Removed before the user agent is asked to end anything, so what it reports back is
        not ours any more."""
        if self._spoken.get(spoken.leg_id) is spoken:
            del self._spoken[spoken.leg_id]
        if self._legs.get(spoken.leg.id) is spoken:
            del self._legs[spoken.leg.id]
        server = spoken.server
        if server is not None:
            self._calls.pop(server, None)
            if server.dialog is not None and self._dialogs.get(server.dialog.id) is spoken:
                del self._dialogs[server.dialog.id]
        for timer in (spoken.timer, spoken.wait):
            if timer is not None:
                timer.cancel()
        spoken.timer = spoken.wait = None

    def _not_played(self, leg_id: str, announcement: Announcement, reason: str) -> None:
        self.log(
            "sip_announcement_not_played",
            leg=leg_id,
            announcement=announcement.value,
            reason=reason,
        )
