"""The message parser and serializer: round trips on IMS INVITEs, typed header values and the
errors a UAS turns into responses."""

from __future__ import annotations

import pytest

from fleet.sip.errors import HeaderValueError, SipParseError
from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response, parse_message, serialize
from fleet.sip.uri import UriError, parse_uri
from fleet.sip.values import parse_cseq, parse_name_addr, parse_via
from tests.sip.ims import CORPUS, SDP, TERMINATING

OPTIONS = (
    b"OPTIONS sip:fleet.example.net SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1\r\n"
    b"Max-Forwards: 70\r\n"
    b"From: <sip:probe@example.net>;tag=1\r\n"
    b"To: <sip:fleet.example.net>\r\n"
    b"Call-ID: probe-1\r\n"
    b"CSeq: 1 OPTIONS\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def _request(data: bytes) -> Request:
    message = parse_message(data)
    assert isinstance(message, Request)
    return message


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_parse_serialize_parse_gives_the_same_message(name: str) -> None:
    first = parse_message(CORPUS[name])
    wire = serialize(first)
    second = parse_message(wire)
    assert second == first
    assert serialize(second) == wire


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_serialized_messages_use_crlf_and_canonical_names_only(name: str) -> None:
    wire = serialize(parse_message(CORPUS[name]))
    head, _, body = wire.partition(b"\r\n\r\n")
    assert b"\n" not in head.replace(b"\r\n", b"")
    names = [line.split(b":", 1)[0] for line in head.split(b"\r\n")[1:]]
    assert all(len(n) > 1 for n in names)  # no compact form left
    assert body == SDP or body == SDP.replace(b"sendrecv", b"sendonly")


def test_compact_forms_and_folding_read_as_their_long_forms() -> None:
    request = _request(CORPUS["compact_folded"])
    names = [name for name, _ in request.headers]
    assert names[:6] == ["Via", "Record-Route", "Max-Forwards", "From", "To", "Call-ID"]
    assert request.headers.get("To") == '"Standard Com" <sip:2004@fleet.example.net>'
    assert request.headers.get("CSeq") == "314159 INVITE"
    assert request.headers.get("l") == request.headers.get("Content-Length") == str(len(SDP))
    assert request.supported == ("timer",)
    assert [v.host for v in request.via] == ["as1.fleet.example.net", "[2001:db8::5]"]
    assert [r.uri.host for r in request.record_routes] == ["[2001:db8::9]", "edge.example.net"]


def test_bare_lf_line_ends_parse_like_crlf() -> None:
    lf = _request(CORPUS["reinvite_bare_lf"])
    crlf = _request(
        CORPUS["reinvite_bare_lf"].replace(b"\n", b"\r\n").replace(b"\r\n\r\n", b"\n\n")
    )
    assert lf.headers == crlf.headers
    assert lf.method == "INVITE" and lf.to is not None and lf.to.tag == "a73kszlfl"


def test_ims_headers_read_as_typed_values() -> None:
    request = _request(TERMINATING)
    top = request.top_via
    assert top is not None
    assert (top.transport, top.host, top.port, top.wants_rport, top.rport) == (
        "UDP",
        "scscf1.ims.example.net",
        5060,
        True,
        None,
    )
    assert top.is_rfc3261_branch
    second = request.via[1]
    assert (second.transport, second.received) == ("TCP", "10.20.0.7")
    pai = request.headers.values("P-Asserted-Identity")
    assert pai == [
        '"Monsieur A" <sip:+33611000001@ims.example.net;user=phone>',
        "<tel:+33611000001>",
    ]
    identities = [parse_name_addr(v) for v in pai]
    assert identities[0].display_name == "Monsieur A"
    assert identities[1].uri.scheme == "tel" and identities[1].uri.opaque == "+33611000001"
    served = parse_name_addr(request.headers.values("P-Served-User")[0])
    assert served.param("sescase") == "term" and served.param("regstate") == "reg"
    history = [parse_name_addr(v) for v in request.headers.values("History-Info")]
    assert [h.param("index") for h in history] == ["1", "1.1"]
    assert history[1].uri.headers == (("Reason", "SIP%3Bcause%3D302"),)
    assert request.uri.param("user") == "phone"
    cseq = request.cseq
    assert cseq is not None and (cseq.number, cseq.method) == (1, "INVITE")
    assert request.max_forwards == 68
    assert request.allow == ("INVITE", "ACK", "CANCEL", "BYE", "PRACK", "UPDATE", "OPTIONS", "INFO")
    (contact,) = request.contacts
    assert contact.param("+g.3gpp.icsi-ref") == '"urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel"'


def test_commas_inside_quotes_and_angle_brackets_do_not_split_values() -> None:
    headers = Headers([("Contact", '"Doe, John" <sip:a@b;x=1,2>, <sip:c@d>')])
    assert headers.values("m") == ['"Doe, John" <sip:a@b;x=1,2>', "<sip:c@d>"]
    assert headers.values("Subject") == []


def test_header_names_are_case_insensitive_and_kept_in_order_per_line() -> None:
    headers = Headers([("VIA", "SIP/2.0/UDP a;branch=z9hG4bK1"), ("v", "SIP/2.0/UDP b")])
    assert list(headers) == [("Via", "SIP/2.0/UDP a;branch=z9hG4bK1"), ("Via", "SIP/2.0/UDP b")]
    assert headers.get_all("via") == ["SIP/2.0/UDP a;branch=z9hG4bK1", "SIP/2.0/UDP b"]
    assert "V" in headers and headers.count("Via") == 2
    headers.add("X-Custom", "1")
    assert headers.get("x-custom") == "1"
    headers.set("Via", "SIP/2.0/TCP c")
    assert list(headers) == [("Via", "SIP/2.0/TCP c"), ("X-Custom", "1")]
    headers.remove("x-CUSTOM")
    assert len(headers) == 1 and "X-Custom" not in headers


def test_serializer_sets_content_length_from_the_body() -> None:
    request = _request(OPTIONS)
    request.body = b"hello"
    request.headers.add("Content-Length", "999")
    wire = serialize(request)
    assert wire.count(b"Content-Length") == 1
    assert wire.endswith(b"Content-Length: 5\r\n\r\nhello")
    bare = Request("OPTIONS", parse_uri("sip:a@b"), Headers([("Call-ID", "x")]))
    assert serialize(bare) == b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n"


def test_datagram_body_follows_content_length_or_else_the_datagram() -> None:
    with_trailer = OPTIONS + b"garbage after the message"
    assert _request(with_trailer).body == b""
    no_length = OPTIONS.replace(b"Content-Length: 0\r\n", b"") + b"v=0\r\n"
    assert _request(no_length).body == b"v=0\r\n"
    short = OPTIONS.replace(b"Content-Length: 0", b"Content-Length: 10") + b"12345"
    with pytest.raises(HeaderValueError) as raised:
        parse_message(short)
    assert (raised.value.status, raised.value.header) == (400, "Content-Length")


def test_empty_lines_before_the_start_line_are_ignored() -> None:
    assert _request(b"\r\n\r\n" + OPTIONS) == _request(OPTIONS)


@pytest.mark.parametrize(
    ("data", "status", "is_response"),
    [
        (OPTIONS.replace(b"SIP/2.0\r\nVia", b"SIP/3.0\r\nVia"), 505, False),
        (OPTIONS.replace(b"OPTIONS sip", b"OPTIONS  sip:x sip"), 400, False),
        (OPTIONS.replace(b"SIP/2.0\r\nVia", b"HTTP/1.1\r\nVia"), 400, False),
        (OPTIONS.replace(b"Max-Forwards: 70", b"Max-Forwards 70"), 400, False),
        (OPTIONS.replace(b"Max-Forwards", b"Max Forwards"), 400, False),
        (b"  folded before any header\r\n" + OPTIONS, 400, False),
        (OPTIONS.replace(b"SIP/2.0\r\nVia", b"SIP/2.0\r\n early\r\nVia"), 400, False),
        (b"SIP/2.0 99 Too Low\r\nCall-ID: x\r\n\r\n", 400, True),
        (b"SIP/2.0 1000 Too High\r\nCall-ID: x\r\n\r\n", 400, True),
        (b"SIP/3.0 200 OK\r\nCall-ID: x\r\n\r\n", 505, True),
        (OPTIONS.rstrip(b"\r\n"), 400, False),
    ],
)
def test_malformed_messages_raise_a_typed_error_with_the_status_to_answer(
    data: bytes, status: int, is_response: bool
) -> None:
    with pytest.raises(SipParseError) as raised:
        parse_message(data)
    assert (raised.value.status, raised.value.is_response) == (status, is_response)


def test_a_response_parses_with_its_status_and_reason() -> None:
    response = parse_message(b"SIP/2.0 180 Ringing\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n")
    assert isinstance(response, Response)
    assert (response.status, response.reason, response.call_id) == (180, "Ringing", "x")
    assert parse_message(serialize(response)) == response


def test_via_parameters_are_typed() -> None:
    via = parse_via(
        "SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKabc;rport=5062;received=10.0.0.1"
        ";maddr=224.0.1.75;ttl=16"
    )
    assert (via.port, via.rport, via.received, via.maddr, via.ttl) == (
        5062,
        5062,
        "10.0.0.1",
        "224.0.1.75",
        16,
    )
    assert str(parse_via(str(via))) == str(via)
    ipv6 = parse_via("SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bK1")
    assert (ipv6.host, ipv6.port, ipv6.transport) == ("[2001:db8::1]", 5061, "TLS")
    assert not parse_via("SIP/2.0/UDP a;branch=z9hG4bK").is_rfc3261_branch
    for bad in (
        "SIP/2.0 host",
        "SIP/2.0/UDP",
        "SIP/2.0/UDP a;ttl=300",
        "SIP/2.0/UDP a:70000",
        "SIP/2.0/UDP a;branch=",
    ):
        with pytest.raises(HeaderValueError):
            parse_via(bad)


def test_uris_parse_into_their_parts_and_print_back() -> None:
    uri = parse_uri(
        "sips:alice:secret@[2001:db8::10]:5061;transport=tcp;lr?Subject=hi&Priority=urgent"
    )
    assert (uri.scheme, uri.user, uri.password, uri.host, uri.port) == (
        "sips",
        "alice",
        "secret",
        "[2001:db8::10]",
        5061,
    )
    assert uri.params == (("transport", "tcp"), ("lr", None))
    assert uri.headers == (("Subject", "hi"), ("Priority", "urgent"))
    assert (
        str(uri)
        == "sips:alice:secret@[2001:db8::10]:5061;transport=tcp;lr?Subject=hi&Priority=urgent"
    )
    assert str(parse_uri("SIP:host.example.net")) == "sip:host.example.net"
    assert (
        parse_uri("tel:+33611000001;phone-context=example.net").opaque
        == "+33611000001;phone-context=example.net"
    )
    for bad in (
        "sip:",
        "sip:a@",
        "sip:a b@c",
        "<sip:a@b>",
        "sip:host:99999",
        "sip:host;;lr",
        "sip:[::1",
        "1sip:a",
    ):
        with pytest.raises(UriError):
            parse_uri(bad)


def test_name_addr_forms_parse_and_print() -> None:
    quoted = parse_name_addr('"A \\"B\\"" <sip:a@b>;tag=x;q=0.5')
    assert (quoted.display_name, quoted.tag, quoted.param("q")) == ('A "B"', "x", "0.5")
    assert parse_name_addr(str(quoted)) == quoted
    tokens = parse_name_addr("Monsieur  A <sip:a@b>")
    assert tokens.display_name == "Monsieur A"
    spec = parse_name_addr("sip:a@b;tag=1")
    assert spec.tag == "1" and spec.uri.params == ()
    for bad in (
        '"open <sip:a@b>',
        "Doe, John <sip:a@b>",
        "<sip:a@b",
        "sip:a@b?x=y",
        "<sip:a@b> junk",
        "<sip:a@b>;;",
    ):
        with pytest.raises(HeaderValueError):
            parse_name_addr(bad, "To")


def test_cseq_numbers_are_bounded() -> None:
    assert parse_cseq("2147483647 BYE").number == 2**31 - 1
    for bad in ("2147483648 BYE", "1", "x BYE", "1 BYE extra", "-1 BYE"):
        with pytest.raises(HeaderValueError):
            parse_cseq(bad)


def test_max_forwards_and_content_length_reject_what_is_not_a_bounded_integer() -> None:
    request = _request(OPTIONS)
    for bad in ("256", "-1", "7a", ""):
        request.headers.set("Max-Forwards", bad)
        with pytest.raises(HeaderValueError):
            request.max_forwards  # noqa: B018
    request.headers.set("Max-Forwards", "0070")
    assert request.max_forwards == 70
