"""The stack's default transaction user (OPTIONS answered, everything else refused) in virtual
time over the lossy link simulator, and the layer's report of a send that failed later."""

from __future__ import annotations

from fleet.sip.message import Request, Response, serialize
from fleet.sip.options import REFUSAL_WARNING, OptionsResponder
from fleet.sip.transaction_client import InviteClientState, NonInviteClientState
from fleet.sip.transaction_layer import TransactionLayer
from fleet.sip.transaction_messages import make_response
from fleet.sip.transaction_server import InviteServerState, ServerTransaction
from fleet.sip.transport_types import UDP, Peer
from fleet.sip.validate import UasPolicy
from tests.sip.lossy import LossyLink, RecordingTU, endpoint
from tests.sip.requests import request
from tests.sip.virtual import VirtualClock, state

BOB = Peer(UDP, "192.0.2.2", 5060)


def _setup(
    clock: VirtualClock,
) -> tuple[TransactionLayer, RecordingTU, LossyLink, OptionsResponder]:
    """Alice (a recording TU) and Bob (the responder), each delivering to the other."""
    alice = endpoint(clock, "192.0.2.1")
    responder = OptionsResponder(policy=UasPolicy(), warn_agent="192.0.2.2")
    bob_link = LossyLink(clock, BOB)
    bob = TransactionLayer(clock, bob_link, responder)
    alice.link.receiver = bob
    bob_link.receiver = alice.layer
    return alice.layer, alice.tu, bob_link, responder


def _responses(link: LossyLink) -> list[Response]:
    return [sent.message for sent in link.sent if isinstance(sent.message, Response)]


def test_options_is_answered_200_with_allow_accept_and_supported_from_the_policy() -> None:
    clock = VirtualClock()
    alice, alice_tu, bob_link, responder = _setup(clock)
    sent = request("OPTIONS", call_id="probe-1", cseq=7)
    alice.send_request(sent, BOB)
    clock.advance(1)
    [answer] = _responses(bob_link)
    assert answer.status == 200
    assert answer.headers.get("Allow") == "ACK, BYE, CANCEL, INFO, INVITE, OPTIONS, PRACK, UPDATE"
    assert answer.headers.get("Accept") == "application/sdp"
    assert answer.headers.get("Supported") == "100rel, timer"
    assert answer.call_id == "probe-1"
    assert answer.headers.get("CSeq") == "7 OPTIONS"
    assert answer.headers.get_all("Via") == sent.headers.get_all("Via")
    to = answer.to
    assert to is not None and to.tag
    assert [event[0] for event in alice_tu.events] == ["response"]
    assert alice_tu.events[0][2] == 200
    assert responder.answered == {200: 1}


def test_a_lost_200_to_options_is_sent_again_when_the_options_is_retransmitted() -> None:
    clock = VirtualClock()
    alice, alice_tu, bob_link, responder = _setup(clock)
    bob_link.lose("200")
    client = alice.send_request(request("OPTIONS"), BOB)
    clock.advance(0.49)
    assert state(client) is NonInviteClientState.TRYING
    clock.advance(0.1)  # timer E: the OPTIONS again, answered from the server transaction
    assert bob_link.labels() == ["200", "200"]
    first, second = _responses(bob_link)
    assert serialize(first) == serialize(second)  # the same response, the same To tag
    assert state(client) is NonInviteClientState.COMPLETED
    assert alice_tu.kinds() == ["response"]
    assert responder.answered == {200: 1}  # the TU saw one OPTIONS


def test_an_invite_is_refused_480_with_a_warning_retransmitted_until_the_ack() -> None:
    clock = VirtualClock()
    alice, alice_tu, bob_link, responder = _setup(clock)
    bob_link.lose("480")
    client = alice.send_request(request("INVITE"), BOB)
    clock.advance(0.1)
    [refusal] = _responses(bob_link)
    assert (refusal.status, refusal.reason) == (480, "Temporarily Unavailable")
    assert refusal.headers.get("Warning") == f'399 192.0.2.2 "{REFUSAL_WARNING}"'
    assert bob_link.labels() == ["480"]  # no 100 Trying: answered at once
    clock.advance(0.5)  # the 480 again (timer G, the INVITE's retransmission); ACKed
    assert state(client) is InviteClientState.COMPLETED
    sent = len(bob_link.labels())
    assert sent >= 2
    clock.advance(30)
    assert alice_tu.kinds() == ["response"] and alice_tu.events[0][2] == 480
    assert len(bob_link.labels()) == sent  # the ACK stopped timer G
    assert responder.answered == {480: 1}


