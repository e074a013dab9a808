"""netsim relaying FleetPBX's third-party call control, in virtual time against a user agent
playing FleetPBX: a re-INVITE without an offer reaching a handset (the handset's offer in the
2xx, the answer in the ACK, the screen following who it now talks with), the same through
netsim's SIP-to-SIP hop (an offerless re-INVITE relayed, the other side's offer in our 2xx,
FleetPBX's answer carried in netsim's ACK), a move onto a conference room; and in-call keys
sent by INFO and REFER on the handset's call."""

from __future__ import annotations

import pytest

from fleet.sip.dialog import Dialog
from fleet.sip.message import Request, Response
from fleet.sip.ua_calls import DEFER, Answer, Deferred, IncomingCall, Refusal, ReInvite
from simulators.netsim.agent import NetsimAgent
from simulators.netsim.handset_leg import HandsetError
from simulators.netsim.incall import BadKeys, InCallKeys, KeyMethod, Reached
from simulators.netsim.sdp import Direction, direction_of, owner_of, session
from tests.netsim.test_scscf_and_media import screen, settle
from tests.netsim.virtual_netsim import FLEETPBX, NETSIM, SDP, Virtual, virtual

IDENTITY = [("P-Asserted-Identity", "<tel:+33699000007>")]


def sdp_of(digits: str, direction: Direction = Direction.SENDRECV) -> bytes:
    return session(digits, 5, 42000, direction)


def answered_b_leg(v: Virtual, number: str) -> Dialog:
    """FleetPBX's terminating B-leg to ``number``'s handset with the caller's offer (FleetPBX
    passes SDP through), answered (after 2 s)."""
    caller = sdp_of("33699000007")
    v.fleetpbx.invite(
        f"tel:{number}", NETSIM, body=caller, content_type="application/sdp", headers=IDENTITY
    )
    v.clock.advance(3)
    dialog = v.fleetpbx.outgoing[-1].dialog
    assert dialog is not None
    return dialog


def offerless(v: Virtual, dialog: Dialog) -> tuple[list[Response], list[ReInvite]]:
    finals: list[Response] = []
    sent: list[ReInvite] = []

    def final(reinvite: ReInvite, response: Response | None) -> None:
        assert response is not None
        finals.append(response)
        sent.append(reinvite)

    v.fleetpbx.reinvite(dialog, ack_later=True, on_final=final)
    v.clock.advance(1)
    return finals, sent


def acks_to(v: Virtual, link_sent: list[Request]) -> list[Request]:
    return [m for m in link_sent if m.method == "ACK"]


def requests(sent: list[object]) -> list[Request]:
    return [m for m in sent if isinstance(m, Request)]


def test_an_offerless_reinvite_gets_the_handsets_offer_and_its_ack_moves_the_screen() -> None:
    v = virtual()
    dialog = answered_b_leg(v, "+33611000003")
    assert screen(v, "0611000003")["in_call_with"] == ["06 99 00 00 07"]
    (ok,), (reinvite,) = offerless(v, dialog)
    assert ok.status == 200
    assert owner_of(ok.body) == "33611000003"  # the handset's own offer
    assert direction_of(ok.body) is Direction.SENDRECV
    v.fleetpbx.ack_answer(reinvite, sdp_of("33611000010"))  # the transfer's other party
    v.clock.advance(1)
    assert screen(v, "0611000003")["in_call_with"] == ["06 11 00 00 10"]
    assert v.netsim.scscf.book.held == 2  # the B-leg's two entries, no ACK awaited
    v.netsim.hang_up(v.netsim.handset("0611000003"))
    settle(v)


def test_a_handset_holding_its_call_offers_sendonly_when_asked_without_an_offer() -> None:
    v = virtual()
    dialog = answered_b_leg(v, "+33611000003")
    v.netsim.hold(v.netsim.handset("0611000003"))
    v.clock.advance(1)
    (ok,), (reinvite,) = offerless(v, dialog)
    assert direction_of(ok.body) is Direction.SENDONLY
    v.fleetpbx.ack_answer(reinvite, sdp_of("33699000007", Direction.RECVONLY))
    v.clock.advance(1)
    shown = screen(v, "0611000003")
    assert shown["in_call_with"] == ["06 99 00 00 07"] and shown["held"] == ["06 99 00 00 07"]
    v.netsim.hang_up(v.netsim.handset("0611000003"))
    settle(v)


