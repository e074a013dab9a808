"""Conference (DESIGN §4) through FleetPBX on SIP, in virtual time: B, with A held and C active,
presses the conference key (INFO ``#3`` or REFER to ``sip:conference@…``); each leg is moved
onto ``sip:conf-<id>@<media server>`` by third-party call control (:mod:`fleet.sipnet.conference`);
a participant leaving has its media-server dialog BYEd; without a media server the conference is
refused and the calls released."""

from __future__ import annotations

from fleet.core.values import CallEventKind
from fleet.sip.message import Request
from fleet.sip.ua_calls import Answer
from tests.sipnet.incall_support import (
    A_OFFER,
    MEDIA_SERVER,
    MIX,
    B,
    C,
    Scene,
    ended,
    held_and_second_call,
    media_server_ua,
)
from tests.sipnet.support import ANSWER


def in_conference(scene: Scene, ms_invites: list[Request]) -> None:
    """Four legs (A, C and B's two) each re-INVITEd without SDP, each offer sent to the
    conference URI, each media server answer in the leg's ACK."""
    assert len(ms_invites) == 4
    (uri,) = {str(invite.uri) for invite in ms_invites}
    assert uri.startswith("sip:conf-") and uri.endswith(f"@{MEDIA_SERVER.host}:5060")
    assert sorted(invite.body for invite in ms_invites) == sorted(
        [A_OFFER, ANSWER, ANSWER, ANSWER]
    ), "each leg's offer (A's new one, the others' default)"
    c = scene.c
    leg_acks = scene.sent(c.to_scscf, "ACK") + scene.sent(c.to_handsets, "ACK")
    assert len([ack for ack in leg_acks if ack.body == MIX]) == 4
    assert all(body == b"" for body in scene.caller_phones.asked[scene.a.id][1:])


def test_conference_key_moves_every_leg_onto_the_media_servers_conference() -> None:
    scene = held_and_second_call(media_server=MEDIA_SERVER)
    ms = media_server_ua(scene.c)
    scene.caller_phones.outcomes[scene.a.id] = [Answer(A_OFFER)]
    scene.info(scene.b_active, "#")
    scene.info(scene.b_active, "3")
    scene.c.advance(2.0)
    in_conference(scene, [call.invite for call in ms.incoming])
    assert len(ms.dialogs) == 4 and scene.c.engine.active_calls == 2
    c_dialog = scene.handset_dialog(C)
    scene.c.handsets.bye(c_dialog)  # C leaves: C's call ends (B's leg to C with it)
    scene.c.advance(1.0)
    assert len(ms.dialogs) == 2 and scene.c.engine.active_calls == 1
    assert scene.sent(scene.c.to_scscf, "BYE")[-1].call_id == scene.b_active.id.call_id
    scene.c.handsets.bye(scene.handset_dialog(B))  # the initiator leaves: everyone
    scene.c.advance(1.0)
    assert not ms.dialogs and scene.c.engine.active_calls == 0
    ended(scene)
    assert ms.calls_held == 0
    for record in scene.c.records.items:
        kinds = [event.kind for event in record.events]
        assert CallEventKind.CONFERENCE_JOINED in kinds and CallEventKind.CONFERENCE_LEFT in kinds


def test_refer_to_the_conference_factory_starts_the_conference_and_notifies_200() -> None:
    scene = held_and_second_call(media_server=MEDIA_SERVER)
    ms = media_server_ua(scene.c)
    scene.refer(scene.b_active, f"sip:conference@{MEDIA_SERVER.host}")
    scene.c.advance(2.0)
    assert scene.responses(scene.c.to_scscf, "202", "REFER") == 1
    (notify,) = scene.sent(scene.c.to_scscf, "NOTIFY")
    assert notify.body == b"SIP/2.0 200 OK\r\n"
    assert len(ms.dialogs) == 4
    scene.c.scscf.bye(scene.b_active)  # the initiator leaves
    ended(scene)
    assert not ms.dialogs and ms.calls_held == 0


def test_without_a_media_server_the_conference_is_refused_and_the_calls_released() -> None:
    scene = held_and_second_call()
    scene.info(scene.b_active, "#")
    scene.info(scene.b_active, "3")
    scene.c.advance(1.0)
    assert scene.c.engine.active_calls == 0
    assert not scene.reinvites_to(scene.c.to_handsets), "no leg was touched"
    ended(scene)
    for record in scene.c.records.items:
        kinds = [event.kind for event in record.events]
        assert CallEventKind.CONFERENCE_LEFT in kinds
