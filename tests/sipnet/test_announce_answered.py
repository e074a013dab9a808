"""Announcements to an answered leg over SIP, in virtual time
(:mod:`fleet.sipnet.announce_answered`): the outside caller A calls the fleet line B, B answers;
an in-call refusal (#1 or #3 without a held call, a REFER refused 403) or a release with an
announcement moves B's (or A's) leg onto the media server by third-party call control — re-
INVITE without SDP, the leg's offer to the annc URI, the media server's answer in the ACK — and
back to its peer once the media server BYEs."""

from __future__ import annotations

from fleet.core.calls.events import Announcement, ReleaseCause
from fleet.core.values import CallOutcome
from fleet.sip.dialog import Dialog
from fleet.sip.message import Request
from fleet.sip.ua_calls import Answer, Refusal
from fleet.sipnet.announce_answered import ANSWER_WAIT
from fleet.sipnet.media import ANNOUNCEMENT_CAP
from tests.sip.lossy import LossyLink
from tests.sipnet.incall_support import (
    A_OFFER,
    HELD,
    HOLD,
    SDP,
    B,
    Phones,
    Scene,
    notified,
)
from tests.sipnet.support import ANSWER, MEDIA_SDP, OFFER, MediaServer, answer_after, core
from tests.sipnet.support import settled as finished

B_NEW = b"v=0\r\no=b 1 2 IN IP4 192.0.2.71\r\ns=-\r\nc=IN IP4 192.0.2.71\r\nt=0 0\r\n"
NOT_POSSIBLE = (
    "sip:annc@192.0.2.5:5060;play=file:///announcements/"
    f"{Announcement.SERVICE_NOT_POSSIBLE.value}.wav"
)


def answered(*, media: bool = True) -> Scene:
    """A calls B, B's handset answers (A's offer, B's answer :data:`ANSWER`)."""
    c = core(media=media)
    caller_phones, handset_phones = Phones(), Phones()
    c.scscf.on_offer = caller_phones
    c.handsets.on_offer = handset_phones
    c.scscf.on_in_dialog = notified
    c.handsets.on_in_dialog = notified
    c.answers[B] = answer_after(1.0, c.clock)
    a_call = c.call(B)
    c.advance(2.0)
    assert a_call.dialog is not None and c.engine.active_calls == 1
    return Scene(c, a_call, a_call, caller_phones, handset_phones)


def server(scene: Scene) -> MediaServer:
    assert scene.c.media is not None
    return scene.c.media


def keys(scene: Scene, key: str) -> Dialog:
    """B's handset presses ``#`` and ``key`` (INFO)."""
    b = scene.handset_dialog(B)
    scene.info(b, "#", ua=scene.c.handsets)
    scene.info(b, key, ua=scene.c.handsets)
    return b


def acks(link: LossyLink, dialog: Dialog) -> list[Request]:
    return [
        s.message
        for s in link.sent
        if s.label == "ACK"
        and isinstance(s.message, Request)
        and s.message.call_id == dialog.id.call_id
    ]


def hold_from_a_reaches_b(scene: Scene) -> None:
    """The two legs are bridged again: A's offer is relayed to B."""
    held = scene.reinvite(scene.c.scscf, scene.a, HOLD)
    scene.c.advance(1.0)
    assert held.final_status == 200
    assert scene.handset_phones.asked[scene.handset_dialog(B).id][-1] == HOLD


def not_played(scene: Scene) -> list[object]:
    """Why the announcements to answered legs were not played, from now on."""
    reasons: list[object] = []

    def log(event: str, **fields: object) -> None:
        if event == "sip_announcement_not_played":
            reasons.append(fields["reason"])

    scene.c.network.spoken.log = log
    return reasons


def hang_up(scene: Scene) -> None:
    scene.c.scscf.bye(scene.a)
    finished(scene.c)


def test_hash_one_without_a_held_call_is_heard_on_the_answered_leg_then_b_returns_to_a() -> None:
    scene = answered()
    c = scene.c
    b = keys(scene, "1")
    c.advance(1.0)
    assert scene.reinvites_to(c.to_handsets)[-1].body == b"", "B re-INVITEd without SDP"
    (invite,) = server(scene).invites()
    assert invite.request_uri == NOT_POSSIBLE
    assert invite.body == ANSWER, "B's offer goes to the media server"
    assert acks(c.to_handsets, b)[-1].body == MEDIA_SDP, "the media server's answer in B's ACK"
    assert not scene.reinvites_to(c.to_scscf), "A keeps the session it had"
    assert c.engine.active_calls == 1
    c.advance(5.0)  # the media server BYEs: played
    assert len(scene.reinvites_to(c.to_handsets)) == 2
    assert scene.reinvites_to(c.to_handsets)[-1].body == b""
    assert acks(c.to_handsets, b)[-1].body == OFFER, "B gets A's session back"
    assert not scene.reinvites_to(c.to_scscf), "B's offer unchanged: A is not re-INVITEd"
    hold_from_a_reaches_b(scene)
    hang_up(scene)


