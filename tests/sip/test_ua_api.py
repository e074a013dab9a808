"""What a UA offers an application such as a B2BUA: initial INVITEs with the From and headers it
chooses, final responses with their standard reason phrases (RFC 3261 §21), and a UA run on a
:class:`fleet.sip.stack.SipStack` (``attach``), with or without its overload guard."""

from __future__ import annotations

import pytest

from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.options import OptionsResponder
from fleet.sip.overload import Limits
from fleet.sip.stack import SipStack
from fleet.sip.transport_types import UDP, Peer, TransportConfig
from fleet.sip.ua_calls import IncomingCall
from fleet.sip.ua_core import UserAgent
from fleet.sip.ua_messages import REASON_PHRASES, uas_response
from fleet.sip.validate import UasPolicy
from tests.polling import eventually
from tests.sip.dialog_support import phones, ringing
from tests.sip.transport_support import LOOPBACK, udp_peer
from tests.sip.virtual import VirtualClock

PAI = ("P-Asserted-Identity", "<tel:+33611000001>")
CORRELATION = ("X-FleetPBX-Call", "c-42")


def test_an_invite_carries_the_local_party_it_is_given_with_our_tag_and_extra_headers() -> None:
    clock = VirtualClock()
    alice, _ = phones(clock)
    alice.ua.invite(
        "tel:+33611000002",
        Peer(UDP, "192.0.2.2", 5060),
        local_party="<tel:+33611000001>",
        headers=[PAI, ("Privacy", "none"), CORRELATION],
    )
    (sent,) = alice.sent("INVITE")
    invite = sent.message
    assert invite.headers.get("From") or "".startswith("<tel:+33611000001>;tag=")
    assert invite.from_ is not None and invite.from_.tag
    assert invite.headers.get("P-Asserted-Identity") == PAI[1]
    assert invite.headers.get("Privacy") == "none"
    assert invite.headers.get("X-FleetPBX-Call") == "c-42"
    assert invite.headers.get("To") == "<tel:+33611000002>"


def test_an_invite_without_them_comes_from_the_user_at_our_host_as_before() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    outgoing, _ = ringing(clock, alice, bob)
    assert outgoing.invite.headers.get("From") or "".startswith("<sip:alice@192.0.2.1>;tag=")
    assert outgoing.invite.headers.get("P-Asserted-Identity") is None


@pytest.mark.parametrize(
    ("status", "phrase"),
    [
        (403, "Forbidden"),
        (404, "Not Found"),
        (408, "Request Timeout"),
        (480, "Temporarily Unavailable"),
        (482, "Loop Detected"),
        (483, "Too Many Hops"),
        (486, "Busy Here"),
        (488, "Not Acceptable Here"),
        (500, "Server Internal Error"),
        (503, "Service Unavailable"),
        (603, "Decline"),
    ],
)
def test_a_reject_without_a_reason_carries_the_standard_phrase(status: int, phrase: str) -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    _, incoming = ringing(clock, alice, bob)
    bob.ua.reject(incoming, status)
    clock.advance(0.05)
    (final,) = bob.sent(str(status))
    assert isinstance(final.message, Response) and final.message.reason == phrase
    assert REASON_PHRASES[status] == phrase


def test_a_reject_may_name_its_own_reason_phrase() -> None:
    clock = VirtualClock()
    alice, bob = phones(clock)
    _, incoming = ringing(clock, alice, bob)
    bob.ua.reject(incoming, 480, reason="Gone Fishing")
    clock.advance(0.05)
    (final,) = bob.sent("480")
    assert isinstance(final.message, Response) and final.message.reason == "Gone Fishing"


def test_a_status_outside_the_table_is_sent_with_the_phrase_unknown() -> None:
    request = Request(
        "INVITE",
        "sip:bob@192.0.2.2",
        Headers(
            [
                ("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1"),
                ("From", "<sip:alice@192.0.2.1>;tag=a"),
                ("To", "<sip:bob@192.0.2.2>"),
                ("Call-ID", "c1"),
                ("CSeq", "1 INVITE"),
            ]
        ),
    )
    assert uas_response(request, 499, local_tag="b").reason == "Unknown"
    assert uas_response(request, 504, local_tag="b").reason == "Server Time-out"


def _invite(port: int) -> bytes:
    headers = Headers(
        [
            ("Via", f"SIP/2.0/UDP {LOOPBACK}:{port};branch=z9hG4bK-attach-1"),
            ("Max-Forwards", "70"),
            ("From", "<sip:probe@example.net>;tag=p1"),
            ("To", "<sip:fleetpbx@example.net>"),
            ("Call-ID", "attach-1"),
            ("CSeq", "1 INVITE"),
            ("Contact", f"<sip:probe@{LOOPBACK}:{port}>"),
        ]
    )
    return serialize(Request("INVITE", "sip:fleetpbx@example.net", headers))


@pytest.mark.parametrize("limits", [None, Limits()], ids=["unguarded", "guarded"])
async def test_a_ua_attached_to_a_stack_hears_its_invites_and_answers_through_it(
    limits: Limits | None,
) -> None:
    stack = SipStack(TransportConfig(host=LOOPBACK, port=0, policy=UasPolicy()), limits=limits)
    await stack.start()
    try:
        calls: list[IncomingCall] = []
        address = Peer(UDP, LOOPBACK, stack.listening[0])
        ua = UserAgent(stack.scheduler, stack.port, address, "fleetpbx", on_incoming=calls.append)
        stack.attach(ua)
        assert ua.layer is stack.layer and stack.tu is ua
        assert (stack.guard is None) is (limits is None)
        async with udp_peer() as peer:
            peer.send(_invite(peer.port), stack.listening[0])
            await eventually(lambda: len(calls) == 1)
            ua.reject(calls[0], 480)
            answer = parse_message(await peer.receive())
            while isinstance(answer, Response) and answer.status == 100:
                answer = parse_message(await peer.receive())
        assert isinstance(answer, Response)
        assert (answer.status, answer.reason) == (480, "Temporarily Unavailable")
    finally:
        await stack.stop()


async def test_a_ua_attached_behind_a_tu_of_the_stack_keeps_that_tu_and_its_layer() -> None:
    edge = OptionsResponder()
    stack = SipStack(TransportConfig(host=LOOPBACK, port=0, policy=UasPolicy()), tu=edge)
    layer = stack.layer
    ua = UserAgent(stack.scheduler, stack.port, Peer(UDP, LOOPBACK, 5060), "fleetpbx")
    stack.attach(ua, tu=edge)
    assert stack.tu is edge and stack.layer is layer and ua.layer is layer
