"""FleetPBX on SIP, ISC originating case, in virtual time: the S-CSCF hands FleetPBX a fleet
line's own call (P-Served-User ``sescase=orig``, or a Route ``orig``); FleetPBX translates the
short number, sets the presentation and sends one B-leg back to the core. A call between two
fleet lines visits twice (originating, then terminating) and leaves two correlated records."""

from __future__ import annotations

from fleet.core.values import CallOutcome, ForwardingKind, SessionCase
from fleet.sip.message import Request
from fleet.sip.ua_calls import IncomingCall, OutgoingCall, OutgoingState
from fleet.sip.ua_core import UserAgent
from fleet.sipnet.served import CHARGING_VECTOR, SERVED_USER
from tests.sipnet.support import (
    ANSWER,
    FLEETPBX,
    OFFER,
    Core,
    answer_after,
    core,
    refuse,
)
from tests.sipnet.support import settled as finished

LINE = "+33611000001"  # short number 2001
COLLEAGUE = "+33611000002"  # short number 2002
SERVED = f"<sip:{LINE}@ims.example.net>;sescase=orig;regstate=reg"
ICID = "icid-value=AyretyU0dm+6O2IrT5tAFrbHLso=023551024;orig-ioi=home1.net"
ODI = "<sip:scscf1.ims.example.net;lr;odi=7f3c2a>"


def from_line(
    c: Core,
    dialled: str,
    *,
    served: str | None = SERVED,
    route: str | None = None,
    extra: list[tuple[str, str]] | None = None,
) -> OutgoingCall:
    """The S-CSCF sends FleetPBX the line's own call to ``dialled`` (originating case)."""
    headers = [("P-Asserted-Identity", f"<tel:{LINE}>"), (CHARGING_VECTOR, ICID)]
    if served is not None:
        headers.append((SERVED_USER, served))
    if route is not None:
        headers.append(("Route", route))
    return c.scscf.invite(
        f"sip:{dialled}@ims.example.net;user=phone",
        FLEETPBX,
        body=OFFER,
        content_type="application/sdp",
        local_party=f"<tel:{LINE}>",
        headers=headers + (extra or []),
    )


def test_a_colleagues_short_number_goes_back_to_the_core_as_e164_asserting_the_line() -> None:
    c = core()
    c.answers[COLLEAGUE] = answer_after(2.0, c.clock)
    call = from_line(c, "2002", route=f"<sip:{FLEETPBX.host};lr;orig>, {ODI}")
    c.advance(1.0)
    (b_invite,) = c.b_invites()
    assert b_invite.request_uri == f"tel:{COLLEAGUE}"
    assert b_invite.body == OFFER
    assert b_invite.headers.get("P-Asserted-Identity") == f"<tel:{LINE}>"
    assert b_invite.headers.get("Privacy") is None
    assert b_invite.headers.get(SERVED_USER) == SERVED
    assert b_invite.headers.get(CHARGING_VECTOR) == ICID
    assert b_invite.headers.get_all("Route") == [ODI], "the S-CSCF goes on after us"
    c.advance(2.0)
    assert call.state is OutgoingState.CONFIRMED
    assert [s.message.body for s in c.to_caller("200")] == [ANSWER]
    c.scscf.bye(next(iter(c.scscf.dialogs.values())))
    finished(c)
    (record,) = c.records.items
    assert record.session_case is SessionCase.ORIGINATING
    assert (record.caller, record.called) == (LINE, COLLEAGUE)
    assert record.outcome is CallOutcome.ANSWERED
    assert record.correlation_id == "AyretyU0dm+6O2IrT5tAFrbHLso=023551024"
    assert record.caller_network_id == call.invite.call_id
    assert record.callee_network_id == b_invite.call_id


def test_no_forwarding_of_the_callee_applies_on_the_originating_visit() -> None:
    c = core()
    c.world.fleets.forward(c.world.lines[1].id, ForwardingKind.BUSY, "0611000003")
    c.answers[COLLEAGUE] = refuse(486)
    call = from_line(c, "2002")
    c.advance(2.0)
    assert [i.request_uri for i in c.b_invites()] == [f"tel:{COLLEAGUE}"]
    assert call.final_status == 486
    finished(c)
    assert c.records.items[0].outcome is CallOutcome.BUSY