def test_a_hidden_caller_stays_hidden_when_its_session_is_heard() -> None:
    v = virtual()
    v.fleetpbx.invite(
        "tel:+33611000005",
        NETSIM,
        body=sdp_of("33699000007"),
        content_type="application/sdp",
        headers=[*IDENTITY, ("Privacy", "id")],
    )
    v.clock.advance(3)
    dialog = v.fleetpbx.outgoing[-1].dialog
    assert dialog is not None
    v.fleetpbx.reinvite(dialog, body=sdp_of("33699000007", Direction.SENDONLY))
    v.clock.advance(1)
    assert screen(v, "0611000005")["held"] == ["Numéro masqué"]
    v.netsim.hang_up(v.netsim.handset("0611000005"))
    settle(v)


def test_netsims_sip_hop_relays_an_offerless_reinvite_and_carries_the_answer_in_its_ack() -> None:
    v = virtual()
    other_offer, answer = sdp_of("33611000002"), sdp_of("33699000008")
    v.on_invite = lambda ua, call: ua.answer(call, body=SDP, content_type="application/sdp")
    asked: list[Request] = []

    def reoffer(dialog: Dialog, request: Request) -> Answer | None:
        asked.append(request)
        return Answer(other_offer)  # FleetPBX's terminating visit gives its side's offer

    v.fleetpbx.on_offer = reoffer
    v.invite(  # FleetPBX's originating B-leg to a colleague: back to FleetPBX as terminating
        "tel:+33611000002",
        [("P-Served-User", "<tel:+33611000001>;sescase=orig"), *IDENTITY],
    )
    v.clock.advance(1)
    b_leg = v.fleetpbx.outgoing[-1].dialog
    terminating: IncomingCall = v.received[-1]
    assert b_leg is not None and terminating.dialog is not None
    (ok,), (reinvite,) = offerless(v, b_leg)
    assert [r.body for r in asked] == [b""]  # relayed without an offer
    assert ok.status == 200 and ok.body == other_offer
    before = len(acks_to(v, requests([s.message for s in v.to_fleetpbx.sent])))
    v.fleetpbx.ack_answer(reinvite, answer)
    v.clock.advance(1)
    acks = acks_to(v, requests([s.message for s in v.to_fleetpbx.sent]))[before:]
    assert [(a.call_id, a.body) for a in acks] == [(terminating.invite.call_id, answer)]
    assert v.netsim.scscf.book.held == 4  # the two legs' entries, no ACK awaited
    v.fleetpbx.bye(b_leg)
    settle(v)


def test_an_offerless_reinvite_whose_ack_never_comes_leaves_nothing_behind() -> None:
    v = virtual()
    v.on_invite = lambda ua, call: ua.answer(call, body=SDP, content_type="application/sdp")
    v.fleetpbx.on_offer = lambda dialog, request: Answer(sdp_of("33611000002"))
    v.invite("tel:+33611000002", [("P-Served-User", "<tel:+33611000001>;sescase=orig")])
    v.clock.advance(1)
    b_leg = v.fleetpbx.outgoing[-1].dialog
    assert b_leg is not None
    offerless(v, b_leg)  # FleetPBX never ACKs: netsim's 2xx is given up, the dialogs BYEd
    v.clock.advance(64)
    assert v.netsim.calls.active == {} and v.netsim.scscf.book.held == 0
    assert v.netsim.scscf.ua.calls_held == 0  # its own re-INVITE's 2xx ACKed all the same
    assert b_leg.state.name == "TERMINATED"


