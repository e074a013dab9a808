"""Third-party call control in the UA core (RFC 3725, RFC 3261 §13.2.2.4) and requests in a
dialog for the application, between two user agents over the lossy link in virtual time: a
re-INVITE sent without SDP with ``ack_later`` gets the peer's offer in its 2xx and waits for the
application's answer, which goes in the ACK (retransmitted 2xx are not ACKed before it, and
are ACKed again with it after); INFO, REFER and NOTIFY reach the in-dialog hook, which names
the status."""

from __future__ import annotations

from fleet.sip.dialog import Dialog
from fleet.sip.message import Request, Response
from fleet.sip.ua_calls import Answer, ReInvite
from tests.sip.dialog_support import established, phones
from tests.sip.virtual import VirtualClock

OFFER = b"v=0\r\no=bob 2 2 IN IP4 192.0.2.2\r\n"
ANSWER = b"v=0\r\no=alice 2 2 IN IP4 192.0.2.1\r\n"
SDP = "application/sdp"


def test_an_offerless_reinvite_carries_the_answer_in_its_ack_once_given() -> None:
    clock = VirtualClock()
    asked: list[bytes] = []

    def bob_offers(dialog: Dialog, request: Request) -> Answer:
        asked.append(request.body)
        return Answer(OFFER)

    alice, bob = phones(clock, bob_offer=bob_offers)
    established(clock, alice, bob)
    finals: list[Response | None] = []

    def final(reinvite: ReInvite, response: Response | None) -> None:
        finals.append(response)

    reinvite = alice.ua.reinvite(alice.dialog, ack_later=True, on_final=final)
    clock.advance(2.0)  # bob's 2xx retransmitted meanwhile (T1 = 0.5 s)
    assert asked == [b""] and len(finals) == 1 and finals[0] is not None
    assert finals[0].body == OFFER
    assert len(bob.sent("200", "INVITE")) >= 3, "the 2xx of the re-INVITE retransmitted"
    assert len(alice.sent("ACK")) == 1, "only the initial INVITE's ACK so far"
    assert alice.ua.ack_answer(reinvite, ANSWER, SDP)
    assert not alice.ua.ack_answer(reinvite, ANSWER, SDP), "one ACK answer per 2xx"
    clock.advance(1.0)
    ack = alice.sent("ACK")[-1].message
    assert ack.body == ANSWER and ack.headers.get("Content-Type") == SDP
    assert str(ack.cseq) == "2 ACK"
    sent_2xx = len(bob.sent("200", "INVITE"))
    clock.advance(40.0)
    assert len(bob.sent("200", "INVITE")) == sent_2xx, "the ACK stopped the retransmissions"
    assert bob.ua.retransmitter(bob.dialog, 2) is None and bob.dialog.state.value == "confirmed"
    assert not bob.sent("BYE")


def test_a_reinvite_without_ack_later_is_acked_at_once_without_a_body() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock, bob_offer=lambda dialog, request: Answer(OFFER))
    established(clock, alice, bob)
    alice.ua.reinvite(alice.dialog)
    clock.advance(1.0)
    ack = alice.sent("ACK")[-1].message
    assert str(ack.cseq) == "2 ACK" and ack.body == b""


def test_info_refer_and_notify_reach_the_in_dialog_hook_which_names_the_status() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    established(clock, alice, bob)
    heard: list[tuple[str, bytes]] = []

    def hook(dialog: Dialog, request: Request) -> int:
        heard.append((request.method, request.body))
        return {"INFO": 200, "REFER": 202, "NOTIFY": 489}[request.method]

    bob.ua.on_in_dialog = hook
    alice.ua.request_in(alice.dialog, "INFO", body=b"Signal=#\r\n", content_type="x/y")
    alice.ua.request_in(alice.dialog, "REFER", headers=[("Refer-To", "<sip:c@192.0.2.3>")])
    alice.ua.request_in(alice.dialog, "NOTIFY")
    clock.advance(1.0)
    assert [method for method, _ in heard] == ["INFO", "REFER", "NOTIFY"]
    assert heard[0][1] == b"Signal=#\r\n"
    assert len(bob.sent("202", "REFER")) == 1 and len(bob.sent("489", "NOTIFY")) == 1


def test_without_the_hook_info_gets_200_and_refer_501() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    established(clock, alice, bob)
    alice.ua.request_in(alice.dialog, "INFO")
    alice.ua.request_in(alice.dialog, "REFER", headers=[("Refer-To", "<sip:c@192.0.2.3>")])
    clock.advance(1.0)
    assert len(bob.sent("200", "INFO")) == 1 and len(bob.sent("501", "REFER")) == 1


def test_no_request_is_sent_in_an_ended_dialog() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    established(clock, alice, bob)
    dialog = alice.dialog
    alice.ua.bye(dialog)
    clock.advance(1.0)
    assert alice.ua.request_in(dialog, "INFO") is None and not alice.sent("INFO")
