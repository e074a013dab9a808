"""Voicemail as a destination on SIP in virtual time (issue 16 item 7): FleetPBX's leg to the
voicemail platform's number goes to the core like any off-net number and carries the
diversion history — History-Info with the served line as the original target and RFC 4458
cause, Diversion naming the line (the mailbox) — for a line's forwarding and for a group's
no-answer rule (the group's number)."""

from __future__ import annotations

from fleet.core.numbering import E164
from fleet.core.values import ForwardingKind, NoAnswerAction
from fleet.core.voicemail import VoicemailPlatform
from fleet.sipnet.history import DIVERSION
from tests.sipnet.support import answer_after, core, refuse
from tests.sipnet.test_forwarding_history import diversions, history

LINE = "+33611000001"
PLATFORM = "+33699999123"
GROUP = "+33609182236"


def test_busy_forwarding_to_voicemail_rings_the_platform_with_the_line_as_mailbox() -> None:
    c = core(voicemail=VoicemailPlatform(E164(PLATFORM)))
    c.world.fleets.forward_to_voicemail(c.world.lines[0].id, ForwardingKind.BUSY)
    c.answers[LINE] = refuse(486)
    c.answers[PLATFORM] = answer_after(0.5, c.clock)
    c.call(LINE)
    c.advance(3.0)
    first, second = c.b_invites()
    assert second.request_uri == f"tel:{PLATFORM}"  # through the core, as any off-net number
    assert first.headers.get_all(DIVERSION) == []
    assert history(second) == [(LINE, None, "1", None), (PLATFORM, "486", "1.1", "1")]
    assert diversions(second) == [(LINE, "user-busy", "1")]
    c.scscf.bye(next(iter(c.scscf.dialogs.values())))
    c.advance(64)
    assert c.network.legs == 0
    [record] = c.records.items
    [event] = [e for e in record.events if e.kind.value == "forwarded"]
    assert (event.to_number, event.detail) == (PLATFORM, {"target": "voicemail"})


def test_a_group_s_no_answer_rule_to_voicemail_names_the_group_s_number() -> None:
    c = core(voicemail=VoicemailPlatform(E164(PLATFORM)))
    fleets, world = c.world.fleets, c.world
    fleets.add_group(
        world.fleet.id,
        number="0609182236",
        name="Taxis",
        members=[world.lines[0].id],
        connected=[world.lines[0].id],
        switchover_delay=5,
        no_answer_action=NoAnswerAction.FORWARD_TO_VOICEMAIL,
    )
    c.answers[PLATFORM] = answer_after(0.5, c.clock)
    c.call(GROUP)
    c.advance(8.0)
    last = c.b_invites()[-1]
    assert last.request_uri == f"tel:{PLATFORM}"
    assert diversions(last) == [(GROUP, "no-answer", "1")]
    assert history(last)[0] == (GROUP, None, "1", None)
    assert history(last)[-1] == (PLATFORM, "408", "1.1", "1")
    c.scscf.bye(next(iter(c.scscf.dialogs.values())))
    c.advance(64)
    assert c.network.legs == 0
