"""Every RFC 4475 torture message gets the outcome RFC 4475 §3 prescribes for a UAS / B2BUA.

The files are the RFC's datagrams byte for byte (tests/sip/rfc4475, a copy of the shared data). The
policy here is FleetPBX's default plus REGISTER and MESSAGE, so the registrar and MESSAGE cases
are judged as the RFC describes them; with the default policy those methods get 405 (tested at
the end). Where the RFC leaves a choice the table says so ("choice") and asserts ours."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from fleet.sip.message import Request, Response, parse_message
from fleet.sip.validate import Accept, Drop, Outcome, Reject, UasPolicy, check_datagram

TORTURE_DIR = Path(__file__).resolve().parent / "rfc4475"  # a copy, see its README
SHARED_DIR = Path(__file__).resolve().parents[3] / "shared" / "sip" / "rfc4475"

POLICY = UasPolicy(
    methods=UasPolicy().methods | {"REGISTER", "MESSAGE"},
    content_types=frozenset({"application/sdp", "multipart/mixed", "text/plain"}),
)
ALLOW = "ACK, BYE, CANCEL, INFO, INVITE, MESSAGE, OPTIONS, PRACK, REGISTER, UPDATE"

ACCEPT = "accept"
DROP = "drop"


@dataclass(frozen=True)
class Expected:
    section: str
    outcome: str | int  # "accept", "drop" or the status of the answer
    header: tuple[str, str] | None = None  # a header the answer must carry
    note: str = ""


EXPECTED: dict[str, Expected] = {
    # 3.1.1 valid messages: parse and process
    "wsinv": Expected("3.1.1.1", ACCEPT),
    "intmeth": Expected("3.1.1.2", 501, ("Allow", ALLOW), "valid syntax, unknown method"),
    "esc01": Expected("3.1.1.3", ACCEPT),
    "escnull": Expected("3.1.1.4", ACCEPT),
    "esc02": Expected("3.1.1.5", 501, ("Allow", ALLOW), "RE%47IST%45R is not REGISTER"),
    "lwsdisp": Expected("3.1.1.6", ACCEPT),
    "longreq": Expected("3.1.1.7", ACCEPT),
    "dblreq": Expected("3.1.1.8", ACCEPT, note="the INVITE after the REGISTER is ignored"),
    "semiuri": Expected("3.1.1.9", ACCEPT),
    "transports": Expected("3.1.1.10", ACCEPT),
    "mpart01": Expected("3.1.1.11", ACCEPT),
    "unreason": Expected("3.1.1.12", ACCEPT),
    "noreason": Expected("3.1.1.13", ACCEPT),
    # 3.1.2 invalid messages
    "badinv01": Expected("3.1.2.1", 400),
    "clerr": Expected("3.1.2.2", 400),
    "ncl": Expected("3.1.2.3", 400),
    "scalar02": Expected("3.1.2.4", 400, note="CSeq above 2**31-1"),
    "scalarlg": Expected("3.1.2.5", DROP),
    "quotbal": Expected("3.1.2.6", 400),
    "ltgtruri": Expected("3.1.2.7", 400, note="choice: reject rather than strip the <>"),
    "lwsruri": Expected("3.1.2.8", 400),
    "lwsstart": Expected("3.1.2.9", ACCEPT, note="choice: liberal, extra SP ignored"),
    "trws": Expected("3.1.2.10", ACCEPT, note="choice: liberal, trailing SP ignored"),
    "escruri": Expected("3.1.2.11", 400, note="choice: reject headers in the Request-URI"),
    "baddate": Expected("3.1.2.12", ACCEPT, note="choice: Date is not used, so not checked"),
    "regbadct": Expected("3.1.2.13", 400, note="choice: reject rather than infer the <>"),
    "badaspec": Expected("3.1.2.14", 400, note="choice: reject rather than ignore the spaces"),
    "baddn": Expected("3.1.2.15", 400, note="choice: reject rather than infer the quotes"),
    "badvers": Expected("3.1.2.16", 505),
    "mismatch01": Expected("3.1.2.17", 400),
    "mismatch02": Expected("3.1.2.18", 501, ("Allow", ALLOW), "choice: 501 (400 allowed)"),
    "bigcode": Expected("3.1.2.19", DROP),
    # 3.2 transaction layer
    "badbranch": Expected("3.2.1", ACCEPT, note="choice: RFC 2543 matching, not 400"),
    # 3.3 application layer
    "insuf": Expected("3.3.1", 400),
    "unkscm": Expected("3.3.2", 416),
    "novelsc": Expected("3.3.3", 416, note="soap.beep is never served"),
    "unksm2": Expected("3.3.4", 400, note="a registrar: To must be a SIP or SIPS URI"),
    "bext01": Expected(
        "3.3.5", 420, ("Unsupported", "nothingSupportsThis, nothingSupportsThisEither")
    ),
    "invut": Expected("3.3.6", 415, ("Accept", "application/sdp, multipart/mixed, text/plain")),
    "regaut01": Expected(
        "3.3.7", ACCEPT, note="well formed; authentication (a later layer) answers 401"
    ),
    "multi01": Expected("3.3.8", 400),
    "mcl01": Expected("3.3.9", 400),
    "bcast": Expected("3.3.10", DROP, note="an endpoint discards it (two Vias)"),
    "zeromf": Expected("3.3.11", ACCEPT, note="OPTIONS with Max-Forwards 0 answered by the UAS"),
    "cparam01": Expected("3.3.12", ACCEPT),
    "cparam02": Expected("3.3.13", ACCEPT),
    "regescrt": Expected("3.3.14", ACCEPT),
    "sdp01": Expected("3.3.15", 406, note="choice: 406 (400 allowed)"),
    # 3.4 backward compatibility
    "inv2543": Expected("3.4.1", ACCEPT),
}


def _load(name: str) -> bytes:
    return (TORTURE_DIR / f"{name}.dat").read_bytes()


def test_the_table_covers_every_torture_file() -> None:
    assert sorted(p.stem for p in TORTURE_DIR.glob("*.dat")) == sorted(EXPECTED)
    assert len(EXPECTED) == 49


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_torture_message_gets_the_outcome_rfc4475_prescribes(name: str) -> None:
    expected = EXPECTED[name]
    outcome = check_datagram(_load(name), POLICY)
    assert _summary(outcome) == expected.outcome, (expected.section, outcome)
    if expected.header is not None:
        assert isinstance(outcome, Reject)
        assert expected.header in outcome.headers


def _summary(outcome: Outcome) -> str | int:
    if isinstance(outcome, Accept):
        return ACCEPT
    if isinstance(outcome, Drop):
        return DROP
    return outcome.status


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_prefix_of_a_torture_message_raises_anything_but_an_outcome(name: str) -> None:
    data = _load(name)
    for end in range(0, len(data), 7):
        assert isinstance(check_datagram(data[:end], POLICY), Accept | Reject | Drop)


def test_a_rejection_names_the_header_at_fault_in_its_reason() -> None:
    cases = {"badinv01": "Via", "quotbal": "To", "scalar02": "CSeq", "ncl": "Content-Length"}
    for name, header in cases.items():
        outcome = check_datagram(_load(name), POLICY)
        assert isinstance(outcome, Reject)
        assert outcome.reason == f"Bad {header} header"


def test_wsinv_values_read_through_the_whitespace_and_folding() -> None:
    request = parse_message(_load("wsinv"))
    assert isinstance(request, Request)
    assert request.max_forwards == 68
    cseq = request.cseq
    assert cseq is not None and (cseq.number, cseq.method) == (9, "INVITE")
    to, from_ = request.to, request.from_
    assert to is not None and to.tag == "1918181833n"
    assert from_ is not None and from_.tag == "98asjd8"
    assert from_.display_name == 'J Rosenberg \\"'
    assert [(v.transport, v.host, v.branch) for v in request.via] == [
        ("UDP", "192.0.2.2", "390skdjuw"),
        ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
        ("UDP", "192.168.255.111", "z9hG4bK30239"),
    ]
    assert request.headers.get("Subject") == ""
    assert request.headers.get("NewFangledHeader") == "newfangled value continued newfangled value"
    (contact,) = request.contacts
    assert contact.display_name == 'Quoted string ""'
    assert contact.params == (("newparam", "newvalue"), ("secondparam", None), ("q", "0.33"))
    assert len(request.body) == 150


def test_dblreq_takes_the_register_and_ignores_the_octets_after_it() -> None:
    request = parse_message(_load("dblreq"))
    assert isinstance(request, Request)
    assert request.method == "REGISTER" and request.body == b""
    assert request.call_id == "dblreq.0ha0isndaksdj99sdfafnl3lk233412"


def test_uris_with_unusual_user_parts_split_at_the_right_at_sign() -> None:
    semiuri = parse_message(_load("semiuri"))
    assert isinstance(semiuri, Request)
    assert (semiuri.uri.user, semiuri.uri.host) == ("user;par=u%40example.net", "example.com")
    intmeth = parse_message(_load("intmeth"))
    assert isinstance(intmeth, Request)
    assert intmeth.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert intmeth.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    escnull = parse_message(_load("escnull"))
    assert [c.uri.user for c in escnull.contacts] == ["%00", "%00%00"]


def test_longreq_keeps_every_via_in_order_whatever_the_name_spelling() -> None:
    request = parse_message(_load("longreq"))
    hosts = [via.host for via in request.via]
    assert hosts == [f"sip{n}.example.com" for n in range(33, 0, -1)] + ["host.example.com"]


def test_binary_multipart_body_is_framed_by_content_length() -> None:
    request = parse_message(_load("mpart01"))
    assert len(request.body) == 553 and b"\x00" in request.body
    content_type = request.content_type
    assert content_type is not None and content_type.mime == "multipart/mixed"


def test_reason_phrases_may_be_empty_or_non_ascii() -> None:
    noreason = parse_message(_load("noreason"))
    unreason = parse_message(_load("unreason"))
    assert isinstance(noreason, Response) and (noreason.status, noreason.reason) == (100, "")
    assert isinstance(unreason, Response) and unreason.status == 200
    assert "простое" in unreason.reason


def test_the_default_policy_answers_register_and_message_with_405_and_allow() -> None:
    for name in ("cparam01", "mpart01"):
        outcome = check_datagram(_load(name), UasPolicy())
        assert isinstance(outcome, Reject) and outcome.status == 405
        assert ("Allow", "ACK, BYE, CANCEL, INFO, INVITE, OPTIONS, PRACK, UPDATE") in (
            outcome.headers
        )


def test_the_copy_of_the_torture_files_is_the_shared_one() -> None:
    if not SHARED_DIR.is_dir():
        pytest.skip(f"no shared test data at {SHARED_DIR}")
    shared = {p.name: p.read_bytes() for p in SHARED_DIR.glob("*.dat")}
    copied = {p.name: p.read_bytes() for p in TORTURE_DIR.glob("*.dat")}
    assert copied == shared
