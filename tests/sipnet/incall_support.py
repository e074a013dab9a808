"""In-call services through FleetPBX on SIP (virtual time): the external caller A calls fleet
line B, B answers and holds A, then B calls fleet line C through FleetPBX and C answers. The
S-CSCF's UA plays A's side of the first call and B's side of the second; the handsets' UA plays
B's side of the first call and C's side of the second. Each side answers the re-INVITEs it gets
with the session descriptions it is given (per dialog, in order), and answers in-dialog
requests (NOTIFY) 200."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.sip.dialog import Dialog, DialogId
from fleet.sip.message import Request
from fleet.sip.transport_types import UDP, Peer
from fleet.sip.ua_calls import Answer, OutgoingCall, Refusal, ReInvite
from fleet.sip.ua_core import UserAgent
from tests.sip.lossy import LossyLink
from tests.sipnet.support import ANSWER, FLEETPBX, OFFER, Core, answer_after, core

A = "+33699000009"  # the support's caller, outside the fleet
B = "+33611000002"
C = "+33611000003"
SPECIAL = "+33810000000"  # an 08 number
SDP = "application/sdp"
HOLD = OFFER + b"a=sendonly\r\n"
HELD = ANSWER + b"a=recvonly\r\n"
B_OFFER = b"v=0\r\no=b 1 1 IN IP4 192.0.2.70\r\ns=-\r\nc=IN IP4 192.0.2.70\r\nt=0 0\r\n"
A_OFFER = b"v=0\r\no=caller 1 2 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n"
C_ANSWER = b"v=0\r\no=callee 1 2 IN IP4 192.0.2.60\r\ns=-\r\nc=IN IP4 192.0.2.60\r\nt=0 0\r\n"
MEDIA_SERVER = Peer(UDP, "192.0.2.6", 5060)
MIX = b"v=0\r\no=ms 1 1 IN IP4 192.0.2.80\r\ns=-\r\nc=IN IP4 192.0.2.80\r\nt=0 0\r\n"


@dataclass
class Phones:
    """An offer hook answering per dialog: the next outcome given for it (the last one again;
    by default 200 with the dialog's own offer or answer), remembering what was asked."""

    outcomes: dict[DialogId, list[Answer | Refusal]] = field(default_factory=dict)
    asked: dict[DialogId, list[bytes]] = field(default_factory=dict)

    def __call__(self, dialog: Dialog, request: Request) -> Answer | Refusal:
        self.asked.setdefault(dialog.id, []).append(request.body)
        given = self.outcomes.get(dialog.id) or [Answer(ANSWER)]
        return given.pop(0) if len(given) > 1 else given[0]


def notified(dialog: Dialog, request: Request) -> int:
    return 200


@dataclass
class Scene:
    c: Core
    a_call: OutgoingCall  # A → B, on the S-CSCF's UA
    b_call: OutgoingCall  # B → C, on the S-CSCF's UA
    caller_phones: Phones  # A's and B's (second call) sides
    handset_phones: Phones  # B's (first call) and C's sides

    @property
    def a(self) -> Dialog:
        assert self.a_call.dialog is not None
        return self.a_call.dialog

    @property
    def b_active(self) -> Dialog:
        assert self.b_call.dialog is not None
        return self.b_call.dialog

    def handset_dialog(self, number: str) -> Dialog:
        """The handsets' UA's dialog of the B-leg to ``number``."""
        for call in self.c.handsets.incoming:
            if number in str(call.invite.uri) and call.dialog is not None:
                return call.dialog
        raise AssertionError(f"no dialog of {number}")

    def info(self, dialog: Dialog, digit: str, *, ua: UserAgent | None = None) -> None:
        (ua or self.c.scscf).request_in(
            dialog,
            "INFO",
            body=f"Signal={digit}\r\nDuration=160\r\n".encode(),
            content_type="application/dtmf-relay",
        )

    def refer(self, dialog: Dialog, refer_to: str) -> None:
        self.c.scscf.request_in(dialog, "REFER", headers=[("Refer-To", f"<{refer_to}>")])

    def reinvites_to(self, link: LossyLink) -> list[Request]:
        return [
            s.message
            for s in link.sent
            if isinstance(s.message, Request)
            and s.message.method == "INVITE"
            and s.message.to is not None
            and s.message.to.tag is not None
        ]

    def sent(self, link: LossyLink, label: str) -> list[Request]:
        return [s.message for s in link.sent if s.label == label and isinstance(s.message, Request)]

    def responses(self, link: LossyLink, status: str, method: str) -> int:
        return len(
            [
                s
                for s in link.sent
                if s.label == status
                and s.message.cseq is not None
                and s.message.cseq.method == method
            ]
        )

    def reinvite(self, ua: UserAgent, dialog: Dialog, body: bytes) -> ReInvite:
        return ua.reinvite(dialog, body=body, content_type=SDP)


def held_and_second_call(
    *,
    callee: str = C,
    media_server: Peer | None = None,
    hold: bool = True,
    callee_answers_after: float = 1.0,
) -> Scene:
    """A calls B (answered); B holds A (re-INVITE a=sendonly relayed to A); B calls ``callee``
    through FleetPBX (answered after ``callee_answers_after`` seconds)."""
    c = core(media_server=media_server)
    caller_phones, handset_phones = Phones(), Phones()
    c.scscf.on_offer = caller_phones
    c.handsets.on_offer = handset_phones
    c.scscf.on_in_dialog = notified
    c.handsets.on_in_dialog = notified
    c.answers[B] = answer_after(1.0, c.clock)
    c.answers[callee] = answer_after(callee_answers_after, c.clock)
    a_call = c.call(B)
    c.advance(2.0)
    assert a_call.dialog is not None and c.engine.active_calls == 1
    scene = Scene(c, a_call, a_call, caller_phones, handset_phones)
    if hold:
        held = scene.reinvite(c.handsets, scene.handset_dialog(B), HOLD)
        c.advance(1.0)
        assert held.final_status == 200 and caller_phones.asked[scene.a.id] == [HOLD]
    scene.b_call = c.scscf.invite(
        f"sip:{callee}@{FLEETPBX.host};user=phone",
        FLEETPBX,
        body=B_OFFER,
        content_type=SDP,
        headers=[("P-Asserted-Identity", f"<tel:{B}>")],
    )
    c.advance(2.0)
    assert scene.b_call.dialog is not None and c.engine.active_calls == 2
    return scene


def ended(scene: Scene) -> None:
    """Nothing left anywhere once every dialog has had time to end."""
    c = scene.c
    c.advance(64)
    assert c.engine.active_calls == 0
    assert c.network.legs == 0
    assert c.network.agent.calls_held == 0
    assert not c.network.agent.dialogs
    assert c.scscf.calls_held == 0 and c.handsets.calls_held == 0
    assert not c.scscf.dialogs and not c.handsets.dialogs


def media_server_ua(c: Core) -> UserAgent:
    """A media server at :data:`MEDIA_SERVER` answering every INVITE 200 with :data:`MIX`."""
    to_ms = LossyLink(c.clock, FLEETPBX)
    from_ms = LossyLink(c.clock, MEDIA_SERVER)
    ms = UserAgent(c.clock, from_ms, MEDIA_SERVER, "ms", keep_history=True)
    from_ms.receiver = c.network.agent.layer
    to_ms.receiver = ms.layer
    c.fabric.links[MEDIA_SERVER.host] = to_ms
    ms.on_incoming = lambda call: ms.answer(call, body=MIX, content_type=SDP)
    return ms