def test_a_handset_moved_onto_a_conference_room_shows_it_and_the_room_its_member() -> None:
    v = virtual()
    dialog = answered_b_leg(v, "+33611000003")
    (ok,), (reinvite,) = offerless(v, dialog)
    v.fleetpbx.invite(
        f"sip:conf-conf-9@{NETSIM.host}:{NETSIM.port}",
        NETSIM,
        body=ok.body,
        content_type="application/sdp",
    )
    v.clock.advance(1)
    joined = v.fleetpbx.outgoing[-1]
    assert joined.answer is not None and owner_of(joined.answer.body) == "conf-conf-9"
    v.fleetpbx.ack_answer(reinvite, joined.answer.body)
    v.clock.advance(1)
    assert screen(v, "0611000003")["in_call_with"] == ["Conférence"]
    (room,) = v.netsim.media.rooms.values()
    assert room.member_numbers() == ["+33611000003"]
    for open_dialog in list(v.fleetpbx.dialogs.values()):
        v.fleetpbx.bye(open_dialog)
    settle(v)


def in_dialog_requests(v: Virtual, status: int = 200) -> list[Request]:
    heard: list[Request] = []

    def hook(dialog: Dialog, request: Request) -> int:
        heard.append(request)
        return status

    v.fleetpbx.on_in_dialog = hook
    return heard


def in_call_keys(v: Virtual) -> InCallKeys:
    ua = v.netsim.scscf.ua
    assert isinstance(ua, NetsimAgent)
    keys = InCallKeys(ua=ua, fleetpbx=FLEETPBX)
    ua.on_in_dialog = keys.in_dialog
    return keys


def test_keys_go_by_info_on_the_handsets_active_call_with_its_cell() -> None:
    v = virtual()
    heard = in_dialog_requests(v)
    keys = in_call_keys(v)
    dialog = answered_b_leg(v, "+33611000003")
    handset = v.netsim.handset("0611000003")
    pressed = keys.press(handset, "#1")
    v.clock.advance(1)
    assert pressed.reached.value == "fleetpbx"
    assert [r.method for r in heard] == ["INFO", "INFO"]
    assert [r.body for r in heard] == [
        b"Signal=#\r\nDuration=160\r\n",
        b"Signal=1\r\nDuration=160\r\n",
    ]
    assert {r.headers.get("Content-Type") for r in heard} == {"application/dtmf-relay"}
    assert all(r.call_id == dialog.id.call_id for r in heard)
    assert all(
        "utran-cell-id-3gpp=208" in (r.headers.get("P-Access-Network-Info") or "") for r in heard
    )
    v.netsim.hang_up(handset)
    settle(v)


def test_keys_by_refer_name_the_held_party_and_keep_fleetpbxs_notify() -> None:
    v = virtual()
    heard = in_dialog_requests(v, 202)
    keys = in_call_keys(v)
    held = answered_b_leg(v, "+33611000003")
    handset = v.netsim.handset("0611000003")
    v.netsim.hold(handset)
    v.invite("tel:+33611000003", [("P-Asserted-Identity", "<tel:+33699000008>")])
    v.clock.advance(1)
    v.netsim.answer(handset)
    v.clock.advance(1)
    active = v.fleetpbx.outgoing[-1].dialog
    assert active is not None and active is not held
    keys.press(handset, "#1", KeyMethod.REFER)
    keys.press(handset, "#3", KeyMethod.REFER)
    v.clock.advance(1)
    refers = [r for r in heard if r.method == "REFER"]
    assert [r.headers.get("Refer-To") for r in refers] == [
        "<tel:+33699000007>",
        f"<sip:conference@{FLEETPBX.host}>",
    ]
    assert all(r.call_id == active.id.call_id for r in refers)
    v.fleetpbx.request_in(
        active,
        "NOTIFY",
        body=b"SIP/2.0 200 OK\r\n",
        content_type="message/sipfrag;version=2.0",
        headers=[("Event", "refer"), ("Subscription-State", "terminated;reason=noresource")],
    )
    v.clock.advance(1)
    assert keys.refer_outcomes == {"+33611000003": "SIP/2.0 200 OK"}
    for open_dialog in list(v.fleetpbx.dialogs.values()):
        v.fleetpbx.bye(open_dialog)
    settle(v)


