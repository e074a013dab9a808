"""The edge's tables (DESIGN §8) and the identities read from and written to INVITEs."""

from __future__ import annotations

import pytest

from fleet.core.calls.events import LegBusy, LegRejected, LegUnreachable, ReleaseCause
from fleet.core.dialling import Presentation
from fleet.core.numbering import E164, NumberPolicy
from fleet.sip.message import Request, parse_message
from fleet.sip.transport_types import TCP, UDP, Peer
from fleet.sipnet.causes import failure_event, final_status
from fleet.sipnet.edge import core_peer
from fleet.sipnet.parties import (
    CORRELATION_HEADER,
    b_leg_identity,
    caller_of,
    dialled_of,
    identity_withheld,
)


@pytest.mark.parametrize(
    ("status", "event"),
    [
        (486, LegBusy),
        (600, LegBusy),
        (603, LegRejected),
        (404, LegUnreachable),
        (408, LegUnreachable),
        (480, LegUnreachable),
        (503, LegUnreachable),
        (500, LegUnreachable),
    ],
)
def test_final_responses_map_to_leg_events(status: int, event: type) -> None:
    assert failure_event(status) is event


def test_a_reason_q850_cause_comes_before_the_status() -> None:
    assert failure_event(480, ['Q.850;cause=17;text="User busy"']) is LegBusy
    assert failure_event(486, ["SIP;cause=600", "Q.850 ; cause=21"]) is LegRejected
    assert failure_event(486, ["Q.850;cause=999"]) is LegBusy  # unknown cause: the status


@pytest.mark.parametrize(
    ("cause", "status"),
    [
        (ReleaseCause.BUSY, 486),
        (ReleaseCause.UNREACHABLE, 480),
        (ReleaseCause.FORWARDING_LOOP, 482),
        (ReleaseCause.FORWARDING_LIMIT, 483),
        (ReleaseCause.UNKNOWN_NUMBER, 404),
        (ReleaseCause.NOT_ALLOWED, 403),
        (ReleaseCause.QUEUE_FULL, 486),
        (ReleaseCause.INTERNAL_ERROR, 500),
    ],
)
def test_release_causes_map_to_final_responses(cause: ReleaseCause, status: int) -> None:
    assert final_status(cause) == status


INVITE = (
    "INVITE {uri} SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:+33699000009@ims.example;user=phone>;tag=a\r\n"
    "To: <{uri}>\r\n"
    "Call-ID: x@192.0.2.1\r\n"
    "CSeq: 1 INVITE\r\n"
    "{extra}"
    "Content-Length: 0\r\n\r\n"
)


def invite(uri: str, extra: str = "") -> Request:
    message = parse_message(INVITE.format(uri=uri, extra=extra).encode())
    assert isinstance(message, Request)
    return message


def test_the_dialled_number_is_the_request_uris_and_the_caller_the_asserted_one() -> None:
    request = invite(
        "tel:+33611000001;phone-context=ims.example",
        'P-Asserted-Identity: "X" <sip:+33611000007@ims.example;user=phone>,'
        " <tel:+33611000007>\r\n",
    )
    assert dialled_of(request) == "+33611000001"
    assert caller_of(request, NumberPolicy()) == E164("+33611000007")


def test_a_per_call_prefix_escaped_in_the_request_uri_is_dialled_as_a_hash() -> None:
    request = invite("sip:%2331%23+33611000003@ims.example;user=phone", "")
    assert dialled_of(request) == "#31#+33611000003"


@pytest.mark.parametrize(
    ("privacy", "withheld"),
    [("id", True), ("header;id", True), ("user", True), ("none", False), ("session", False)],
)
def test_the_cores_privacy_request_withholds_the_callers_identity(
    privacy: str, withheld: bool
) -> None:
    request = invite("tel:+33611000001", f"Privacy: {privacy}\r\n")
    assert identity_withheld(request) is withheld


def test_without_asserted_identity_the_caller_is_froms_user() -> None:
    request = invite("sip:0611000001@192.0.2.10;user=phone")
    assert dialled_of(request) == "0611000001"
    assert caller_of(request, NumberPolicy()) == E164("+33699000009")


def test_a_b_leg_asserts_the_caller_or_asks_privacy_when_hidden() -> None:
    caller = E164("+33699000009")
    shown, headers = b_leg_identity(caller, Presentation.ALLOWED, "call-1")
    assert shown == "<tel:+33699000009>"
    assert ("P-Asserted-Identity", "<tel:+33699000009>") in headers
    assert (CORRELATION_HEADER, "call-1") in headers
    hidden, headers = b_leg_identity(caller, Presentation.RESTRICTED, "call-1")
    assert "anonymous" in hidden
    assert ("Privacy", "id") in headers
    assert all(name != "P-Asserted-Identity" for name, _ in headers)


def test_the_cores_address_reads_host_port_and_transport() -> None:
    assert core_peer("10.0.0.5:5070") == Peer(UDP, "10.0.0.5", 5070)
    assert core_peer("scscf.ims.example;transport=tcp") == Peer(TCP, "scscf.ims.example", 5060)
    assert core_peer("[2001:db8::1]:5080") == Peer(UDP, "2001:db8::1", 5080)
    with pytest.raises(ValueError):
        core_peer("10.0.0.5:5060;transport=sctp")
