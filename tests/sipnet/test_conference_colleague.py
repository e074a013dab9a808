"""The conference key with a colleague in it, in virtual time (:mod:`fleet.sipnet.hops`): the
line holds an outside caller, calls a colleague by short number (two visits: the core between
them played by :class:`tests.sipnet.test_isc_originating.LoopBack`) and presses ``#3``. The
handsets' legs — the outside caller's, the line's two, the colleague's — are moved onto the
media server; the two ends of the hop between the visits are not (moving both would send two
offerless re-INVITEs towards each other through the core: glare, twice)."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.core.values import CallEventKind, SessionCase
from fleet.sip.dialog import Dialog
from fleet.sip.ua_calls import Answer, IncomingCall, OutgoingCall
from fleet.sip.ua_core import UserAgent
from tests.sipnet.incall_support import (
    A_OFFER,
    HOLD,
    MEDIA_SERVER,
    MIX,
    SDP,
    Phones,
    media_server_ua,
    notified,
)
from tests.sipnet.support import ANSWER, Core, answer_after, core, settled
from tests.sipnet.test_isc_originating import COLLEAGUE, LINE, LoopBack, from_line


@dataclass
class Scene:
    c: Core
    ms: UserAgent
    outside: OutgoingCall  # the outside caller's call to the line (held by the line)
    to_colleague: OutgoingCall  # the line's call, originating visit's A-leg
    first_b_leg: IncomingCall  # the originating visit's B-leg, at the core
    terminating: OutgoingCall  # the core's INVITE of the terminating visit
    caller_phones: Phones
    handset_phones: Phones

    def handset(self, number: str) -> Dialog:
        for call in self.c.handsets.incoming:
            if call.invite.request_uri == f"tel:{number}" and call is not self.first_b_leg:
                assert call.dialog is not None
                return call.dialog
        raise AssertionError(f"no handset dialog of {number}")

    def reinvited(self, call_id: str) -> int:
        """How many re-INVITEs FleetPBX sent in the dialog of that Call-ID."""
        return len(
            [
                s
                for link in (self.c.to_scscf, self.c.to_handsets)
                for s in link.sent
                if s.label == "INVITE"
                and s.message.call_id == call_id
                and s.message.to is not None
                and s.message.to.tag is not None
            ]
        )


def held_outside_and_colleague() -> Scene:
    c = core(media_server=MEDIA_SERVER)
    ms = media_server_ua(c)
    caller_phones, handset_phones = Phones(), Phones()
    c.scscf.on_offer, c.handsets.on_offer = caller_phones, handset_phones
    c.scscf.on_in_dialog = c.handsets.on_in_dialog = notified
    loop = LoopBack(c)
    c.answers[LINE] = answer_after(1.0, c.clock)
    outside = c.call(LINE)
    c.advance(2.0)
    line_leg = next(call.dialog for call in c.handsets.incoming if call.dialog is not None)
    held = c.handsets.reinvite(line_leg, body=HOLD, content_type=SDP)
    c.advance(1.0)
    assert held.final_status == 200
    to_colleague = from_line(c, "2002")
    c.advance(2.5)
    assert loop.first_b_leg is not None and loop.terminating is not None
    c.handsets.answer(loop.first_b_leg, body=ANSWER, content_type=SDP)
    c.advance(1.0)
    assert to_colleague.dialog is not None and c.engine.active_calls == 3
    scene = Scene(
        c,
        ms,
        outside,
        to_colleague,
        loop.first_b_leg,
        loop.terminating,
        caller_phones,
        handset_phones,
    )
    caller_phones.outcomes[to_colleague.dialog.id] = [Answer(A_OFFER)]
    return scene


def test_the_conference_key_moves_the_handsets_legs_and_not_the_hop_between_visits() -> None:
    scene = held_outside_and_colleague()
    c = scene.c
    dialog = scene.to_colleague.dialog
    assert dialog is not None
    for key in ("#", "3"):
        c.scscf.request_in(
            dialog,
            "INFO",
            body=f"Signal={key}\r\nDuration=160\r\n".encode(),
            content_type="application/dtmf-relay",
        )
    c.advance(3.0)
    assert c.engine.active_calls == 3, "the conference went through"
    invites = [call.invite for call in scene.ms.incoming]
    assert len(invites) == 4 and len(scene.ms.dialogs) == 4, "the four handsets' legs"
    assert A_OFFER in [invite.body for invite in invites], "the line's offer on its own leg"
    assert scene.reinvited(scene.first_b_leg.invite.call_id or "") == 0, "the hop's end: kept"
    assert scene.reinvited(scene.terminating.invite.call_id or "") == 0, "the hop's end: kept"
    colleague = scene.handset(COLLEAGUE)
    assert scene.handset_phones.asked[colleague.id] == [b""], "the colleague's handset moved"
    acks = [s.message for s in c.to_handsets.sent if s.label == "ACK"]
    assert any(a.call_id == colleague.id.call_id and a.body == MIX for a in acks)
    c.scscf.bye(dialog)  # the line leaves its call to the colleague
    c.advance(2.0)
    for found in list(c.scscf.dialogs.values()) + list(c.handsets.dialogs.values()):
        (c.scscf if found.id in c.scscf.dialogs else c.handsets).bye(found)
    settled(c)
    assert not scene.ms.dialogs
    assert len(c.records.items) == 3
    cases = sorted(record.session_case.value for record in c.records.items)
    assert cases == [SessionCase.ORIGINATING.value] + [SessionCase.TERMINATING.value] * 2
    for record in c.records.items:
        kinds = [event.kind for event in record.events]
        assert CallEventKind.CONFERENCE_JOINED in kinds