def test_a_line_hiding_its_number_asserts_it_with_privacy_id() -> None:
    c = core()
    c.world.fleets.update_line(c.world.lines[0].id, clir=True)
    call = from_line(c, "2002")
    c.advance(1.0)
    (b_invite,) = c.b_invites()
    assert b_invite.headers.get("Privacy") == "id"
    assert b_invite.headers.get("P-Asserted-Identity") == f"<tel:{LINE}>"
    assert "anonymous" in (b_invite.headers.get("From") or "")
    c.scscf.cancel(call)
    finished(c)


def test_a_hash_31_prefix_hides_the_number_for_this_call_only() -> None:
    c = core()
    call = from_line(c, "%2331%232002")
    c.advance(1.0)
    (b_invite,) = c.b_invites()
    assert b_invite.request_uri == f"tel:{COLLEAGUE}"
    assert b_invite.headers.get("Privacy") == "id"
    c.scscf.cancel(call)
    finished(c)


def test_a_star_31_prefix_shows_the_number_of_a_line_hiding_it() -> None:
    c = core()
    c.world.fleets.update_line(c.world.lines[0].id, clir=True)
    call = from_line(c, "*31%232002")
    c.advance(1.0)
    (b_invite,) = c.b_invites()
    assert b_invite.headers.get("Privacy") is None
    assert b_invite.headers.get("From") == f"<tel:{LINE}>;tag={b_invite.from_.tag}"  # type: ignore[union-attr]
    c.scscf.cancel(call)
    finished(c)


def test_an_unknown_short_number_is_answered_404_without_a_b_leg() -> None:
    c = core()
    call = from_line(c, "2999")
    c.advance(1.0)
    assert call.final_status == 404
    assert c.b_invites() == []
    finished(c)
    (record,) = c.records.items
    assert (record.session_case, record.called, record.outcome) == (
        SessionCase.ORIGINATING,
        "2999",
        CallOutcome.REJECTED,
    )
    assert record.caller_network_id == call.invite.call_id
    assert record.callee_network_id is None


def test_a_route_orig_without_p_served_user_serves_the_asserted_line() -> None:
    c = core()
    call = from_line(c, "2002", served=None, route=f"<sip:{FLEETPBX.host};lr;orig>")
    c.advance(1.0)
    (b_invite,) = c.b_invites()
    assert b_invite.request_uri == f"tel:{COLLEAGUE}"
    assert b_invite.headers.get("P-Asserted-Identity") == f"<tel:{LINE}>"
    assert b_invite.headers.get(SERVED_USER) == f"<tel:{LINE}>;sescase=orig"
    c.scscf.cancel(call)
    finished(c)
    assert c.records.items[0].session_case is SessionCase.ORIGINATING


def test_a_served_user_outside_the_fleet_is_refused_403() -> None:
    c = core()
    call = from_line(c, "2002", served="<tel:+33699000009>;sescase=orig")
    c.advance(1.0)
    assert call.final_status == 403
    assert c.b_invites() == []
    finished(c)
    assert c.records.items[0].outcome is CallOutcome.REJECTED


def test_an_unreadable_p_served_user_is_answered_400() -> None:
    c = core()
    call = from_line(c, "2002", served="<tel:+33611000001>;sescase=sideways")
    c.advance(1.0)
    assert call.final_status == 400
    finished(c)
    assert c.records.items == []


def test_p_served_user_term_is_the_terminating_case() -> None:
    c = core()
    call = from_line(c, COLLEAGUE, served=f"<tel:{COLLEAGUE}>;sescase=term")
    c.advance(1.0)
    (b_invite,) = c.b_invites()
    assert b_invite.request_uri == f"tel:{COLLEAGUE}"
    assert b_invite.headers.get(SERVED_USER) is None
    assert b_invite.headers.get(CHARGING_VECTOR) == ICID, "the charging vector is kept"
    c.scscf.cancel(call)
    finished(c)
    assert c.records.items[0].session_case is SessionCase.TERMINATING