def test_the_conference_key_without_a_held_call_is_heard_on_the_answered_leg() -> None:
    scene = answered()
    keys(scene, "3")
    scene.c.advance(1.0)
    (invite,) = server(scene).invites()
    assert invite.request_uri == NOT_POSSIBLE
    scene.c.advance(5.0)
    hold_from_a_reaches_b(scene)
    hang_up(scene)


def test_a_refer_refused_is_answered_403_before_the_leg_is_moved_to_the_announcement() -> None:
    scene = answered()
    c = scene.c
    b = scene.handset_dialog(B)
    c.handsets.request_in(b, "REFER", headers=[("Refer-To", "<sip:+33611000003@192.0.2.1>")])
    c.advance(1.0)
    labels = [s.label for s in c.to_handsets.sent if s.message.call_id == b.id.call_id]
    assert labels[2:4] == ["403", "INVITE"], "the 403, then B's re-INVITE (after its answer)"
    assert not [s for s in c.to_handsets.sent if s.label == "NOTIFY"]
    (invite,) = server(scene).invites()
    assert invite.request_uri == NOT_POSSIBLE
    c.advance(5.0)
    hold_from_a_reaches_b(scene)
    hang_up(scene)


def test_a_new_offer_on_the_way_back_goes_to_the_peer_whose_answer_returns_in_the_ack() -> None:
    scene = answered()
    c = scene.c
    b = scene.handset_dialog(B)
    scene.handset_phones.outcomes[b.id] = [Answer(ANSWER), Answer(B_NEW)]
    scene.caller_phones.outcomes[scene.a.id] = [Answer(A_OFFER)]
    keys(scene, "1")
    c.advance(6.0)
    (to_a,) = scene.reinvites_to(c.to_scscf)
    assert to_a.body == B_NEW, "B's new offer goes to A"
    assert acks(c.to_handsets, b)[-1].body == A_OFFER, "A's answer in B's ACK"
    hold_from_a_reaches_b(scene)
    hang_up(scene)


def test_a_leg_holding_its_peer_keeps_it_held_after_the_announcement() -> None:
    scene = answered()
    c = scene.c
    b = scene.handset_dialog(B)
    scene.caller_phones.outcomes[scene.a.id] = [Answer(HELD)]
    held = scene.reinvite(c.handsets, b, HOLD)
    c.advance(1.0)
    assert held.final_status == 200
    scene.handset_phones.outcomes[b.id] = [Answer(HOLD)]  # B's handset offers its hold
    keys(scene, "1")  # a transfer without an active call: refused
    c.advance(1.0)
    assert server(scene).invites()[0].body == HOLD
    c.advance(5.0)
    assert acks(c.to_handsets, b)[-1].body == HELD, "B gets A's held answer back"
    assert len(scene.reinvites_to(c.to_scscf)) == 1, "A, held, is not re-INVITEd again"
    hang_up(scene)


def test_the_leg_hanging_up_during_the_announcement_byes_the_media_server() -> None:
    scene = answered()
    c = scene.c
    b = keys(scene, "1")
    c.advance(1.0)
    c.handsets.bye(b)
    c.advance(1.0)
    assert len(server(scene).byes()) == 1
    assert scene.sent(c.to_scscf, "BYE"), "A is released"
    finished(c)


def test_a_peer_offer_during_the_announcement_gets_491_and_a_keeps_its_session() -> None:
    scene = answered()
    c = scene.c
    keys(scene, "1")
    c.advance(1.0)
    held = c.scscf.reinvite(scene.a, body=HOLD, content_type=SDP, retry_glare=False)
    c.advance(0.5)
    assert held.final_status == 491
    assert len(scene.reinvites_to(c.to_handsets)) == 1, "B, on the media server, not asked"
    c.advance(5.0)
    hold_from_a_reaches_b(scene)
    hang_up(scene)


def test_the_peer_hanging_up_during_the_announcement_ends_the_leg_and_the_media_server() -> None:
    scene = answered()
    c = scene.c
    b = keys(scene, "1")
    c.advance(1.0)
    c.scscf.bye(scene.a)
    c.advance(1.0)
    assert len(server(scene).byes()) == 1
    assert [bye.call_id for bye in scene.sent(c.to_handsets, "BYE")] == [b.id.call_id]
    assert len(scene.reinvites_to(c.to_handsets)) == 1, "B is not moved back"
    finished(c)


def test_without_a_media_server_the_refusal_is_only_logged_and_nothing_moves() -> None:
    scene = answered(media=False)
    reasons = not_played(scene)
    keys(scene, "1")
    scene.c.advance(2.0)
    assert not scene.reinvites_to(scene.c.to_handsets)
    assert reasons == ["no_media_server"]
    hold_from_a_reaches_b(scene)
    hang_up(scene)


