"""Typed values of the common shapes are shared between messages (immutable, kept by text), an
unquoted display name takes the quick path with the full parser's result, a change to one header
forgets only its typed values, and a response built from a request copies its lines as
RFC 3261 §8.2.6.2 says and hands on the typed values the request parsed."""

from __future__ import annotations

import pytest

from fleet.sip import fast_syntax
from fleet.sip.errors import HeaderValueError
from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.transaction_messages import make_response
from fleet.sip.uri import parse_uri
from fleet.sip.validate import UasPolicy, check_request
from fleet.sip.values import _name_addr, parse_name_addr, parse_via
from tests.sip.ims import CORPUS

SIPP_INVITE = (
    b"INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-4711-1-0\r\n"
    b"From: sipp <sip:sipp@127.0.0.1:5061>;tag=4711SIPpTag001\r\n"
    b"To: service <sip:service@127.0.0.1:5060>\r\n"
    b"Call-ID: 1-4711@127.0.0.1\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Contact: sip:sipp@127.0.0.1:5061\r\n"
    b"Max-Forwards: 70\r\n"
    b"Subject: Performance Test\r\n"
    b"Timestamp: 54\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 0\r\n\r\n"
)


@pytest.mark.parametrize(
    "text",
    [
        "sipp <sip:sipp@127.0.0.1:5061>;tag=4711SIPpTag001",
        "service <sip:service@127.0.0.1:5060>",
        "Bob Smith <sip:bob@example.com>",
        "Bob Smith<sip:bob@example.com>;tag=x",
        "Bob  Smith <sip:bob@example.com>",
        "A.b-c! <tel:+331>",
    ],
)
def test_an_unquoted_display_name_reads_as_the_full_parser_reads_it(text: str) -> None:
    assert parse_name_addr(text) == _name_addr(text)
    assert parse_name_addr(text).display_name == " ".join(text.split("<")[0].split())


def test_sipps_invite_passes_the_fast_syntax_check_and_builds_no_typed_value() -> None:
    message = parse_message(SIPP_INVITE)
    assert isinstance(message, Request)
    assert fast_syntax.request_facts(message) is not None
    check_request(message, UasPolicy())
    assert message.headers._typed == {}


def test_equal_values_in_two_messages_are_the_same_immutable_object() -> None:
    first, second = parse_message(SIPP_INVITE), parse_message(SIPP_INVITE)
    assert first.top_via is second.top_via
    assert first.from_ is second.from_
    assert first.to is second.to
    assert parse_uri("sip:sipp@127.0.0.1:5061") is parse_uri("sip:sipp@127.0.0.1:5061")
    via = first.top_via
    assert via is not None
    with pytest.raises(AttributeError):
        via.host = "elsewhere"  # type: ignore[misc]


def test_a_malformed_value_is_refused_on_every_parse() -> None:
    for _ in range(2):
        with pytest.raises(HeaderValueError):
            parse_via("SIP/2.0/UDP host;ttl=300")
        with pytest.raises(HeaderValueError):
            parse_name_addr("sipp <sip:a@b:99999>")


def test_adding_a_line_forgets_only_the_typed_values_of_its_header() -> None:
    message = parse_message(SIPP_INVITE)
    via, from_ = message.top_via, message.from_
    message.headers.add("Via", "SIP/2.0/UDP proxy.example.net;branch=z9hG4bK-p1")
    message.headers.add("Record-Route", "<sip:proxy.example.net;lr>")
    assert message.from_ is from_
    assert message.top_via is via
    assert [v.host for v in message.via] == ["127.0.0.1", "proxy.example.net"]
    message.headers.set("Via", "SIP/2.0/UDP other.example.net;branch=z9hG4bK-o1")
    top = message.top_via
    assert top is not None and top.host == "other.example.net"
    message.headers.remove("From")
    assert message.from_ is None


@pytest.mark.parametrize("name", ["sipp", *sorted(CORPUS)])
@pytest.mark.parametrize(("status", "to_tag"), [(100, None), (180, "fleet-1"), (200, "fleet-1")])
def test_a_response_for_a_request_copies_its_lines_and_hands_on_its_typed_values(
    name: str, status: int, to_tag: str | None
) -> None:
    data = SIPP_INVITE if name == "sipp" else CORPUS[name]
    request = parse_message(data)
    assert isinstance(request, Request)
    parsed = (request.top_via, request.from_, request.to, request.cseq)  # handed on
    built = make_response(request, status, "Reason", to_tag)
    reference = Headers()  # §8.2.6.2 spelled out with the public API
    for header in ("Via", "From", "To", "Call-ID", "CSeq"):
        for value in request.headers.get_all(header):
            if header == "To" and to_tag is not None and ";tag=" not in value.replace(" ", ""):
                value = f"{value};tag={to_tag}"
            reference.add(header, value)
    if status == 100:
        for value in request.headers.get_all("Timestamp"):
            reference.add("Timestamp", value)
    expected = Response(status, "Reason", reference)
    assert serialize(built) == serialize(expected)
    assert (built.top_via, built.via, built.from_, built.to, built.cseq) == (
        expected.top_via,
        expected.via,
        expected.from_,
        expected.to,
        expected.cseq,
    )
    to, asked = built.to, parsed[2]
    assert to is not None and asked is not None
    assert to.tag == (asked.tag or to_tag)
    assert built.top_via is parsed[0]


@pytest.mark.parametrize(
    "text", ["sip:sipp@127.0.0.1:5061", "sip:a@b:5061;expires=60;q=0.5", "SIPS:host.example"]
)
def test_a_bare_sip_addr_spec_passes_the_fast_check_and_keeps_its_header_params(text: str) -> None:
    assert fast_syntax._NAME_ADDR_LINE.fullmatch(text) is not None
    spec, _, params = text.partition(";")
    value = parse_name_addr(text)
    assert value.uri == parse_uri(spec)
    assert value.params == tuple(
        (p.partition("=")[0], p.partition("=")[2]) for p in params.split(";") if p
    )
