"""The UAS validation layer beyond the torture messages: methods, Max-Forwards, extensions,
bodies, responses, and the policy given as a value."""

from __future__ import annotations

from fleet.sip.message import parse_message
from fleet.sip.validate import Accept, Drop, Reject, UasPolicy, check_datagram, check_request
from tests.sip.ims import CORPUS

REQUEST = (
    "{method} sip:2004@fleet.example.net SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-v1\r\n"
    "Max-Forwards: {mf}\r\n"
    "From: <sip:a@example.net>;tag=1\r\n"
    "To: <sip:2004@fleet.example.net>\r\n"
    "Call-ID: v-1\r\n"
    "CSeq: 1 {method}\r\n"
    "{extra}"
    "Content-Length: {length}\r\n\r\n{body}"
)


def _datagram(method: str = "INVITE", mf: int = 70, extra: str = "", body: str = "") -> bytes:
    text = REQUEST.format(method=method, mf=mf, extra=extra, length=len(body), body=body)
    return text.encode()


def test_an_ims_invite_is_accepted() -> None:
    for data in CORPUS.values():
        assert isinstance(check_datagram(data, UasPolicy()), Accept)


def test_max_forwards_zero_gets_483_except_for_options() -> None:
    policy = UasPolicy()
    assert check_datagram(_datagram("INVITE", mf=0), policy) == Reject(483, "Too Many Hops")
    assert check_datagram(_datagram("BYE", mf=0), policy) == Reject(483, "Too Many Hops")
    assert isinstance(check_datagram(_datagram("OPTIONS", mf=0), policy), Accept)


def test_unknown_methods_get_501_and_known_unserved_ones_405_both_with_allow() -> None:
    policy = UasPolicy(methods=frozenset({"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"}))
    allow = (("Allow", "ACK, BYE, CANCEL, INVITE, OPTIONS"),)
    assert check_datagram(_datagram("FROBNICATE"), policy) == Reject(501, "Not Implemented", allow)
    assert check_datagram(_datagram("SUBSCRIBE"), policy) == Reject(
        405, "Method Not Allowed", allow
    )


def test_require_lists_only_the_unsupported_extensions_and_is_ignored_on_ack() -> None:
    policy = UasPolicy(extensions=frozenset({"100rel"}))
    outcome = check_datagram(_datagram(extra="Require: 100rel, foo\r\n"), policy)
    assert outcome == Reject(420, "Bad Extension", (("Unsupported", "foo"),))
    assert isinstance(check_datagram(_datagram("ACK", extra="Require: foo\r\n"), policy), Accept)
    assert isinstance(check_datagram(_datagram(extra="Proxy-Require: foo\r\n"), policy), Accept)


def test_bodies_need_a_content_type_the_policy_accepts() -> None:
    policy = UasPolicy()
    sdp_type = "Content-Type: application/sdp\r\n"
    assert isinstance(check_datagram(_datagram(extra=sdp_type, body="v=0\r\n"), policy), Accept)
    assert check_datagram(_datagram(body="v=0\r\n"), policy).status == 400  # type: ignore[union-attr]
    html = check_datagram(_datagram(extra="c: text/html\r\n", body="<p/>"), policy)
    assert html == Reject(415, "Unsupported Media Type", (("Accept", "application/sdp"),))


def test_an_invite_that_accepts_no_sdp_gets_406_but_wildcards_are_fine() -> None:
    policy = UasPolicy()
    refused = check_datagram(_datagram(extra="Accept: text/plain\r\n"), policy)
    assert refused == Reject(406, "Not Acceptable")
    for ranges in ("application/*", "*/*", "text/plain, application/sdp;level=1"):
        accepted = check_datagram(_datagram(extra=f"Accept: {ranges}\r\n"), policy)
        assert isinstance(accepted, Accept), ranges


def test_request_uri_schemes_are_a_policy_choice() -> None:
    data = _datagram().replace(b"INVITE sip:2004@fleet.example.net", b"INVITE tel:+33611000004")
    assert isinstance(check_datagram(data, UasPolicy()), Accept)
    sip_only = UasPolicy(uri_schemes=frozenset({"sip"}))
    assert check_datagram(data, sip_only) == Reject(416, "Unsupported URI Scheme")


def test_a_rejection_keeps_the_request_to_answer_it() -> None:
    request = parse_message(_datagram("INVITE", mf=0))
    outcome = check_request(request, UasPolicy())  # type: ignore[arg-type]
    assert isinstance(outcome, Reject) and outcome.request is request


def test_a_missing_mandatory_header_is_named() -> None:
    data = _datagram().replace(b"Call-ID: v-1\r\n", b"")
    assert check_datagram(data, UasPolicy()) == Reject(400, "Missing Call-ID header")


def test_responses_are_accepted_with_one_via_and_dropped_otherwise() -> None:
    ok = (
        b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP fleet.example.net;branch=z9hG4bK-1\r\n"
        b"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: r-1\r\nCSeq: 1 INVITE\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    assert isinstance(check_datagram(ok, UasPolicy()), Accept)
    no_call_id = ok.replace(b"Call-ID: r-1\r\n", b"")
    assert isinstance(check_datagram(no_call_id, UasPolicy()), Drop)
    short_body = ok.replace(b"Content-Length: 0", b"Content-Length: 9")
    assert isinstance(check_datagram(short_body, UasPolicy()), Drop)
