"""Typed header values are kept once parsed, and a change of the headers is seen at once."""

from __future__ import annotations

import pytest

from fleet.sip.errors import HeaderValueError
from fleet.sip.headers import Headers
from fleet.sip.message import Message, Request, parse_message
from fleet.sip.uri import parse_uri
from fleet.sip.values import parse_name_addr, parse_via
from tests.sip.ims import CORPUS, TERMINATING


def test_a_typed_value_read_twice_is_the_same_object() -> None:
    message = parse_message(TERMINATING)
    assert message.to is message.to
    assert message.cseq is message.cseq
    assert message.via == message.via
    assert message.via is not message.via  # a list: a copy, the kept value is not exposed
    assert isinstance(message, Request) and message.uri is message.uri


def test_a_returned_list_changed_by_the_caller_leaves_the_kept_value_alone() -> None:
    message = parse_message(TERMINATING)
    vias = message.via
    vias.clear()
    assert len(message.via) == 2


def test_set_add_and_remove_are_seen_by_the_typed_values_read_before() -> None:
    message = parse_message(TERMINATING)
    assert message.cseq is not None and message.cseq.number == 1
    assert len(message.via) == 2 and message.top_via is not None
    assert _to_tag(message) is None
    message.headers.set("CSeq", "2 INVITE")
    message.headers.set("To", "<tel:+33611000004>;tag=x1")
    message.headers.add("v", "SIP/2.0/UDP edge.example.net;branch=z9hG4bK-3")
    assert message.cseq is not None and message.cseq.number == 2
    assert _to_tag(message) == "x1"
    assert [v.host for v in message.via][-1] == "edge.example.net"
    message.headers.remove("Via")
    assert message.via == [] and _top_host(message) is None
    message.headers.add("Via", "SIP/2.0/TCP new.example.net;branch=z9hG4bK-4")
    assert _top_host(message) == "new.example.net"


def _to_tag(message: Message) -> str | None:
    to = message.to
    return None if to is None else to.tag


def _top_host(message: Message) -> str | None:
    top = message.top_via
    return None if top is None else top.host


def test_a_new_request_uri_or_new_headers_are_parsed_again() -> None:
    message = parse_message(TERMINATING)
    assert isinstance(message, Request)
    assert message.uri.host == "fleet.example.net"
    message.request_uri = "sip:2004@other.example.net"
    assert message.uri.host == "other.example.net"
    message.headers = Headers([("Call-ID", "x"), ("CSeq", "9 BYE")])
    assert message.cseq is not None and message.cseq.method == "BYE"
    assert message.to is None and message.via == []


def test_a_malformed_value_raises_on_every_read_and_a_fix_is_seen() -> None:
    message = parse_message(TERMINATING)
    message.headers.set("CSeq", "one INVITE")
    for _ in range(2):
        with pytest.raises(HeaderValueError):
            message.cseq  # noqa: B018
    message.headers.set("CSeq", "7 INVITE")
    assert message.cseq is not None and message.cseq.number == 7


def test_top_via_read_alone_ignores_a_malformed_lower_via() -> None:
    data = TERMINATING.replace(b"Via: SIP/2.0/TCP pcscf2", b"Via: SIP/2.0/TCP pcscf2:99999")
    message = parse_message(data)
    assert message.top_via is not None and message.top_via.host == "scscf1.ims.example.net"
    with pytest.raises(HeaderValueError):
        message.via  # noqa: B018


@pytest.mark.parametrize(
    "text",
    [
        "sip:+33611000001@ims.example.net;user=phone",
        "SIP:alice:secret@Example.COM:5061;Transport=TCP;lr;x=a=b",
        "sips:bob@host;maddr=239.255.255.1;ttl=15",
        "sip:a@b:65535",
        "sip:user:@host",
    ],
)
def test_the_quick_uri_match_gives_what_the_full_parser_gives(text: str) -> None:
    from fleet.sip.uri import _parse_uri

    assert parse_uri(text) == _parse_uri(text)


@pytest.mark.parametrize(
    "text", ["sip:a@b:65536", "sip:@host", "sip:host;", "sip:host;=x", "sip:a@b?x"]
)
def test_values_the_quick_uri_match_refuses_still_reach_the_full_parser(text: str) -> None:
    from fleet.sip.uri import UriError, _parse_uri

    try:
        expected = _parse_uri(text)
    except UriError:
        with pytest.raises(UriError):
            parse_uri(text)
    else:
        assert parse_uri(text) == expected


def test_the_quick_via_and_name_addr_matches_agree_with_the_full_parsers() -> None:
    for data in CORPUS.values():
        message = parse_message(data)
        for value in message.headers.values("Via"):
            assert parse_via(value) == parse_via(" " + value + " ")  # spaces: the full parser
        for name in ("From", "To", "Contact", "Record-Route", "Route", "P-Asserted-Identity"):
            for value in message.headers.values(name):
                assert parse_name_addr(value) == parse_name_addr(" " + value)


@pytest.mark.parametrize(
    "text",
    [
        "SIP/2.0/UDP host:65536;branch=z9hG4bK1",
        "SIP/2.0/UDP host;branch=",
        "SIP/2.0/UDP host;ttl=300",
        "SIP/2.0/UDP host;rport=x",
        "SIP/2.0/UDP host;",
    ],
)
def test_a_via_the_quick_match_takes_is_still_checked(text: str) -> None:
    with pytest.raises(HeaderValueError):
        parse_via(text)


@pytest.mark.parametrize(
    "text",
    [
        '"Doe, John" <sip:a@b;x=1,2>, <sip:c@d>',
        "<sip:a@b>;x=1, <sip:c@d>",
        '"a" <sip:x>, "b;c" <sip:y>;p="q,r"',
        "a > b, <c, d>, e",
        '"open, <x>, y',
        '"a\\"b, c" <sip:x>, d',
        "plain, list, of ,tokens",
    ],
)
def test_splitting_by_the_separators_alone_agrees_with_the_char_by_char_split(text: str) -> None:
    from fleet.sip.syntax import _split_by_char, split_outside

    for sep in (",", ";"):
        try:
            expected = _split_by_char(text, sep)
        except ValueError:
            with pytest.raises(ValueError):
                split_outside(text, sep)
        else:
            assert split_outside(text, sep) == expected


@pytest.mark.parametrize(
    "head_end",
    [b"\r\n\r\n", b"\n\n", b"\r\n\n\r\n", b"\n\r\n", b"\r\n\n"],
)
def test_the_first_empty_line_ends_the_head_whatever_the_line_ends(head_end: bytes) -> None:
    from fleet.sip.message import find_head_end

    data = (
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nCall-ID: c"
        + head_end
        + b"body\r\n\r\nmore"
    )
    found = find_head_end(data)
    assert found is not None
    message = parse_message(data)
    assert message.body == data[found[1] :]
    assert message.headers.get("Call-ID") == "c"
    crlf_only = data.replace(b"h;branch=z9hG4bK1\n", b"h;branch=z9hG4bK1\r\n")
    found = find_head_end(crlf_only)
    assert found is not None and parse_message(crlf_only).body == crlf_only[found[1] :]
