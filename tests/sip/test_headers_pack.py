"""Packed headers (``Headers.pack``, ``Message.pack``): what an answered call keeps of its INVITE
and 2xx reads and changes exactly as before, unpacked on first use."""

from __future__ import annotations

import gc

from fleet.sip.headers import Headers
from fleet.sip.message import Request, parse_message, serialize
from fleet.sip.ua_calls import IncomingCall, OutgoingState
from tests.sip.test_ua_memory import pair
from tests.sip.virtual import VirtualClock

INVITE = (
    b"INVITE sip:+33611000001@192.0.2.10;user=phone SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK-0\r\n"
    b"Max-Forwards: 70\r\n"
    b'From: "Caller" <tel:+33699000009>;tag=a1\r\n'
    b"To: <sip:+33611000001@192.0.2.10;user=phone>\r\n"
    b"Call-ID: c1@192.0.2.1\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Contact: <sip:caller@192.0.2.1:5060>\r\n"
    b"Supported: timer, 100rel\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 4\r\n\r\nv=0\n"
)


def _packed(headers: Headers) -> bool:
    return headers.packed  # read afresh each time (a property that changes as it is read)


def _invite() -> Request:
    message = parse_message(INVITE)
    assert isinstance(message, Request)
    return message


def test_packed_headers_read_the_same_and_unpack_on_first_read() -> None:
    plain, packed = _invite(), _invite()
    via = packed.top_via  # a typed value kept before packing is dropped with the index
    packed.pack()
    assert _packed(packed.headers)
    assert packed.headers.get("v") == plain.headers.get("Via")
    assert not _packed(packed.headers)
    assert packed.top_via == via
    assert packed.headers.values("Supported") == ["timer", "100rel"]
    assert packed.headers.get_all("Via") == plain.headers.get_all("Via")
    assert list(packed.headers) == list(plain.headers)
    assert serialize(packed) == serialize(plain)
    assert packed == plain
    assert packed.uri == plain.uri


def test_packed_headers_change_as_unpacked_ones_do() -> None:
    headers, expected = _invite().headers, _invite().headers
    headers.pack()
    for target in (headers, expected):
        target.add("Via", "SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK-2")
        target.set("Max-Forwards", "69")
        target.remove("Supported")
    assert list(headers) == list(expected)
    assert headers.count("Via") == 3 and "Supported" not in headers


def test_packing_twice_or_empty_headers_changes_nothing() -> None:
    empty = Headers()
    empty.pack()
    assert not empty.packed and list(empty) == []
    headers = _invite().headers
    headers.pack()
    headers.pack()
    assert headers.packed and len(headers) == 11


def test_a_value_holding_a_line_break_is_not_packed() -> None:
    headers = Headers([("Subject", "one\ntwo"), ("Call-ID", "x")])
    headers.pack()
    assert not headers.packed
    assert headers.get("Subject") == "one\ntwo"


def test_an_answered_call_keeps_its_invite_and_2xx_packed_on_both_sides() -> None:
    clock = VirtualClock()
    alice, bob = pair(clock)
    answered: list[IncomingCall] = []

    def answer(call: IncomingCall) -> None:
        answered.append(call)
        bob.answer(call, body=b"v=0\r\n", content_type="application/sdp")

    bob.on_incoming = answer
    call = alice.invite("sip:bob@192.0.2.2", body=b"v=0\r\n", content_type="application/sdp")
    clock.advance(0.1)
    (incoming,) = answered
    assert call.state is OutgoingState.CONFIRMED and call.answer is not None
    assert call.invite.headers.packed and call.answer.headers.packed
    assert incoming.invite.headers.packed
    assert incoming.invite.call_id == call.invite.call_id  # read back as before
    assert call.answer.headers.get("Content-Type") == "application/sdp"
    gc.collect()
    assert call.dialog is not None
    alice.bye(call.dialog)
    clock.advance(64)
    assert alice.calls_held == 0 and bob.calls_held == 0


def test_packed_headers_of_the_same_names_share_one_names_string() -> None:
    first, second = _invite().headers, _invite().headers
    first.pack()
    second.pack()
    names = [gc.get_referents(h) for h in (first, second)]
    shared = next(r for r in names[0] if isinstance(r, tuple))[0]
    assert shared is next(r for r in names[1] if isinstance(r, tuple))[0]
    assert list(first) == list(second) == list(_invite().headers)


def test_a_typed_value_read_from_packed_headers_stays_their_own() -> None:
    first, second = _invite(), _invite()
    first.pack()
    second.pack()
    assert first.cseq is not None and first.cseq.number == 1  # parsed and kept by the first
    first.headers.set("CSeq", "2 INVITE")
    assert first.cseq is not None and first.cseq.number == 2
    assert second.cseq is not None and second.cseq.number == 1, "nothing leaked to the second"
    third = _invite()
    third.pack()
    assert third.headers.cached("cseq", lambda h: "made") == "made"
    fourth = _invite()
    fourth.pack()
    assert fourth.headers.cached("cseq", lambda h: "again") == "again"
