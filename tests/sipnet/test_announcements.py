"""Announcements over SIP in virtual time: the media server (MRF) plays them to the unanswered
caller as early media (RFC 4240 ``annc``), and the caller gets the release cause's final response
once the media server says the announcement is over — or at once without one."""

from __future__ import annotations

from fleet.core.calls.events import Announcement
from fleet.core.values import CallOutcome, NoAnswerAction
from fleet.sip.message import Response
from fleet.sip.ua_calls import OutgoingCall, OutgoingState
from fleet.sipnet.media import ANNOUNCEMENT_CAP
from tests.sipnet.support import MEDIA_SDP, OFFER, Core, MediaServer, core
from tests.sipnet.support import settled as finished

GROUP = "+33609182236"


def unanswered(call: OutgoingCall) -> bool:
    """The caller's INVITE has no final response yet."""
    return call.final_status is None


def server(c: Core) -> MediaServer:
    assert c.media is not None, "core(media=True)"
    return c.media


def early_media(c: Core) -> list[Response]:
    return [s.message for s in c.to_caller("183") if isinstance(s.message, Response)]


def test_an_unknown_number_hears_the_announcement_from_the_media_server_then_gets_404() -> None:
    c = core(media=True)
    call = c.call("123")
    c.advance(1.0)
    (invite,) = server(c).invites()
    assert invite.request_uri == (
        "sip:annc@192.0.2.5:5060;play=file:///announcements/"
        f"{Announcement.NUMBER_UNKNOWN.value}.wav"
    )
    assert invite.body == OFFER
    (progress,) = early_media(c)
    assert progress.body == MEDIA_SDP
    assert call.state is OutgoingState.EARLY
    assert not c.to_caller("404"), "the caller hears the announcement to its end"
    c.advance(5.0)  # the media server BYEs: played
    assert call.final_status == 404
    final = c.to_caller("404")[0].message
    assert final.to is not None and progress.to is not None
    assert final.to.tag != progress.to.tag, "the media server's early dialog is one apart"
    assert c.b_invites() == []
    (record,) = c.records.items
    assert record.outcome == CallOutcome.REJECTED
    finished(c)


def test_without_a_media_server_an_unknown_number_gets_404_at_once() -> None:
    c = core()
    call = c.call("123")
    c.advance(0.5)
    assert call.final_status == 404
    assert not c.to_caller("183")
    finished(c)


def test_a_media_server_refusing_503_leaves_the_caller_404_at_once() -> None:
    c = core(media=True)
    server(c).refuse = 503
    call = c.call("123")
    c.advance(0.5)
    assert len(server(c).invites()) == 1
    assert call.final_status == 404
    assert not c.to_caller("183")
    finished(c)


def test_a_media_server_that_never_answers_is_cancelled_at_the_cap_and_the_caller_gets_404() -> (
    None
):
    c = core(media=True)
    server(c).silent = True  # 100 Trying from its transaction, then nothing
    call = c.call("123")
    c.advance(ANNOUNCEMENT_CAP - 1.0)
    assert unanswered(call)
    assert not c.to_caller("183")
    c.advance(2.0)
    assert call.final_status == 404
    assert [s.label for s in server(c).link.sent].count("CANCEL") == 1
    finished(c)


def test_an_announcement_the_media_server_never_ends_is_cut_at_the_cap() -> None:
    c = core(media=True)
    server(c).plays = None
    call = c.call("123")
    c.advance(ANNOUNCEMENT_CAP - 1.0)
    assert early_media(c)
    assert unanswered(call)
    assert server(c).byes() == []
    c.advance(2.0)
    assert call.final_status == 404
    assert [s.label for s in server(c).link.sent].count("BYE") == 1, "the media server BYEd"
    finished(c)


def test_the_callers_cancel_during_an_announcement_byes_the_media_server() -> None:
    c = core(media=True)
    server(c).plays = 30.0
    call = c.call("123")
    c.advance(2.0)
    assert early_media(c)
    c.scscf.cancel(call)
    c.advance(1.0)
    assert call.final_status == 487
    assert len(server(c).byes()) == 1
    finished(c)


def test_a_group_nobody_answers_ends_with_its_announcement_from_the_media_server() -> None:
    c = core(media=True)
    world = c.world
    world.fleets.add_group(
        world.fleet.id,
        number=GROUP,
        name="Taxis",
        members=[world.lines[0].id, world.lines[1].id],
        no_answer_action=NoAnswerAction.END_WITH_ANNOUNCEMENT,
    )
    call = c.call(GROUP)
    c.advance(1.0)
    (invite,) = server(c).invites()
    assert f"play=file:///announcements/{Announcement.GROUP_NO_ANSWER.value}.wav" in (
        invite.request_uri
    )
    assert "repeat" not in invite.request_uri
    assert early_media(c)[0].body == MEDIA_SDP
    assert unanswered(call)
    c.advance(5.0)
    assert call.final_status == 480
    assert c.b_invites() == []
    assert c.records.items[0].outcome == CallOutcome.NO_ANSWER
    finished(c)