class LoopBack:
    """The core between the two visits: the originating visit's B-leg for the colleague is
    routed back to FleetPBX as a terminating INVITE (same identity, privacy and charging
    vector, P-Served-User ``sescase=term``); the colleague's own handset answers the
    terminating visit's B-leg."""

    def __init__(self, c: Core) -> None:
        self.c = c
        self.first_b_leg: IncomingCall | None = None
        self.terminating: OutgoingCall | None = None
        c.answers[COLLEAGUE] = self.behave
        self.handset = answer_after(1.0, c.clock)

    def behave(self, ua: UserAgent, call: IncomingCall) -> None:
        if "sescase=orig" not in (call.invite.headers.get(SERVED_USER) or ""):
            self.handset(ua, call)
            return
        self.first_b_leg = call
        carried = [
            (name, value)
            for name in ("P-Asserted-Identity", "Privacy", CHARGING_VECTOR)
            for value in call.invite.headers.get_all(name)
        ]
        self.terminating = self.c.scscf.invite(
            f"tel:{COLLEAGUE}",
            FLEETPBX,
            body=call.invite.body,
            content_type="application/sdp",
            local_party=f"<tel:{LINE}>",
            headers=[*carried, (SERVED_USER, f"<tel:{COLLEAGUE}>;sescase=term;regstate=reg")],
        )


def _b_invites_to(c: Core, number: str) -> list[Request]:
    return [i for i in c.b_invites() if i.request_uri == f"tel:{number}"]


def test_a_call_between_fleet_lines_visits_twice_and_leaves_two_correlated_records() -> None:
    c = core()
    loop = LoopBack(c)
    call = from_line(c, "2002")
    c.advance(0.5)
    assert loop.terminating is not None and loop.first_b_leg is not None
    c.advance(2.0)
    orig_b, term_b = _b_invites_to(c, COLLEAGUE)
    assert term_b.headers.get(SERVED_USER) is None, "the terminating visit's leg is plain"
    assert term_b.headers.get("P-Asserted-Identity") == f"<tel:{LINE}>"
    assert loop.terminating.state is OutgoingState.CONFIRMED, "the colleague answered"
    c.handsets.answer(loop.first_b_leg, body=ANSWER, content_type="application/sdp")
    c.advance(1.0)
    assert call.state is OutgoingState.CONFIRMED
    for dialog in list(c.scscf.dialogs.values()):
        c.scscf.bye(dialog)
    finished(c)
    by_case = {r.session_case: r for r in c.records.items}
    assert len(c.records.items) == 2 and set(by_case) == set(SessionCase)
    orig, term = by_case[SessionCase.ORIGINATING], by_case[SessionCase.TERMINATING]
    assert orig.correlation_id == term.correlation_id == "AyretyU0dm+6O2IrT5tAFrbHLso=023551024"
    assert (orig.caller_network_id, orig.callee_network_id) == (
        call.invite.call_id,
        orig_b.call_id,
    )
    assert (term.caller_network_id, term.callee_network_id) == (
        loop.terminating.invite.call_id,
        term_b.call_id,
    )
    assert orig.outcome is term.outcome is CallOutcome.ANSWERED


def test_without_a_charging_vector_both_visits_correlate_on_the_first_visits_call_id() -> None:
    c = core()
    loop = LoopBack(c)
    call = c.scscf.invite(
        "sip:2002@ims.example.net;user=phone",
        FLEETPBX,
        body=OFFER,
        content_type="application/sdp",
        headers=[("P-Asserted-Identity", f"<tel:{LINE}>"), (SERVED_USER, SERVED)],
    )
    c.advance(0.5)
    assert loop.first_b_leg is not None
    assert loop.first_b_leg.invite.headers.get(CHARGING_VECTOR) == (
        f'icid-value="{call.invite.call_id}"'
    )
    c.scscf.cancel(call)
    assert loop.terminating is not None
    c.scscf.cancel(loop.terminating)
    finished(c)
    assert {r.correlation_id for r in c.records.items} == {call.invite.call_id}
    assert len(c.records.items) == 2
