"""Announcements and a queued caller's music from an external media server (an MRF, setting
``sip_media_server``): FleetPBX sends no RTP, it puts the media server on the caller's
unanswered INVITE as early media.

- What is played is named by an RFC 4240 URI: ``sip:annc@<media server>;play=<prompt>`` with
  one prompt per :class:`Announcement` value, ``<prompts><value>.wav`` (by default
  ``file:///announcements/number_unknown.wav``…: the media server's own files); the queue's
  music adds ``;repeat=forever``.
- The media server's INVITE carries the caller's offer (the A-leg INVITE's SDP); its 200 is
  ACKed (by the user agent) and the caller gets a **183 Session Progress** with the media
  server's SDP. That 183 goes under a To tag of its own, not the caller's final response's:
  an early dialog apart, as when a proxy forks (RFC 3261 §13.2.1, §12.1.1; RFC 6337 §3.1,
  §5.1), so the member's SDP in the final 200 is the answer of another dialog, not a changed
  answer in the same one, and the caller's end drops the media server's early dialog when the
  200 (or the final failure) arrives.
- An announcement ends the call: when the media server BYEs (played to the end), when it
  takes longer than ``cap`` (the media server is BYEd, or CANCELled while its INVITE is
  unanswered), or at once when there is no media server, no offer to give it, or it refuses
  or times out, the caller gets the release cause's final response (logged).
- The music lasts until the caller is bridged to a member (the media server is BYEd before
  the 200), cancels or is released; its 183 is sent again every ``refresh`` seconds (60:
  RFC 3261 §13.3.1.1 asks for a provisional every minute, and proxies' timer C runs out
  after three without one). Without a media server the queued caller waits in silence.

An answered leg hears its announcements by third-party call control instead
(:mod:`fleet.sipnet.announce_answered`). Not yet: the 183 goes unreliably even when the caller's
INVITE requires 100rel, and the media server's early dialog is not one of the user agent's (a
request the caller sends in it — UPDATE, PRACK — gets 481); a caller without an offer hears
nothing (logged)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from fleet.core.calls.events import Announcement
from fleet.core.calls.ports import EventLog, no_log
from fleet.sip.dialog import Dialog, DialogId
from fleet.sip.message import Response
from fleet.sip.transaction_messages import new_tag
from fleet.sip.transaction_ports import Scheduler, TimerHandle
from fleet.sip.transport_types import UDP, Peer
from fleet.sip.ua_calls import IncomingCall, IncomingState, OutgoingCall
from fleet.sip.ua_messages import uas_response
from fleet.sipnet.agent import FleetAgent

PROMPTS = "file:///announcements/"
ANNOUNCEMENT_CAP = 60.0  # seconds an announcement may take before the caller is released
EARLY_MEDIA_REFRESH = 60.0  # seconds between two 183s of the queue's music
UNANSWERED = (IncomingState.PROCEEDING, IncomingState.EARLY)


class PlayKind(Enum):
    ANNOUNCEMENT = "announcement"  # then the caller gets its final response
    MUSIC = "music"  # until the bridge, the caller's CANCEL or the release


class PlayState(Enum):
    INVITING = "inviting"  # our INVITE to the media server is unanswered
    PLAYING = "playing"  # its 200 ACKed, the caller has its 183


@dataclass(eq=False)
class Play:
    leg_id: str
    caller: IncomingCall
    announcement: Announcement
    kind: PlayKind
    final: int  # the caller's final response once an announcement is over
    server: OutgoingCall
    tag: str  # the To tag of the caller's early dialog with the media server
    state: PlayState = PlayState.INVITING
    sdp: bytes = b""
    sdp_type: str | None = None
    timer: TimerHandle | None = None


def annc_uri(server: Peer, announcement: Announcement, *, prompts: str, repeat: bool) -> str:
    """The RFC 4240 URI playing ``announcement`` on ``server`` (``repeat``: until stopped)."""
    host = f"[{server.host}]" if ":" in server.host else server.host
    transport = "" if server.transport is UDP else f";transport={server.transport.lower()}"
    forever = ";repeat=forever" if repeat else ""
    prompt = f"{prompts}{announcement.value}.wav"
    return f"sip:annc@{host}:{server.port}{transport};play={prompt}{forever}"


class MediaPlayer:
    """The adapter's plays on the media server ``server`` (None: none configured)."""

    def __init__(
        self,
        agent: FleetAgent,
        server: Peer | None,
        *,
        scheduler: Scheduler,
        prompts: str = PROMPTS,
        cap: float = ANNOUNCEMENT_CAP,
        refresh: float = EARLY_MEDIA_REFRESH,
        log: EventLog = no_log,
    ) -> None:
        self.agent = agent
        self.server = server
        self.scheduler = scheduler
        self.prompts = prompts
        self.cap = cap
        self.refresh = refresh
        self.log = log
        self._plays: dict[OutgoingCall, Play] = {}
        self._callers: dict[IncomingCall, Play] = {}
        self._dialogs: dict[DialogId, Play] = {}

    def __len__(self) -> int:
        """Plays in progress (zero once every call has ended)."""
        return len(self._plays)

    # -- what the adapter asks ----------------------------------------------------------------

    def announce(
        self, leg_id: str, caller: IncomingCall, announcement: Announcement, final: int
    ) -> None:
        """Play ``announcement`` to the unanswered ``caller``, then answer it ``final``."""
        self.stop(caller)
        play = self._start(leg_id, caller, announcement, PlayKind.ANNOUNCEMENT, final)
        if play is None:
            self.agent.reject(caller, final)
            return
        play.timer = self.scheduler.call_later(self.cap, lambda: self._capped(play))

    def play(self, leg_id: str, caller: IncomingCall, announcement: Announcement) -> None:
        """Play ``announcement`` over and over to the unanswered ``caller`` until :meth:`stop`."""
        self.stop(caller)
        self._start(leg_id, caller, announcement, PlayKind.MUSIC, 0)

    def stop(self, caller: IncomingCall) -> None:
        """End what ``caller`` hears (bridged, cancelled, released): the media server is BYEd,
        or CANCELled while its INVITE is unanswered."""
        play = self._callers.get(caller)
        if play is not None:
            self._forget(play)
            self._hang_up(play)

    # -- what the user agent reports (True: it was a media server's call) ----------------------

    def progress(self, call: OutgoingCall, response: Response) -> bool:
        play = self._plays.get(call)
        if play is None:
            return False
        status = response.status
        if status < 200:
            return True
        if status >= 300:
            self._refused(play, status)
            return True
        if play.state is PlayState.PLAYING:
            return True  # a retransmission, ACKed by the user agent
        play.state = PlayState.PLAYING
        if call.dialog is not None:
            self._dialogs[call.dialog.id] = play
        if play.caller.state not in UNANSWERED:
            self.stop(play.caller)
            return True
        play.sdp = response.body
        play.sdp_type = response.headers.get("Content-Type")
        self._early_media(play)
        self.log(
            "sip_media_playing",
            leg=play.leg_id,
            announcement=play.announcement.value,
            kind=play.kind.value,
        )
        if play.kind is PlayKind.MUSIC:
            play.timer = self.scheduler.call_later(self.refresh, lambda: self._refreshed(play))
        return True

    def failed(self, call: OutgoingCall) -> bool:
        play = self._plays.get(call)
        if play is None:
            return False
        self._refused(play, None)
        return True

    def dialog_ended(self, dialog: Dialog) -> bool:
        play = self._dialogs.get(dialog.id)
        if play is None:
            return False
        self._forget(play)
        self.log(
            "sip_media_ended",
            leg=play.leg_id,
            announcement=play.announcement.value,
            kind=play.kind.value,
        )
        if play.kind is PlayKind.ANNOUNCEMENT:
            self.agent.reject(play.caller, play.final)
        return True

    # -- the plays ------------------------------------------------------------------------------

    def _start(
        self,
        leg_id: str,
        caller: IncomingCall,
        announcement: Announcement,
        kind: PlayKind,
        final: int,
    ) -> Play | None:
        why = None
        if self.server is None:
            why = "no_media_server"
        elif not caller.invite.body:
            why = "no_offer"  # an offer in our ACK to the media server: not yet
        elif caller.state not in UNANSWERED:
            why = "caller_answered"  # the adapter sends those to announce_answered
        if why is not None or self.server is None:
            self.log(
                "sip_announcement_not_played",
                leg=leg_id,
                announcement=announcement.value,
                reason=why,
            )
            return None
        uri = annc_uri(
            self.server, announcement, prompts=self.prompts, repeat=kind is PlayKind.MUSIC
        )
        server = self.agent.invite_with(
            uri,
            self.server,
            local_party=self.agent.contact,
            headers=(),
            body=caller.invite.body,
            content_type=caller.invite.headers.get("Content-Type"),
        )
        play = Play(leg_id, caller, announcement, kind, final, server, new_tag())
        self._plays[server] = play
        self._callers[caller] = play
        self.log("sip_media_invited", leg=leg_id, uri=uri, sip_call_id=server.invite.call_id)
        return play

    def _early_media(self, play: Play) -> None:
        caller = play.caller
        if caller.state not in UNANSWERED:
            return
        response = uas_response(
            caller.invite,
            183,
            local_tag=play.tag,
            contact=self.agent.contact,
            body=play.sdp,
            content_type=play.sdp_type,
        )
        caller.transaction.respond(response)

    def _refreshed(self, play: Play) -> None:
        if self._plays.get(play.server) is not play:
            return
        self._early_media(play)
        play.timer = self.scheduler.call_later(self.refresh, lambda: self._refreshed(play))

    def _capped(self, play: Play) -> None:
        if self._plays.get(play.server) is not play:
            return
        self.log("sip_announcement_capped", leg=play.leg_id, seconds=self.cap)
        self._forget(play)
        self._hang_up(play)
        self.agent.reject(play.caller, play.final)

    def _refused(self, play: Play, status: int | None) -> None:
        self._forget(play)
        self.log(
            "sip_announcement_not_played",
            leg=play.leg_id,
            announcement=play.announcement.value,
            reason="media_server_refused" if status is not None else "media_server_timeout",
            status=status,
        )
        if play.kind is PlayKind.ANNOUNCEMENT:
            self.agent.reject(play.caller, play.final)

    def _hang_up(self, play: Play) -> None:
        dialog = play.server.dialog
        if play.state is PlayState.PLAYING and dialog is not None:
            self.agent.bye(dialog)
        else:
            self.agent.cancel(play.server)

    def _forget(self, play: Play) -> None:
        """Removed before the user agent is asked to end the media server's call, so what it
        reports back about it is not ours any more."""
        self._plays.pop(play.server, None)
        if self._callers.get(play.caller) is play:
            del self._callers[play.caller]
        if play.server.dialog is not None and self._dialogs.get(play.server.dialog.id) is play:
            del self._dialogs[play.server.dialog.id]
        if play.timer is not None:
            play.timer.cancel()
            play.timer = None
