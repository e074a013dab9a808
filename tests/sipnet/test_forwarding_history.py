"""Forwarding on SIP in virtual time: the B-leg after a forwarding carries History-Info
(RFC 7044, RFC 4458 causes) and Diversion (RFC 5806), and the caller hears 181 for each hop."""

from __future__ import annotations

from fleet.core.calls.diversion import Diversion, DiversionReason
from fleet.core.numbering import E164
from fleet.core.values import ForwardingKind
from fleet.sip.message import Message
from fleet.sip.values import NameAddr, parse_name_addr
from fleet.sipnet.history import DIVERSION, HISTORY_INFO, diversion, history_info
from tests.sipnet.support import Core, answer_after, core, refuse

LINE = "+33611000001"
OTHER = "+33611000002"
THIRD = "+33611000003"


def entries(invite: Message, header: str) -> list[NameAddr]:
    """The header's values, each parsed by the stack's name-addr parser."""
    return [parse_name_addr(value, header) for value in invite.headers.get_all(header)]


def history(invite: Message) -> list[tuple[str, str | None, str | None, str | None]]:
    return [
        (e.uri.opaque.split(";")[0], _uri_param(e, "cause"), e.param("index"), e.param("mp"))
        for e in entries(invite, HISTORY_INFO)
    ]


def diversions(invite: Message) -> list[tuple[str, str | None, str | None]]:
    return [
        (e.uri.opaque, e.param("reason"), e.param("counter")) for e in entries(invite, DIVERSION)
    ]


def _uri_param(entry: NameAddr, name: str) -> str | None:
    for part in entry.uri.opaque.split(";")[1:]:
        key, _, value = part.partition("=")
        if key == name:
            return value
    return None


def statuses(c: Core) -> list[int]:
    """The responses the caller got, in order, retransmissions left out."""
    seen: list[int] = []
    for sent in c.to_scscf.sent:
        label = sent.label
        if label.isdigit() and int(label) != 100 and (not seen or seen[-1] != int(label)):
            seen.append(int(label))
    return seen


def test_busy_forwarding_sends_181_and_a_b_leg_with_history_info_486_and_diversion() -> None:
    c = core()
    c.world.fleets.forward(c.world.lines[0].id, ForwardingKind.BUSY, "0611000002")
    c.answers[LINE] = refuse(486)
    c.answers[OTHER] = answer_after(1.0, c.clock)
    c.call(LINE)
    c.advance(3.0)
    first, second = c.b_invites()
    assert first.headers.get_all(HISTORY_INFO) == []
    assert first.headers.get_all(DIVERSION) == []
    assert history(second) == [(LINE, None, "1", None), (OTHER, "486", "1.1", "1")]
    assert diversions(second) == [(LINE, "user-busy", "1")]
    assert statuses(c) == [180, 181, 180, 200]
    c.scscf.bye(next(iter(c.scscf.dialogs.values())))
    c.advance(64)
    assert c.network.legs == 0


def test_no_reply_forwarding_gives_cause_408_and_reason_no_answer() -> None:
    c = core()
    c.world.fleets.forward(
        c.world.lines[0].id, ForwardingKind.NO_REPLY, "0611000002", no_reply_timer=5
    )
    c.answers[OTHER] = answer_after(1.0, c.clock)
    c.call(LINE)
    c.advance(8.0)
    _, second = c.b_invites()
    assert history(second) == [(LINE, None, "1", None), (OTHER, "408", "1.1", "1")]
    assert diversions(second) == [(LINE, "no-answer", "1")]
    assert 181 in statuses(c)
    c.scscf.bye(next(iter(c.scscf.dialogs.values())))
    c.advance(64)
    assert c.network.legs == 0


def test_two_hops_nest_the_indexes_and_count_two_diversions_with_two_181s() -> None:
    c = core()
    c.world.fleets.forward(c.world.lines[0].id, ForwardingKind.UNCONDITIONAL, "0611000002")
    c.world.fleets.forward(c.world.lines[1].id, ForwardingKind.BUSY, "0611000003")
    c.answers[OTHER] = refuse(486)
    c.answers[THIRD] = answer_after(1.0, c.clock)
    c.call(LINE)
    c.advance(3.0)
    assert [i.request_uri for i in c.b_invites()] == [f"tel:{OTHER}", f"tel:{THIRD}"]
    last = c.b_invites()[-1]
    assert history(last) == [
        (LINE, None, "1", None),
        (OTHER, "302", "1.1", "1"),
        (THIRD, "486", "1.1.1", "1.1"),
    ]
    assert diversions(last) == [(OTHER, "user-busy", "2"), (LINE, "unconditional", "1")]
    assert statuses(c).count(181) == 2
    assert statuses(c)[-1] == 200
    c.scscf.bye(next(iter(c.scscf.dialogs.values())))
    c.advance(64)
    assert c.network.legs == 0


def test_a_number_past_the_last_target_ends_the_history_and_not_reachable_is_503() -> None:
    line, other, member = E164(LINE), E164(OTHER), E164(THIRD)
    hops = [Diversion(DiversionReason.NOT_REACHABLE, line, other)]
    assert history_info(hops, member) == [
        f"<tel:{LINE}>;index=1",
        f"<tel:{OTHER};cause=503>;index=1.1;mp=1",
        f"<tel:{THIRD}>;index=1.1.1;mp=1.1",
    ]
    assert diversion(hops) == [f"<tel:{LINE}>;reason=unavailable;counter=1"]


def test_each_181_carries_the_history_of_the_call_up_to_its_hop() -> None:
    c = core()
    c.world.fleets.forward(c.world.lines[0].id, ForwardingKind.UNCONDITIONAL, "0611000002")
    c.world.fleets.forward(c.world.lines[1].id, ForwardingKind.BUSY, "0611000003")
    c.answers[OTHER] = refuse(486)
    c.answers[THIRD] = answer_after(1.0, c.clock)
    c.call(LINE)
    c.advance(3.0)
    forwarded = [s.message for s in c.to_scscf.sent if s.label == "181"]
    assert [history(m) for m in forwarded] == [
        [(LINE, None, "1", None), (OTHER, "302", "1.1", "1")],
        [(LINE, None, "1", None), (OTHER, "302", "1.1", "1"), (THIRD, "486", "1.1.1", "1.1")],
    ]
    c.scscf.bye(next(iter(c.scscf.dialogs.values())))
    c.advance(64)
    assert c.network.legs == 0
