"""Reading the served user, the session case and the charging vector of an S-CSCF INVITE
(RFC 5502 / RFC 8498 P-Served-User, Route ``orig``, RFC 7315 P-Charging-Vector)."""

from __future__ import annotations

import pytest

from fleet.core.numbering import E164, NumberPolicy
from fleet.core.values import SessionCase
from fleet.sip.message import Request, parse_message
from fleet.sipnet.served import (
    RegistrationState,
    ServedUserError,
    icid_of,
    parse_served_user,
    visit_of,
)

POLICY = NumberPolicy()


def invite(*headers: str) -> Request:
    text = "\r\n".join(
        [
            "INVITE sip:2002@ims.example.net;user=phone SIP/2.0",
            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1",
            "From: <tel:+33611000001>;tag=1",
            "To: <sip:2002@ims.example.net;user=phone>",
            "Call-ID: first-visit@192.0.2.1",
            "CSeq: 1 INVITE",
            "Max-Forwards: 70",
            *headers,
            "Content-Length: 0",
            "",
            "",
        ]
    )
    message = parse_message(text.encode())
    assert isinstance(message, Request)
    return message


def test_p_served_user_names_the_user_the_case_and_the_registration_state() -> None:
    served = parse_served_user("<sip:+33612345678@ims.example.net>;sescase=orig;regstate=reg")
    assert served.uri.user == "+33612345678"
    assert served.case is SessionCase.ORIGINATING
    assert served.registration is RegistrationState.REGISTERED
    assert not served.after_diversion
    bare = parse_served_user("tel:+33612345678")
    assert (bare.case, bare.registration) == (SessionCase.TERMINATING, None)
    assert parse_served_user("<tel:+33612345678>;sescase=orig;orig-cdiv").after_diversion


@pytest.mark.parametrize(
    "value", ["<tel:+33612345678>;sescase=both", "<tel:+336>;regstate=maybe", "<<>>;sescase=orig"]
)
def test_an_unreadable_p_served_user_is_a_clear_error(value: str) -> None:
    with pytest.raises(ServedUserError):
        parse_served_user(value)


def test_the_icid_is_read_quoted_or_not_and_none_without_a_charging_vector() -> None:
    assert icid_of(invite("P-Charging-Vector: icid-value=abc123;orig-ioi=home1.net")) == "abc123"
    assert icid_of(invite('P-Charging-Vector: orig-ioi=x; ICID-Value="a b"')) == "a b"
    assert icid_of(invite()) is None


def test_the_originating_case_from_p_served_user_or_from_a_route_orig() -> None:
    served = invite("P-Served-User: <tel:+33611000001>;sescase=orig")
    by_header = visit_of(served, POLICY)
    assert (by_header.case, by_header.served) == (
        SessionCase.ORIGINATING,
        E164("+33611000001"),
    )
    assert by_header.correlation == "first-visit@192.0.2.1"
    by_route = visit_of(
        invite(
            "Route: <sip:as.example.net;lr;orig>, <sip:scscf.example.net;lr;odi=7>",
            "P-Asserted-Identity: <tel:+33611000003>",
        ),
        POLICY,
    )
    assert (by_route.case, by_route.served) == (SessionCase.ORIGINATING, E164("+33611000003"))
    assert by_route.onward_routes == ("<sip:scscf.example.net;lr;odi=7>",)


@pytest.mark.parametrize(
    "headers",
    [
        (),
        ("P-Served-User: <tel:+33611000001>;sescase=term",),
        ("P-Served-User: <tel:+33611000001>;sescase=orig;orig-cdiv",),
        ("Route: <sip:as.example.net;lr>",),
        # P-Served-User wins over the Route
        ("P-Served-User: <tel:+33611000001>", "Route: <sip:as.example.net;lr;orig>"),
    ],
)
def test_everything_else_is_the_terminating_case(headers: tuple[str, ...]) -> None:
    visit = visit_of(invite(*headers, "P-Charging-Vector: icid-value=i1"), POLICY)
    assert visit.case is SessionCase.TERMINATING
    assert visit.correlation == "i1"
    assert visit.onward_headers() == [("P-Charging-Vector", "icid-value=i1")]