def test_a_request_inside_a_dialog_gets_481_since_no_dialog_exists() -> None:
    clock = VirtualClock()
    alice, _, bob_link, _ = _setup(clock)
    alice.send_request(request("BYE", to_tag="gone"), BOB)
    clock.advance(1)
    [answer] = _responses(bob_link)
    assert answer.status == 481
    to = answer.to
    assert to is not None and to.tag == "gone"


def test_a_cancel_of_no_invite_gets_481_and_of_a_refused_invite_200() -> None:
    clock = VirtualClock()
    alice, _, bob_link, _ = _setup(clock)
    alice.send_request(request("CANCEL", branch="z9hG4bKnone", cseq_method="CANCEL"), BOB)
    clock.advance(1)
    assert bob_link.labels() == ["481"]
    alice.send_request(request("INVITE", branch="z9hG4bKcall", call_id="c2"), BOB)
    clock.advance(0.05)
    alice.send_request(request("CANCEL", branch="z9hG4bKcall", call_id="c2"), BOB)
    clock.advance(1)
    assert bob_link.labels() == ["481", "480", "200"]
    invite_refusal, cancel_ok = _responses(bob_link)[1:]
    assert cancel_ok.headers.get("CSeq") == "1 CANCEL"
    assert cancel_ok.to is not None and invite_refusal.to is not None
    assert cancel_ok.to.tag == invite_refusal.to.tag


def test_a_merged_request_gets_482() -> None:
    clock = VirtualClock()
    alice, _, bob_link, responder = _setup(clock)
    alice.send_request(request("OPTIONS", call_id="m", from_tag="a1"), BOB)
    clock.advance(0.05)
    alice.send_request(request("OPTIONS", call_id="m", from_tag="a1"), BOB)  # another branch
    clock.advance(1)
    assert bob_link.labels() == ["200", "482"]
    assert responder.answered == {200: 1, 482: 1}


def test_an_ack_for_a_2xx_is_absorbed_without_an_answer() -> None:
    clock = VirtualClock()
    link = LossyLink(clock, BOB)
    bob = TransactionLayer(clock, link, OptionsResponder())
    bob.on_request(request("ACK", to_tag="t"), Peer(UDP, "192.0.2.1", 5060))
    clock.advance(1)
    assert link.sent == [] and len(bob) == 0


def test_a_send_that_fails_later_ends_the_server_transaction_and_tells_the_tu() -> None:
    clock = VirtualClock()
    link = LossyLink(clock, BOB)
    tu = RecordingTU()
    bob = TransactionLayer(clock, link, tu)
    received = request("INVITE")
    bob.on_request(received, Peer(UDP, "192.0.2.1", 5060))
    [(_, transaction, _)] = tu.events
    assert isinstance(transaction, ServerTransaction)
    refusal = make_response(received, 480, "Temporarily Unavailable", to_tag="b")
    transaction.respond(refusal)
    assert bob.transport_failed(refusal) is True
    assert state(transaction) is InviteServerState.TERMINATED
    assert tu.kinds() == ["request", "transport error"] and len(bob) == 0
    clock.advance(60)
    assert link.labels() == ["480"]  # timer G stopped with the transaction
    assert bob.transport_failed(refusal) is False  # ended already: the TU is told once


def test_a_request_that_fails_later_ends_its_client_transaction() -> None:
    clock = VirtualClock()
    alice = endpoint(clock, "192.0.2.1")  # no receiver: a black hole
    options: Request = request("OPTIONS")
    client = alice.layer.send_request(options, BOB)
    assert alice.layer.transport_failed(options) is True
    assert state(client) is NonInviteClientState.TERMINATED
    assert alice.tu.kinds() == ["transport error"]
    clock.advance(60)
    assert alice.link.labels() == ["OPTIONS"]  # no retransmission after the failure
