"""A caller queued by a group over SIP hears the media server's music as early media: a 183
with the music's SDP, sent again while it waits (a provisional at least every 150 s keeps
proxies' timer C from ending the INVITE), until a member answers (the media server BYEd, then
the 200 with the member's SDP) or the caller cancels (the media server BYEd, 487)."""

from __future__ import annotations

import itertools

from fleet.core.calls.events import Announcement, CallState
from fleet.core.values import CallOutcome
from fleet.sip.message import Response
from fleet.sip.ua_calls import OutgoingCall, OutgoingState
from fleet.sipnet.media import EARLY_MEDIA_REFRESH
from tests.sipnet.support import ANSWER, MEDIA_SDP, OFFER, Core, MediaServer, answer_after, core

GROUP = "+33609182236"
MEMBER = "+33611000001"
TIMER_C = 150.0


def unanswered(call: OutgoingCall) -> bool:
    """The caller's INVITE has no final response yet."""
    return call.final_status is None


def server(c: Core) -> MediaServer:
    assert c.media is not None, "core(media=True)"
    return c.media


def finished(c: Core) -> None:
    c.advance(64)
    assert c.engine.active_calls == 0
    assert c.network.legs == 0
    assert c.network.agent.calls_held == 0
    assert c.scscf.calls_held == 0
    assert c.handsets.calls_held == 0
    assert server(c).ua.calls_held == 0


def queued(c: Core) -> tuple[OutgoingCall, OutgoingCall]:
    """The group's only member is in a call (answered): a call to the group waits in its
    queue. Returns the member's call and the queued one."""
    world = c.world
    world.fleets.add_group(
        world.fleet.id,
        number=GROUP,
        name="Taxis",
        members=[world.lines[0].id],
        connected=[world.lines[0].id],
        queue_size=2,
        max_queue_wait=600,
        intercall_delay=0,
    )
    c.answers[MEMBER] = answer_after(1.0, c.clock)
    busy = c.call(MEMBER)
    c.advance(2.0)
    assert busy.state is OutgoingState.CONFIRMED
    waiting = c.call(GROUP)
    c.advance(1.0)
    (call,) = [x for x in c.engine.live_calls() if x.caller is not None and x.b_leg is None]
    assert call.state is CallState.QUEUED
    return busy, waiting


def early_media(c: Core) -> list[tuple[float, Response]]:
    return [(s.at, s.message) for s in c.to_caller("183") if isinstance(s.message, Response)]


def test_a_queued_caller_hears_the_music_refreshed_then_the_member_answers_with_its_sdp() -> None:
    c = core(media=True)
    busy, waiting = queued(c)
    (invite,) = server(c).invites()
    assert invite.request_uri == (
        "sip:annc@192.0.2.5:5060;play=file:///announcements/"
        f"{Announcement.PLEASE_HOLD.value}.wav;repeat=forever"
    )
    assert invite.body == OFFER
    start = c.clock.now()
    c.advance(400.0)
    sent = early_media(c)
    assert all(message.body == MEDIA_SDP for _, message in sent)
    times = [at for at, _ in sent]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(times) >= 400.0 / TIMER_C
    assert max(gaps) <= TIMER_C
    assert c.clock.now() - times[-1] <= TIMER_C
    assert times[0] - start <= 1.0 and EARLY_MEDIA_REFRESH <= TIMER_C
    assert unanswered(waiting)
    assert server(c).byes() == []
    c.scscf.bye(busy.dialog)  # type: ignore[arg-type]  # the member is free again
    c.advance(3.0)
    assert len(server(c).byes()) == 1, "the music stops"
    (ok,) = [s.message for s in c.to_caller("200") if s.message.call_id == waiting.invite.call_id]
    assert ok.body == ANSWER
    assert ok.to is not None and sent[0][1].to is not None
    assert ok.to.tag != sent[0][1].to.tag
    assert waiting.state is OutgoingState.CONFIRMED
    bye_at = next(s.at for s in server(c).link.sent if s.label == "BYE")
    ok_at = next(s.at for s in c.to_caller("200") if s.message is ok)
    assert bye_at <= ok_at, "the media server is BYEd before the caller's 200"
    c.scscf.bye(waiting.dialog)  # type: ignore[arg-type]
    finished(c)
    assert [r.outcome for r in c.records.items] == [CallOutcome.ANSWERED, CallOutcome.ANSWERED]


def test_a_queued_callers_cancel_byes_the_media_server_and_ends_in_487() -> None:
    c = core(media=True)
    busy, waiting = queued(c)
    c.advance(30.0)
    assert early_media(c)
    c.scscf.cancel(waiting)
    c.advance(1.0)
    assert waiting.final_status == 487
    assert len(server(c).byes()) == 1
    c.scscf.bye(busy.dialog)  # type: ignore[arg-type]
    finished(c)
    assert CallOutcome.ABANDONED in [r.outcome for r in c.records.items]


def test_a_queue_timeout_stops_the_music_and_plays_the_groups_announcement() -> None:
    c = core(media=True)
    busy, waiting = queued(c)
    c.advance(600.0)
    invites = server(c).invites()
    assert [i.request_uri.split("play=")[1] for i in invites] == [
        f"file:///announcements/{Announcement.PLEASE_HOLD.value}.wav;repeat=forever",
        f"file:///announcements/{Announcement.GROUP_NO_ANSWER.value}.wav",
    ]
    assert len(server(c).byes()) == 1, "the music stopped"
    assert unanswered(waiting), "the announcement plays"
    c.advance(6.0)
    assert waiting.final_status == 480
    c.scscf.bye(busy.dialog)  # type: ignore[arg-type]
    finished(c)


def test_a_queued_caller_without_a_media_server_waits_in_silence_and_is_answered() -> None:
    c = core()
    busy, waiting = queued(c)
    c.advance(10.0)
    assert not c.to_caller("183")
    c.scscf.bye(busy.dialog)  # type: ignore[arg-type]
    c.advance(3.0)
    assert waiting.state is OutgoingState.CONFIRMED
    c.scscf.bye(waiting.dialog)  # type: ignore[arg-type]
    c.advance(64)
    assert c.network.legs == 0
