"""The fast path of validation (syntax checked on the raw text, typed values built later) gives
the outcome the full parsers give, on the RFC 4475 and IMS corpora and on damaged copies of them,
and takes the fast path for the common messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.sip import fast_syntax
from fleet.sip.errors import SipParseError
from fleet.sip.message import Request, Response, parse_message
from fleet.sip.uri import parse_uri
from fleet.sip.validate import Outcome, Reject, UasPolicy, check_request, check_response
from fleet.sip.values import parse_cseq, parse_name_addr, parse_token_list, parse_via, split_list
from tests.sip.ims import CORPUS

TORTURE_DIR = Path(__file__).parent / "rfc4475"
POLICY = UasPolicy()

DIALOG = (
    b"BYE sip:+33611000004@10.1.1.2:5060 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP scscf1.ims.example.net:5060;branch=z9hG4bK-524287-2---b7;rport\r\n"
    b"Route: <sip:fleet.example.net:5060;transport=udp;lr>, <sip:[2001:db8::1];lr>\r\n"
    b"Max-Forwards: 69\r\n"
    b'From: "Monsieur A" <sip:+33611000001@ims.example.net;user=phone>;tag=a73kszlfl\r\n'
    b"To: <tel:+33611000004>;tag=fleet-9f3a\r\n"
    b"Call-ID: 3848276298220188511@10.20.0.31\r\n"
    b"CSeq: 2 BYE\r\n"
    b"Content-Length: 0\r\n\r\n"
)
RESPONSE = (
    b"SIP/2.0 200 OK\r\n"
    b"Via: SIP/2.0/UDP fleet.example.net:5060;branch=z9hG4bK-fleet-1;received=10.1.1.2\r\n"
    b"From: <sip:+33611000001@ims.example.net;user=phone>;tag=a73kszlfl\r\n"
    b"To: <tel:+33611000004>;tag=fleet-9f3a\r\n"
    b"Call-ID: 3848276298220188511@10.20.0.31\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Contact: <sip:fleet.example.net:5060>\r\n"
    b"Content-Length: 0\r\n\r\n"
)
COMMON = {**CORPUS, "bye": DIALOG, "ok_200": RESPONSE}
TORTURE = {p.stem: p.read_bytes() for p in sorted(TORTURE_DIR.glob("*.dat"))}
# what a damaged value may be made of: separators, quotes, escapes, odd whitespace, digits
DAMAGE = [",", '"', "\\", " ", "\t", ";", "=", ":", "@", "<", ">", "[", "]", "?", "9", ""]


def _outcomes(data: bytes) -> tuple[object, object] | None:
    try:
        fast_message = parse_message(data)
    except SipParseError:
        return None
    full_message = parse_message(data)
    if isinstance(fast_message, Response):
        assert isinstance(full_message, Response)
        return _seen(check_response(fast_message)), _seen(
            check_response(full_message, fast_path=False)
        )
    assert isinstance(full_message, Request)
    return _seen(check_request(fast_message, POLICY)), _seen(
        check_request(full_message, POLICY, fast_path=False)
    )


def _seen(outcome: Outcome) -> object:
    """Everything a caller sees of an outcome (``Reject`` compares without its detail)."""
    if isinstance(outcome, Reject):
        return outcome, outcome.detail
    return outcome


def _same(data: bytes) -> None:
    found = _outcomes(data)
    if found is not None:
        fast, full = found
        assert fast == full, data


@pytest.mark.parametrize("name", sorted(TORTURE) + sorted(COMMON))
def test_the_fast_path_gives_the_full_parsers_outcome(name: str) -> None:
    _same(TORTURE.get(name) or COMMON[name])


@pytest.mark.parametrize("name", sorted(COMMON))
def test_a_damaged_header_value_gets_the_same_outcome_either_way(name: str) -> None:
    data = COMMON[name]
    head_end = data.index(b"\n\r\n") if b"\n\r\n" in data else data.index(b"\n\n")
    start = data.index(b"\n") + 1  # the header lines; the Request-URI separately below
    checked = 0
    for at in range(start, head_end):
        if data[at : at + 1] in (b"\r", b"\n"):
            continue
        for damage in DAMAGE:
            _same(data[:at] + damage.encode() + data[at + 1 :])
            checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    "uri",
    [
        "sip:+33611000004@fleet.example.net;user=phone",
        "sip:[2001:db8::1]:5060;lr",
        "sip:a@b:65535",
        "sip:a@b:59999",
        "sip:a@b:99999",
        "sip:a@b:",
        "sip:a@b?subject=x",
        "sip:a:pw@b;transport=tcp",
        "sip:@b",
        "sip:a@[::1",
        "sip:a@[x:1]",
        "tel:+33611000004;phone-context=ims.example.net",
        "tel:",
        "urn:service:sos",
        "1sip:a@b",
        "SIPS:a@B;LR",
    ],
)
def test_a_request_uri_gets_the_same_outcome_either_way(uri: str) -> None:
    _same(DIALOG.replace(b"sip:+33611000004@10.1.1.2:5060", uri.encode(), 1))


# each fast check with the full parser of the same text: a value the check passes must parse
VALUES = {
    "via": [
        "SIP/2.0/UDP h;branch=z9hG4bK1;rport",
        "SIP/2.0/UDP h:5060;branch=;rport",
        "SIP/2.0/UDP h;branch",
        "SIP/2.0/UDP h;ttl=255",
        "SIP/2.0/UDP h;ttl=256",
        "SIP/2.0/UDP h;TTL=1;Rport=65535",
        "SIP/2.0/UDP h;rport=99999",
        "SIP/2.0/UDP [2001:db8::5]:5060;received=2001:db8::5;branch=z9hG4bK2",
        "SIP/2.0/UDP [2001:db8::5]:65536;branch=z9hG4bK2",
        'SIP/2.0/UDP h;x="a,b";branch=z9hG4bK3',
        "SIP/2.0/UDP h;branch=z9hG4bK3, SIP/2.0/TCP g:5070;branch=z9hG4bK4",
        "SIP/2.0/UDP h;branch=z9hG4bK3,SIP/2.0/TCP g;branchx",
        "SIP/2.0/UDP  h;branch=z9hG4bK3",
        "SIP / 2.0 / UDP h;branch=z9hG4bK3",
    ],
    "name-addr": [
        '"A" <sip:a@b;user=phone>;tag=1',
        '"A, B" <sip:a@b>',
        '"A\\"" <sip:a@b>',
        "<tel:+336>;tag=",
        "<sip:a@b>;tag",
        'A <sip:a@b>;x="q"',
        "sip:a@b;tag=1",
        "<sip:a@[::1]:5060>",
        "<sip:a@b>, <sip:c@d;lr>",
        "<sip:a@b>;;x",
        "<sip:a,b@c>",
        "<sip:a@b?h=v>",
        '<urn:x>;+g.3gpp.icsi-ref="urn%3Aurn-7";audio',
    ],
    "token-list": ["100rel, timer", "", "100rel,,timer", "100rel timer", "a ,b\t, c"],
    "cseq": ["1 INVITE", "999999999 BYE", "2147483648 BYE", "1\tACK", "1 IN VITE", "-1 BYE"],
}


def _full(kind: str, text: str) -> None:
    if kind == "via":
        for item in split_list(text, "Via"):
            parse_via(item)
    elif kind == "name-addr":
        for item in split_list(text, "Contact"):
            parse_name_addr(item)
    elif kind == "token-list":
        parse_token_list(split_list(text, "Supported"), "Supported")
    else:
        parse_cseq(text)


CHECKS = {
    "via": fast_syntax._VIA_LINE,
    "name-addr": fast_syntax._NAME_ADDR_LINE,
    "token-list": fast_syntax._TOKEN_LIST_LINE,
    "cseq": fast_syntax._CSEQ,
}


@pytest.mark.parametrize(("kind", "text"), [(k, t) for k, ts in VALUES.items() for t in ts])
def test_a_value_the_fast_check_passes_is_one_the_full_parser_reads(kind: str, text: str) -> None:
    if CHECKS[kind].fullmatch(text) is not None:
        _full(kind, text)
    if fast_syntax._REQUEST_URI.fullmatch(text) is not None:
        parse_uri(text)


@pytest.mark.parametrize("name", sorted(COMMON))
def test_the_common_messages_take_the_fast_path_and_build_no_typed_value(name: str) -> None:
    message = parse_message(COMMON[name])
    if isinstance(message, Request):
        assert fast_syntax.request_facts(message) is not None
        check_request(message, POLICY)
    else:
        assert fast_syntax.message_facts(message) is not None
        check_response(message)
    assert message.headers._typed == {}
