"""Dialog values on their own (RFC 3261 §12): identity from either side, strict routing
(§12.2.1.1), the remote CSeq rule (§12.2.2) and the §14.1 glare delays."""

from __future__ import annotations

import pytest

from fleet.sip.dialog import Dialog, DialogId, DialogState, glare_retry_delay
from fleet.sip.transaction_messages import make_response
from fleet.sip.transport_types import UDP, Peer
from tests.sip.requests import request

ME = Peer(UDP, "192.0.2.1", 5060)


def branch() -> str:
    return "z9hG4bK-fixed"


def dialog(route_set: list[str]) -> Dialog:
    return Dialog(
        id=DialogId("c@x", "alice", "bob"),
        state=DialogState.CONFIRMED,
        local_party="<sip:alice@192.0.2.1>;tag=alice",
        remote_party="<sip:bob@192.0.2.2>;tag=bob",
        remote_target="sip:bob@192.0.2.2:5062",
        route_set=tuple(route_set),
        is_caller=True,
        local_seq=4,
    )


def test_without_route_set_a_request_goes_to_the_remote_target_with_the_next_cseq() -> None:
    bye, destination = dialog([]).create_request("BYE", ME, branch=branch)
    assert bye.request_uri == "sip:bob@192.0.2.2:5062" and "Route" not in bye.headers
    assert destination == Peer(UDP, "192.0.2.2", 5062)
    assert str(bye.cseq) == "5 BYE" and bye.headers.get("Call-ID") == "c@x"
    assert bye.from_ is not None and bye.from_.tag == "alice"
    assert bye.to is not None and bye.to.tag == "bob"


def test_a_strict_first_route_becomes_the_request_uri_and_the_remote_target_the_last_route() -> (
    None
):
    strict = dialog(["<sip:198.51.100.1>", "<sip:198.51.100.2;lr>"])
    bye, destination = strict.create_request("BYE", ME, branch=branch)
    assert bye.request_uri == "sip:198.51.100.1"
    assert bye.headers.values("Route") == ["<sip:198.51.100.2;lr>", "<sip:bob@192.0.2.2:5062>"]
    assert destination == Peer(UDP, "198.51.100.1", 5060)


def test_an_ack_for_a_2xx_keeps_the_invite_cseq_number_and_the_local_sequence() -> None:
    loose = dialog(["<sip:198.51.100.1;lr>"])
    ack, destination = loose.create_request("ACK", ME, cseq=4, branch=branch)
    assert str(ack.cseq) == "4 ACK" and loose.local_seq == 4
    assert ack.headers.values("Route") == ["<sip:198.51.100.1;lr>"]
    assert destination == Peer(UDP, "198.51.100.1", 5060)


def test_the_remote_cseq_may_grow_but_not_fall_and_ack_is_not_counted() -> None:
    uas = dialog([])
    assert uas.accept_remote_cseq(request("INFO", cseq=7))
    assert uas.accept_remote_cseq(request("ACK", cseq=1))
    assert not uas.accept_remote_cseq(request("BYE", cseq=6))
    assert uas.accept_remote_cseq(request("BYE", cseq=8)) and uas.remote_seq == 8


def test_a_uas_dialog_takes_its_tags_routes_and_target_from_the_invite() -> None:
    invite = request("INVITE")
    invite.headers.add("Record-Route", "<sip:p2;lr>, <sip:p1;lr>")
    invite.headers.add("Contact", "<sip:alice@192.0.2.1:5070>")
    ringing = make_response(invite, 180, "Ringing", to_tag="bob")
    made = Dialog.as_uas(invite, ringing)
    assert made.id == DialogId("call-1@192.0.2.1", "bob", "alice")
    assert made.state is DialogState.EARLY and not made.is_caller
    assert made.route_set == ("<sip:p2;lr>", "<sip:p1;lr>")
    assert made.remote_target == "sip:alice@192.0.2.1:5070" and made.remote_seq == 1


@pytest.mark.parametrize(
    ("is_caller", "draw", "delay"),
    [
        (True, 0.0, 2.1),
        (True, 0.999, 4.0),
        (False, 0.0, 0.0),
        (False, 0.999, 2.0),
        (False, 0.25, 0.5),
    ],
)
def test_glare_retry_delays_stay_inside_the_14_1_windows_in_10_ms_steps(
    is_caller: bool, draw: float, delay: float
) -> None:
    assert glare_retry_delay(is_caller, lambda: draw) == delay


def test_a_uac_dialog_made_by_a_2xx_reverses_its_record_route_and_targets_its_contact() -> None:
    invite = request("INVITE")
    ok = make_response(invite, 200, "OK", to_tag="bob")
    ok.headers.add("Record-Route", "<sip:p2;lr>, <sip:p1;lr>")
    ok.headers.add("Contact", "<sip:bob@192.0.2.2:5062>")
    made = Dialog.as_uac(invite, ok)
    assert made.id == DialogId("call-1@192.0.2.1", "alice", "bob")
    assert made.state is DialogState.CONFIRMED and made.is_caller
    assert made.route_set == ("<sip:p1;lr>", "<sip:p2;lr>")
    assert made.remote_target == "sip:bob@192.0.2.2:5062" and made.local_seq == 1


def test_dialogs_with_the_same_peer_share_its_contact_and_ours() -> None:
    made = []
    for n in ("1", "2"):
        invite = request("INVITE", call_id=f"call-{n}@192.0.2.1")
        invite.headers.add("Contact", "<sip:alice@192.0.2.1:5070>")
        ok = make_response(invite, 200, "OK", to_tag=f"bob{n}")
        ok.headers.add("Contact", "<sip:bob@192.0.2.2:5062>")
        made.append(Dialog.as_uac(invite, ok))
    first, second = made
    assert first.remote_target == second.remote_target == "sip:bob@192.0.2.2:5062"
    assert first.remote_target is second.remote_target, "one string for the peer's Contact"
    assert first.local_contact == "<sip:alice@192.0.2.1:5070>"
    assert first.local_contact is second.local_contact, "and one for ours"
    assert first.id != second.id
