"""Calls from a company's PBX in virtual time: an INVITE from the trunk's address is challenged
(407, the trunk's realm), a valid answer enters the fleet (the caller the fixed number, the
dialled short number resolved in its fleet), wrong credentials get 403, none 407; an INVITE
from nowhere known keeps the core's handling."""

from __future__ import annotations

from fleet.sip.digest_header import parse_challenges
from fleet.sip.message import Response
from fleet.sip.ua_calls import OutgoingCall
from tests.sipnet.pbx import Login
from tests.sipnet.support import FLEETPBX, OFFER, Core, core
from tests.sipnet.trunks_fixture import FIXED, REALM, SECRET, with_trunk

LINE = "+33611000001"  # short number 2001 in the fleet


def pbx_calls(c: Core, dialled: str, *, identity: str = FIXED) -> OutgoingCall:
    return c.pbx.invite(
        f"sip:{dialled}@{FLEETPBX.host}",
        FLEETPBX,
        body=OFFER,
        content_type="application/sdp",
        local_party=f"<sip:{identity}@192.0.2.3>",
        headers=[("P-Asserted-Identity", f"<sip:{identity}@192.0.2.3;user=phone>")],
    )


def responses(c: Core) -> list[Response]:
    return [s.message for s in c.to_pbx.sent if isinstance(s.message, Response)]


def test_the_pbx_calling_a_short_number_with_digest_rings_the_mobile() -> None:
    c = with_trunk()
    c.pbx.login = Login("siege", SECRET)
    call = pbx_calls(c, "2001")
    c.advance(1)
    (challenge, *_) = responses(c)
    assert challenge.status == 407
    (offered, *_) = parse_challenges(challenge.headers.get_all("Proxy-Authenticate"))
    assert offered.realm == REALM
    (leg,) = c.b_invites()
    assert leg.request_uri == f"tel:{LINE}"
    assert leg.headers.get("P-Asserted-Identity") == f"<tel:{FIXED}>"
    assert 180 in [r.status for r in responses(c)]
    c.pbx.cancel(call)
    c.advance(64)
    assert c.network.legs == 0


def test_the_pbx_without_credentials_gets_407_and_no_call() -> None:
    c = with_trunk()
    call = pbx_calls(c, "2001")
    c.advance(1)
    assert call.final_status == 407
    assert c.b_invites() == []
    assert c.network.legs == 0


def test_the_pbx_with_wrong_credentials_gets_403() -> None:
    c = with_trunk()
    c.pbx.login = Login("siege", "wrong")
    call = pbx_calls(c, "2001")
    c.advance(1)
    assert [r.status for r in responses(c) if r.status >= 200] == [407, 403]
    assert call.final_status == 403
    assert c.b_invites() == []


def test_a_trunk_without_credentials_lets_its_pbx_call_unchallenged() -> None:
    c = with_trunk(secret=None, username=None)
    pbx_calls(c, "2001")
    c.advance(1)
    assert 407 not in [r.status for r in responses(c)]
    assert [i.request_uri for i in c.b_invites()] == [f"tel:{LINE}"]


def test_an_invite_from_nowhere_known_keeps_the_core_handling() -> None:
    c = core()  # no trunk: the PBX's address is nobody's
    pbx_calls(c, LINE)
    c.advance(1)
    assert 407 not in [r.status for r in responses(c)]
    assert [i.request_uri for i in c.b_invites()] == [f"tel:{LINE}"]


def test_the_pbx_presenting_a_number_not_on_its_trunk_is_refused() -> None:
    for identity in ("+33611000002", "+33699000009"):  # a fleet's mobile, an outsider
        c = with_trunk(secret=None, username=None)
        call = pbx_calls(c, "2001", identity=identity)
        c.advance(1)
        assert call.final_status == 403
        assert c.b_invites() == []
        assert c.network.legs == 0


def test_a_call_the_pbx_forwards_keeps_its_original_caller_when_a_diversion_names_the_desk() -> (
    None
):
    c = with_trunk(secret=None, username=None)
    c.pbx.invite(  # the mobile's number: its short number is for callers of its fleet
        f"sip:{LINE}@{FLEETPBX.host}",
        FLEETPBX,
        body=OFFER,
        content_type="application/sdp",
        local_party="<sip:+33699000009@192.0.2.3>",
        headers=[
            ("P-Asserted-Identity", "<sip:+33699000009@192.0.2.3;user=phone>"),
            ("Diversion", f"<sip:{FIXED}@192.0.2.3>;reason=unconditional;counter=1"),
        ],
    )
    c.advance(1)
    (leg,) = c.b_invites()
    assert leg.request_uri == f"tel:{LINE}"
    assert leg.headers.get("P-Asserted-Identity") == "<tel:+33699000009>"