def test_the_media_server_refusing_leaves_the_leg_with_the_session_it_had() -> None:
    scene = answered()
    server(scene).refuse = 503
    reasons = not_played(scene)
    b = keys(scene, "1")
    scene.c.advance(1.0)
    assert reasons == ["refused"]
    assert len(server(scene).invites()) == 1
    assert acks(scene.c.to_handsets, b)[-1].body == OFFER, "B's 2xx ACKed with A's session"
    hold_from_a_reaches_b(scene)
    hang_up(scene)


def test_a_silent_media_server_times_out_and_the_leg_stays_as_it_was() -> None:
    scene = answered()
    server(scene).silent = True
    reasons = not_played(scene)
    b = keys(scene, "1")
    scene.c.advance(ANSWER_WAIT + 1.0)
    assert acks(scene.c.to_handsets, b)[-1].body == OFFER, "B's 2xx ACKed before it gives up"
    assert reasons == ["no_answer"]
    hold_from_a_reaches_b(scene)
    hang_up(scene)


def test_glare_on_the_leg_is_retried_once_after_the_glare_delay() -> None:
    scene = answered()
    b = scene.handset_dialog(B)
    scene.handset_phones.outcomes[b.id] = [Refusal(491), Answer(ANSWER)]
    keys(scene, "1")
    scene.c.advance(1.0)
    assert not server(scene).invites()
    scene.c.advance(5.0)
    assert len(server(scene).invites()) == 1, "the second re-INVITE moved B"
    scene.c.advance(6.0)
    hold_from_a_reaches_b(scene)
    hang_up(scene)


def test_glare_twice_gives_up_and_the_legs_stay_bridged() -> None:
    scene = answered()
    b = scene.handset_dialog(B)
    scene.handset_phones.outcomes[b.id] = [Refusal(491)]
    reasons = not_played(scene)
    keys(scene, "1")
    scene.c.advance(10.0)
    assert reasons == ["glare"]
    assert len(scene.handset_phones.asked[b.id]) == 2 and not server(scene).invites()
    scene.handset_phones.outcomes[b.id] = [Answer(HELD)]
    hold_from_a_reaches_b(scene)
    hang_up(scene)


def test_an_announcement_that_never_ends_is_cut_after_the_cap_and_the_leg_returns() -> None:
    scene = answered()
    server(scene).plays = None
    b = keys(scene, "1")
    scene.c.advance(ANNOUNCEMENT_CAP + 1.0)
    assert len(server(scene).byes()) == 1, "FleetPBX BYEs the media server"
    assert acks(scene.c.to_handsets, b)[-1].body == OFFER
    hold_from_a_reaches_b(scene)
    hang_up(scene)


def release_a_with_an_announcement(scene: Scene) -> None:
    """The engine ends the call, A's leg with an announcement (B's at once)."""
    engine = scene.c.engine
    (live,) = engine.live_calls()
    engine.guarded(
        live,
        lambda: live.finish(
            CallOutcome.ANSWERED,
            ReleaseCause.NOT_ALLOWED,
            announcement=Announcement.SERVICE_NOT_POSSIBLE,
        ),
    )


def test_a_release_with_an_announcement_byes_the_answered_leg_with_its_cause_once_played() -> None:
    scene = answered()
    c = scene.c
    release_a_with_an_announcement(scene)
    c.advance(1.0)
    assert c.engine.active_calls == 0
    assert scene.sent(c.to_handsets, "BYE"), "B is released at once"
    assert scene.reinvites_to(c.to_scscf)[-1].body == b"", "A moved to the media server"
    assert acks(c.to_scscf, scene.a)[-1].body == MEDIA_SDP
    assert not scene.sent(c.to_scscf, "BYE")
    c.advance(5.0)
    (bye,) = scene.sent(c.to_scscf, "BYE")
    assert bye.headers.get("Reason") == 'Q.850;cause=21;text="Call rejected"'
    finished(c)


def test_a_release_with_an_announcement_without_a_media_server_byes_at_once() -> None:
    scene = answered(media=False)
    release_a_with_an_announcement(scene)
    scene.c.advance(0.5)
    (bye,) = scene.sent(scene.c.to_scscf, "BYE")
    assert bye.headers.get("Reason") == 'Q.850;cause=21;text="Call rejected"'
    finished(scene.c)


def test_the_caller_hanging_up_during_its_release_announcement_byes_the_media_server() -> None:
    scene = answered()
    release_a_with_an_announcement(scene)
    scene.c.advance(1.0)
    scene.c.scscf.bye(scene.a)
    scene.c.advance(1.0)
    assert len(server(scene).byes()) == 1
    assert not scene.sent(scene.c.to_scscf, "BYE")
    finished(scene.c)
