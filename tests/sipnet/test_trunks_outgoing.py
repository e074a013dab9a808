"""B-legs to fixed numbers in virtual time: the INVITE goes to the trunk's PBX (not the core) as
``sip:+E164@pbx;user=phone`` with the caller's identity, the forwarding history the trunk's
HistoryStyle asks for, the PBX's 407 answered once with the trunk's credentials; a trunk out of
service makes the fixed number not reachable."""

from __future__ import annotations

import pytest

from fleet.core.trunks import HistoryStyle, TrunkState
from fleet.core.values import ForwardingKind
from fleet.sip.digest_header import parse_credentials
from fleet.sip.ua_calls import IncomingCall
from fleet.sipnet.history import DIVERSION, HISTORY_INFO
from tests.sipnet.pbx import PBX_REALM
from tests.sipnet.support import ANSWER, CALLER, Core, refuse
from tests.sipnet.trunks_fixture import FIXED, SECRET, with_trunk

LINE = "+33611000001"


def pbx_answers(c: Core, seconds: float = 1.0) -> None:
    def incoming(call: IncomingCall) -> None:
        c.pbx.ring(call)
        c.clock.call_later(
            seconds, lambda: c.pbx.answer(call, body=ANSWER, content_type="application/sdp")
        )

    c.pbx.on_incoming = incoming


def pbx_rings(c: Core) -> None:
    c.pbx.on_incoming = lambda call: c.pbx.ring(call)


def final_to_caller(c: Core) -> int:
    finals = [int(s.label) for s in c.to_scscf.sent if s.label.isdigit() and int(s.label) >= 200]
    return finals[0]


def test_a_call_to_a_fixed_number_goes_to_the_trunk_pbx_not_the_core() -> None:
    c = with_trunk()
    pbx_answers(c)
    c.call(FIXED)
    c.advance(2)
    (invite,) = c.pbx_invites()
    assert invite.request_uri == f"sip:{FIXED}@192.0.2.3:5060;user=phone"
    assert invite.headers.get("P-Asserted-Identity") == f"<tel:{CALLER}>"
    assert c.b_invites() == []
    assert final_to_caller(c) == 200
    c.scscf.bye(next(iter(c.scscf.dialogs.values())))
    c.advance(64)
    assert c.network.legs == 0


@pytest.mark.parametrize(
    ("style", "diversion", "history"),
    [
        (HistoryStyle.DIVERSION, True, False),
        (HistoryStyle.HISTORY_INFO, False, True),
        (HistoryStyle.BOTH, True, True),
    ],
)
def test_busy_forwarding_to_a_fixed_number_carries_the_history_the_trunk_wants(
    style: HistoryStyle, diversion: bool, history: bool
) -> None:
    c = with_trunk(history=style)
    c.world.fleets.forward(c.world.lines[0].id, ForwardingKind.BUSY, "0145678910")
    c.answers[LINE] = refuse(486)
    pbx_answers(c)
    c.call(LINE)
    c.advance(3)
    (invite,) = c.pbx_invites()
    assert invite.request_uri.startswith(f"sip:{FIXED}@192.0.2.3")
    assert bool(invite.headers.get_all(DIVERSION)) is diversion
    assert bool(invite.headers.get_all(HISTORY_INFO)) is history
    if diversion:
        assert invite.headers.get_all(DIVERSION) == [f"<tel:{LINE}>;reason=user-busy;counter=1"]
    if history:
        assert invite.headers.get_all(HISTORY_INFO)[-1].startswith(f"<tel:{FIXED};cause=486>")
    assert final_to_caller(c) == 200


def test_the_pbx_407_is_answered_once_with_the_trunk_credentials() -> None:
    c = with_trunk()
    c.pbx.demand(SECRET)
    pbx_answers(c)
    c.call(FIXED)
    c.advance(2)
    first, second = c.pbx_invites()
    assert first.headers.get("Proxy-Authorization") is None
    (given,) = parse_credentials(second.headers.get_all("Proxy-Authorization"))
    assert (given.username, given.realm) == ("siege", PBX_REALM)
    assert second.cseq is not None and first.cseq is not None
    assert second.cseq.number == first.cseq.number + 1
    assert final_to_caller(c) == 200


def test_wrong_trunk_credentials_are_sent_once_and_the_leg_fails() -> None:
    c = with_trunk()
    c.pbx.demand("not-the-secret")
    pbx_answers(c)
    c.call(FIXED)
    c.advance(2)
    assert len(c.pbx_invites()) == 2  # the challenge answered once, not again
    assert final_to_caller(c) == 480
    c.advance(64)
    assert c.network.legs == 0


def test_a_fixed_number_on_a_trunk_out_of_service_is_not_reachable_without_an_invite() -> None:
    c = with_trunk(state=TrunkState.OUT_OF_SERVICE)
    pbx_answers(c)
    c.call(FIXED)
    c.advance(2)
    assert c.pbx_invites() == []
    assert final_to_caller(c) == 480
    assert c.network.legs == 0


def test_out_of_service_found_by_the_keepalive_forwards_a_busy_line_not_reachable() -> None:
    """Busy forwarding to the fixed number, its trunk found dead by OPTIONS: the forwarded leg
    is not reachable at once (no INVITE to the PBX) and the caller is released."""
    c = with_trunk()
    c.to_pbx.lose("OPTIONS", every=True)
    c.network.trunks.start()
    c.advance(33)
    assert c.trunks.state(1) is TrunkState.OUT_OF_SERVICE
    c.world.fleets.forward(c.world.lines[0].id, ForwardingKind.BUSY, "0145678910")
    c.answers[LINE] = refuse(486)
    c.call(LINE)
    c.advance(3)
    assert c.pbx_invites() == []
    assert final_to_caller(c) == 480
    c.to_pbx.rules.clear()
    c.advance(30)
    assert c.trunks.state(1) is TrunkState.IN_SERVICE
    pbx_rings(c)
    c.call(FIXED)
    c.advance(1)
    assert len(c.pbx_invites()) == 1
