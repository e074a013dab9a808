"""netsim's media server (MRF): FleetPBX's announcements — RFC 4240 ``sip:annc@…;play=…``
URIs, answered, then ended by our BYE after the announcement's duration (never for
``repeat=forever``, the queue's music, which FleetPBX ends) — and conference rooms
(``sip:conf-…@…``: each INVITE joins its room, its BYE leaves it). It sends no media: it
answers with a session description and reports what it played and mixed."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.sip.dialog import Dialog, DialogId
from fleet.sip.message import Request
from fleet.sip.ua_calls import Answer, Deferred, IncomingCall, Refusal
from fleet.sip.ua_core import UserAgent
from simulators.netsim.sdp import SDP, Direction, owner_of, session

ANNOUNCEMENT_USER = "annc"
CONFERENCE_PREFIX = "conf-"
MEDIA_OWNER = "mrf"  # the o= user of its announcements (a room's is the room's name)


@dataclass
class Played:
    uri: str
    prompt: str
    repeat: bool
    sip_call_id: str | None
    started: float
    ended: float | None = None


@dataclass
class Room:
    name: str
    present: set[DialogId] = field(default_factory=set)
    joined: int = 0  # how many legs joined it, in all
    members: dict[DialogId, str] = field(default_factory=dict)  # who offered each leg (o=)

    def member_numbers(self) -> list[str]:
        """The handsets in the room (their numbers, +E.164), each once."""
        owners = {self.members[d] for d in self.present if d in self.members}
        return sorted(f"+{o}" for o in owners if o.isdigit())


def is_media_uri(request: Request) -> bool:
    uri = request.uri
    if uri.scheme != "sip":
        return False
    user = uri.user or ""
    return user == ANNOUNCEMENT_USER or user.startswith(CONFERENCE_PREFIX)


class MediaServer:
    def __init__(self, ua: UserAgent, *, announcement_seconds: float, keep: int = 500) -> None:
        self.ua = ua
        self.announcement_seconds = announcement_seconds
        self.played: list[Played] = []
        self.rooms: dict[str, Room] = {}
        self._keep = keep
        self._playing: dict[DialogId, Played] = {}
        self._in_room: dict[DialogId, Room] = {}
        self._version = 1

    def _sdp(self, owner: str = MEDIA_OWNER) -> bytes:
        self._version += 1
        return session(owner, self._version, 30000, Direction.SENDRECV)

    def incoming(self, call: IncomingCall) -> None:
        uri = call.invite.uri
        user = uri.user or ""
        if user == ANNOUNCEMENT_USER:
            prompt = uri.param("play")
            if not prompt:
                self.ua.reject(call, 400, reason="No play parameter")
                return
            self.ua.answer(call, body=self._sdp(), content_type=SDP)
            repeat = uri.param("repeat") is not None
            played = Played(str(uri), prompt, repeat, call.invite.call_id, self.ua.scheduler.now())
            self.played.append(played)
            del self.played[: -self._keep]
            if call.dialog is not None:
                self._playing[call.dialog.id] = played
                if not repeat:
                    dialog = call.dialog
                    self.ua.scheduler.call_later(
                        self.announcement_seconds, lambda: self._played(dialog)
                    )
            return
        room = self.rooms.setdefault(user, Room(user))
        self.ua.answer(call, body=self._sdp(user), content_type=SDP)
        if call.dialog is not None:
            room.present.add(call.dialog.id)
            room.joined += 1
            self._in_room[call.dialog.id] = room
            owner = owner_of(call.invite.body)
            if owner is not None:
                room.members[call.dialog.id] = owner

    def _played(self, dialog: Dialog) -> None:
        if dialog.id in self._playing:
            self.ua.bye(dialog)

    def dialog_ended(self, dialog: Dialog) -> None:
        played = self._playing.pop(dialog.id, None)
        if played is not None:
            played.ended = self.ua.scheduler.now()
        room = self._in_room.pop(dialog.id, None)
        if room is not None:
            room.present.discard(dialog.id)
            room.members.pop(dialog.id, None)
            if not room.present:
                self._forget_empty_rooms()

    def _forget_empty_rooms(self) -> None:
        """Keep the report bounded: the oldest empty rooms go past ``keep`` rooms."""
        excess = len(self.rooms) - self._keep
        for name in [n for n, r in self.rooms.items() if not r.present][: max(0, excess)]:
            del self.rooms[name]

    def offer(self, dialog: Dialog, request: Request) -> Answer | Refusal | Deferred | None:
        room = self._in_room.get(dialog.id)
        if room is not None:
            owner = owner_of(request.body)
            if owner is not None:
                room.members[dialog.id] = owner
            return Answer(self._sdp(room.name), SDP)
        if dialog.id in self._playing:
            return Answer(self._sdp(), SDP)
        return Refusal(481) if request.method == "INVITE" else None

    def view(self) -> dict[str, object]:
        return {
            "played": [
                {
                    "prompt": p.prompt,
                    "uri": p.uri,
                    "repeat": p.repeat,
                    "sip_call_id": p.sip_call_id,
                    "playing": p.ended is None,
                }
                for p in self.played
            ],
            "rooms": [
                {
                    "room": r.name,
                    "present": len(r.present),
                    "joined": r.joined,
                    "members": r.member_numbers(),
                }
                for r in self.rooms.values()
            ],
        }