def test_a_refer_fleetpbx_refuses_is_the_handsets_outcome_and_no_notify_is_awaited() -> None:
    v = virtual()
    in_dialog_requests(v, 403)
    keys = in_call_keys(v)
    answered_b_leg(v, "+33611000003")
    handset = v.netsim.handset("0611000003")
    keys.press(handset, "#1", KeyMethod.REFER)
    v.clock.advance(1)
    assert keys.refer_outcomes == {"+33611000003": "SIP/2.0 403 Forbidden"}
    v.netsim.hang_up(handset)
    settle(v)


def test_keys_need_a_call_and_keys_and_a_direct_call_only_hears_them() -> None:
    v = virtual()
    heard = in_dialog_requests(v)
    keys = in_call_keys(v)
    outside = v.netsim.handset("0699000001", create=True)
    with pytest.raises(HandsetError):
        keys.press(outside, "#1")
    v.netsim.dial(outside, "0699000002")
    v.clock.advance(3)
    for bad, method in [("#1a", KeyMethod.INFO), ("", KeyMethod.INFO), ("12", KeyMethod.REFER)]:
        with pytest.raises(BadKeys):
            keys.press(outside, bad, method)
    assert keys.press(outside, "#3").reached is Reached.HANDSET  # no service node
    v.clock.advance(1)
    assert heard == [] and v.to_fleetpbx.sent == []
    v.netsim.hang_up(outside)
    settle(v)


def test_glare_on_netsims_sip_hop_goes_back_to_fleetpbx_which_retries_itself() -> None:
    v = virtual()
    v.on_invite = lambda ua, call: ua.answer(call, body=SDP, content_type="application/sdp")
    offers: list[Request] = []

    def glare(dialog: Dialog, request: Request) -> Refusal:
        offers.append(request)
        return Refusal(491)  # the terminating visit is changing that dialog's session itself

    v.fleetpbx.on_offer = glare
    v.invite("tel:+33611000002", [("P-Served-User", "<tel:+33611000001>;sescase=orig")])
    v.clock.advance(1)
    b_leg = v.fleetpbx.outgoing[-1].dialog
    assert b_leg is not None
    finals: list[int] = []
    v.fleetpbx.reinvite(
        b_leg,
        body=sdp_of("33611000001", Direction.SENDONLY),
        retry_glare=False,
        on_final=lambda _r, response: finals.append(0 if response is None else response.status),
    )
    v.clock.advance(10)
    assert finals == [491] and len(offers) == 1  # relayed once, the 491 relayed back
    v.fleetpbx.bye(b_leg)
    settle(v)


def test_an_offerless_reinvite_answered_once_the_call_ended_is_acked_all_the_same() -> None:
    v = virtual()
    v.on_invite = lambda ua, call: ua.answer(call, body=SDP, content_type="application/sdp")
    deferred: list[Dialog] = []

    def later(dialog: Dialog, request: Request) -> Deferred:
        deferred.append(dialog)
        return DEFER  # the terminating visit answers later

    v.fleetpbx.on_offer = later
    v.invite("tel:+33611000002", [("P-Served-User", "<tel:+33611000001>;sescase=orig")])
    v.clock.advance(1)
    b_leg = v.fleetpbx.outgoing[-1].dialog
    assert b_leg is not None
    v.fleetpbx.reinvite(b_leg, ack_later=True)
    v.clock.advance(1)
    (terminating,) = deferred
    v.fleetpbx.bye(b_leg)  # the caller hangs up meanwhile: netsim BYEs the other dialog
    pending = v.fleetpbx.pending_offer(terminating)  # the BYE not arrived yet: it answers
    assert pending is not None
    v.fleetpbx.answer_offer(pending, Answer(sdp_of("33611000002")))
    v.clock.advance(64)
    assert v.netsim.calls.active == {} and v.netsim.scscf.book.held == 0
    assert v.netsim.scscf.ua.calls_held == 0
